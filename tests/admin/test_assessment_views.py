"""考核评价 pages through the test client: the round's loop, locking for every role, scope by id."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AssessmentRound, AssessmentTemplate, Recognition, RecognitionCriteria, User
from portal.models.assessment import CriterionKind, PeriodKind
from portal.models.recognition import RecognitionStatus
from portal.services import recognition, scoring, standard_templates
from portal.services.scoring import ScoreEntry
from tests.assessment_ledger import add_evaluator, settled

TODAY = date(2026, 1, 20)


@pytest.fixture
def templates(county):
    added = {t.target_kind.value: t for t in standard_templates.install(db.session)}
    db.session.commit()
    return added


def round_of(county, templates, actor, people) -> AssessmentRound:
    return scoring.open_round(
        db.session,
        actor,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=[county.mediators[p] for p in people],
        today=TODAY,
    )


def add_admin(county, username, org) -> User:
    user = add_evaluator(county, username, org)
    user.roles = ["admin"]
    db.session.commit()
    return user


def test_evaluator_opens_scores_finalises_and_reopens(county, templates, login_as, auth):
    """The whole loop through the pages; a finalised round refuses scores until reopened with a reason."""
    settled(
        db.session, county.users["entry_a"], county.mj, [county.mediators["马集调解员"]], date(2025, 3, 1)
    )
    client = login_as("evaluator")
    people = [county.mediators["马集调解员"].id, county.mediators["柳林调解员"].id]
    response = client.post(
        "/admin/assessment_rounds/new/",
        data={"template": templates["mediator"].id, "period_kind": "year", "year": 2025, "mediators": people},
    )
    assert response.status_code == 302, response.text
    rnd = db.session.scalar(select(AssessmentRound))
    page = client.get(f"/admin/assessment_rounds/details/?id={rnd.id}").text
    assert "2025年度调解员年度绩效考评方案" in page and "马集调解员" in page
    handled = next(
        r for a in rnd.assessments for r in a.results if r.criterion.name == "办案数量" and r.value
    )
    evidence = client.get(f"/admin/assessment_rounds/evidence/?result={handled.id}").text
    assert "MJ人调字" in evidence

    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    form = {f"s-{a.id}-{c.id}": "4" for a in rnd.assessments for c in manual}
    assert client.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=form).status_code == 302
    assert client.get(f"/admin/assessment_rounds/finalise/?id={rnd.id}").status_code == 200
    client.post(f"/admin/assessment_rounds/finalise/?id={rnd.id}", data={"lock_version": rnd.version})
    db.session.refresh(rnd)
    assert rnd.is_final
    totals = [a.total for a in rnd.assessments]

    # Locked: the evaluator is sent back, other roles are refused outright.
    client.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=dict.fromkeys(form, "0"))
    db.session.refresh(rnd)
    assert [a.total for a in rnd.assessments] == totals
    for username in ("admin", "clerk"):
        auth.logout()
        other = login_as(username)
        assert other.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=form).status_code == 403
        assert (
            other.post(f"/admin/assessment_rounds/reopen/?id={rnd.id}", data={"reason": "x"}).status_code
            == 403
        )
    auth.logout()
    client = login_as("evaluator")
    client.post(
        f"/admin/assessment_rounds/reopen/?id={rnd.id}", data={"lock_version": rnd.version, "reason": ""}
    )
    db.session.refresh(rnd)
    assert rnd.is_final
    client.post(
        f"/admin/assessment_rounds/reopen/?id={rnd.id}",
        data={"lock_version": rnd.version, "reason": "更正台账分"},
    )
    db.session.refresh(rnd)
    assert (
        not rnd.is_final and "更正台账分" in client.get(f"/admin/assessment_rounds/details/?id={rnd.id}").text
    )

    workbook = load_workbook(BytesIO(client.get(f"/admin/assessment_rounds/results.xlsx?id={rnd.id}").data))
    assert workbook.sheetnames == ["考评结果", "计分依据", "评委打分"]


@pytest.mark.usefixtures("frozen_clock")
def test_new_rounds_year_and_the_results_file_follow_the_offices_date(county, templates, login_as):
    """A new round proposes last year and the results file is dated by Beijing's calendar, not UTC's."""
    client = login_as("evaluator")
    today = clock.today()
    assert f'value="{today.year - 1}"' in client.get("/admin/assessment_rounds/new/").text
    rnd = round_of(county, templates, county.users["evaluator"], ["马集调解员"])
    response = client.get(f"/admin/assessment_rounds/results.xlsx?id={rnd.id}")
    assert response.status_code == 200
    assert f"assessment_round_{rnd.id}_{today:%Y%m%d}.xlsx" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("nan", "请输入有效的评分"),
        ("sNaN", "请输入有效的评分"),
        ("1e400", "请输入有效的评分"),
        ("-1", "评分不能为负数"),
    ],
)
def test_a_score_that_is_no_number_is_refused_in_chinese(county, templates, login_as, raw, error):
    rnd = round_of(county, templates, county.users["evaluator"], ["马集调解员"])
    manual = next(c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL)
    target = rnd.assessments[0]
    response = login_as("evaluator").post(
        f"/admin/assessment_rounds/score/?id={rnd.id}",
        data={f"s-{target.id}-{manual.id}": raw, "lock_version": rnd.version},
    )
    assert response.status_code == 200
    assert f"{target.target_name}「{manual.name}」：{error}" in response.text
    assert not target.scores


def test_rounds_are_scoped_by_id(county, templates, login_as, auth):
    """A 马集 round is seen in 马集 and above, not from 柳林; a county round not from 马集."""
    county_round = round_of(county, templates, county.users["evaluator"], ["柳林调解员"])
    mj_round = round_of(county, templates, add_evaluator(county, "eval_mj", county.mj), ["前李调解员"])
    add_admin(county, "admin_b", county.ll)
    result = county_round.assessments[0].results[0]
    client = login_as("admin_a")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 200
    assert client.get(f"/admin/assessment_rounds/details/?id={county_round.id}").status_code == 404
    assert client.get(f"/admin/assessment_rounds/evidence/?result={result.id}").status_code == 404
    assert client.get(f"/admin/assessment_rounds/results.xlsx?id={county_round.id}").status_code == 404
    listed = client.get("/admin/assessment_rounds/").text
    assert mj_round.title in listed and "柳林" not in listed
    auth.logout()
    client = login_as("admin_b")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 404
    auth.logout()
    client = login_as("entry_a")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 403


def test_recognitions_and_subsidies_are_scoped_by_id(county, login_as, auth):
    """A 马集 mediator's recognition and subsidy sheet are out of reach from 柳林."""
    person = county.mediators["马集调解员"]
    settled(db.session, county.users["entry_a"], county.mj, [person], date(2025, 3, 1))
    rec = Recognition(
        year=2025, title="调解能手", mediator=person, organization=county.mj, nominated_on=TODAY, evidence=[]
    )
    db.session.add(rec)
    db.session.commit()
    add_admin(county, "admin_b", county.ll)
    client = login_as("admin_a")
    assert client.get(f"/admin/recognitions/details/?id={rec.id}").status_code == 200
    assert (
        client.get(f"/admin/subsidies/details/?id={person.id}&start=2025-01-01&end=2025-12-31").status_code
        == 200
    )
    auth.logout()
    client = login_as("admin_b")
    assert client.get(f"/admin/recognitions/details/?id={rec.id}").status_code == 404
    assert client.get(f"/admin/subsidies/details/?id={person.id}").status_code == 404
    assert person.name not in client.get("/admin/subsidies/?start=2025-01-01&end=2025-12-31").text
    assert client.get(f"/admin/recognitions/approve/?id={rec.id}").status_code == 404


def test_subsidy_sheet_and_export(county, login_as):
    person = county.mediators["马集调解员"]
    settled(db.session, county.users["entry_a"], county.mj, [person], date(2025, 3, 1), sessions=3)
    client = login_as("evaluator")
    page = client.get("/admin/subsidies/?start=2025-01-01&end=2025-12-31").text
    assert "马集调解员" in page and "100.00" in page
    detail = client.get(f"/admin/subsidies/details/?id={person.id}&start=2025-01-01&end=2025-12-31").text
    assert "3（计一次）" in detail
    book = load_workbook(
        BytesIO(client.get("/admin/subsidies/export/xlsx/?start=2025-01-01&end=2025-12-31").data)
    )
    assert book["以案定补汇总"]["A2"].value == "马集调解员"


def test_admin_edits_template_criteria_through_the_form(county, login_as):
    """Criteria are inline rows of the template form; an incomplete one is refused in Chinese."""
    client = login_as("admin")
    base = {
        "name": "测试方案",
        "target_kind": "mediator",
        "excellent_min": "90",
        "good_min": "80",
        "pass_min": "60",
        "active": "y",
        "criteria-0-sort_order": "1",
        "criteria-0-name": "办案数量",
        "criteria-0-kind": "auto",
        "criteria-0-indicator": "cases_handled",
        "criteria-0-rule": "linear",
        "criteria-0-max_points": "40",
    }
    page = client.post("/admin/assessment_templates/new/", data=base).text
    assert "须填写零分线和满分线" in page
    client.post(
        "/admin/assessment_templates/new/", data={**base, "criteria-0-low": "0", "criteria-0-high": "20"}
    )
    template = db.session.scalar(select(AssessmentTemplate).where(AssessmentTemplate.name == "测试方案"))
    assert template is not None and template.criteria[0].high == 20


def test_candidates_nominate_notice_approve_and_mediator_record(county, login_as):
    """Candidates are proposed and nominated; once approved the honour is on the mediator's page."""
    person = county.mediators["前李调解员"]
    rules = recognition.criteria_for(db.session, 2025)
    rules.min_cases, rules.min_band, rules.min_training_hours = 1, None, Decimal(0)
    settled(db.session, county.users["entry_a"], county.mj_village, [person], date(2025, 3, 1))
    client = login_as("evaluator")
    page = client.get("/admin/recognitions/new/?year=2025").text
    assert "前李调解员" in page and "提名" in page
    client.post(
        "/admin/recognitions/nominate/", data={"mediator_id": person.id, "year": 2025, "reason": "优秀"}
    )
    rec = db.session.scalar(select(Recognition))
    # Nominated ten days ago, so that the 公示 can already be over (it cannot start before).
    rec.nominated_on = start = clock.today() - timedelta(days=10)
    db.session.commit()
    client.post(
        f"/admin/recognitions/notice/?id={rec.id}",
        data={
            "lock_version": rec.version,
            "notice_start": start.isoformat(),
            "notice_end": (start + timedelta(days=6)).isoformat(),
        },
    )
    db.session.refresh(rec)
    client.post(f"/admin/recognitions/approve/?id={rec.id}", data={"lock_version": rec.version})
    db.session.refresh(rec)
    assert re.fullmatch(r"能手〔2025〕\d{3}号", rec.serial or ""), rec.status
    assert rec.serial in client.get(f"/admin/mediators/details/?id={person.id}").text


def test_score_input_is_the_evaluators_own(county, templates, login_as):
    """Two evaluators each save their own score; the page shows the average."""
    rnd = round_of(county, templates, county.users["evaluator"], ["柳林调解员"])
    second = add_evaluator(county, "eval2", county.root)
    crit = next(c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL)
    scoring.save_scores(db.session, rnd, second, {(rnd.assessments[0].id, crit.id): ScoreEntry(Decimal(6))})
    client = login_as("evaluator")
    client.post(
        f"/admin/assessment_rounds/score/?id={rnd.id}", data={f"s-{rnd.assessments[0].id}-{crit.id}": "8"}
    )
    result = next(r for r in rnd.assessments[0].results if r.criterion_id == crit.id)
    db.session.refresh(result)
    assert result.value == Decimal("7.00")


def template_form(template: AssessmentTemplate) -> dict[str, str]:
    """Return the edit form of a template as the page would post it back unchanged."""
    data = {
        "name": template.name,
        "target_kind": template.target_kind.value,
        "description": template.description or "",
        "excellent_min": str(template.excellent_min),
        "good_min": str(template.good_min),
        "pass_min": str(template.pass_min),
        "lock_version": str(template.version),
    }
    if template.active:
        data["active"] = "y"
    for n, c in enumerate(template.criteria):
        for name in ("id", "sort_order", "name", "max_points", "low", "high", "per_item", "cap"):
            value = getattr(c, name)
            data[f"criteria-{n}-{name}"] = "" if value is None else str(value)
        data[f"criteria-{n}-no_data_points"] = "" if c.no_data_points is None else str(c.no_data_points)
        data[f"criteria-{n}-standard"] = c.standard or ""
        data[f"criteria-{n}-kind"] = c.kind.value
        data[f"criteria-{n}-rule"] = c.rule.value
        data[f"criteria-{n}-indicator"] = c.indicator.value if c.indicator else "__None"
    return data


def test_used_template_refuses_rule_changes_in_chinese_but_can_be_retired(county, templates, login_as):
    """Deleting a criterion of a used template is refused with the Chinese message, not an IntegrityError."""
    template = round_of(county, templates, county.users["evaluator"], ["马集调解员"]).template
    db.session.commit()
    count = len(template.criteria)
    client = login_as("admin")
    url = f"/admin/assessment_templates/edit/?id={template.id}"
    page = client.post(url, data={**template_form(template), "del-criteria-0": "on"}, follow_redirects=True)
    assert page.status_code == 200
    assert "已被考评批次使用" in page.text and "IntegrityError" not in page.text
    db.session.expire_all()
    assert len(db.session.get(AssessmentTemplate, template.id).criteria) == count
    changed = {**template_form(template), "criteria-0-max_points": "99"}
    assert "已被考评批次使用" in client.post(url, data=changed, follow_redirects=True).text
    retired = {**template_form(template), "description": "2026年起停用"}
    del retired["active"]
    page = client.post(url, data=retired, follow_redirects=True)
    assert "已被考评批次使用" not in page.text
    db.session.expire_all()
    template = db.session.get(AssessmentTemplate, template.id)
    assert not template.active and template.description == "2026年起停用" and len(template.criteria) == count


def test_copy_action_names_copies_uniquely_and_reports_errors(county, templates, login_as):
    """Copies are named （副本）, （副本2）; a copy that cannot be made is a Chinese message, not a 500."""
    template = templates["mediator"]
    client = login_as("admin")
    for _ in range(2):
        response = client.post(
            "/admin/assessment_templates/action/",
            data={"action": "copy", "rowid": [template.id]},
            follow_redirects=True,
        )
        assert response.status_code == 200
    names = set(db.session.scalars(select(AssessmentTemplate.name)))
    assert {f"{template.name}（副本）", f"{template.name}（副本2）"} <= names
    template.name = "长" * 100
    db.session.commit()
    response = client.post(
        "/admin/assessment_templates/action/",
        data={"action": "copy", "rowid": [template.id]},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "未能复制" in response.text


@pytest.mark.parametrize("year", ["0", "99999", "abc", "-5"])
def test_candidate_list_refuses_odd_years_without_writing(county, login_as, year):
    client = login_as("evaluator")
    response = client.get(f"/admin/recognitions/new/?year={year}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "年度应为2000至2100之间的整数" in page


def test_candidate_list_is_read_only(county, login_as):
    client = login_as("evaluator")
    assert client.get("/admin/recognitions/new/?year=2033").status_code == 200
    assert db.session.scalar(select(RecognitionCriteria).where(RecognitionCriteria.year == 2033)) is None


@pytest.mark.parametrize(
    ("mediator_id", "year", "status"),
    [("abc", "2025", 400), ("1", "x", 400), ("1", "0", 400), ("99999999999999999999", "2025", 404)],
)
def test_nominate_refuses_malformed_fields(county, login_as, mediator_id, year, status):
    client = login_as("evaluator")
    response = client.post("/admin/recognitions/nominate/", data={"mediator_id": mediator_id, "year": year})
    assert response.status_code == status
    assert (
        db.session.scalar(select(Recognition).where(Recognition.status == RecognitionStatus.NOMINATED))
        is None
    )


def test_subsidy_export_is_the_sheet_on_screen_and_never_a_formula(county, login_as):
    """Reversed dates are put in order for the export as on the page; a typed name stays text."""
    person = county.mediators["马集调解员"]
    person.name = '=HYPERLINK("http://x","点此")'
    settled(db.session, county.users["entry_a"], county.mj, [person], date(2025, 3, 1))
    client = login_as("evaluator")
    response = client.get("/admin/subsidies/export/xlsx/?start=2025-12-31&end=2025-01-01")
    assert "subsidies_20250101_20251231.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    cell = book["以案定补汇总"]["A2"]
    assert cell.data_type == "s" and cell.value == "'" + person.name
    assert book["计补案件明细"]["A2"].value == "'" + person.name
