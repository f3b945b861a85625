"""The xlsx files of the import: each kind's template, and the problem report of a dry run.

A template has the data sheet(s) with the Chinese headers (required ones in red, with a 必填 comment),
text format for ID numbers and phones, date format for dates, drop-down lists for every column with a
fixed set of values (enums, 是/否, dispute types; organisations of the user's subtree as a suggestion),
and a 填写说明 sheet: every column with 必填, what to type and the allowed values. The lists live on a
hidden 选项 sheet, since a list typed into a validation is limited to 255 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.org import Organization, OrgStatus
from portal.services.imports import reader
from portal.services.imports.core import Kind, Report, SheetSpec
from portal.services.imports.lookups import PATH_SEPARATOR, TypeIndex
from portal.services.scope import scoped_organizations
from portal.services.sheets import text

#: Rows of a template given the drop-down lists and formats.
TEMPLATE_ROWS = reader.MAX_ROWS + 1
BOLD = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="C00000")
IGNORED_FONT = Font(italic=True, color="808080")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
ORG_KEYS = ("organization", "parent")


def _lists(kind: Kind, session: Session, user: User | None) -> dict[str, list[str]]:
    """Return the values of the lists that come from the database: dispute types, organisations in reach."""
    keys = {column.key for sheet in kind.sheets for column in sheet.columns}
    lists: dict[str, list[str]] = {}
    if "dispute_type" in keys:
        lists["dispute_type"] = TypeIndex(session).names()
    if keys.intersection(ORG_KEYS):
        query = (
            scoped_organizations(user)
            if user is not None
            else select(Organization).order_by(Organization.path)
        )
        orgs = [org for org in session.scalars(query) if org.status != OrgStatus.REVOKED]
        names = dict(session.execute(select(Organization.id, Organization.name)).all())
        paths = [PATH_SEPARATOR.join(names.get(i, "") for i in org.ancestor_ids) for org in orgs]
        for key in ORG_KEYS:
            lists[key] = paths
    return lists


def template(kind: Kind, session: Session, user: User | None) -> bytes:
    """Return the kind's template for `user` (the organisations of its subtree in the lists)."""
    book = Workbook()
    book.remove(book.active)
    dynamic = _lists(kind, session, user)
    for spec in kind.sheets:
        _data_sheet(book.create_sheet(spec.name), spec)
    _instructions(book.create_sheet("填写说明"), kind, dynamic)
    options = book.create_sheet("选项")
    options.sheet_state = "hidden"
    position = 0
    for spec in kind.sheets:
        sheet = book[spec.name]
        for index, column in enumerate(spec.columns, start=1):
            values = list(column.options) or dynamic.get(column.key, [])
            if not values or column.parse is None:
                continue
            position += 1
            letter = get_column_letter(position)
            options.cell(row=1, column=position, value=text(f"{spec.name}·{column.header}"))
            for row, value in enumerate(values, start=2):
                options.cell(row=row, column=position, value=text(value))
            strict = column.key not in ORG_KEYS  # an organisation may also be typed by 简称
            check = DataValidation(
                type="list",
                formula1=f"{quote_sheetname('选项')}!${letter}$2:${letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=strict,
                errorTitle="不是可选值",
                error=f"请从下拉列表中选择{column.header}",
            )
            target = get_column_letter(index)
            check.add(f"{target}2:{target}{TEMPLATE_ROWS}")
            sheet.add_data_validation(check)
    return _save(book)


def _data_sheet(sheet: Worksheet, spec: SheetSpec) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.parse is None:
            cell.font = IGNORED_FONT
            cell.comment = Comment("导出时附带，导入时不读取", "大调解平台")
        elif column.required:
            cell.font = REQUIRED_FONT
            cell.comment = Comment("必填" + (f"：{column.note}" if column.note else ""), "大调解平台")
        else:
            cell.font = BOLD
            if column.note:
                cell.comment = Comment(column.note, "大调解平台")
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(column.width, len(column.header) * 2 + 2)
        if column.as_text:
            dimension.number_format = "@"
        elif column.is_date:
            dimension.number_format = "yyyy-mm-dd"


def _instructions(sheet: Worksheet, kind: Kind, dynamic: dict[str, list[str]]) -> None:
    names = "”“".join(spec.name for spec in kind.sheets)
    lines = [
        f"{kind.title}导入模板 · 填写说明",
        f"1. 在“{names}”工作表中从第2行起每行填写一条记录；第1行表头不要修改，不用的选填列可以删去。",
        "2. 红色表头为必填列；灰色斜体的列仅在导出时附带，导入时不读取。",
        "3. 日期填写为 2024-01-31 这样的格式（也可用 Excel 的日期格式）；"
        "身份证号、电话、代码等列已设为文本格式，请勿改为数字。",
        "4. 有下拉列表的列请从列表中选择；多个值的列（如擅长纠纷类型）用顿号“、”分隔。",
        "5. 上传后系统先检查整个文件，按工作表、行号、列列出全部问题；文件中任何一处有误都不会导入任何数据。"
        "全部无误并确认后，整个文件一次写入，中途出错则全部撤销。",
        f"6. 一个文件不超过 {reader.MAX_ROWS} 行；导入只新增记录，不修改或删除系统中已有的记录。",
        *(f"{number}. {line}" for number, line in enumerate(kind.instructions, start=7)),
    ]
    for line in lines:
        sheet.append([text(line)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(["工作表", "列名", "是否必填", "填写要求", "可选值"])
    for cell in sheet[header_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for spec in kind.sheets:
        for column in spec.columns:
            values = list(column.options) or dynamic.get(column.key, [])
            if column.key in ORG_KEYS:
                values = []  # the organisations are offered in the column's own drop-down list
            required = "导入时不读取" if column.parse is None else ("必填" if column.required else "选填")
            hint = column.note or ("日期，如 2024-01-31" if column.is_date else "")
            sheet.append([spec.name, column.header, required, text(hint), text("、".join(values))])
            if column.required:
                sheet.cell(row=sheet.max_row, column=3).font = REQUIRED_FONT
    for letter, width in zip("ABCDE", (12, 18, 12, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row[3:5]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


REPORT_HEADER = ("工作表", "行号", "列", "问题", "原值")


def report_rows(report: Report) -> list[Sequence[Any]]:
    """Return the report's problems as table rows (a file-level problem has no row number)."""
    return [
        (problem.sheet, problem.row or "", problem.column or "（整行/文件）", problem.message, problem.value)
        for problem in report.problems
    ]


def report_workbook(report: Report) -> bytes:
    """Return the problem report as xlsx: a summary and one line per problem."""
    book = Workbook()
    summary = book.active
    summary.title = "概要"
    for label, value in (
        ("导入类型", report.title),
        ("文件", report.filename),
        ("数据行数", report.row_count),
        ("问题数", report.problem_count),
        ("生成时间", f"{clock.now():%Y-%m-%d %H:%M}"),
    ):
        summary.append([label, text(str(value))])
    if report.more:
        summary.append(["说明", f"另有 {report.more} 个问题未列出，请修改已列出的问题后重新检查"])
    for note in report.notes:
        summary.append(["提示", text(note)])
    summary.column_dimensions["A"].width = 12
    summary.column_dimensions["B"].width = 60
    sheet = book.create_sheet("问题清单")
    sheet.append(list(REPORT_HEADER))
    for cell in sheet[1]:
        cell.font = BOLD
    for row in report_rows(report):
        sheet.append([text(v) if isinstance(v, str) else v for v in row])
    for letter, width in zip("ABCDE", (12, 8, 18, 60, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return _save(book)


def _save(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
