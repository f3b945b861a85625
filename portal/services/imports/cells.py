"""Reading one cell of an import file: each column kind turns what Excel holds into a value or says why not.

A parser takes the raw cell value (str, int, float, datetime, date, bool; never None or blank, which the
caller handles as 未填写) and returns the value to store, or raises `CellError` with a Chinese message.
The messages and limits are the forms' own: `portal.validators` (身份证号, 手机号, 统一社会信用代码, date
windows, amounts), `portal.text` (control characters) and the model columns' lengths.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.utils.escape import unescape

from portal.models.base import LabeledEnum
from portal.text import has_control, strip_control
from portal.validators import (
    EARLIEST_DATE,
    ID_MIN_BIRTH,
    credit_code_error,
    date_window_error,
    id_number_error,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    number_error,
    parse_decimal,
    phone_error,
)

Parser = Callable[[Any], Any]

#: What an export puts before a text that would otherwise run as a formula (services/sheets.text).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Separators accepted between the items of a list cell (人员背景, 擅长纠纷类型, 承办调解员).
LIST_SEPARATORS = re.compile(r"[、，,；;／/\s]+")
DATE_HINT = "请填写如 2024-01-31 的日期"
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")


class CellError(Exception):
    """The cell cannot be read; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(value: Any) -> bool:
    """Return whether a cell holds nothing (None, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: Any, limit: int = 60) -> str:
    """Return the cell's value as the report quotes it: one line, at most `limit` characters."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    text = strip_control(str(value), multiline=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_text(value: Any) -> str:
    """Return a number typed into a text column as its digits (13800138000, not 13800138000.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def raw_text(value: Any, multiline: bool = False) -> str:
    """Return the cell as text: control characters refused, an export's formula quote removed, trimmed."""
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, datetime | date):
        value = f"{value:%Y-%m-%d}"
    elif isinstance(value, int | float):
        value = _number_text(value)
    # Excel writes a control character in a cell as _x0001_ (and a literal "_x" as _x005F_x): decode them.
    text = unescape(str(value))
    if has_control(text, multiline=True):
        raise CellError("含有不可见的控制字符，请删除后重新填写")
    text = strip_control(text, multiline=multiline).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]
    return text


def text(max_length: int | None, multiline: bool = False) -> Parser:
    """A text column: at most `max_length` characters (the model column's length)."""

    def parse(value: Any) -> str:
        result = raw_text(value, multiline)
        if max_length is not None and len(result) > max_length:
            raise CellError(f"不能超过{max_length}个字（现有{len(result)}个字）")
        return result

    return parse


def _date_of(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        compact = unicodedata.normalize("NFKC", value).strip()
        match = _DATE_TEXT.fullmatch(compact) or _DATE_DIGITS.fullmatch(compact)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError(f"“{shown(value)}”不是存在的日期") from None
    raise CellError(f"“{shown(value)}”不是日期，{DATE_HINT}")


def day(*, past: bool, earliest: date = EARLIEST_DATE) -> Parser:
    """A date column with the forms' window: `past` for things that happened (PastDate), else SaneDate."""

    def parse(value: Any) -> date:
        result = _date_of(value)
        if error := date_window_error(result, past=past, earliest=earliest):
            raise CellError(error)
        return result

    return parse


def past_day() -> Parser:
    """A date that has happened: 1949-10-01 to today (PastDate)."""
    return day(past=True)


def birth_day() -> Parser:
    """A birth date: 1900-01-01 to today (BirthDate)."""
    return day(past=True, earliest=ID_MIN_BIRTH)


def sane_day() -> Parser:
    """A date that may lie ahead (a term's end): 1949-10-01 to 50 years ahead (SaneDate)."""
    return day(past=False)


def choice_text(values: Iterable[str]) -> str:
    """Return the allowed values as the report names them: 男、女."""
    return "、".join(values)


def enum(enum_cls: type[LabeledEnum]) -> Parser:
    """An enum column: one of the Chinese labels the forms offer."""
    by_label = {member.label: member for member in enum_cls}

    def parse(value: Any) -> LabeledEnum:
        key = raw_text(value)
        if key not in by_label:
            raise CellError(f"“{shown(key)}”不是可选值，应为：{choice_text(by_label)}")
        return by_label[key]

    return parse


def choice(values: Iterable[str]) -> Parser:
    """A column with a fixed list of words (民族, 学历, 专业领域), as the forms' selects have them."""
    allowed = tuple(values)

    def parse(value: Any) -> str:
        key = raw_text(value)
        if key not in allowed:
            raise CellError(f"“{shown(key)}”不是可选值，应为：{choice_text(allowed)}")
        return key

    return parse


def split_list(value: Any) -> list[str]:
    """Return the items of a list cell, in order, without repeats."""
    items = [item for item in LIST_SEPARATORS.split(raw_text(value)) if item]
    return list(dict.fromkeys(items))


def choices(values: Iterable[str]) -> Parser:
    """A list cell of words from a fixed list (人员背景), separated by 、."""
    allowed = tuple(values)

    def parse(value: Any) -> list[str]:
        items = split_list(value)
        wrong = [item for item in items if item not in allowed]
        if wrong:
            raise CellError(f"“{choice_text(wrong)}”不是可选值，可选：{choice_text(allowed)}")
        return items

    return parse


def yes_no(value: Any) -> bool:
    """A 是/否 column."""
    key = raw_text(value)
    if key in ("是", "否"):
        return key == "是"
    raise CellError(f"“{shown(key)}”应为：是、否")


def decimal(limit: Decimal, places: int, what: str = "数值") -> Parser:
    """A number column with the form's bounds (BoundedDecimalField): 0 ≤ value < limit, `places` decimals."""

    def parse(value: Any) -> Decimal:
        if isinstance(value, str):
            value = raw_text(value)
        if error := number_error(value, limit=limit, places=places, what=what):
            raise CellError(error)
        number = parse_decimal(value)
        assert number is not None  # number_error refused anything else
        return number

    return parse


def whole(low: int, high: int, what: str) -> Parser:
    """A whole number between `low` and `high` (涉及人数, 满意度)."""

    def parse(value: Any) -> int:
        number = parse_decimal(raw_text(value) if isinstance(value, str) else value)
        if number is None or number != number.to_integral_value():
            raise CellError(f"{what}应为整数")
        if not low <= number <= high:
            raise CellError(f"{what}应在{low}至{high}之间")
        return int(number)

    return parse


def identifier(value: Any) -> str:
    """An 18-character identifier (身份证号 or 统一社会信用代码), checked later by what it turns out to be."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has lost its tail.
        raise CellError("证件号码被存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")
    result = normalize_id_number(raw_text(value))
    if "*" in result:
        raise CellError("证件号码已脱敏（含*），不能导入；请使用完整的号码")
    if len(result) > 18:
        raise CellError(f"不能超过18个字符（现有{len(result)}个）")
    return result


def id_number(value: Any) -> str:
    """A 身份证号 (GB 11643 checksum, region, birth date); the gender is checked with the row."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has lost its tail.
        raise CellError("身份证号被存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")
    result = normalize_id_number(raw_text(value))
    if "*" in result:
        raise CellError("身份证号已脱敏（含*），不能导入；请使用完整的身份证号")
    if error := id_number_error(result):
        raise CellError(error)
    return result


def phone(value: Any) -> str:
    """A mobile or landline number, normalised as the form does."""
    result = raw_text(value)
    if "*" in result:
        raise CellError("电话号码已脱敏（含*），不能导入；请使用完整的号码")
    if error := phone_error(result):
        raise CellError(error)
    return normalize_phone(result)


def credit_code(value: Any) -> str:
    """A 统一社会信用代码 (GB 32100 check characters)."""
    result = normalize_credit_code(raw_text(value))
    if error := credit_code_error(result):
        raise CellError(error)
    return result


def length_of(column: Any) -> int | None:
    """Return a String column's length (the forms' Length validator comes from it)."""
    return getattr(column.property.columns[0].type, "length", None)
