"""矛盾纠纷分析研判报告 and 情况通报: rendered through the pipeline, issued with serial and hash, the circular
numbered once and kept after, a running period a 草稿, printing limited by role and scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.analysis import AnalysisReport, PeriodKind
from portal.pdf.coverage import missing_glyphs
from portal.services import analysis_notes, documents
from portal.services.analysis_periods import Period, period_of
from tests import analysis_ledger
from tests.pdf.official_samples import flat, page_size_mm, save_sample, text_of

OCTOBER = "month=2025-10&half="


def issued(kind: DocumentKind) -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            select(IssuedDocument).where(IssuedDocument.kind == kind).order_by(IssuedDocument.id)
        )
    )


def test_circular_is_numbered_issued_and_reprinted(county, login_as, auth):
    ledger = analysis_ledger.build(county)
    login_as("evaluator").post(
        f"/admin/analysis/notes/?org={county.root.id}&{OCTOBER}",
        data={"situation": "征地拆迁纠纷呈上升趋势", "risks": "", "suggestions": "", "lock_version": ""},
    )
    auth.logout()
    client = login_as("clerk")
    url = f"/admin/analysis/print/circular/?org={county.root.id}&{OCTOBER}"
    first = client.post(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    [document] = issued(DocumentKind.CIRCULAR)
    record = db.session.scalar(select(AnalysisReport).where(AnalysisReport.organization_id == county.root.id))
    year = record.circular_year
    assert record.circular_number == f"QH矛调通〔{year}〕1号" == document.number
    assert document.sha256 == documents.sha256_of(first.data) and document.subject_id == record.id
    text = flat(first.data)
    for expected in (
        "矛盾纠纷情况通报",
        f"QH矛调通〔{year}〕1号",
        "关于2025年10月矛盾纠纷排查化解情况的通报",
        "共受理矛盾纠纷5件，环比上升150.0%",
        "征地拆迁纠纷呈上升趋势",  # the analyst's notes
        "重大、群体性及高风险纠纷名单",
        ledger["c3"].number,
        document.serial,
    ):
        assert expected in text, expected
    assert missing_glyphs(first.data) == set() and page_size_mm(first.data) == (210, 297)
    save_sample(first.data, "circular")
    assert client.get(f"/verify/{document.serial}").status_code == 200
    # A reprint keeps the number; the next circular of the year takes the next one.
    assert analysis_notes.number_circular(db.session, record, date(year, 12, 31)) == document.number
    other = analysis_notes.record_for(db.session, county.root, Period(2025, 9))
    assert analysis_notes.number_circular(db.session, other, date(year, 12, 31)) == f"QH矛调通〔{year}〕2号"

    report = client.post(f"/admin/analysis/print/report/?org={county.root.id}&{OCTOBER}")
    [analysis_pdf] = issued(DocumentKind.ANALYSIS_REPORT)
    assert analysis_pdf.sha256 == documents.sha256_of(report.data) and page_size_mm(report.data) == (297, 210)
    body = flat(report.data)
    assert "矛盾纠纷分析研判报告" in body and "超期未化解纠纷" in body and ledger["c10a"].number in body
    assert missing_glyphs(report.data) == set()
    save_sample(report.data, "analysis_report")


def test_running_period_prints_a_draft_and_printing_is_scoped(county, login_as, auth):
    client = login_as("admin_a")  # 马集镇's administrator, on the half month under way
    now = period_of(clock.today(), PeriodKind.HALF)
    draft = client.post(
        f"/admin/analysis/print/circular/?org={county.mj.id}&month={now.month_key}&half={now.half}"
    )
    assert draft.status_code == 200 and "草 稿" in text_of(draft.data)
    assert db.session.scalar(select(func.count(IssuedDocument.id))) == 0
    assert client.post(f"/admin/analysis/print/circular/?org={county.ll.id}").status_code == 404
    auth.logout()
    evaluator = login_as("evaluator")
    assert evaluator.post(f"/admin/analysis/print/circular/?org={county.mj.id}").status_code == 403
    auth.logout()
    assert login_as("entry_a").post(f"/admin/analysis/print/report/?org={county.mj.id}").status_code == 403
