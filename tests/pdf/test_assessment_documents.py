"""考评结果通知书 and 考评结果汇总表: content, glyphs, drafts, issuing, scope and the print routes."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.assessment import CriterionKind, PeriodKind
from portal.pdf import assessment_documents
from portal.pdf.coverage import missing_glyphs
from portal.services import documents, scoring, standard_templates
from portal.services.scoring import ScoreEntry
from tests.assessment_ledger import add_evaluator, decided_review, settled
from tests.pdf.official_samples import (
    fetched_only_our_own,
    flat,
    page_size_mm,
    save_sample,
    seal_png,
    text_of,
)

TODAY = date(2026, 1, 20)
NAMES = ("马集调解员", "前李调解员", "柳林调解员")


def issued_count() -> int:
    return db.session.scalar(select(func.count(IssuedDocument.id)))


@pytest.fixture
def mediator_round(county):
    """A 2025 round of three mediators: cases for two, a 责任倒查 deduction for one, two evaluators."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    for month in (3, 4, 5):
        settled(db.session, entry, county.mj, [person], date(2025, month, 1))
    settled(db.session, entry, county.mj_village, [county.mediators["前李调解员"]], date(2025, 6, 1))
    decided_review(county.users["evaluator"], person, decided_on=date(2025, 9, 1), deduction=Decimal(2))
    template = next(t for t in standard_templates.install(db.session) if t.target_kind.value == "mediator")
    evaluator = county.users["evaluator"]
    rnd = scoring.open_round(
        db.session,
        evaluator,
        template=template,
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=[county.mediators[n] for n in NAMES],
        today=TODAY,
    )
    second = add_evaluator(county, "eval_pdf", county.root)
    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    for actor, points in ((evaluator, Decimal(4)), (second, Decimal(5))):
        entries = {(a.id, c.id): ScoreEntry(points) for a in rnd.assessments for c in manual}
        scoring.save_scores(db.session, rnd, actor, entries)
    county.root.seal_png = seal_png(county.root.name)
    db.session.commit()
    return rnd


def top(rnd):
    return next(a for a in rnd.assessments if a.mediator and a.mediator.name == "马集调解员")


def test_open_round_prints_a_draft_and_records_nothing(app, mediator_round):
    """A round not finalised prints with the 草稿 watermark, no serial, and no IssuedDocument."""
    with app.test_request_context():
        result = assessment_documents.evaluation_report(
            top(mediator_round), serial="AAAA-BBBB-CCCC-DDDD", original=None
        )
    text = text_of(result.pdf)
    assert "草 稿" in text and "AAAA-BBBB" not in text and issued_count() == 0
    # No 发文字号 before 定稿: the number line stays empty.
    assert mediator_round.number is None and "司考" not in flat(result.pdf)


def test_final_report_content_glyphs_and_record(app, county, mediator_round):
    """The report names target, period, criteria, evidence, deductions, rank, evaluators; recorded."""
    scoring.finalise(db.session, mediator_round, county.users["evaluator"])
    assessment = top(mediator_round)
    with app.test_request_context():
        document, pdf = documents.issue(
            db.session,
            **assessment_documents.evaluation_issue_fields(assessment),
            actor=county.users["clerk"],
            render=lambda serial, original: assessment_documents.evaluation_report(
                assessment, serial=serial, original=original
            ),
        )
    text = flat(pdf)
    for expected in (
        "考评结果通知书",
        "马集调解员：",
        "2025年度（2025年1月1日至2025年12月31日）",
        "调解员年度绩效考评方案",
        "办案数量",
        "期内受理3件",
        "责任倒查扣分",
        "扣2",
        f"第{assessment.rank}名/共3名",
        "考评员eval_pdf、考评员甲",
        "清河县司法局",
        document.serial,
        mediator_round.number,
    ):
        assert expected in text, expected
    assert "草 稿" not in text
    assert missing_glyphs(pdf) == set()
    assert page_size_mm(pdf) == (210, 297)
    assert document.sha256 == documents.sha256_of(pdf) and document.kind == DocumentKind.EVALUATION
    assert document.masked_name == "马***员" and document.number == mediator_round.number
    assert re.fullmatch(r"QH司考〔\d{4}〕1号", mediator_round.number)
    save_sample(pdf, "evaluation")


def test_round_summary_and_batch(app, county, mediator_round):
    """The 汇总表 lists every target on landscape A4; a batch is one PDF, one report per target."""
    scoring.finalise(db.session, mediator_round, county.users["evaluator"])
    with app.test_request_context():
        summary = assessment_documents.round_summary(
            mediator_round, serial="K7QM-3XD2-PW9A-H4TC", original=None
        )
        batch = assessment_documents.evaluation_batch(
            [(a, f"SER{i}-AAAA-BBBB-CCCC") for i, a in enumerate(mediator_round.assessments)], draft=False
        )
    text = flat(summary.pdf)
    assert "考评结果汇总表" in text and all(name in text for name in NAMES) and "K7QM-3XD2-PW9A-H4TC" in text
    assert page_size_mm(summary.pdf) == (297, 210) and missing_glyphs(summary.pdf) == set()
    save_sample(summary.pdf, "round_summary")
    pages = [flat(batch.pdf)]
    assert batch.pages >= 3 and all(f"SER{i}-AAAA" in pages[0] for i in range(3))
    # Every notice of the round prints the round's 发文字号 under its masthead.
    assert pages[0].count(mediator_round.number) == 3
    assert fetched_only_our_own(batch.requested)
    # Each report numbers its own pages — 1 —, — 2 —…, whatever came before it in the file.
    numbers: dict[str, list[int]] = {}
    for page in PdfReader(io.BytesIO(batch.pdf)).pages:
        text = "".join(page.extract_text().split())
        serial = re.search(r"SER\d+-AAAA", text)[0]
        numbers.setdefault(serial, []).append(int(re.search(r"—(\d+)—", text)[1]))
    assert len(numbers) == 3 and all(n == list(range(1, len(n) + 1)) for n in numbers.values()), numbers


def test_print_routes_issue_reprint_and_scope(app, county, mediator_round, login_as):
    """Clerks print from the round page: a draft while open; once final, issued, then 补打; scope holds."""
    client = login_as("clerk")
    assessment = top(mediator_round)
    page = client.get(f"/admin/assessment_rounds/details/?id={mediator_round.id}").text
    assert "打印汇总表（草稿）" in page and f"assessment={assessment.id}" in page
    url = f"/admin/assessment_rounds/print/evaluation/?id={mediator_round.id}&assessment={assessment.id}"
    draft = client.post(url)
    assert draft.status_code == 200 and draft.mimetype == "application/pdf" and issued_count() == 0
    assert (
        "inline" in draft.headers["Content-Disposition"] and "_draft" in draft.headers["Content-Disposition"]
    )
    scoring.finalise(db.session, mediator_round, county.users["evaluator"])
    page = client.get(f"/admin/assessment_rounds/details/?id={mediator_round.id}").text
    assert f"考评结果通知书文号 {mediator_round.number}" in page
    first = client.post(url)
    again = client.post(url)
    assert first.status_code == again.status_code == 200 and issued_count() == 2
    reprint = db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id.desc())).first()
    assert reprint.is_reprint and "补打" in text_of(again.data)
    summary = client.post(f"/admin/assessment_rounds/print/summary/?id={mediator_round.id}")
    assert summary.status_code == 200 and issued_count() == 3
    assert client.post(url.replace(f"assessment={assessment.id}", "assessment=999999")).status_code == 404


def test_round_outside_the_subtree_is_404(app, county, login_as):
    """A round opened in 柳林镇 cannot be printed by 马集镇's admin."""
    template = next(t for t in standard_templates.install(db.session) if t.target_kind.value == "mediator")
    evaluator = add_evaluator(county, "eval_ll", county.ll)
    rnd = scoring.open_round(
        db.session,
        evaluator,
        template=template,
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=[county.mediators["柳林调解员"]],
        today=TODAY,
    )
    client = login_as("admin_a")
    assessment = rnd.assessments[0]
    assert client.post(f"/admin/assessment_rounds/print/summary/?id={rnd.id}").status_code == 404
    url = f"/admin/assessment_rounds/print/evaluation/?id={rnd.id}&assessment={assessment.id}"
    assert client.post(url).status_code == 404


def test_entry_clerks_cannot_print(app, mediator_round, login_as):
    """Entry clerks, who are the ones assessed, have no access to rounds or their documents."""
    client = login_as("entry_a")
    assert client.post(f"/admin/assessment_rounds/print/summary/?id={mediator_round.id}").status_code == 403
