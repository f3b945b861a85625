"""责任倒查决定书: content under the review's number, drafts, hostile text, issuing and scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.review import IncidentKind, ResponsibilityCause, ResponsibleKind
from portal.pdf import review_documents
from portal.pdf.coverage import missing_glyphs
from portal.services import documents
from portal.services.review_parties import Measures, name_party
from portal.services.review_steps import decide, investigate, open_review
from tests.assessment_ledger import add_evaluator, at
from tests.factories import new_case
from tests.pdf.official_samples import fetched_only_our_own, flat, save_sample, seal_png, text_of

HOSTILE = '<img src="file:///etc/passwd"> <link href="http://127.0.0.1:9/x"> url(http://127.0.0.1:9/y)'
DAY = date(2026, 3, 10)


def issued_count() -> int:
    return db.session.scalar(select(func.count(IssuedDocument.id)))


def opened(county, actor, title="马集镇土地纠纷引发越级上访", parties=True):
    """Open and investigate a review of a 越级上访 with one linked case and (by default) two parties."""
    entry, org = (county.users["entry_a"], county.mj) if parties else (county.users["entry_b"], county.ll)
    case = new_case(db.session, entry, org, today=DAY - timedelta(days=60), summary="宅基地界址争议")
    review = open_review(
        db.session,
        actor,
        title=title,
        incident_kind=IncidentKind.PETITION,
        incident_at=at(DAY - timedelta(days=20), 9),
        incident_place="市信访局接待大厅",
        people_involved="赵某、钱某等5人",
        people_count=5,
        description="当事人因宅基地界址纠纷久调不决，集体到市信访局上访。",
        cases=[case],
        today=DAY - timedelta(days=18),
    )
    investigate(db.session, review, actor, investigators="考评员甲、文书甲")
    if not parties:
        return review
    name_party(
        db.session,
        review,
        actor,
        kind=ResponsibleKind.ORGANIZATION,
        cause=ResponsibilityCause.SCREENING,
        facts="未按月开展矛盾纠纷排查，未发现纠纷升级苗头。",
        organization=county.mj,
        measures=Measures(notice=True, deduction_points=Decimal(3)),
    )
    name_party(
        db.session,
        review,
        actor,
        kind=ResponsibleKind.MEDIATOR,
        cause=ResponsibilityCause.HANDLING,
        facts="受理后两个月未组织调解。",
        mediator=county.mediators["马集调解员"],
        position="马集镇人民调解委员会专职调解员",
        measures=Measures(criticism=True, interview=True, award_ban=True),
    )
    return review


@pytest.fixture
def review(county):
    actor = county.users["evaluator"]
    review = opened(county, actor)
    county.root.seal_png = seal_png(county.root.name)
    decide(
        db.session,
        review,
        actor,
        finding=f"经调查，马集镇人民调解委员会排查不到位，承办调解员调处不力。\n{HOSTILE}",
        rectification_deadline=DAY + timedelta(days=30),
        decided_on=DAY,
        today=DAY,
    )
    return review


def test_decision_content_glyphs_and_record(app, county, review):
    """The decision prints under its 发文字号: incident, cases, findings, parties, measures, deadline."""
    with app.test_request_context():
        document, pdf = documents.issue(
            db.session,
            **review_documents.issue_fields(review),
            actor=county.users["clerk"],
            render=lambda serial, original: review_documents.review_decision(
                review, serial=serial, original=original
            ),
        )
    text = flat(pdf)
    for expected in (
        "清河县司法局",
        "QH司倒查〔2026〕1号",
        "责任倒查决定书",
        "越级上访",
        "市信访局接待大厅",
        "赵某、钱某等5人，共5人",
        review.linked[0].snapshot["number"],
        "宅基地界址争议",
        "排查不到位",
        "通报、扣分（3分）",
        "马集调解员（马集镇人民调解委员会专职调解员）",
        "批评、约谈、取消评优",
        "2026年4月9日前完成整改",
        "本决定自作出之日起生效",
        "2026年3月10日",
        document.serial,
    ):
        assert expected in text, expected
    assert missing_glyphs(pdf) == set()
    assert document.kind == DocumentKind.REVIEW_DECISION and document.number == "QH司倒查〔2026〕1号"
    assert (
        document.sha256 == documents.sha256_of(pdf)
        and document.masked_name == "马集镇人民调解委员会、马***员"
    )
    save_sample(pdf, "review_decision")


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        (IncidentKind.MASS_INCIDENT, "发生一起群体性事件（"),
        (IncidentKind.PETITION, "发生一起越级上访事件（"),
        (IncidentKind.CRIMINAL, "发生一起民转刑事件（"),
        (IncidentKind.OPINION, "发生一起重大舆情事件（"),
    ],
)
def test_incident_kind_reads_once_in_the_decision(app, review, kind, phrase):
    """A 群体性事件 is not a 群体性事件事件; the other kinds take 事件 after them."""
    review.incident_kind = kind
    with app.test_request_context():
        pdf = review_documents.review_decision(review, serial=None, original=None, draft=True).pdf
    text = flat(pdf)
    assert phrase in text and "事件事件" not in text


def test_hostile_finding_prints_literally_and_fetches_nothing(app, review):
    """HTML, links and CSS url() in a finding print as text; only the stylesheet and data: are fetched."""
    with app.test_request_context():
        result = review_documents.review_decision(review, serial="K7QM-3XD2-PW9A-H4TC", original=None)
    text = flat(result.pdf)
    assert 'src="file:///etc/passwd"' in text and 'href="http://127.0.0.1:9/x"' in text
    assert "url(http://127.0.0.1:9/y)" in text
    assert fetched_only_our_own(result.requested)


def test_undecided_review_prints_a_draft_from_the_page(app, county, login_as):
    """An undecided review prints as 草稿 with no number and no record; once decided it is issued."""
    review = opened(county, county.users["evaluator"])
    client = login_as("clerk")
    assert "打印决定书（草稿）" in client.get(f"/admin/reviews/details/?id={review.id}").text
    response = client.post(f"/admin/reviews/print/decision/?id={review.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "草 稿" in text_of(response.data) and "〔文号待定〕" in flat(response.data) and issued_count() == 0
    decide(
        db.session,
        review,
        county.users["evaluator"],
        finding="调处不力",
        rectification_deadline=DAY + timedelta(days=30),
        decided_on=DAY,
        today=DAY,
    )
    issued = client.post(f"/admin/reviews/print/decision/?id={review.id}")
    assert issued.status_code == 200 and "草 稿" not in text_of(issued.data) and issued_count() == 1


def test_review_outside_the_subtree_is_404(app, county, login_as):
    """A review run by 柳林镇 cannot be printed by 马集镇's admin."""
    review = opened(
        county, add_evaluator(county, "eval_ll", county.ll), title="柳林镇纠纷引发越级上访", parties=False
    )
    client = login_as("admin_a")
    assert client.post(f"/admin/reviews/print/decision/?id={review.id}").status_code == 404
    client.post("/logout")
    assert login_as("entry_b").post(f"/admin/reviews/print/decision/?id={review.id}").status_code == 403
