"""责任倒查 pages: list, opening, the review page, steps, scope, stale forms, export and CSRF."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccountabilityReview,
    AuditAction,
    AuditEvent,
    IncidentKind,
    ResponsibilityCause,
    ResponsibleKind,
    ReviewStatus,
)
from portal.services import review_steps
from portal.services.deadlines import local_today
from portal.services.review_parties import Measures, name_party
from tests.auth.conftest import csrf_token_of, fresh_client, sign_in_with_token
from tests.factories import County, new_case

S = ReviewStatus


def incident(**overrides) -> dict:
    """Form data of the opening form."""
    yesterday = local_today() - timedelta(days=1)
    data = {
        "title": "后王村土地纠纷引发群体性事件",
        "incident_kind": "mass_incident",
        "incident_at": f"{yesterday:%Y-%m-%d} 09:30:00",
        "incident_place": "柳林镇政府门口",
        "people_involved": "后王村村民二十余人",
        "people_count": "23",
        "description": "村民因土地流转款分配问题聚集。",
        "case_numbers": "",
        "note": "",
    }
    data.update(overrides)
    return data


def open_review(actor, cases=(), title="柳林镇越级上访倒查"):
    return review_steps.open_review(
        db.session,
        actor,
        title=title,
        incident_kind=IncidentKind.PETITION,
        incident_at=datetime.now(UTC) - timedelta(days=2),
        incident_place="市信访局",
        people_involved="王某某",
        description="赴市上访",
        cases=list(cases),
        today=local_today(),
    )


@pytest.fixture
def ll_case(county):
    return new_case(
        db.session, county.users["entry_b"], county.ll, today=local_today(), parties=("王某某", "赵某")
    )


@pytest.fixture
def mj_case(county):
    return new_case(
        db.session, county.users["entry_a"], county.mj, today=local_today(), parties=("孙某", "周某")
    )


@pytest.fixture
def county_review(county, ll_case):
    """A county review of 柳林's case, under investigation, naming 柳林调解员."""
    evaluator = county.users["evaluator"]
    review = open_review(evaluator, [ll_case])
    review_steps.investigate(db.session, review, evaluator, investigators="张科长")
    name_party(
        db.session,
        review,
        evaluator,
        kind=ResponsibleKind.MEDIATOR,
        mediator=county.mediators["柳林调解员"],
        cause=ResponsibilityCause.HANDLING,
        facts="调解三次均无书面记录",
        measures=Measures(deduction_points=2),
    )
    return review


def _version(review_id: int) -> int:
    db.session.expire_all()
    return db.session.get(AccountabilityReview, review_id).version


# --- list, opening and the review page ------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_evaluator_opens_a_review_with_a_case_and_lands_on_its_page(county, login_as, ll_case):
    client = login_as("evaluator")
    response = client.post("/admin/reviews/new/", data=incident(case_numbers=ll_case.number))
    assert response.status_code == 302
    review = db.session.scalar(select(AccountabilityReview).order_by(AccountabilityReview.id.desc()))
    assert response.headers["Location"].endswith(f"/admin/reviews/details/?id={review.id}")
    assert review.status == S.OPENED and review.incident_kind == IncidentKind.MASS_INCIDENT
    assert review.people_count == 23 and review.organization == county.root
    # 09:30 Beijing is 01:30 UTC.
    stored = review.incident_at if review.incident_at.tzinfo else review.incident_at.replace(tzinfo=UTC)
    assert stored.astimezone(UTC).hour == 1

    page = client.get(f"/admin/reviews/details/?id={review.id}").text
    assert "后王村土地纠纷引发群体性事件" in page and "群体性事件" in page
    assert f"/admin/cases/details/?id={ll_case.id}" in page
    assert "关联时的流转记录（1条" in page and "受理登记" in page
    assert "（未决定，暂无文号）" in page
    assert "开始调查" in page and "修改案情" in page


def test_opening_form_is_prefilled_from_the_case_page(county, login_as, ll_case):
    client = login_as("evaluator")
    case_page = client.get(f"/admin/cases/details/?id={ll_case.id}").text
    assert "发起责任倒查" in case_page
    form = client.get(f"/admin/reviews/new/?case_id={ll_case.id}").text
    assert ll_case.number in form


def test_opening_with_another_subtrees_case_is_refused_on_the_field(county, login_as, ll_case):
    client = login_as("admin_a")
    before = db.session.scalar(select(func.count()).select_from(AccountabilityReview))
    response = client.post("/admin/reviews/new/", data=incident(case_numbers=ll_case.number))
    assert response.status_code == 200
    assert "不在您单位的管辖范围内" in response.text
    assert db.session.scalar(select(func.count()).select_from(AccountabilityReview)) == before


def test_opening_requires_the_incident(county, login_as):
    response = login_as("evaluator").post("/admin/reviews/new/", data=incident(incident_place="", title=""))
    assert response.status_code == 200
    assert "请填写事件发生地点" in response.text and "请填写倒查事项名称" in response.text


def test_list_search_filter_and_sort(county, login_as, county_review):
    client = login_as("evaluator")
    page = client.get("/admin/reviews/").text
    assert "柳林镇越级上访倒查" in page and "调查" in page
    assert "柳林镇越级上访倒查" in client.get("/admin/reviews/?search=越级").text
    assert "柳林镇越级上访倒查" not in client.get("/admin/reviews/?search=不存在的事项").text
    assert "柳林镇越级上访倒查" not in client.get("/admin/reviews/?flt0_0=archived").text
    assert client.get("/admin/reviews/?sort=0&desc=1").status_code == 200


def test_clerk_reads_but_cannot_act(county, login_as, county_review):
    client = login_as("clerk")
    page = client.get(f"/admin/reviews/details/?id={county_review.id}")
    assert page.status_code == 200 and "柳林调解员" in page.text
    assert 'id="review-steps"' not in page.text
    url = f"/admin/reviews/act/decide/?id={county_review.id}"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"finding": "x"}).status_code == 403


def test_entry_sees_no_review_anywhere(county, login_as, county_review, ll_case):
    client = login_as("entry_b")
    assert client.get(f"/admin/reviews/details/?id={county_review.id}").status_code == 403
    case_page = client.get(f"/admin/cases/details/?id={ll_case.id}").text
    assert 'id="case-reviews"' not in case_page


def test_case_page_lists_the_reviews_of_the_case(county, login_as, county_review, ll_case):
    page = login_as("clerk").get(f"/admin/cases/details/?id={ll_case.id}").text
    assert 'id="case-reviews"' in page
    assert f"/admin/reviews/details/?id={county_review.id}" in page
    assert "发起责任倒查" not in page


# --- steps -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_the_whole_loop_through_the_pages(county, login_as, ll_case):
    client = login_as("evaluator")
    review = open_review(county.users["evaluator"], [ll_case])
    rid = review.id
    act = "/admin/reviews/act/{}/?id=" + str(rid)

    page = client.get(act.format("investigate")).text
    assert "确认开始调查" in page
    response = client.post(
        act.format("investigate"), data={"investigators": "张科长、李干事", "lock_version": _version(rid)}
    )
    assert response.status_code == 302

    mediator = county.mediators["柳林调解员"]
    form = client.get(act.format("name_party")).text
    assert "柳林调解员" in form and "马集调解员" in form  # the county sees the whole county
    response = client.post(
        act.format("name_party"),
        data={
            "kind": "mediator",
            "mediator": mediator.id,
            "cause": "handling",
            "facts": "三次调解均无书面记录",
            "notice": "y",
            "deduction_points": "3",
            "award_ban": "y",
            "lock_version": _version(rid),
        },
    )
    assert response.status_code == 302, response.text
    review = db.session.get(AccountabilityReview, rid)
    party = review.responsible[0]
    assert party.measures_text == "通报、扣分（3分）、取消评优"

    response = client.post(
        f"/admin/reviews/act/revise_party/?id={rid}&party={party.id}",
        data={
            "cause": "reporting",
            "facts": "发现风险未及时报告",
            "interview": "y",
            "deduction_points": "2",
            "lock_version": _version(rid),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert party.cause == ResponsibilityCause.REPORTING and party.measures_text == "约谈、扣分（2分）"

    deadline = local_today() + timedelta(days=30)
    decide_page = client.get(act.format("decide")).text
    assert "拟作出决定的责任认定" in decide_page and "约谈、扣分（2分）" in decide_page
    response = client.post(
        act.format("decide"),
        data={
            "finding": "经调查，柳林调解员报告不及时。",
            "rectification_deadline": deadline.isoformat(),
            "decided_on": local_today().isoformat(),
            "lock_version": _version(rid),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    review = db.session.get(AccountabilityReview, rid)
    assert review.status == S.DECIDED
    assert review.number == f"QH司倒查〔{local_today().year}〕1号"

    page = client.get(f"/admin/reviews/details/?id={rid}").text
    assert review.number in page and "倒查结论" in page
    assert "/act/name_party/" not in page and "/act/revise_party/" not in page
    assert f"/admin/reviews/act/archive/?id={rid}" in page
    response = client.post(
        act.format("archive"), data={"rectification_report": "已整改", "lock_version": _version(rid)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AccountabilityReview, rid).status == S.ARCHIVED
    history = client.get(f"/admin/reviews/details/?id={rid}").text
    for label in ("立案", "开始调查", "认定责任", "修改责任认定", "作出决定", "归档"):
        assert label in history


def test_a_step_not_allowed_now_is_refused(county, login_as, county_review):
    client = login_as("evaluator")
    response = client.get(f"/admin/reviews/act/archive/?id={county_review.id}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "不能办理「归档」" in page
    assert client.get(f"/admin/reviews/act/nonsense/?id={county_review.id}").status_code == 404


def test_a_stale_form_is_refused(county, login_as, county_review):
    client = login_as("evaluator")
    seen = _version(county_review.id)
    client.post(
        f"/admin/reviews/act/finding/?id={county_review.id}",
        data={"finding": "初步结论", "lock_version": seen},
    )
    response = client.post(
        f"/admin/reviews/act/finding/?id={county_review.id}",
        data={"finding": "另一人的结论", "lock_version": seen},
    )
    assert response.status_code == 200 and "已被他人更新" in response.text
    db.session.expire_all()
    assert db.session.get(AccountabilityReview, county_review.id).finding == "初步结论"


def test_a_party_of_another_review_cannot_be_reached(county, login_as, county_review):
    client = login_as("evaluator")
    other = open_review(county.users["evaluator"], title="另一倒查")
    review_steps.investigate(db.session, other, county.users["evaluator"], investigators="x")
    party = county_review.responsible[0]
    url = f"/admin/reviews/act/withdraw_party/?id={other.id}&party={party.id}"
    assert client.get(url).status_code == 404
    assert client.get(f"/admin/reviews/act/withdraw_party/?id={other.id}").status_code == 404


# --- scope -----------------------------------------------------------------------------------------


def test_another_subtree_cannot_reach_a_review_by_its_id(county, login_as, county_review):
    client = login_as("admin_a")
    assert "柳林镇越级上访倒查" not in client.get("/admin/reviews/").text
    assert client.get(f"/admin/reviews/details/?id={county_review.id}").status_code == 404
    for step in ("finding", "decide", "link_case"):
        assert client.get(f"/admin/reviews/act/{step}/?id={county_review.id}").status_code == 404
        response = client.post(
            f"/admin/reviews/act/{step}/?id={county_review.id}", data={"finding": "x", "case_numbers": "x"}
        )
        assert response.status_code == 404
    sheet = load_workbook(io.BytesIO(client.get("/admin/reviews/export/xlsx/").data)).active
    assert "柳林镇越级上访倒查" not in [c.value for row in sheet.iter_rows() for c in row]


def test_a_township_review_only_names_and_links_its_own(county, login_as, ll_case, mj_case):
    admin_a = county.users["admin_a"]
    review = open_review(admin_a, [mj_case], title="马集倒查")
    review_steps.investigate(db.session, review, admin_a, investigators="马集调查组")
    client = login_as("admin_a")
    act = f"/admin/reviews/act/{{}}/?id={review.id}"

    form = client.get(act.format("name_party")).text
    assert "马集调解员" in form and "柳林调解员" not in form
    for field, value in (("mediator", county.mediators["柳林调解员"].id), ("organization", county.ll.id)):
        response = client.post(
            act.format("name_party"),
            data={
                "kind": field,
                field: value,
                "cause": "handling",
                "facts": "x",
                "criticism": "y",
                "lock_version": _version(review.id),
            },
        )
        assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(AccountabilityReview, review.id).parties == []

    response = client.post(
        act.format("link_case"), data={"case_numbers": ll_case.number, "lock_version": _version(review.id)}
    )
    assert response.status_code == 200 and "不在您单位的管辖范围内" in response.text
    db.session.expire_all()
    assert [link.case_id for link in db.session.get(AccountabilityReview, review.id).linked] == [mj_case.id]


# --- export and CSRF ------------------------------------------------------------------------------


def test_export_lists_cases_and_measures_and_is_audited(county, login_as, county_review, ll_case):
    response = login_as("evaluator").get("/admin/reviews/export/xlsx/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:2] == ("倒查文号", "倒查事项") and "责任认定及处理措施" in header
    row = next(r for r in rows if r[1] == "柳林镇越级上访倒查")
    assert ll_case.number in row and "柳林调解员（调处不力：扣分（2分））" in row
    exported = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == AuditAction.EXPORT, AuditEvent.entity == "accountability_review")
    )
    assert exported == 1


def test_steps_need_the_csrf_token(csrf_app):
    county = County.load(db.session)
    review = open_review(county.users["evaluator"])
    review_steps.investigate(db.session, review, county.users["evaluator"], investigators="张科长")
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "evaluator")
    url = f"/admin/reviews/act/finding/?id={review.id}"
    assert client.post(url, data={"finding": "无令牌"}).status_code == 400
    page = client.get(url).text
    response = client.post(
        url,
        data={
            "finding": "带令牌的结论",
            "csrf_token": csrf_token_of(page),
            "lock_version": re.search(r'name="lock_version"[^>]*value="(\d+)"', page).group(1),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AccountabilityReview, review.id).finding == "带令牌的结论"


@pytest.mark.parametrize(
    "step",
    [
        "revise",
        "link_case",
        "name_party",
        "finding",
        "decide",
        "revise_party",
        "withdraw_party",
        "unlink_case",
    ],
)
def test_every_step_page_opens_prefilled(county, login_as, county_review, step):
    """Each step page of a review under investigation opens with the review's current values."""
    target = {
        "revise_party": f"&party={county_review.responsible[0].id}",
        "withdraw_party": f"&party={county_review.responsible[0].id}",
        "unlink_case": f"&link={county_review.linked[0].id}",
    }.get(step, "")
    response = login_as("evaluator").get(f"/admin/reviews/act/{step}/?id={county_review.id}{target}")
    assert response.status_code == 200
    assert f'value="{county_review.version}"' in response.text
    if step == "revise":
        assert "柳林镇越级上访倒查" in response.text
    if step == "revise_party":
        assert "调解三次均无书面记录" in response.text


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("sNaN", "请输入有效的扣分"),
        ("1e400", "请输入有效的扣分"),
        ("2.55", "扣分最多1位小数"),
        ("101", "扣分分值应在0至100分之间"),
    ],
)
def test_deduction_points_that_are_no_score_are_refused_in_chinese(
    county, login_as, county_review, points, message
):
    """A signalling NaN used to crash the page; every odd number is a message under the field now."""
    rid = county_review.id
    before = len(county_review.responsible)
    response = login_as("evaluator").post(
        f"/admin/reviews/act/name_party/?id={rid}",
        data={
            "kind": "mediator",
            "mediator": county.mediators["马集调解员"].id,
            "cause": "handling",
            "facts": "未按规定记录",
            "deduction_points": points,
            "lock_version": _version(rid),
        },
    )
    assert response.status_code == 200
    assert message in response.text
    db.session.expire_all()
    assert len(db.session.get(AccountabilityReview, rid).responsible) == before
