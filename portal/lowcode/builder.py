"""The builder's edits to a draft body: add, change, move and remove fields and sections.

Each function takes a body and returns a new one (the stored draft is never mutated in place), or
raises BuildError with a Chinese message. Keys are never changed once a field exists.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.lowcode import expr, schema
from portal.validators import parse_decimal


class BuildError(ValueError):
    """An edit the builder cannot make."""


def _locate(body: dict[str, Any], key: str) -> tuple[list[dict[str, Any]], int]:
    for part in schema.sections(body):
        items = part.get("fields") or []
        for index, item in enumerate(items):
            if item.get("key") == key:
                return items, index
            if item.get("type") == "repeat":
                for inner_index, inner in enumerate(item.get("fields") or []):
                    if inner.get("key") == key:
                        return item["fields"], inner_index
    raise BuildError(f"字段“{key}”不存在")


def find(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Return the field with that key."""
    items, index = _locate(body, key)
    return items[index]


def section_of(body: dict[str, Any], key: str) -> int:
    """Return the index of the section holding a top-level field (or its repeat group)."""
    for number, part in enumerate(schema.sections(body)):
        for item in part.get("fields") or []:
            inner = [f.get("key") for f in item.get("fields") or []] if item.get("type") == "repeat" else []
            if item.get("key") == key or key in inner:
                return number
    raise BuildError(f"字段“{key}”不存在")


def add_field(
    body: dict[str, Any], field: dict[str, Any], section: int = 0, group: str | None = None
) -> dict[str, Any]:
    """Append a field to a section, or to a repeat group's fields."""
    body = copy.deepcopy(body)
    if field.get("key") in schema.fields_by_key(body):
        raise BuildError(f"字段标识“{field.get('key')}”已被使用")
    if group is not None:
        parent = find(body, group)
        if parent.get("type") != "repeat":
            raise BuildError(f"“{group}”不是重复组")
        if field.get("type") == "repeat":
            raise BuildError("重复组内不能再嵌套重复组")
        parent.setdefault("fields", []).append(field)
        return body
    parts = schema.sections(body)
    if not 0 <= section < len(parts):
        raise BuildError("分组不存在")
    parts[section].setdefault("fields", []).append(field)
    return body


def update_field(
    body: dict[str, Any], key: str, field: dict[str, Any], section: int | None = None
) -> dict[str, Any]:
    """Replace a field's properties (its key stays); optionally move a top-level field to another section."""
    body = copy.deepcopy(body)
    items, index = _locate(body, key)
    old = items[index]
    new = {**field, "key": key}
    if old.get("type") == "repeat":
        new["fields"] = old.get("fields", [])
    items[index] = new
    if (
        section is not None
        and section != section_of(body, key)
        and any(i is items for i in _section_lists(body))
    ):
        parts = schema.sections(body)
        if not 0 <= section < len(parts):
            raise BuildError("分组不存在")
        items.pop(index)
        parts[section].setdefault("fields", []).append(new)
    return body


def _section_lists(body: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [part.setdefault("fields", []) for part in schema.sections(body)]


def move_field(body: dict[str, Any], key: str, step: int) -> dict[str, Any]:
    """Move a field up (-1) or down (+1) among its siblings."""
    body = copy.deepcopy(body)
    items, index = _locate(body, key)
    target = index + step
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    return body


def remove_field(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Remove a field (its answers stay on cases entered with earlier versions)."""
    body = copy.deepcopy(body)
    items, index = _locate(body, key)
    items.pop(index)
    return body


def add_section(body: dict[str, Any], title: str) -> dict[str, Any]:
    """Append an empty section."""
    title = title.strip()
    if not title:
        raise BuildError("请填写分组标题")
    body = copy.deepcopy(body)
    body.setdefault("sections", []).append({"title": title, "fields": []})
    return body


def rename_section(body: dict[str, Any], section: int, title: str) -> dict[str, Any]:
    """Rename a section."""
    title = title.strip()
    if not title:
        raise BuildError("请填写分组标题")
    body = copy.deepcopy(body)
    parts = schema.sections(body)
    if not 0 <= section < len(parts):
        raise BuildError("分组不存在")
    parts[section]["title"] = title
    return body


def set_section_condition(body: dict[str, Any], section: int, relevant: str | None) -> dict[str, Any]:
    """Show a whole section only when `relevant` holds (None or empty: always shown)."""
    body = copy.deepcopy(body)
    parts = schema.sections(body)
    if not 0 <= section < len(parts):
        raise BuildError("分组不存在")
    if relevant:
        parts[section]["relevant"] = relevant
    else:
        parts[section].pop("relevant", None)
    return body


def move_section(body: dict[str, Any], section: int, step: int) -> dict[str, Any]:
    """Move a section up (-1) or down (+1)."""
    body = copy.deepcopy(body)
    parts = body.get("sections") or []
    target = section + step
    if 0 <= section < len(parts) and 0 <= target < len(parts):
        parts[section], parts[target] = parts[target], parts[section]
    return body


def remove_section(body: dict[str, Any], section: int) -> dict[str, Any]:
    """Remove an empty section (never the last one)."""
    body = copy.deepcopy(body)
    parts = body.get("sections") or []
    if not 0 <= section < len(parts):
        raise BuildError("分组不存在")
    if parts[section].get("fields"):
        raise BuildError("分组中还有字段，请先移走或删除这些字段")
    if len(parts) == 1:
        raise BuildError("表单至少保留一个分组")
    parts.pop(section)
    return body


def options_from_text(text: str) -> list[dict[str, str]]:
    """Read options written one per line, as `值=显示文字` or just `显示文字`, each optionally followed by
    `|第二语言文字` (the option's label in the form's second language)."""
    options = []
    for line in (text or "").splitlines():
        line, _bar, second = line.partition("|")
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("=")
        option = {"value": value.strip(), "label": (label if sep else value).strip()}
        if second.strip():
            option["label2"] = second.strip()
        options.append(option)
    return options


def options_to_text(options: list[Any] | None) -> str:
    """Write options back as the builder's text."""
    lines = []
    for item in options or []:
        if isinstance(item, dict):
            value, label = str(item.get("value", "")), str(item.get("label", item.get("value", "")))
            second = f"|{item['label2']}" if item.get("label2") else ""
            lines.append((value if value == label else f"{value}={label}") + second)
        else:
            lines.append(str(item))
    return "\n".join(lines)


# --- keys -------------------------------------------------------------------------------------------


def generate_key(body: dict[str, Any], label: str, taken: set[str] | None = None) -> str:
    """Return a new, unused field key for a label: its ASCII words if it has any, else `field_N`.

    Chinese labels give `field_1`, `field_2`, …: a key is only an identifier for exports and formulas,
    and a clerk need not invent one. `taken` adds keys used elsewhere (earlier versions), never reused.
    """
    used = set(schema.fields_by_key(body)) | set(taken or ())
    words = re.sub(r"[^a-z0-9]+", "_", (label or "").lower()).strip("_")
    base = words[:30].rstrip("_") if words[:1].isalpha() else "field"
    if base != "field" and base not in used:
        return base
    number = 1
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


# --- drag and drop ----------------------------------------------------------------------------------


def move_field_to(body: dict[str, Any], key: str, section: int, before: str | None = None) -> dict[str, Any]:
    """Move a field before another one (`before`), or to the end of a section (or of its repeat group).

    A top-level field moves between sections; a repeat group's field moves only within its group.
    """
    body = copy.deepcopy(body)
    items, index = _locate(body, key)
    field = items[index]
    top = [id(part) for part in _section_lists(body)]
    if before == key:
        return body
    if before:
        target_items, target_index = _locate(body, before)
        same_kind = (id(items) in top) == (id(target_items) in top)
        if not same_kind or (id(items) not in top and target_items is not items):
            raise BuildError("重复组的子字段只能在本组内移动，其他字段不能移入重复组")
        target = target_items[target_index]
        items.pop(index)
        target_items.insert(next(i for i, f in enumerate(target_items) if f is target), field)
        return body
    if id(items) not in top:
        items.pop(index)
        items.append(field)
        return body
    parts = schema.sections(body)
    if not 0 <= section < len(parts):
        raise BuildError("分组不存在")
    items.pop(index)
    parts[section].setdefault("fields", []).append(field)
    return body


# --- choice lists and the second language -----------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def choice_lists(body: dict[str, Any]) -> dict[str, Any]:
    """Return the body's named choice lists (empty when it has none or they are malformed)."""
    lists = body.get("choices") if isinstance(body, dict) else None
    return lists if isinstance(lists, dict) else {}


def set_choice_list(
    body: dict[str, Any], name: str, options: list[dict[str, str]], old: str | None = None
) -> dict[str, Any]:
    """Add a named choice list, or replace (and maybe rename) list `old`; fields follow a rename."""
    name = (name or "").strip()
    if not name or len(name) > 40 or _CONTROL.search(name):
        raise BuildError("请填写选项列表名称（不超过 40 个字符）")
    problems = schema._option_problems(options)
    if problems:
        raise BuildError(f"选项列表“{name}”：" + "；".join(problems))
    body = copy.deepcopy(body)
    lists = choice_lists(body)
    if old is not None and old not in lists:
        raise BuildError(f"选项列表“{old}”不存在")
    if name in lists and name != old:
        raise BuildError(f"选项列表“{name}”已存在，请换一个名称")
    renamed: dict[str, Any] = {}
    for existing, items in lists.items():
        renamed[name if existing == old else existing] = options if existing == old else items
    if old is None:
        renamed[name] = options
    body["choices"] = renamed
    if old is not None and old != name:
        for field, _group in schema.walk(body):
            if field.get("choices") == old:
                field["choices"] = name
    return body


def remove_choice_list(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Remove a named choice list that no field uses."""
    lists = choice_lists(body)
    if name not in lists:
        raise BuildError(f"选项列表“{name}”不存在")
    users = [str(f.get("label")) for f, _g in schema.walk(body) if f.get("choices") == name]
    if users:
        raise BuildError(f"选项列表“{name}”正被字段“{'、'.join(users)}”使用，不能删除")
    body = copy.deepcopy(body)
    del body["choices"][name]
    if not body["choices"]:
        del body["choices"]
    return body


def set_language2(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Name the form's second language (e.g. English, 藏文); an empty name removes the setting."""
    name = (name or "").strip()
    if len(name) > 20 or _CONTROL.search(name):
        raise BuildError("第二语言名称不超过 20 个字符")
    body = copy.deepcopy(body)
    if name:
        body["language2"] = name
    else:
        body.pop("language2", None)
    return body


# --- conditions without typing: rules <-> expression text --------------------------------------------

#: Operator code -> (label, label for dates).
OPERATORS: dict[str, tuple[str, str]] = {
    "eq": ("等于", "等于"),
    "ne": ("不等于", "不等于"),
    "gt": ("大于", "晚于"),
    "ge": ("大于等于", "不早于"),
    "lt": ("小于", "早于"),
    "le": ("小于等于", "不晚于"),
    "contains": ("包含", "包含"),
    "not_contains": ("不包含", "不包含"),
    "in": ("在…之中", "在…之中"),
    "not_in": ("不在…之中", "不在…之中"),
    "empty": ("为空", "为空"),
    "filled": ("不为空", "不为空"),
}
_COMPARE = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TREE_OPS = {"==": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
#: Types a condition can test (a repeat group is counted, not compared; a note has no value).
CONDITION_TYPES = set(schema.TYPES) - {"repeat", "note"}
JOINS = {"and": "并且", "or": "或者"}


def operators_for(kind: str) -> list[tuple[str, str]]:
    """Return (code, Chinese label) of the operators that make sense for a field type."""
    if kind == "boolean":
        codes = ["eq", "empty", "filled"]
    elif kind in schema.NUMERIC or kind in schema.DATES:
        codes = ["eq", "ne", "gt", "ge", "lt", "le", "empty", "filled"]
    elif kind == "select_multiple":
        codes = ["contains", "not_contains", "empty", "filled"]
    elif kind in CONDITION_TYPES:
        codes = ["eq", "ne", "in", "not_in", "empty", "filled"]
    else:
        codes = []
    column = 1 if kind in schema.DATES else 0
    return [(code, OPERATORS[code][column]) for code in codes]


@dataclass
class Rule:
    """One condition as the builder shows it: a field, an operator and the value(s) compared with."""

    field: str
    op: str
    values: list[str]


def _literal(kind: str, text: str) -> str:
    if kind == "boolean":
        return "true" if text == "true" else "false"
    if kind in schema.NUMERIC:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _clean_value(field: dict[str, Any], options: list[dict[str, str]], text: str) -> str:
    """Return a rule's value in the form the expression needs, or raise BuildError in Chinese."""
    kind, label = field.get("type"), field.get("label")
    text = _CONTROL.sub("", str(text or "")).strip()
    if not text:
        raise BuildError(f"条件“{label}”：请选择或填写比较的值")
    if kind == "boolean":
        if text not in {"true", "false"}:
            raise BuildError(f"条件“{label}”：请选择“是”或“否”")
        return text
    if kind in schema.NUMERIC:
        number = parse_decimal(text)
        if number is None or len(number.as_tuple().digits) > expr.MAX_DIGITS:
            raise BuildError(f"条件“{label}”：“{text}”不是有效的数字")
        return format(number.normalize(), "f")
    if kind in schema.DATES:
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            raise BuildError(f"条件“{label}”：日期须写成 YYYY-MM-DD") from None
        return text[:10]
    if kind in schema.SELECTS:
        if text not in {o["value"] for o in options}:
            raise BuildError(f"条件“{label}”：“{text}”不是该字段的选项")
        return text
    if len(text) > 200:
        raise BuildError(f"条件“{label}”：比较的文字过长（最多 200 个字符）")
    return text


def condition_text(body: dict[str, Any], rules: list[Rule], join: str = "and") -> str:
    """Write rules as an expression in the engine's syntax (`services`/`engine.js` evaluate it).

    Each rule is checked against its field: the operator must suit the field's type and the value be one
    of a choice field's options, a number for a number, a date for a date; BuildError says which is not.
    """
    if join not in JOINS:
        raise BuildError("条件之间须选择“并且”或“或者”")
    fields = schema.fields_by_key(body)
    terms = []
    for rule in rules:
        field = fields.get(rule.field)
        if field is None or field.get("type") not in CONDITION_TYPES:
            raise BuildError(f"条件中的字段“{rule.field}”不存在或不能作为条件")
        kind = field["type"]
        if rule.op not in dict(operators_for(kind)):
            raise BuildError(f"条件“{field.get('label')}”：{schema.TYPES[kind]}字段不能使用该比较方式")
        ref = "${" + rule.field + "}"
        if rule.op in {"empty", "filled"}:
            terms.append(("not " if rule.op == "filled" else "") + f"empty({ref})")
            continue
        options = schema.options_of(body, field)
        values = [v for v in rule.values if str(v or "").strip()] or [""]
        if rule.op in {"in", "not_in"} and kind not in schema.SELECTS:
            values = [p for v in values for p in re.split(r"[,，、;；]", str(v)) if p.strip()] or [""]
        cleaned = [_literal(kind, _clean_value(field, options, v)) for v in values]
        if rule.op in {"in", "not_in"}:
            terms.append(f"{ref} {'not in' if rule.op == 'not_in' else 'in'} ({', '.join(cleaned)})")
        elif rule.op in {"contains", "not_contains"}:
            terms.append(("not " if rule.op == "not_contains" else "") + f"selected({ref}, {cleaned[0]})")
        else:
            terms.append(f"{ref} {_COMPARE[rule.op]} {cleaned[0]}")
    if not terms:
        raise BuildError("请至少添加一个条件")
    return f" {join} ".join(terms)


def _value_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value if isinstance(value, str) else None


def _rule_of(term: Any) -> Rule | None:
    if not isinstance(term, dict):
        return None
    (operator, arguments), *_ = term.items()
    negated = operator == "!"
    if negated:
        inner = arguments[0]
        if not isinstance(inner, dict) or next(iter(inner)) not in {"in", "selected", "empty"}:
            return None
        (operator, arguments), *_ = inner.items()
    if not arguments or not isinstance(arguments[0], dict) or "var" not in arguments[0]:
        return None
    key = arguments[0]["var"][0]
    if operator == "empty":
        return Rule(key, "filled" if negated else "empty", [])
    if operator == "selected":
        value = _value_text(arguments[1])
        return None if value is None else Rule(key, "not_contains" if negated else "contains", [value])
    if operator == "in":
        listed = isinstance(arguments[1], dict) and "list" in arguments[1]
        items = arguments[1]["list"] if listed else [arguments[1]]
        values = [_value_text(i) for i in items]
        if any(v is None for v in values):
            return None
        return Rule(key, "not_in" if negated else "in", values)  # type: ignore[arg-type]
    if operator in _TREE_OPS and not negated:
        value = _value_text(arguments[1])
        return None if value is None else Rule(key, _TREE_OPS[operator], [value])
    return None


def condition_rules(body: dict[str, Any], text: str | None) -> tuple[str, list[Rule]] | None:
    """Read an expression back as (join, rules) when the builder's rows can show it, else None.

    None means the condition is beyond the rows (nested groups, arithmetic, functions): the builder
    then keeps it as an expression for the advanced editor.
    """
    if not text:
        return "and", []
    try:
        tree = expr.parse(text)
    except expr.ExprError:
        return None
    join = next((j for j in JOINS if isinstance(tree, dict) and j in tree), "and")
    terms = tree[join] if isinstance(tree, dict) and join in tree else [tree]
    fields = schema.fields_by_key(body)
    rules = []
    for term in terms:
        rule = _rule_of(term)
        field = fields.get(rule.field) if rule else None
        if rule is None or field is None or rule.op not in dict(operators_for(field.get("type", ""))):
            return None
        rules.append(rule)
    return join, rules


def describe(body: dict[str, Any], text: str | None) -> str | None:
    """Return a condition in Chinese words (“是否有人受伤”等于“是”), None when the rows cannot show it."""
    found = condition_rules(body, text)
    if not found or not found[1]:
        return None
    join, rules = found
    fields = schema.fields_by_key(body)
    parts = []
    for rule in rules:
        field = fields[rule.field]
        kind = field["type"]
        label = dict(operators_for(kind))[rule.op]
        options = {o["value"]: o["label"] for o in schema.options_of(body, field)}
        if kind == "boolean":
            options = {"true": "是", "false": "否"}
        shown = "、".join(f"“{options.get(v, v)}”" for v in rule.values)
        if rule.op in {"in", "not_in"}:
            shown = "或".join(f"“{options.get(v, v)}”" for v in rule.values) + "之一"
            label = "是" if rule.op == "in" else "不是"
        parts.append(f"“{field.get('label')}”{label}{shown}")
    return f" {JOINS[join]} ".join(parts)
