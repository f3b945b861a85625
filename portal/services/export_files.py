"""Exports in bounded memory: rows become an xlsx sheet or csv text as they arrive, never a list first.

Callers hand an iterable of rows (sequences of Python values) that is read once, lazily: each xlsx row
is written into the deflated sheet of the zip as it comes (see the xlsx section for why not openpyxl),
the csv is yielded in chunks. Memory therefore depends on the row width, not the row count.

Cells keep their types: amounts (`Decimal`) are numbers shown with two places, dates are date cells
(yyyy-mm-dd), times are date-time cells (yyyy-mm-dd hh:mm; callers pass the office's wall time, naive),
yes/no is 是/否 and coded values (`LabeledEnum`) their Chinese label. Every text goes through
`sheets.text`: control characters are dropped and a value that a spreadsheet would run as a formula
(= + - @ …) is quoted, in the csv too, since Excel runs formulas from csv files as well.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any

from openpyxl.utils import get_column_letter

from portal.models.base import LabeledEnum
from portal.services.sheets import FORMULA_START, text

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


def _label(value: LabeledEnum) -> str:
    return _text_cell(value.label)


def _enum_value(value: Enum) -> str:
    return _text_cell(str(value.value))


def _other(value: Any) -> Any:
    if isinstance(value, LabeledEnum):
        _BY_TYPE[type(value)] = _label  # coded columns repeat: find their members at once next time
        return _label(value)
    if isinstance(value, Enum):
        _BY_TYPE[type(value)] = _enum_value
        return _enum_value(value)
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
#
# The sheet is written as SpreadsheetML text straight into a deflated zip member: one row of XML per
# row, inline strings (no shared-string table to hold in memory), fixed styles. A general-purpose
# writer builds an object per cell: on the office servers openpyxl's write-only mode takes about
# 0.7 ms and XlsxWriter's constant-memory mode about 0.45 ms of CPU per 30-column ledger row, which
# alone is 45-70 s for 100,000 rows; writing the XML directly costs about 0.04 ms.

#: Cell styles of styles.xml (cellXfs): 0 plain, 1 amount, 2 date, 3 date-time, 4 header.
_MONEY, _DATE, _STAMP, _HEAD = 1, 2, 3, 4
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_XML_SPECIAL = re.compile(r"[&<>\ud800-\udfff\ufffe\uffff]")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Anything in a text that needs more than copying into the sheet: XML specials, controls, non-characters.
_PLAIN = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_TEXT = '<c t="inlineStr"><is><t xml:space="preserve">'
_TEXT_END = "</t></is></c>"
_FORMULA_START = frozenset(FORMULA_START)
#: Rows of XML gathered before they go to the zip member.
_ROWS_PER_WRITE = 500
#: zlib level of the sheet: 1 deflates three times faster than the default 6, for a file about a third larger.
_COMPRESSION = 1

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)


def _xml(value: str) -> str:
    if _XML_SPECIAL.search(value) is None:
        return value
    return _XML_SPECIAL.sub(lambda m: _XML_ESCAPES.get(m.group(), ""), value)


def _inline(value: str) -> str:
    return f'<is><t xml:space="preserve">{_xml(value)}</t></is>'


def _width(label: str) -> float:
    # CJK characters are about two columns wide; keep headers readable without measuring every row.
    return min(40.0, max(10.0, 2.2 * len(label) + 2))


def _workbook(title: str, columns: int, rows: int) -> str:
    # The 筛选 range Excel keeps for the header's autofilter (a name it expects beside <autoFilter>).
    quoted = _xml(title).replace("'", "''")
    area = f"'{quoted}'!$A$1:${get_column_letter(max(1, columns))}${rows + 1}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_xml(title)}" sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{area}</definedName></definedNames></workbook>"
    )


def _core(stamp: datetime) -> str:
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _typed_xml(value: Any) -> str:
    """Return the cell of a value that is not plain text (converted by `cell_value`)."""
    value = cell_value(value)
    kind = type(value)
    if kind is str:
        return f"{_TEXT}{_xml(value)}{_TEXT_END}" if value else "<c/>"
    if value is None:
        return "<c/>"
    if kind is Decimal:
        return f'<c s="{_MONEY}"><v>{value:f}</v></c>'
    if kind is date:
        return f'<c s="{_DATE}"><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>'
    if kind is datetime:
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return f'<c s="{_STAMP}"><v>{value.toordinal() - _EXCEL_EPOCH + seconds / 86400:.10f}</v></c>'
    return f"<c><v>{value!r}</v></c>"  # int or float


def _row_xml(number: int, values: Sequence[Any]) -> str:
    # Cells carry no reference: each is the next column (an empty one is <c/>), as the format allows.
    # Plain text, the commonest cell, is copied as it is when nothing in it needs treatment.
    cells: list[str] = []
    add = cells.append
    plain = _PLAIN.search
    for raw in values:
        kind = type(raw)
        if kind is str:
            if not raw:
                add("<c/>")
            elif plain(raw) is None and raw[0] not in _FORMULA_START and len(raw) <= CELL_TEXT_LIMIT:
                add(f"{_TEXT}{raw}{_TEXT_END}")
            else:
                add(f"{_TEXT}{_xml(_text_cell(raw))}{_TEXT_END}")
        elif raw is None:
            add("<c/>")
        elif kind is date:
            add(f'<c s="{_DATE}"><v>{raw.toordinal() - _EXCEL_EPOCH}</v></c>')
        else:
            add(_typed_xml(raw))
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx(
    target: IO[bytes], title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], stamp: datetime
) -> int:
    """Write `rows` under a bold, frozen, filterable `header` as an xlsx into `target` (a binary file
    opened for writing); return the number of rows. `stamp` is the document's creation time (UTC)."""
    title = _sheet_title(title)
    letters = [get_column_letter(i) for i in range(1, max(1, len(header)) + 1)]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_width(label):.1f}" customWidth="1"/>'
        for i, label in enumerate(header, 1)
    )
    head = "".join(
        f'<c r="{letter}1" s="{_HEAD}" t="inlineStr">{_inline(_text_cell(label))}</c>'
        for letter, label in zip(letters, header, strict=False)
    )
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSION) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                    'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                    f'{f"<cols>{cols}</cols>" if cols else ""}<sheetData><row r="1">{head}</row>'
                ).encode()
            )
            pending: list[str] = []
            for count, row in enumerate(rows, 1):  # noqa: B007 - the count is the result
                pending.append(_row_xml(count + 1, row))
                if len(pending) >= _ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode("utf-8"))
                    pending.clear()
            sheet.write("".join(pending).encode("utf-8"))
            tail = f'<autoFilter ref="A1:{letters[-1]}{count + 1}"/>' if header else ""
            sheet.write(f"</sheetData>{tail}</worksheet>".encode())
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("docProps/app.xml", _APP)
        book.writestr("docProps/core.xml", _core(stamp))
        book.writestr("xl/workbook.xml", _workbook(title, len(header), count))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
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
