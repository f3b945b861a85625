"""调解民间纠纷分类统计表 on the hand-built ledger: categories with their sub-types, totals, a branch of the
dictionary, a township's subtree; and its workbook's layout (title rows, two merged header rows, totals
row, numbers as numbers, borders, widths, print setup)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import DisputeType
from portal.services import analysis_sheets
from portal.services.dispute_table import build_table
from tests import analysis_ledger

OCTOBER = (date(2025, 10, 1), date(2025, 10, 31))


def _row(table, label):
    return next(line for line in [*table.lines, table.total] if line.label == label)


def test_table_by_category_with_sub_types_and_totals(county):
    analysis_ledger.build(county)
    table = build_table(db.session, county.root, *OCTOBER)
    family, marriage = _row(table, "婚姻家庭纠纷"), _row(table, "其中：婚姻纠纷")
    assert (family.cases, family.settled, family.written, family.oral) == (1, 1, 0, 1)
    assert (marriage.kind, marriage.cases, marriage.oral) == ("sub", 1, 1)
    neighbours = _row(table, "邻里纠纷")
    assert (neighbours.cases, neighbours.settled, neighbours.written, neighbours.people) == (3, 1, 1, 6)
    assert neighbours.amount_wan == Decimal(5) and neighbours.prevented_crime == 1
    land = _row(table, "征地拆迁纠纷")
    assert (land.cases, land.people, land.prevented_petition) == (1, 12, 1)
    total = table.total
    assert (total.cases, total.settled, total.written, total.oral, total.people) == (5, 2, 1, 1, 20)
    assert (total.amount_wan, total.prevented_crime, total.prevented_petition) == (Decimal(5), 1, 1)
    # Every category of the 司法部 classification is listed with its sub-types; the total adds categories.
    categories = [line for line in table.lines if line.kind == "category"]
    assert len(categories) == 15 and sum(line.cases for line in categories) == total.cases

    family_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "01"))
    branch = build_table(db.session, county.root, *OCTOBER, type_root=family_type)
    assert [line.label for line in branch.lines][:2] == ["婚姻家庭纠纷", "其中：婚姻纠纷"]
    assert branch.total.cases == 1
    liulin = build_table(db.session, county.ll, *OCTOBER)
    assert (liulin.total.cases, liulin.total.settled, liulin.total.amount_wan) == (2, 0, Decimal(5))

    sheet = load_workbook(
        io.BytesIO(analysis_sheets.table_workbook(table, "文书甲", date(2026, 1, 5)))
    ).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:I1", "A4:A5", "B4:B5", "C4:E4", "F4:F5", "G4:G5", "H4:I4"} <= merged
    assert [sheet.cell(5, c).value for c in range(3, 10)][:3] == ["小计", "书面协议", "口头协议"]
    assert sheet["H5"].value == "防止民转刑" and sheet["I5"].value == "防止群体性上访"
    rows = {sheet.cell(r, 1).value: r for r in range(6, sheet.max_row + 1)}
    last = rows["合计"]
    assert [sheet.cell(last, c).value for c in range(2, 10)] == [5, 2, 1, 1, 20, 5.0, 1, 1]
    assert isinstance(sheet.cell(last, 2).value, int) and sheet.cell(last, 7).number_format == "#,##0.00"
    assert sheet.cell(last, 2).border.left.style == "thin"
    assert "2025年10月1日至2025年10月31日" in sheet["A2"].value and county.root.name in sheet["A3"].value
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$4:$5"
    assert sheet.column_dimensions["A"].width >= 20
