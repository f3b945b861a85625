"""The builder's edits to a draft body: add, change, move and remove fields and sections.

Each function takes a body and returns a new one (the stored draft is never mutated in place), or
raises BuildError with a Chinese message. Keys are never changed once a field exists.
"""

from __future__ import annotations

import copy
from typing import Any

from portal.lowcode import schema


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
    """Read options written one per line, as `值=显示文字` or just `显示文字`."""
    options = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("=")
        options.append({"value": value.strip(), "label": (label if sep else value).strip()})
    return options


def options_to_text(options: list[Any] | None) -> str:
    """Write options back as the builder's text."""
    lines = []
    for item in options or []:
        if isinstance(item, dict):
            value, label = str(item.get("value", "")), str(item.get("label", item.get("value", "")))
            lines.append(value if value == label else f"{value}={label}")
        else:
            lines.append(str(item))
    return "\n".join(lines)
