"""xlsx of 分析研判 and of the 调解民间纠纷分类统计表, in the layout offices hand round and file.

Counts are numbers, rates are percentages (a fraction formatted 0.0%), amounts numbers in 万元 or 元,
dates are dates; every text goes through `sheets.text`, so nothing typed into the ledger runs as a
formula. Each sheet has a title row naming the unit and the period, bordered cells, set column widths,
and prints on A4 landscape, one page wide, header rows repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from portal.services.analysis import Report, Row
from portal.services.dispute_table import COLUMNS, DisputeTable, chinese_day
from portal.services.sheets import text

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
DATE_FORMAT = "yyyy-mm-dd"
PERCENT = "0.0%"
COUNT = "0"
MONEY = "#,##0.00"


def _value(value: Any) -> Any:
    """Return a value for a cell: numbers and dates as such, enums by label, text made safe."""
    if value is None:
        return None
    if hasattr(value, "label"):
        return text(str(value.label))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | date):
        return value
    return text(str(value))


def _print_setup(sheet: Worksheet, title_rows: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = title_rows
    sheet.page_margins.left = sheet.page_margins.right = 0.5


def _title(sheet: Worksheet, width: int, title: str, subtitle: str) -> None:
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(1, 1, text(title)).font = Font(bold=True, size=16)
    sheet.cell(1, 1).alignment = CENTRE
    sheet.cell(2, 1, text(subtitle)).alignment = LEFT
    sheet.row_dimensions[1].height = 30


def _head(cell: Any) -> None:
    cell.font = Font(bold=True)
    cell.alignment = CENTRE
    cell.fill = HEAD_FILL
    cell.border = BORDER


def _grid(
    sheet: Worksheet,
    title: str,
    subtitle: str,
    header: Sequence[tuple[str, float, str | None]],
    rows: Sequence[Sequence[Any]],
) -> Worksheet:
    """Write a titled, bordered table; `header` gives each column's name, width and number format."""
    _title(sheet, len(header), title, subtitle)
    for col, (name, width, _fmt) in enumerate(header, start=1):
        _head(sheet.cell(3, col, text(name)))
        sheet.column_dimensions[get_column_letter(col)].width = width
    for r, row in enumerate(rows, start=4):
        for col, value in enumerate(row, start=1):
            cell = sheet.cell(r, col, _value(value))
            cell.border = BORDER
            fmt = header[col - 1][2]
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif fmt and isinstance(value, int | float | Decimal):
                cell.number_format = fmt
            cell.alignment = LEFT if isinstance(cell.value, str) else CENTRE
    if not rows:
        sheet.merge_cells(start_row=4, start_column=1, end_row=4, end_column=len(header))
        sheet.cell(4, 1, "（无）").alignment = CENTRE
    sheet.freeze_panes = "A4"
    _print_setup(sheet, "3:3")
    return sheet


def _save(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- 分析研判 ------------------------------------------------------------------------------------------


def _ratio(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _percent(value: Decimal | int | None) -> float | None:
    """A percentage figure (86.5) as the fraction a 0.0% cell holds."""
    return float(value) / 100 if value is not None else None


def _same(value: Decimal | int | None) -> Decimal | int | None:
    return value


def _compare_rows(rows: list[Row]) -> list[list[Any]]:
    return [
        [
            r.name,
            r.current,
            _percent(r.share),
            r.previous,
            _ratio(r.vs_previous.ratio),
            r.last_year,
            _ratio(r.vs_last_year.ratio),
        ]
        for r in rows
    ]


COMPARE_HEADER = (
    ("本期（件）", 11, COUNT),
    ("占比", 9, PERCENT),
    ("上期（件）", 11, COUNT),
    ("环比", 9, PERCENT),
    ("去年同期（件）", 13, COUNT),
    ("同比", 9, PERCENT),
)


def report_workbook(report: Report, prepared_by: str, today: date) -> bytes:
    """Return the 分析研判 of a period as a workbook: one sheet per part of the report."""
    book = Workbook()
    org, period = report.org.name, report.period
    head = f"{org}矛盾纠纷分析研判（{period.label}）"
    sub = (
        f"研判单位：{org}    期间：{chinese_day(period.start)}至{chinese_day(period.end)}"
        f"    上期：{report.previous.label}    去年同期：{report.last_year.label}"
        f"    填表人：{prepared_by}    制表日期：{chinese_day(today)}"
    )
    summary = book.active
    summary.title = "总体情况"
    metric_rows = []
    for m in report.metrics:
        is_rate = m.unit == "%"
        shown = _percent if is_rate else _same
        metric_rows.append(
            [
                m.label,
                m.unit,
                shown(m.current),
                shown(m.previous),
                None if is_rate else _ratio(m.vs_previous.ratio),
                shown(m.last_year),
                None if is_rate else _ratio(m.vs_last_year.ratio),
            ]
        )
    _grid(
        summary,
        head,
        sub,
        (
            ("指标", 16, None),
            ("单位", 7, None),
            ("本期", 11, MONEY),
            ("上期", 11, MONEY),
            ("环比", 9, PERCENT),
            ("去年同期", 11, MONEY),
            ("同比", 9, PERCENT),
        ),
        metric_rows,
    )
    for r, m in enumerate(report.metrics, start=4):
        fmt = PERCENT if m.unit == "%" else (MONEY if m.unit == "万元" else COUNT)
        for col in (3, 4, 6):
            summary.cell(r, col).number_format = fmt
    _grid(
        book.create_sheet("纠纷类型"),
        f"{head} · 纠纷类型",
        sub,
        (("纠纷类型", 20, None), *COMPARE_HEADER),
        _compare_rows(report.types),
    )
    _grid(
        book.create_sheet("区域分布"),
        f"{head} · 区域分布",
        sub,
        (("组织", 32, None), *COMPARE_HEADER),
        _compare_rows(report.areas),
    )
    _grid(
        book.create_sheet("纠纷高发村（社区）"),
        f"{head} · 纠纷高发村（社区）",
        sub,
        (("村（社区）调解组织", 32, None), *COMPARE_HEADER),
        _compare_rows(report.hot_spots),
    )
    _grid(
        book.create_sheet("重大群体性纠纷"),
        f"{head} · 重大、群体性及高风险纠纷（共{report.serious_total}件）",
        sub,
        (
            ("案件编号", 26, None),
            ("受理日期", 12, None),
            ("纠纷类型", 18, None),
            ("承办组织", 26, None),
            ("涉及人数", 9, COUNT),
            ("涉及金额（元）", 14, MONEY),
            ("风险等级", 9, None),
            ("难易程度", 9, None),
            ("群体性", 8, None),
            ("办理状态", 11, None),
            ("责任人", 10, None),
            ("纠纷简要情况", 50, None),
        ),
        [
            [
                c.number,
                c.accepted_on,
                str(c.dispute_type),
                c.organization.name,
                c.people_involved,
                c.amount,
                c.risk_level,
                c.difficulty,
                "是" if c.is_group else "否",
                c.status,
                c.responsible_person,
                c.summary,
            ]
            for c in report.serious
        ],
    )
    _grid(
        book.create_sheet("超期未化解"),
        f"{head} · 超期未化解纠纷（截至{chinese_day(report.as_of)}）",
        sub,
        (
            ("案件编号", 26, None),
            ("承办组织", 26, None),
            ("纠纷类型", 18, None),
            ("受理日期", 12, None),
            ("办结时限", 12, None),
            ("超期天数", 9, COUNT),
            ("当时状态", 10, None),
            ("牵头领导", 16, None),
            ("责任单位（定责）", 22, None),
            ("责任人（定人）", 12, None),
            ("化解措施（定措施）", 40, None),
            ("督办期限", 12, None),
        ),
        [
            [
                o.case.number,
                o.case.organization.name,
                str(o.case.dispute_type),
                o.case.accepted_on,
                o.deadline,
                o.days,
                o.status,
                o.case.lead_leader,
                o.case.responsible_unit,
                o.case.responsible_person,
                o.case.measures,
                o.case.supervision_deadline,
            ]
            for o in report.overdue
        ],
    )
    notes = report.notes
    _grid(
        book.create_sheet("研判意见"),
        f"{head} · 研判意见",
        sub,
        (("项目", 18, None), ("内容", 100, None)),
        [
            ["总体形势研判", notes.situation if notes else None],
            ["风险隐患及预警", notes.risks if notes else None],
            ["工作建议", notes.suggestions if notes else None],
            ["情况通报文号", notes.circular_number if notes else None],
        ],
    )
    return _save(book)


# --- 调解民间纠纷分类统计表 ----------------------------------------------------------------------------

#: Two header rows: (first row text, columns it spans, second row texts or None when merged down).
TABLE_HEAD = (
    ("纠纷类型", 1, None),
    ("调解纠纷（件）", 1, None),
    ("调解成功（件）", 3, ("小计", "书面协议", "口头协议")),
    ("涉及人数（人）", 1, None),
    ("涉及金额（万元）", 1, None),
    ("防止纠纷激化（件）", 2, ("防止民转刑", "防止群体性上访")),
)
TABLE_WIDTHS = (28, 12, 10, 11, 11, 12, 14, 12, 15)
HEADER_ROWS = (4, 5)


def table_workbook(table: DisputeTable, prepared_by: str, today: date) -> bytes:
    """Return the 调解民间纠纷分类统计表 in its familiar layout."""
    book = Workbook()
    sheet = book.active
    sheet.title = "调解民间纠纷分类统计表"
    width = 1 + len(COLUMNS)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1, "调解民间纠纷分类统计表").font = Font(bold=True, size=18)
    sheet.cell(1, 1).alignment = CENTRE
    sheet.row_dimensions[1].height = 34
    branch = f"（{table.type_root.name}）" if table.type_root is not None else ""
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(2, 1, text(f"统计期间：{table.span}{branch}")).alignment = CENTRE
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=4)
    sheet.cell(3, 1, text(f"填报单位（盖章）：{table.org.name}")).alignment = LEFT
    sheet.merge_cells(start_row=3, start_column=5, end_row=3, end_column=width)
    sheet.cell(3, 5, "计量单位：件、人、万元").alignment = Alignment(horizontal="right")
    top, second = HEADER_ROWS
    col = 1
    for name, span, subs in TABLE_HEAD:
        if subs is None:
            sheet.merge_cells(start_row=top, start_column=col, end_row=second, end_column=col)
        else:
            sheet.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
            for offset, sub in enumerate(subs):
                _head(sheet.cell(second, col + offset, sub))
        sheet.cell(top, col, name)
        for c in range(col, col + span):
            for r in HEADER_ROWS:
                _head(sheet.cell(r, c))
        col += span
    row = second + 1
    for line in [*table.lines, table.total]:
        label = sheet.cell(row, 1, text(line.label))
        label.alignment = Alignment(
            horizontal="left", vertical="center", indent=2 if line.kind == "sub" else 0
        )
        label.border = BORDER
        bold = line.kind != "sub"
        label.font = Font(bold=bold)
        for offset, (key, _header) in enumerate(COLUMNS, start=2):
            cell = sheet.cell(row, offset, _value(line.value(key)))
            cell.number_format = MONEY if key == "amount" else COUNT
            cell.alignment = CENTRE
            cell.border = BORDER
            cell.font = Font(bold=bold)
        row += 1
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=width)
    sheet.cell(
        row + 1,
        1,
        text(f"单位负责人：            填表人：{prepared_by}            填报日期：{chinese_day(today)}"),
    )
    sheet.merge_cells(start_row=row + 2, start_column=1, end_row=row + 2, end_column=width)
    sheet.cell(
        row + 2,
        1,
        "说明：调解纠纷数为统计期间受理的纠纷（不含已作废）；调解成功指达成调解协议；"
        "防止民转刑、防止群体性上访以案件登记的化解成效为准。",
    ).alignment = LEFT
    for index, size in enumerate(TABLE_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = size
    sheet.freeze_panes = sheet.cell(second + 1, 2)
    _print_setup(sheet, f"{top}:{second}")
    return _save(book)
