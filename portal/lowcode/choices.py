"""Choices from registers, cascading choices and attachments, when a form is filled in or checked.

A published body names where options come from (`choices_from`, `type: file`, see `sources`); what the
user may pick is only known in a request. `resolve` copies the body with those options written in
(`options` on each such field), read through callbacks the caller passes (the services read the
registers in the user's scope), so the engine, the renderer and engine.js see an ordinary choice.
`check` is `engine.check` on that copy plus the cascade rule: a `depends_on` choice must be one of
the options under the value of the field it depends on (the browser narrows the list; the server
judges the pair, so the form works without JavaScript too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from portal.lowcode import engine, schema, sources
from portal.lowcode.values import is_blank

#: register name -> its options for the user: [{"value": "12", "label": "张三", "parent": "3"}, …]
RegisterOptions = Callable[[str], list[dict[str, str]]]
#: file field key -> the attachments the user may keep on it: [{"value": "5", "label": "协议.pdf", …}]
AttachableFiles = Callable[[str], list[dict[str, Any]]]


def uses_data(body: dict[str, Any]) -> bool:
    """Return whether a body has choices from registers or attachment fields (needs `resolve`)."""
    return any(f.get("choices_from") or f.get("type") == "file" for f, _ in schema.walk(body))


def file_fields(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the body's attachment fields (top level only: lint keeps them out of repeat groups)."""
    return [f for f, group in schema.walk(body) if f.get("type") == "file" and group is None]


def resolve(
    body: dict[str, Any],
    registers: RegisterOptions | None = None,
    attachable: AttachableFiles | None = None,
    keep: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a copy of the body whose register choices and file fields list what the user may pick.

    `keep` (the answers stored on the case) stays selectable even when its record has since left the
    user's register (a mediator retired): saving a case again never loses an answer nobody touched.
    """
    resolved = copy.deepcopy(body)
    read: dict[str, list[dict[str, str]]] = {}
    for field, group in schema.walk(resolved):
        source = field.get("choices_from")
        if source and field.get("type") == "select_one":
            if source not in read:
                read[source] = list(registers(source)) if registers is not None else []
            options = [dict(o) for o in read[source]]
            known = {o["value"] for o in options}
            for stored in _stored(keep, field["key"], group):
                if not isinstance(stored, dict) or not stored.get("label"):
                    continue
                if str(stored.get("id", "")) not in known:
                    options.append({"value": str(stored["id"]), "label": str(stored["label"])})
                    known.add(str(stored["id"]))
            field["options"] = options
        elif field.get("type") == "file" and group is None:
            field["options"] = list(attachable(field["key"])) if attachable is not None else []
    return resolved


def _stored(keep: Mapping[str, Any] | None, key: str, group: dict[str, Any] | None) -> list[Any]:
    if not keep:
        return []
    if group is None:
        return [keep.get(key)]
    rows = keep.get(group["key"])
    return [r.get(key) for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def value_id(value: Any) -> str | None:
    """Return the value a cascade compares: a register answer's id, an option's value, else None."""
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") is not None else None
    return None if is_blank(value) or isinstance(value, list) else str(value)


def pair_errors(body: dict[str, Any], values: Mapping[str, Any], hidden: set[str]) -> dict[str, str]:
    """Return errors by path for cascading choices whose option does not belong to the chosen parent."""
    fields = schema.fields_by_key(body)
    groups = {f["key"]: g["key"] for f, g in schema.walk(body) if g is not None}
    errors: dict[str, str] = {}
    for key, field in fields.items():
        parent_key = field.get("depends_on")
        if not isinstance(parent_key, str) or parent_key not in fields:
            continue
        parents = {o["value"]: o.get("parent") for o in schema.options_of(body, field)}
        group = groups.get(key)
        if group is None:
            places = [(key, values, values)]
        else:
            rows = values.get(group)
            places = [
                (f"{group}.{i}.{key}", row, row if groups.get(parent_key) == group else values)
                for i, row in enumerate(rows if isinstance(rows, list) else [])
                if isinstance(row, dict)
            ]
        parent_label = str(fields[parent_key].get("label") or parent_key)
        for path, holder, parent_holder in places:
            chosen = value_id(holder.get(key))
            if chosen is None or path in hidden:
                continue
            parent_value = value_id(parent_holder.get(parent_key))
            needed = parents.get(chosen)
            if needed is None:
                continue  # an option under no parent (其他) goes with any
            if parent_value is None:
                errors[path] = f"请先选择“{parent_label}”"
            elif needed != parent_value:
                errors[path] = f"所选项不属于所选的“{parent_label}”，请重新选择"
    return errors


def check(
    body: dict[str, Any],
    raw: Mapping[str, Any],
    today: str,
    registers: RegisterOptions | None = None,
    attachable: AttachableFiles | None = None,
    keep: Mapping[str, Any] | None = None,
) -> tuple[engine.Outcome, dict[str, Any]]:
    """Check answers as `engine.check` does, with register options, attachments and cascades.

    Returns the outcome and the resolved body (to render the form again with the same options).
    """
    resolved = resolve(body, registers, attachable, keep) if uses_data(body) else body
    outcome = engine.check(resolved, raw, today)
    for path, message in pair_errors(resolved, outcome.values, outcome.hidden).items():
        outcome.errors.setdefault(path, message)
    return outcome, resolved


def attachment_ids(values: Mapping[str, Any], body: dict[str, Any]) -> dict[str, list[int]]:
    """Return the attachment ids kept on each file field of checked answers."""
    found: dict[str, list[int]] = {}
    for field in file_fields(body):
        items = values.get(field["key"])
        found[field["key"]] = [
            int(i["id"]) for i in items or [] if isinstance(i, dict) and str(i.get("id", "")).isdigit()
        ]
    return found


def describe_file_limits(field: dict[str, Any]) -> str:
    """Return the Chinese hint under a file input: the kinds, the size and how many files."""
    kinds = "、".join(sources.FILE_KINDS[k][0] for k in sources.file_kinds(field))
    size = sources.max_size_mb(field)
    shown = int(size) if size.is_integer() else size
    count = sources.max_files(field)
    return f"可上传 {kinds}，每个不超过 {shown} MB" + (f"，最多 {count} 个" if count > 1 else "")
