"""Exports in bounded memory: rows become an xlsx sheet or csv text as they arrive, never a list first.

Callers hand an iterable of rows (sequences of Python values) that is read once, lazily: the xlsx is
written with openpyxl's write-only workbook (each row goes to a temporary file as it is appended; the
zip is assembled at the end), the csv is yielded in chunks. Memory therefore depends on the row width,
not the row count.

Cells keep their types: amounts (`Decimal`) are numbers shown with two places, dates are date cells
(yyyy-mm-dd), times are date-time cells (yyyy-mm-dd hh:mm; callers pass the office's wall time, naive),
yes/no is 是/否 and coded values (`LabeledEnum`) their Chinese label. Every text goes through
`sheets.text`: control characters are dropped and a value that a spreadsheet would run as a formula
(= + - @ …) is quoted, in the csv too, since Excel runs formulas from csv files as well.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from portal.models.base import LabeledEnum
from portal.services.sheets import text

MONEY_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: Excel's own limits: longer text is cut (with a mark) rather than making a file Excel calls corrupt.
CELL_TEXT_LIMIT = 32_767
SHEET_TITLE_LIMIT = 31
#: csv text is handed on in pieces of about this many bytes.
CSV_CHUNK = 64 * 1024
#: Excel opens a csv as UTF-8 (rather than the system's GBK) only when it starts with a BOM.
UTF8_BOM = "\ufeff"


def _text_cell(value: str) -> str:
    value = text(value)
    return value if len(value) <= CELL_TEXT_LIMIT else value[: CELL_TEXT_LIMIT - 1] + "…"


def _joined(values: Iterable[Any]) -> str:
    return _text_cell("、".join(str(cell_value(v) or "") for v in values))


def _other(value: Any) -> Any:
    if isinstance(value, LabeledEnum):
        return _text_cell(value.label)
    if isinstance(value, Enum):
        return _text_cell(str(value.value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):  # str subclasses such as Markup
        return _text_cell(str(value))
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date | int | float | Decimal):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return _joined(value)
    return _text_cell(str(value))


_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    type(None): lambda v: None,
    str: _text_cell,
    bool: lambda v: "是" if v else "否",
    int: lambda v: v,
    float: lambda v: v,
    Decimal: lambda v: v,
    date: lambda v: v,
    datetime: lambda v: v.replace(tzinfo=None),
    list: _joined,
    tuple: _joined,
}


def cell_value(value: Any) -> Any:
    """Return `value` as a cell holds it: None (empty), safe text, a number, a date or a date-time."""
    convert = _BY_TYPE.get(type(value))
    return convert(value) if convert is not None else _other(value)


# --- xlsx --------------------------------------------------------------------------------------------


def _width(label: str) -> float:
    # CJK characters are about two columns wide; keep headers readable without measuring every row.
    return min(40.0, max(10.0, 2.2 * len(label) + 2))


def write_xlsx(
    target: IO[bytes] | str, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write `rows` under a bold, frozen `header` into an xlsx at `target`; return the number of rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(title))
    for index, label in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(label)
    sheet.freeze_panes = "A2"
    bold, centred = Font(bold=True), Alignment(horizontal="center", vertical="center")
    head = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=_text_cell(label))
        cell.font, cell.alignment = bold, centred
        head.append(cell)
    sheet.append(head)
    # One styled cell per column and kind, reused: write-only rows are serialised as they are appended.
    money = [WriteOnlyCell(sheet) for _ in header]
    stamps = [WriteOnlyCell(sheet) for _ in header]
    for cell in money:
        cell.number_format = MONEY_FORMAT
    for cell in stamps:
        cell.number_format = DATETIME_FORMAT
    count = 0
    append = sheet.append
    for row in rows:
        out: list[Any] = []
        for index, raw in enumerate(row):
            value = cell_value(raw)
            kind = type(value)
            if kind is Decimal:
                cell = money[index]
                cell.value = value
                out.append(cell)
            elif kind is datetime:
                cell = stamps[index]
                cell.value = value
                out.append(cell)
            else:
                out.append(value)  # dates get openpyxl's yyyy-mm-dd format by themselves
        append(out)
        count += 1
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(header)))}{count + 1}"
    book.save(target)
    return count


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in text(title).lstrip("'"))
    return cleaned[:SHEET_TITLE_LIMIT].strip() or "Sheet1"


# --- csv ---------------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Any]], size: int = CSV_CHUNK
) -> Iterator[bytes]:
    """Yield the csv (UTF-8 with BOM, CRLF lines as Excel writes them) in pieces of about `size` bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow([_csv_text(label) for label in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        if buffer.tell() >= size:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
