"""矛盾纠纷分析研判报告 and 矛盾纠纷情况通报: a period's 分析研判 on paper.

Both print what `services.analysis.build_report` computes at the time of printing, under the
organisation's name and seal. A period that has not ended yet prints as a 草稿 (watermark, no serial,
not recorded): its figures still move. Once it has ended, each print is issued and recorded
(`services.documents.issue`) about the period's `AnalysisReport` row, and a second print is a 补打. The
circular carries its 发文字号 (`<code>矛调通〔2026〕3号`), given at its first issue and kept after; it is a
公文 (GB/T 9704-2012, `templates/pdf/_gongwen.html`), copied (抄送) to the body above the issuer.
"""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.models.analysis import AnalysisReport
from portal.models.document import DocumentKind, IssuedDocument
from portal.pdf import Rendered, arabic_date, qr_data_url, render, seal_data_url
from portal.pdf.gongwen import superiors, title_lines
from portal.pdf.review_documents import paragraphs
from portal.services.analysis import Report
from portal.services.analysis_notes import circular_paragraphs

SUBJECT = "analysis_report"


def report_title(report: Report) -> str:
    return f"{report.org.name}矛盾纠纷分析研判报告（{report.period.label}）"


def circular_title(report: Report) -> str:
    return f"关于{report.period.label}矛盾纠纷排查化解情况的通报"


def report_issue_fields(report: Report, record: AnalysisReport | None) -> dict[str, Any]:
    """Return the `documents.issue` arguments of the report (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.ANALYSIS_REPORT,
        "subject_type": SUBJECT,
        "subject_id": record.id if record is not None else None,
        "title": report_title(report),
        "number": None,
        "masked_name": None,
        "organization": report.org,
    }


def circular_issue_fields(report: Report, record: AnalysisReport | None) -> dict[str, Any]:
    """Return the `documents.issue` arguments of the 情况通报 (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.CIRCULAR,
        "subject_type": SUBJECT,
        "subject_id": record.id if record is not None else None,
        "title": f"{report.org.name}{circular_title(report)}",
        "number": record.circular_number if record is not None else None,
        "masked_name": None,
        "organization": report.org,
    }


def is_draft(report: Report) -> bool:
    """Return whether the period's documents print as 草稿 (it has not ended: figures still move)."""
    return report.running


def _notes(report: Report) -> dict[str, list[str]]:
    notes = report.notes
    return {
        "situation": paragraphs(notes.situation if notes else None),
        "risks": paragraphs(notes.risks if notes else None),
        "suggestions": paragraphs(notes.suggestions if notes else None),
    }


def _common(
    report: Report, serial: str | None, original: IssuedDocument | None, draft: bool
) -> dict[str, Any]:
    return {
        "report": report,
        "notes": _notes(report),
        "summary": circular_paragraphs(report),
        "issued_on": arabic_date(clock.today()),
        "span": f"{arabic_date(report.period.start)}至{arabic_date(report.period.end)}",
        "as_of": arabic_date(report.as_of),
        "seal": seal_data_url(report.org.seal_png),
        "doc_serial": serial,
        "qr": qr_data_url(serial) if serial else None,
        "draft": draft,
        "reprint": original,
        "serial": None,
    }


def analysis_report(
    report: Report, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the 矛盾纠纷分析研判报告 of a period (landscape: its tables are wide)."""
    draft = draft or is_draft(report)
    return render("analysis_report.html", **_common(report, None if draft else serial, original, draft))


def circular(
    report: Report,
    *,
    number: str | None,
    serial: str | None,
    original: IssuedDocument | None,
    draft: bool = False,
) -> Rendered:
    """Render the 矛盾纠纷情况通报 of a period, under its 发文字号 (a draft has none)."""
    draft = draft or is_draft(report)
    county = report.org.parent_id is None
    return render(
        "circular.html",
        title=circular_title(report),
        title_lines=title_lines(circular_title(report)),
        cc=superiors(report.org, [report.org.parent]),
        number=None if draft else number,
        addressee="各乡镇（街道）司法所、各人民调解委员会" if county else "辖区各人民调解委员会",
        **_common(report, None if draft else serial, original, draft),
    )
