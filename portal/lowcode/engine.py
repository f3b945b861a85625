"""Check a set of answers against a form version: coerce, compute, hide, require, constrain.

The server's answer is the one kept: `check` drops the values of hidden fields (a hidden field is
never required and keeps no stale value; a field of a hidden section or repeat group is hidden with
it), fills calculated fields, and reports every error by field path (`key`, or `group.2.key` for the
third row of a repeat group) with a Chinese message.

`browser_spec` gives static/lowcode/engine.js the same definition as parsed trees, so the page shows,
hides, computes and validates while typing by the same rules; the messages it shows are the ones below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from portal import validators
from portal.lowcode import expr, schema
from portal.lowcode.values import MAX_TEXT, NUMBER_LIMIT, coerce, is_blank
from portal.validators import FUTURE_YEARS, ID_MIN_BIRTH, amount_error, date_window_error

PREFIX = "answers"
MAX_ROWS = 100

#: The messages engine.js shows, word for word those of `check` and `values.coerce`.
MESSAGES = {
    "required": "请填写此项",
    "required_rows": "请至少填写一行",
    "pattern": "格式不符合要求",
    "constraint": "填写的内容不符合校验条件",
    "too_big": "数值过大",
    "integer": "请输入整数",
    "decimal": "请输入数字",
    "money": "请输入金额（元），如 1200.50",
    "money_negative": amount_error(-1) or "",
    "money_fen": amount_error(Decimal("0.001")) or "",
    "money_limit": amount_error(Decimal(10) ** 12) or "",
    "date": "请输入有效日期，如 2026-03-01",
    "datetime": "请输入有效的日期时间，如 2026-03-01 09:30",
    "id_format": validators.ID_FORMAT_ERROR,
    "id_region": validators.ID_REGION_ERROR,
    "id_birth": validators.ID_BIRTH_ERROR,
    "id_future": validators.ID_FUTURE_ERROR,
    "id_checksum": validators.ID_CHECKSUM_ERROR,
    "phone": validators.PHONE_ERROR,
}
#: What engine.js needs to read 身份证号 and phone numbers as `validators` does.
NUMBERS = {
    "id_provinces": sorted(validators.ID_PROVINCES),
    "mobile": validators._MOBILE.pattern,
    "landline": validators._LANDLINE.pattern,
    "landline_no_ext": validators._LANDLINE_NO_EXT.pattern,
}


@dataclass
class Outcome:
    """The cleaned answers to store and the errors by field path."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Form:
    """A version body prepared for checking: fields by key, parsed expressions, evaluation order."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.fields = schema.fields_by_key(body)
        self.group_of = {f["key"]: g["key"] for f, g in schema.walk(body) if g is not None}
        self.order = schema.dependency_order(body)
        self.trees = {
            (key, name): schema.compiled(f, name)
            for key, f in self.fields.items()
            for name in schema.EXPRESSIONS
        }
        self.section_of = schema.section_index(body)
        self.section_trees = [schema.section_condition(s) for s in schema.sections(body)]
        self.section_shown: dict[int, bool] = {}

    def options(self, key: str) -> list[dict[str, str]]:
        return schema.options_of(self.body, self.fields[key])

    def inner_keys(self, group: str) -> list[str]:
        return [k for k, g in self.group_of.items() if g == group]


def context_values(
    form: _Form, top: Mapping[str, Any], row: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return what expressions see: top-level values, a repeat field's column as a list, the row's own."""
    values = dict(top)
    for key, group in form.group_of.items():
        found = top.get(group)
        rows = found if isinstance(found, list) else []
        values[key] = [r.get(key) for r in rows if isinstance(r, dict)]
    if row is not None:
        values.update(row)
    return values


def check(body: dict[str, Any], raw: Mapping[str, Any], today: str) -> Outcome:
    """Check raw answers (text from a form or typed values from a file) against a version body."""
    form = _Form(body)
    outcome = Outcome()
    top: dict[str, Any] = {}
    # 1. Coerce every top-level value and every row of every repeat group.
    for key, spec in form.fields.items():
        if key in form.group_of:
            continue
        if spec["type"] == "repeat":
            rows = raw.get(key)
            top[key] = _coerce_rows(form, key, rows if isinstance(rows, list) else [], outcome)
        elif spec["type"] != "note":
            value, error = coerce(spec, raw.get(key), form.options(key))
            top[key] = value
            if error:
                outcome.errors[key] = error
    # 2. In dependency order: hide what is not relevant (dropping its value), compute what is calculated.
    for key in form.order:
        group = form.group_of.get(key)
        if group is None:
            _settle_top(form, key, top, outcome, today)
        elif isinstance(top.get(group), list):
            for index, row in enumerate(top[group]):
                _settle_row(form, key, group, index, row, top, outcome, today)
    # 3. Required, bounds, patterns and constraints for what remains visible.
    for key in form.order:
        group = form.group_of.get(key)
        if group is None:
            if key not in outcome.hidden:
                _validate(form, key, key, top.get(key), context_values(form, top), outcome, today)
        elif isinstance(top.get(group), list) and group not in outcome.hidden:
            for index, row in enumerate(top[group]):
                path = f"{group}.{index}.{key}"
                if path not in outcome.hidden:
                    _validate(form, key, path, row.get(key), context_values(form, top, row), outcome, today)
    outcome.values = {k: v for k, v in top.items() if not is_blank(v) and form.fields[k]["type"] != "note"}
    return outcome


def _coerce_rows(form: _Form, group: str, rows: list[Any], outcome: Outcome) -> list[dict[str, Any]]:
    cleaned = []
    for index, row in enumerate(rows[:MAX_ROWS]):
        if not isinstance(row, Mapping):
            continue
        values: dict[str, Any] = {}
        for key in form.inner_keys(group):
            value, error = coerce(form.fields[key], row.get(key), form.options(key))
            values[key] = value
            if error:
                outcome.errors[f"{group}.{index}.{key}"] = error
        cleaned.append(values)
    if len(rows) > MAX_ROWS:
        outcome.errors[group] = f"最多 {MAX_ROWS} 行"
    return cleaned


def _context(form: _Form, values: dict[str, Any], today: str, current: Any = None) -> expr.Context:
    return expr.Context(values, current=current, today=today, groups=form.group_of)


def _is_relevant(form: _Form, key: str, values: dict[str, Any], today: str) -> bool:
    """A top-level field is relevant when its section's condition and its own hold (row fields: its own)."""
    if key not in form.group_of and not _section_shown(form, form.section_of.get(key), values, today):
        return False
    tree = form.trees[(key, "relevant")]
    return tree is None or expr.truthy(expr.evaluate(tree, _context(form, values, today)))


def _section_shown(form: _Form, number: int | None, values: dict[str, Any], today: str) -> bool:
    """Evaluate a section's condition once, when its first field is settled (what it reads is by then)."""
    if number is None or form.section_trees[number] is None:
        return True
    if number not in form.section_shown:
        tree = form.section_trees[number]
        form.section_shown[number] = expr.truthy(expr.evaluate(tree, _context(form, values, today)))
    return form.section_shown[number]


def _calculated(form: _Form, key: str, values: dict[str, Any], today: str) -> Any:
    result = expr.evaluate(form.trees[(key, "calculate")], _context(form, values, today))
    kind = form.fields[key]["type"]
    if result is None:
        return None
    if isinstance(result, float) and (not math.isfinite(result) or abs(result) > NUMBER_LIMIT):
        return None  # beyond what a number field holds: leave it empty rather than store it
    number = isinstance(result, int | float) and not isinstance(result, bool)
    # Rounded half away from zero, exactly as engine.js shows it while typing.
    if kind == "integer":
        rounded = expr.evaluate({"round": [result]}, expr.Context({})) if number else None
        return None if rounded is None else int(rounded)
    if kind == "money":
        amount = expr.evaluate({"round": [result, 2]}, expr.Context({})) if number else None
        return None if amount is None or amount_error(amount) else amount  # negative or too large: empty
    if kind == "decimal":
        return result if number else None
    if kind == "boolean":
        return expr.truthy(result)
    if isinstance(result, bool):
        return "是" if result else "否"
    if isinstance(result, float) and result.is_integer():
        return str(int(result))
    return str(result)


def _settle_top(form: _Form, key: str, top: dict[str, Any], outcome: Outcome, today: str) -> None:
    if not _is_relevant(form, key, context_values(form, top), today):
        outcome.hidden.add(key)
        top[key] = [] if form.fields[key]["type"] == "repeat" else None
        _forget_errors(outcome, key)
    elif form.trees[(key, "calculate")] is not None:
        top[key] = _calculated(form, key, context_values(form, top), today)
        outcome.errors.pop(key, None)


def _settle_row(
    form: _Form,
    key: str,
    group: str,
    index: int,
    row: dict[str, Any],
    top: dict[str, Any],
    outcome: Outcome,
    today: str,
) -> None:
    path = f"{group}.{index}.{key}"
    if not _is_relevant(form, key, context_values(form, top, row), today):
        outcome.hidden.add(path)
        row[key] = None
        outcome.errors.pop(path, None)
    elif form.trees[(key, "calculate")] is not None:
        row[key] = _calculated(form, key, context_values(form, top, row), today)
        outcome.errors.pop(path, None)


def _forget_errors(outcome: Outcome, key: str) -> None:
    for path in [p for p in outcome.errors if p == key or p.startswith(f"{key}.")]:
        del outcome.errors[path]


def _validate(
    form: _Form, key: str, path: str, value: Any, values: dict[str, Any], outcome: Outcome, today: str
) -> None:
    if path in outcome.errors:
        return
    spec = form.fields[key]
    context = _context(form, values, today, current=value)
    required = form.trees[(key, "required")]
    if is_blank(value):
        if required is not None and expr.truthy(expr.evaluate(required, context)):
            outcome.errors[path] = (
                MESSAGES["required"] if spec["type"] != "repeat" else MESSAGES["required_rows"]
            )
        return
    if error := _bound_error(spec, value):
        outcome.errors[path] = error
        return
    pattern = spec.get("pattern")
    if pattern and spec["type"] in schema.TEXTUAL and not re.fullmatch(pattern, str(value)):
        outcome.errors[path] = spec.get("constraint_message") or MESSAGES["pattern"]
        return
    constraint = form.trees[(key, "constraint")]
    if constraint is not None and not expr.truthy(expr.evaluate(constraint, context)):
        outcome.errors[path] = spec.get("constraint_message") or MESSAGES["constraint"]


def _bound_error(spec: dict[str, Any], value: Any) -> str | None:
    low, high = spec.get("min"), spec.get("max")
    kind = spec["type"]
    if low is None and high is None:
        return None
    if kind in schema.NUMERIC:
        measure, unit = value, ""
    elif kind in schema.TEXTUAL:
        measure, unit = len(value), " 个字符"
    elif kind in {"repeat", "select_multiple"}:
        measure, unit = len(value), (" 行" if kind == "repeat" else " 项")
    elif kind in schema.DATES:
        measure, unit = str(value)[:10], ""
    else:
        return None
    if low is not None and measure < low:
        return f"不能少于 {low}{unit}" if unit else f"不能小于 {low}"
    if high is not None and measure > high:
        return f"不能多于 {high}{unit}" if unit else f"不能大于 {high}"
    return None


def parse_form(body: dict[str, Any], formdata: Any, prefix: str = PREFIX) -> dict[str, Any]:
    """Collect a form's posted answers (`answers.key`, `answers.group.3.key`) into raw values."""
    form_fields = schema.fields_by_key(body)
    groups = {g["key"] for f, g in schema.walk(body) if g is not None}
    raw: dict[str, Any] = {}
    for key, spec in form_fields.items():
        if spec["type"] in {"note", "repeat"} or any(key in _inner(body, g) for g in groups):
            continue
        name = f"{prefix}.{key}"
        raw[key] = formdata.getlist(name) if spec["type"] == "select_multiple" else formdata.get(name)
    for group in groups:
        indices = sorted(
            {
                int(m[1])
                for name in formdata.keys()
                if (m := re.fullmatch(rf"{prefix}\.{group}\.(\d+)\.\w+", name))
            }
        )
        rows = []
        for index in indices[: MAX_ROWS + 1]:
            row = {}
            for key in _inner(body, group):
                name = f"{prefix}.{group}.{index}.{key}"
                kind = form_fields[key]["type"]
                row[key] = formdata.getlist(name) if kind == "select_multiple" else formdata.get(name)
            if any(not is_blank(v) for v in row.values()):
                rows.append(row)
        raw[group] = rows
    return raw


def _inner(body: dict[str, Any], group: str) -> list[str]:
    return [f["key"] for f, g in schema.walk(body) if g is not None and g["key"] == group]


def defaults(body: dict[str, Any]) -> dict[str, Any]:
    """Return the default answers of a new case."""
    found: dict[str, Any] = {}
    for key, spec in schema.fields_by_key(body).items():
        if spec.get("default") not in (None, ""):
            value, error = coerce(spec, spec["default"], schema.options_of(body, spec))
            if not error:
                found[key] = value
    return found


def _window(today: str) -> dict[str, str]:
    """The date window of answers (`values._in_window`) as bounds and messages for the browser."""
    earliest = ID_MIN_BIRTH
    day = date.fromisoformat(today) if today else earliest
    try:
        latest = day.replace(year=day.year + FUTURE_YEARS)
    except ValueError:  # 29 February
        latest = day.replace(year=day.year + FUTURE_YEARS, day=28)
    return {
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
        "early": date_window_error(earliest - timedelta(days=1), past=False, earliest=earliest, today=day)
        or "",
        "late": date_window_error(latest + timedelta(days=1), past=False, earliest=earliest, today=day) or "",
    }


def _bound_text(bound: Any) -> str | None:
    return None if bound is None else str(bound)


def browser_spec(body: dict[str, Any], today: str) -> dict[str, Any]:
    """Return what engine.js needs: evaluation order, sections' conditions and each field's parsed rules."""
    section_of = schema.section_index(body)
    fields = {}
    for item, group in schema.walk(body):
        key = item["key"]
        fields[key] = {
            "type": item["type"],
            "group": group["key"] if group else None,
            "section": section_of.get(key),
            "hidden": item.get("hidden") is True,
            **{name: schema.compiled(item, name) for name in schema.EXPRESSIONS},
            "min": item.get("min"),
            "max": item.get("max"),
            "min_text": _bound_text(item.get("min")),
            "max_text": _bound_text(item.get("max")),
            "pattern": item.get("pattern") or None,
            "message": item.get("constraint_message") or None,
            "max_length": MAX_TEXT.get(item["type"]),
        }
    return {
        "order": schema.dependency_order(body),
        "fields": fields,
        "sections": [schema.section_condition(s) for s in schema.sections(body)],
        "today": today,
        "prefix": PREFIX,
        "window": _window(today),
        "messages": MESSAGES,
        "numbers": NUMBERS,
        "max_rows": MAX_ROWS,
    }
