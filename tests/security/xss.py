"""The XSS corpus: payloads, how they are stored into every text column, and how a page is searched
for a payload that became markup instead of text.

Every payload carries the marker `xss`: a script, an element or an attribute whose name or value holds
it, found by the HTML parser, means the payload was written into the page unescaped. Escaped, the
parser sees it as text (or as the value of an attribute), which is what it must stay.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import openpyxl
from sqlalchemy import JSON, String, Text, cast, literal, update
from sqlalchemy.orm import Session

from portal.models.base import Base

#: The first payload of every list is a formula, so that the first text column of every table starts with
#: one (an export must quote it); the others are rotated to the front of the following columns.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/xss","x")',  # a formula in a spreadsheet cell
    "<script>xss(1)</script>",
    '"><img src=x id=xss2 onerror=xss(2)>',
    "'><svg id=xss3 onload=xss(3)>",
    "javascript:xss(4)",
    "{{7*7777}}",  # a template evaluating stored text would print 54439
    "</textarea><b id=xss5>",
    '" onfocus="xss(6)" autofocus x="',
    "' onmouseover='xss(7)' x='",
    '<iframe id=xss8 srcdoc="<script>xss(8)</script>">',
    "</script><script id=xss9>xss(9)</script>",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '<svg><a xlink:href="javascript:xss(10)"><text>x</text></a></svg>',
]
#: Short payloads for short columns (names of 20 characters).
SHORT = ["=1+xss(13)", "<b id=xss11>", "{{7*7777}}", "<svg onload=xss(12)>"]
SSTI = "54439"
#: Characters kept free at the end of a bounded column for the row's id.
ID_ROOM = 8

#: Columns left alone: machine-made values, values with a checked format (ID numbers, phones, codes, whose
#: forms and services refuse anything else), the tree's paths, and what the suite signs in with.
SKIPPED = {
    "organization.path",
    "organization.code",
    "organization.credit_code",
    "organization.contact_phone",
    "user_account.username",
    "user_account.password_hash",
    "user_account.roles",
    "user_account.phone",
    "dispute_type.code",
    "form_definition.key",
    "issued_document.serial",
    "issued_document.sha256",
    "issued_document.subject_type",
    "print_job.sha256",
    "attachment.sha256",  # names the stored file; a download is refused when the bytes no longer match it
    "attachment.content_type",
    "attachment.field_key",
    "audit_event.entity",
    "audit_event.entity_id",
    "audit_event.ip",
    "sign_in_event.ip",
    "document_counter.kind",
}
SKIPPED_NAMES = {"id_number", "credit_code", "phone"}
#: Tables whose text is the log of the others' changes: written in a second pass.
LOGS = {"audit_event", "sign_in_event"}


def payload_for(length: int | None, turn: int) -> str | None:
    """Return payloads joined to fit a column of `length` characters (None: unbounded), rotated by `turn`."""
    pool = PAYLOADS if length is None or length >= 40 else SHORT
    rotated = pool[turn % len(pool) :] + pool[: turn % len(pool)]
    text = ""
    for payload in rotated:
        if length is not None and len(text) + len(payload) > length:
            break
        text += payload
    return text or None


def text_columns(mapper: Any) -> list[tuple[str, int | None]]:
    """Return (attribute, length) of the mapper's free-text columns the corpus is stored into."""
    found = []
    for column in mapper.columns:
        name = f"{column.table.name}.{column.name}"
        if not isinstance(column.type, (String, Text)) or getattr(column.type, "enum_class", None):
            continue
        if isinstance(column.type, JSON) or column.primary_key or column.foreign_keys:
            continue
        if name in SKIPPED or column.name in SKIPPED_NAMES:
            continue
        found.append((mapper.get_property_by_column(column).key, getattr(column.type, "length", None)))
    return found


def store_everywhere(
    session: Session, tables: set[str] | None = None, skip: set[str] = LOGS
) -> dict[str, int]:
    """Store the corpus into every free-text column of every row (of `tables`, else all but `skip`);
    return the number of rows changed by table.

    The rows are updated with SQL, not through the ORM: some records are append-only (a review's history
    refuses changes), and a payload typed when the record was made is what is being simulated.
    """
    changed: dict[str, int] = {}
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.local_table.name):
        table = mapper.local_table
        if (tables is not None and table.name not in tables) or (tables is None and table.name in skip):
            continue
        columns = text_columns(mapper)
        key = cast(table.primary_key.columns.values()[0], String)
        values: dict[str, Any] = {}
        for turn, (attribute, length) in enumerate(columns):
            column = mapper.get_property(attribute).columns[0]
            # Each row's id follows the payloads, so that unique columns (numbers, titles) stay unique.
            if (value := payload_for(length and length - ID_ROOM, turn)) is not None:
                values[column.name] = literal(value, String) + key
        if "background_tags" in table.c:
            values["background_tags"] = PAYLOADS[:3]
        if values:
            changed[table.name] = session.execute(update(table).values(**values)).rowcount
    session.commit()
    return changed


class MarkupFinder(HTMLParser):
    """Collect what a payload turned into when it was not escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if "xss" in name:
                self.found.append(f"<{tag}> attribute {name!r}")
            elif name.startswith("on") and "xss" in value:
                self.found.append(f"<{tag} {name}={value[:60]!r}>")
            elif name == "id" and value.startswith("xss"):
                self.found.append(f"<{tag} id={value!r}>")
            elif name in ("href", "src", "action", "formaction", "xlink:href", "srcdoc") and "xss" in value:
                if value.strip().lower().startswith("javascript:") or name == "srcdoc":
                    self.found.append(f"<{tag} {name}={value[:60]!r}>")
        kind = dict(attrs).get("type") or ""
        self._script = "" if tag == "script" and kind != "application/json" else None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            if "xss" in self._script:
                self.found.append(f"<script>{self._script.strip()[:60]}</script>")
            self._script = None


def markup_in(html: str) -> list[str]:
    """Return the payloads of `html` that became markup (empty when every payload stayed text)."""
    finder = MarkupFinder()
    finder.feed(html)
    finder.close()
    if SSTI in html:
        finder.found.append(f"a template evaluated {{{{7*7777}}}} to {SSTI}")
    return finder.found


FORMULA_START = ("=", "+", "@")


def formulas_in(xlsx: bytes) -> list[str]:
    """Return the cells of a workbook that would run as a formula."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f" or (isinstance(value, str) and value.startswith(FORMULA_START)):
                    found.append(f"{sheet.title}!{cell.coordinate}={str(value)[:40]!r}")
    return found


def csv_formulas_in(text: str) -> list[str]:
    """Return the cells of a csv that a spreadsheet would run as a formula."""
    return [
        f"row {n}: {value[:40]!r}"
        for n, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), 1)
        for value in row
        if value.startswith(FORMULA_START)
    ]


def payload_cells(xlsx: bytes) -> int:
    """Return how many cells of a workbook hold a payload (as text)."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return sum(
        1
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str) and "xss" in value
    )
