"""xlsx of the 以案定补 发放清单 (payment list) of a quarter, in the layout finance offices file.

Sheet 发放清单: a title row, the unit and period, a two-row header (发放情况 merged over its four
columns, the others merged down), one row per payee of an approved or paid claim, a 合计 row, the
signature line 制表/审核/审批, A4 landscape one page wide with the header repeated. Sheet 计补明细:
every line of those claims, declared and allowed amounts and the reason of each adjustment.
Amounts are numbers (two places), dates are dates, every text goes through `sheets.text`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from portal.services.analysis_sheets import (
    BORDER,
    CENTRE,
    DATE_FORMAT,
    LEFT,
    MONEY,
    _grid,
    _head,
    _print_setup,
    _save,
    _value,
)
from portal.services.dispute_table import chinese_day
from portal.services.sheets import text
from portal.services.subsidy_payments import PaymentList

#: Two header rows: (first row text, columns it spans, second row texts or None when merged down).
HEAD = (
    ("序号", 1, None),
    ("申报单位", 1, None),
    ("申报单号", 1, None),
    ("调解员", 1, None),
    ("计补案件（件）", 1, None),
    ("补贴金额（元）", 1, None),
    ("发放情况", 4, ("状态", "发放日期", "发放方式", "凭证号")),
    ("领款人签字", 1, None),
)
WIDTHS = (6, 26, 22, 12, 10, 14, 9, 12, 14, 18, 14)
HEADER_ROWS = (3, 4)
AMOUNT_COLUMN = 6


def payment_workbook(plist: PaymentList, prepared_by: str, today: date) -> bytes:
    """Return the quarter's 发放清单 (and its 计补明细) as xlsx."""
    book = Workbook()
    sheet = book.active
    sheet.title = "发放清单"
    width = len(WIDTHS)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    title = plist.title + ("（草稿）" if plist.is_draft else "")
    sheet.cell(1, 1, text(title)).font = Font(bold=True, size=16)
    sheet.cell(1, 1).alignment = CENTRE
    sheet.row_dimensions[1].height = 32
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    span = f"{chinese_day(plist.start)}至{chinese_day(plist.end)}"
    sheet.cell(
        2, 1, text(f"制表单位：{plist.organization.name}　　协议签订期间：{span}　　单位：元")
    ).alignment = LEFT
    top, second = HEADER_ROWS
    col = 1
    for name, span_cols, subs in HEAD:
        if subs is None:
            sheet.merge_cells(start_row=top, start_column=col, end_row=second, end_column=col)
        else:
            sheet.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span_cols - 1)
            for offset, sub in enumerate(subs):
                _head(sheet.cell(second, col + offset, sub))
        sheet.cell(top, col, name)
        for c in range(col, col + span_cols):
            for r in HEADER_ROWS:
                _head(sheet.cell(r, c))
        col += span_cols
    row = second + 1
    for index, payee in enumerate(plist.rows, start=1):
        claim = payee.claim
        values = (
            index,
            claim.organization.name,
            claim.number,
            payee.mediator_name,
            payee.cases,
            payee.amount,
            claim.status,
            claim.paid_on,
            claim.payment_method,
            claim.voucher_number,
            None,
        )
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row, c, _value(value))
            cell.border = BORDER
            cell.alignment = LEFT if c in (2, 3) else CENTRE
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
        sheet.cell(row, AMOUNT_COLUMN).number_format = MONEY
        sheet.row_dimensions[row].height = 24
        row += 1
    if not plist.rows:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row, 1, "（本季度尚无已审批的申报单）").alignment = CENTRE
        row += 1
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    sheet.cell(row, 1, "合计").alignment = CENTRE
    sheet.cell(row, 5, plist.case_count)
    sheet.cell(row, AMOUNT_COLUMN, float(plist.total)).number_format = MONEY
    for c in range(1, width + 1):
        cell = sheet.cell(row, c)
        cell.border = BORDER
        cell.font = Font(bold=True)
        if c >= 5:
            cell.alignment = CENTRE
    row += 2
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    sheet.cell(
        row,
        1,
        text(
            f"制表：{prepared_by}　　　　审核：　　　　　　审批：　　　　　　制表日期：{chinese_day(today)}"
        ),
    ).alignment = LEFT
    if plist.pending:
        row += 1
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        waiting = "、".join(f"{c.number}（{c.status.label}）" for c in plist.pending)
        sheet.cell(row, 1, text(f"尚未审批的申报单，未列入本清单：{waiting}")).alignment = LEFT
    for index, size in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = size
    sheet.freeze_panes = sheet.cell(second + 1, 1)
    _print_setup(sheet, f"{top}:{second}")
    sheet.page_setup.orientation = "landscape"
    _details(book, plist)
    return _save(book)


def _details(book: Workbook, plist: PaymentList) -> None:
    """Add the 计补明细 sheet: every line of the listed claims."""
    header = (
        ("申报单号", 22, None),
        ("案件编号", 28, None),
        ("承办组织", 24, None),
        ("协议签订日期", 13, None),
        ("难易程度", 9, None),
        ("计补标准（元）", 12, MONEY),
        ("调解员", 11, None),
        ("分配人数", 9, "0"),
        ("申报金额（元）", 12, MONEY),
        ("核定金额（元）", 12, MONEY),
        ("调整理由", 30, None),
    )
    rows = [
        [
            claim.number,
            line.claim_case.case_number,
            line.claim_case.organization_name,
            line.claim_case.signed_on,
            line.claim_case.difficulty,
            line.claim_case.tier_amount,
            line.mediator_name,
            line.sharers,
            line.declared_amount,
            line.amount,
            line.adjust_reason,
        ]
        for claim in plist.claims
        for line in claim.lines
    ]
    sheet = book.create_sheet("计补明细")
    _grid(sheet, f"{plist.title}：计补明细", f"制表单位：{plist.organization.name}", header, rows)
    if rows:
        total_row = 4 + len(rows)
        sheet.cell(total_row, 1, "合计").font = Font(bold=True)
        lines = [line for claim in plist.claims for line in claim.lines]
        declared = sum((line.declared_amount for line in lines), Decimal(0))
        allowed = sum((line.amount for line in lines), Decimal(0))
        for c, value in ((9, declared), (10, allowed)):
            cell = sheet.cell(total_row, c, float(value))
            cell.number_format = MONEY
            cell.font = Font(bold=True)
        for c in range(1, len(header) + 1):
            sheet.cell(total_row, c).border = BORDER
            sheet.cell(total_row, c).alignment = Alignment(horizontal="center", vertical="center")
