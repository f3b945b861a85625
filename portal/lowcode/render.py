"""Render a form version: the live input section (with its spec for engine.js) and the answers as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import render_template
from markupsafe import Markup

from portal.lowcode import choices, schema, sources
from portal.lowcode.engine import PREFIX, browser_spec
from portal.lowcode.values import display, is_blank


def spec(body: dict[str, Any], today: str) -> dict[str, Any]:
    """Return what engine.js needs: the definition's parsed rules (`engine.browser_spec`)."""
    return browser_spec(body, today)


def _text(value: Any) -> Any:
    """Return a raw or stored value as what an input shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):  # a register's record: the select shows its id
        return str(value.get("id", ""))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return [v if isinstance(v, dict) else str(v) for v in value]  # attachments stay records
    return str(value)


def section(
    body: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    today: str = "",
    title: str = "",
    note: str = "",
    file_url: Callable[[int], str] | None = None,
) -> Markup:
    """Render the inputs of a version, filled with stored answers or the raw values just posted.

    A body with register choices or attachments is rendered resolved (`choices.resolve`): its
    options are written in. `file_url` gives the download address of an attachment by id. A body
    with pages (`page` on sections) shows a step list; static/js/case_answers.js shows one page at a
    time with 上一步/下一步, and without JavaScript all pages stay on one screen.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    for item, group in schema.walk(body):
        if item["type"] == "repeat" and group is None:
            found = values.get(item["key"])
            rows[item["key"]] = [
                {k: _text(v) for k, v in r.items()}
                for r in (found if isinstance(found, list) else [])
                if isinstance(r, dict)
            ]
    repeats = {f["key"] for f, g in schema.walk(body) if f.get("type") == "repeat" and g is None}
    flat = {k: _text(v) for k, v in values.items() if k not in repeats}
    # The template autoescapes every label, help text and value; its output is safe HTML.
    return Markup(  # noqa: S704
        render_template(
            "lowcode/_form.html",
            body=body,
            values=flat,
            rows=rows,
            errors=errors or {},
            options=lambda f: schema.options_of(body, f),
            spec_json=json.dumps(spec(body, today), ensure_ascii=False),
            prefix=PREFIX,
            title=title,
            note=note,
            types=schema.TYPES,
            pages=sources.pages(body),
            file_url=file_url,
            file_hint=choices.describe_file_limits,
            file_accept=lambda f: ",".join(
                ext for k in sources.file_kinds(f) for ext in sources.FILE_KINDS[k][2]
            ),
        )
    )


@dataclass
class Shown:
    """One answer as a person reads it; repeat groups carry their rows as lists of Shown."""

    label: str
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    files: list[tuple[int, str]] = field(default_factory=list)  # attachments: (id, name)


def shown_sections(
    body: dict[str, Any], answers: dict[str, Any] | None, mask: bool = True
) -> list[tuple[str, list[Shown]]]:
    """Return the answered fields of each section, as text, in the version's own order and labels."""
    answers = answers or {}
    result = []
    for part in schema.sections(body):
        items = []
        for item in part.get("fields") or []:
            if not isinstance(item, dict) or item.get("type") == "note":
                continue
            value = answers.get(item["key"])
            if item["type"] == "repeat":
                inner = [f for f in item.get("fields") or [] if f.get("type") != "note"]
                data = [r for r in value or [] if isinstance(r, dict)]
                if data:
                    items.append(
                        Shown(
                            item["label"],
                            columns=[f["label"] for f in inner],
                            rows=[
                                [display(f, r.get(f["key"]), schema.options_of(body, f), mask) for f in inner]
                                for r in data
                            ],
                        )
                    )
            elif not is_blank(value):
                shown = Shown(item["label"], display(item, value, schema.options_of(body, item), mask))
                if item["type"] == "file" and isinstance(value, list):
                    shown.files = [
                        (int(v["id"]), str(v.get("name") or ""))
                        for v in value
                        if isinstance(v, dict) and str(v.get("id", "")).isdigit()
                    ]
                items.append(shown)
        if items:
            result.append((str(part.get("title") or ""), items))
    return result


def export_columns(bodies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return (key, label) of every answer column across versions, newest labels winning, in form order."""
    columns: dict[str, str] = {}
    for body in reversed(bodies):  # newest first, so its order and labels lead
        for item, _group in schema.walk(body):
            if item["type"] != "note" and _group is None and item["key"] not in columns:
                columns[item["key"]] = item["label"]
    return list(columns.items())


def export_cell(body: dict[str, Any] | None, answers: dict[str, Any] | None, key: str) -> Any:
    """Return one answer as a typed export cell: amounts as Decimal yuan, numbers, dates; else its text."""
    if body is None or not answers or key not in answers:
        return ""
    item = schema.fields_by_key(body).get(key)
    value = answers[key]
    kind = item.get("type") if item is not None else None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "money" and number:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if kind == "integer" and number:
        return int(value)
    if kind == "decimal" and number:
        return value
    if kind in schema.DATES and isinstance(value, str) and (when := _when(kind, value)) is not None:
        return when
    return export_value(body, answers, key)


def _when(kind: str, value: str) -> date | datetime | None:
    """Return a stored date (date-time) answer as a date; None for a text that is none (shown as is)."""
    try:
        return date.fromisoformat(value) if kind == "date" else datetime.fromisoformat(value)
    except ValueError:
        return None


def export_value(body: dict[str, Any] | None, answers: dict[str, Any] | None, key: str) -> str:
    """Return one answer of a case as export text (masked), repeat groups as one line per row."""
    if body is None or not answers or key not in answers:
        return ""
    item = schema.fields_by_key(body).get(key)
    if item is None:
        return ""
    if item["type"] == "repeat":
        inner = [f for f in item.get("fields") or [] if f.get("type") != "note"]
        lines = []
        for row in answers[key] or []:
            parts = [
                f"{f['label']}：{display(f, row.get(f['key']), schema.options_of(body, f))}"
                for f in inner
                if not is_blank(row.get(f["key"]))
            ]
            lines.append("，".join(parts))
        return "\n".join(lines)
    return display(item, answers[key], schema.options_of(body, item))
