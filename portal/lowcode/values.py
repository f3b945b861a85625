"""Answer values: turn what a form posts (or a file holds) into the JSON stored, and back into text.

Stored shapes: numbers as JSON numbers (money rounded to fen), dates as `YYYY-MM-DD`, date-times as
`YYYY-MM-DDTHH:MM`, booleans, option values as strings (lists for multi-selects), a choice from a
register as `{"id": "12", "label": "张三"}` (the label at the time), attachments as a list of
`{"id", "name", "size", "type"}`, repeat groups as lists of row objects. Everything is JSON so
PostgreSQL (JSONB) and SQLite (JSON1) can filter on it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.lowcode import sources
from portal.text import strip_control
from portal.validators import (
    ID_MIN_BIRTH,
    amount_error,
    credit_code_error,
    date_window_error,
    id_number_error,
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    phone_error,
)

NUMBER_LIMIT = Decimal(10) ** 15
MAX_TEXT = {"text": 200, "textarea": 4000}
TRUE_TEXT = {"1", "true", "y", "yes", "on", "是", "有"}
FALSE_TEXT = {"0", "false", "n", "no", "off", "否", "无"}


def is_blank(value: Any) -> bool:
    """Return whether a value counts as not answered."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def coerce(
    field: dict[str, Any], raw: Any, options: list[dict[str, str]] | None = None
) -> tuple[Any, str | None]:
    """Return (stored value, None) or (None, Chinese error) for one non-repeat field."""
    kind = str(field.get("type") or "")
    if kind in {"note", "repeat"}:
        return None, None
    if kind == "file":
        return _files(field, raw)
    if kind == "select_one" and field.get("choices_from"):
        return _reference(field, raw)
    if kind == "select_multiple":
        items = raw if isinstance(raw, list) else ([] if is_blank(raw) else [raw])
        items = [str(i).strip() for i in items if not is_blank(i)]
        if not items:
            return None, None
        allowed = {o["value"] for o in options or []}
        wrong = [i for i in items if i not in allowed]
        if wrong:
            return None, f"选项“{wrong[0]}”不在可选范围内"
        return list(dict.fromkeys(items)), None
    if isinstance(raw, list):
        return None, "只能填写一个值"
    if is_blank(raw):
        return None, None
    try:
        return _COERCE[kind](raw, field, options or [])
    except (ValueError, InvalidOperation, OverflowError):
        return None, _MESSAGES.get(kind, "格式不正确")


def _reference(field: dict[str, Any], raw: Any) -> tuple[Any, str | None]:
    """A choice from a register: the id must be among the options read for the user (`choices.resolve`).

    A field whose options were not read (a stored case re-checked away from a request) keeps a stored
    `{"id", "label"}` as it is and refuses a bare id.
    """
    if isinstance(raw, list):
        return None, "只能选择一项"
    stored = raw if isinstance(raw, dict) else None
    ident = str(stored.get("id", "")) if stored is not None else ("" if raw is None else str(raw)).strip()
    if not ident.strip():
        return None, None
    if "options" not in field:
        label = stored.get("label") if stored is not None else None
        if isinstance(label, str) and label and len(ident) <= 40:
            return {"id": ident, "label": strip_control(label, multiline=False)[:200]}, None
        return None, "请从列表中选择"
    for option in field["options"] or []:
        if isinstance(option, dict) and str(option.get("value")) == ident:
            return {"id": ident, "label": str(option.get("label", ident))}, None
    return None, "所选项不在可选范围内，请重新选择"


def _files(field: dict[str, Any], raw: Any) -> tuple[Any, str | None]:
    """Attachments: each id must be one the user may attach (`choices.resolve` lists them in `options`).

    Without that list (a stored case re-checked away from a request) stored entries are kept as they are.
    """
    items = raw if isinstance(raw, list) else ([] if is_blank(raw) else [raw])
    kept: list[dict[str, Any]] = []
    known = {
        str(o.get("value")): o for o in field.get("options") or [] if isinstance(o, dict)
    }  # value, name, size, type
    for item in items:
        ident = str(item.get("id", "")) if isinstance(item, dict) else str(item).strip()
        if not ident or any(str(k["id"]) == ident for k in kept):
            continue
        if "options" not in field:
            if not (isinstance(item, dict) and ident.isdigit() and isinstance(item.get("name"), str)):
                return None, "附件无效，请重新上传"
            kept.append(
                {"id": int(ident), "name": item["name"], "size": item.get("size"), "type": item.get("type")}
            )
        elif ident in known:
            option = known[ident]
            kept.append(
                {
                    "id": int(ident),
                    "name": option["label"],
                    "size": option.get("size"),
                    "type": option.get("type"),
                }
            )
        else:
            return None, "附件无效或已不可用，请重新上传"
    most = sources.max_files(field)
    if len(kept) > most:
        return None, f"最多保留 {most} 个文件，请先移除多余的文件"
    return kept or None, None


def _text(raw: Any, field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    one_line = field.get("type") == "text"
    text = strip_control(str(raw), multiline=not one_line)  # pasted NULs and the like never stay
    text = text.strip() if one_line else text.strip("\r\n ")
    if len(text) > MAX_TEXT[field["type"]]:
        return None, f"不能超过 {MAX_TEXT[field['type']]} 个字符"
    return text, None


def _number(raw: Any, field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        # A stored or computed number (possibly written as 1e-05): take it as it is.
        number = Decimal(str(raw))
        if not number.is_finite():
            raise ValueError
    else:
        text = str(raw).strip().replace(",", "").replace("，", "")
        if not re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            raise ValueError
        number = Decimal(text)
    if abs(number) > NUMBER_LIMIT:
        return None, "数值过大"
    kind = field["type"]
    if kind == "integer":
        if number != number.to_integral_value():
            return None, "请输入整数"
        return int(number), None
    if kind == "money":
        # Yuan in whole fen, never negative, below the ledger's Numeric(14, 2) amounts.
        if error := amount_error(number):
            return None, error
        return float(number), None
    return float(number), None


def _in_window(day: date) -> str | None:
    # A dispute form's dates reach back to births (1900 on) and ahead to agreed deadlines; a field that
    # must lie in the past says so in its own constraint (`. <= today()`).
    return date_window_error(day, past=False, earliest=ID_MIN_BIRTH)


def _date(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    if isinstance(raw, datetime):
        raw = raw.date()
    if not isinstance(raw, date):
        raw = date.fromisoformat(str(raw).strip()[:10])
    return (None, error) if (error := _in_window(raw)) else (raw.isoformat(), None)


def _datetime(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    if not isinstance(raw, datetime):
        raw = datetime.fromisoformat(str(raw).strip().replace(" ", "T"))
    return (None, error) if (error := _in_window(raw.date())) else (raw.strftime("%Y-%m-%dT%H:%M"), None)


def _boolean(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return raw, None
    text = str(raw).strip().lower()
    if text in TRUE_TEXT:
        return True, None
    if text in FALSE_TEXT:
        return False, None
    raise ValueError


def _select_one(raw: Any, _field: dict[str, Any], options: list) -> tuple[Any, str | None]:
    value = str(raw).strip()
    if value not in {o["value"] for o in options}:
        return None, f"选项“{value[:20]}”不在可选范围内"
    return value, None


def _id_number(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    value = normalize_id_number(str(raw))
    return (None, error) if (error := id_number_error(value)) else (value, None)


def _phone(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    value = str(raw)
    return (None, error) if (error := phone_error(value)) else (normalize_phone(value), None)


def _credit_code(raw: Any, _field: dict[str, Any], _options: list) -> tuple[Any, str | None]:
    value = normalize_credit_code(str(raw))
    return (None, error) if (error := credit_code_error(value)) else (value, None)


_COERCE = {
    "text": _text,
    "textarea": _text,
    "integer": _number,
    "decimal": _number,
    "money": _number,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
    "select_one": _select_one,
    "id_number": _id_number,
    "phone": _phone,
    "credit_code": _credit_code,
}
_MESSAGES = {
    "integer": "请输入整数",
    "decimal": "请输入数字",
    "money": "请输入金额（元），如 1200.50",
    "date": "请输入有效日期，如 2026-03-01",
    "datetime": "请输入有效的日期时间，如 2026-03-01 09:30",
    "boolean": "请选择“是”或“否”",
}


def display(
    field: dict[str, Any], value: Any, options: list[dict[str, str]] | None = None, mask: bool = True
) -> str:
    """Return an answer as the text a person reads (personal numbers masked unless `mask` is False)."""
    if is_blank(value):
        return ""
    kind = field.get("type")
    labels = {o["value"]: o["label"] for o in options or []}
    if kind == "boolean":
        return "是" if value else "否"
    if kind == "select_one":
        if isinstance(value, dict):  # a register's record: its label when chosen
            return str(value.get("label") or value.get("id") or "")
        return labels.get(str(value), str(value))
    if kind == "file":
        items = value if isinstance(value, list) else []
        return "、".join(str(v.get("name")) for v in items if isinstance(v, dict))
    if kind == "select_multiple":
        return "、".join(labels.get(str(v), str(v)) for v in value) if isinstance(value, list) else str(value)
    if kind == "money" and isinstance(value, int | float):
        return f"{value:,.2f} 元"
    if kind in {"integer", "decimal"} and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if kind == "datetime":
        return str(value).replace("T", " ")
    if kind == "id_number" and mask:
        return mask_id_number(str(value))
    if kind == "phone" and mask:
        return mask_phone(str(value))
    return str(value)
