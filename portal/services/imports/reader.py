"""Opening an import file and walking its rows without loading it whole.

openpyxl's read-only mode streams each sheet's XML: rows come one at a time, so a 50,000-row file is
read in bounded memory. The file is checked before openpyxl sees it: an xlsx is a zip archive, and an
archive that would unpack to more than MAX_UNPACKED bytes (a zip bomb) is refused.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from portal.services import DomainError
from portal.services.imports.cells import is_blank, shown

#: Unpacked size an import file may reach (its sheets' XML); a 100,000-row sheet is far below.
MAX_UNPACKED = 512 * 1024 * 1024
#: Data rows a sheet may hold.
MAX_ROWS = 100_000
#: The template's own sheets that never hold data.
HELP_SHEETS = ("填写说明", "选项")

NOT_XLSX = (
    "文件不是有效的 xlsx 工作簿（可能已损坏，或是 .xls、.csv 等其他格式）；"
    "请在 Excel 中另存为“Excel 工作簿(*.xlsx)”后重新上传"
)
OLD_XLS = "这是旧版 Excel（.xls）文件，请在 Excel 中另存为“Excel 工作簿(*.xlsx)”后重新上传"


def header_key(value: Any) -> str:
    """Return a header as compared: full-width folded, spaces and a trailing 必填 mark (*) removed."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).rstrip("*")


def check_file(path: Path) -> None:
    """Refuse what is not an xlsx workbook, or would unpack to too much; DomainError in Chinese."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError(OLD_XLS)
    if not head.startswith(b"PK"):
        raise DomainError(NOT_XLSX)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DomainError(NOT_XLSX) from None
    if "xl/workbook.xml" not in names:
        raise DomainError(NOT_XLSX)
    if unpacked > MAX_UNPACKED:
        raise DomainError("文件解压后过大，请拆分为多个文件分批导入")


class Book:
    """An import file opened read-only; use as a context manager."""

    def __init__(self, path: Path) -> None:
        check_file(path)
        try:
            self.workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
            raise DomainError(NOT_XLSX) from None
        except Exception as exc:  # an XML parser's error: the archive holds something that is not a sheet
            if type(exc).__module__.split(".")[0] in ("xml", "lxml", "et_xmlfile", "defusedxml"):
                raise DomainError(NOT_XLSX) from None
            raise

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.workbook.close()

    @property
    def titles(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def worksheet(self, title: str) -> Any:
        return self.workbook[title]


@dataclass
class Header:
    """The header row of a sheet: which column index holds which of the spec's columns, and what is wrong."""

    positions: dict[str, int] = field(default_factory=dict)
    #: (column header as typed, message) for headers that do not fit.
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: Headers the import ignores (export-only columns).
    width: int = 0


def read_header(worksheet: Any, columns: Any) -> Header:
    """Map the first row's headers onto the spec's columns (by header text, in any order)."""
    header = Header()
    first = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    by_key = {header_key(column.header): column for column in columns}
    header.width = len(first)
    for index, value in enumerate(first):
        if is_blank(value):
            continue
        column = by_key.get(header_key(value))
        if column is None:
            message = f"“{shown(value)}”不是本模板的列，请删除该列或使用下载的模板"
            header.problems.append((shown(value), message))
        elif column.key in header.positions:
            header.problems.append((column.header, f"“{column.header}”列重复出现"))
        else:
            header.positions[column.key] = index
    for column in columns:
        if column.required and column.key not in header.positions:
            header.problems.append((column.header, f"缺少必填列“{column.header}”"))
    return header


def data_rows(worksheet: Any, header: Header) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (Excel row number, {column key: raw value}) for each row below the header that is not blank.

    Raises DomainError when the sheet holds more than MAX_ROWS data rows.
    """
    count = 0
    wanted = list(header.positions.items())
    for number, values in enumerate(worksheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(is_blank(value) for value in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise DomainError(f"工作表“{worksheet.title}”超过{MAX_ROWS}行，请拆分为多个文件分批导入")
        yield number, {key: values[index] if index < len(values) else None for key, index in wanted}


def size_hint(worksheet: Any) -> int | None:
    """Return the number of rows the sheet says it has (its dimension), or None when it does not say."""
    try:
        rows = worksheet.max_row
    except (TypeError, ValueError):
        return None
    return max(rows - 1, 0) if isinstance(rows, int) else None
