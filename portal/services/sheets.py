"""xlsx workbooks of assessment results and subsidy sheets (openpyxl), ready to hand round in a meeting.

Every text goes through `text`: openpyxl stores a string starting with "=" as a formula, and
spreadsheet programs run cells starting with + - @ as well, so a typed name, title or comment could
otherwise run when the sheet is opened (formula injection). `text` also drops control characters,
which a cell cannot hold (openpyxl raises IllegalCharacterError): forms strip them on input, but rows
stored before that, or written by other means, must still export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from portal.models.assessment import AssessmentRound, CriterionKind
from portal.models.case import Case
from portal.services.subsidies import SubsidySheet
from portal.text import strip_control

# A cell starting with one of these runs as a formula when opened (OWASP: CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: str) -> str:
    """Return text bound for a cell so that it is shown, never run: without control characters (tabs
    and line breaks stay), quoted if it looks like a formula."""
    value = strip_control(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append([text(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width * 2))
    return sheet


def _cell(value: Any) -> Any:
    """Return a value as written to a cell: numbers and dates as such, everything else as safe text."""
    if value is None:
        return ""
    if hasattr(value, "label"):
        return text(str(value.label))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | date):
        return value
    return text(str(value))


def _save(book: Workbook) -> bytes:
    del book["Sheet"]
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def round_workbook(rnd: AssessmentRound, numbers: dict[int, str]) -> bytes:
    """Return the round's results: ranking, each criterion's figure and evidence, and every manual score."""
    book = Workbook()
    criteria = list(rnd.template.criteria)
    ranked = sorted(rnd.assessments, key=lambda a: (a.rank or 0, a.target_name))
    header = [
        "名次",
        "考评对象",
        "所属组织",
        *[f"{c.name}（{c.max_points}）" for c in criteria],
        "总分",
        "等次",
    ]
    rows = []
    for a in ranked:
        points = {r.criterion_id: r.points for r in a.results}
        rows.append(
            [
                a.rank,
                a.target_name,
                a.target_organization.name,
                *[points.get(c.id) for c in criteria],
                a.total,
                a.band,
            ]
        )
    summary = _sheet(book, "考评结果", header, rows)
    summary.insert_rows(1)
    summary["A1"] = text(f"{rnd.title}（{rnd.period_start}至{rnd.period_end}，{rnd.status.label}）")
    summary["A1"].font = Font(bold=True, size=13)
    detail = []
    for a in ranked:
        for r in sorted(a.results, key=lambda r: (r.criterion.sort_order, r.criterion.id)):
            ids = r.evidence.get("case_ids", []) if r.evidence else []
            reviews = [f"{d['review']}扣{d['points']}分" for d in (r.evidence or {}).get("deductions", [])]
            detail.append(
                [
                    a.target_name,
                    r.criterion.name,
                    r.criterion.kind,
                    r.value,
                    r.points,
                    r.explanation,
                    "、".join([numbers.get(i, str(i)) for i in ids] + reviews),
                ]
            )
    _sheet(
        book,
        "计分依据",
        ["考评对象", "考评项目", "类型", "指标值", "得分", "计算说明", "依据案件/倒查"],
        detail,
    )
    scores = [
        [a.target_name, s.criterion.name, s.evaluator.full_name, s.points, s.comment]
        for a in ranked
        for s in sorted(a.scores, key=lambda s: (s.criterion.sort_order, s.evaluator_id))
        if s.criterion.kind == CriterionKind.MANUAL
    ]
    _sheet(book, "评委打分", ["考评对象", "考评项目", "考评员", "分数", "评语"], scores)
    return _save(book)


def subsidy_workbook(sheet: SubsidySheet, org_of: dict[int, str]) -> bytes:
    """Return the subsidy sheet: a line per mediator, every case behind each amount, the exclusions."""
    book = Workbook()
    _sheet(
        book,
        "以案定补汇总",
        ["调解员", "所属组织", "计补案件数", "补贴金额（元）"],
        [
            [r.mediator.name, org_of.get(r.mediator.organization_id, ""), len(r.lines), r.total]
            for r in sheet.rows
        ]
        + [["合计", "", sum(len(r.lines) for r in sheet.rows), sheet.total]],
    )
    _sheet(
        book,
        "计补案件明细",
        ["调解员", "案件编号", "纠纷类型", "难易程度", "协议日期", "档次金额", "承办人数", "本人金额"],
        [
            [
                r.mediator.name,
                line.case.number,
                str(line.case.dispute_type),
                line.case.difficulty,
                line.case.agreement.signed_on if line.case.agreement else "",
                line.tier_amount,
                line.sharers,
                line.share,
            ]
            for r in sheet.rows
            for line in r.lines
        ],
    )
    _sheet(
        book, "未计补案件", ["案件编号", "承办组织", "原因"], [_excluded(c, why) for c, why in sheet.excluded]
    )
    return _save(book)


def _excluded(case: Case, why: str) -> list[Any]:
    return [case.number, case.organization.name, why]
