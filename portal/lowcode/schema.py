"""The form definition format, its lint (checked before every publish) and the diff between versions.

A definition body is plain data (stored as JSON, shipped as YAML in `forms/`)::

    {"choices": {"liability": [{"value": "full", "label": "全部责任"}, ...]},
     "sections": [{"title": "事故情况", "fields": [
         {"key": "injured", "label": "是否有人受伤", "type": "boolean", "required": true},
         {"key": "injured_count", "label": "受伤人数", "type": "integer", "min": 1,
          "relevant": "${injured} = true", "required": true},
         {"key": "injured_persons", "label": "受伤人员", "type": "repeat", "relevant": "${injured}",
          "fields": [{"key": "injured_name", "label": "姓名", "type": "text", "required": true}, ...]}]},
        {"title": "死亡情况", "relevant": "${deaths} > 0", "fields": [...]}]}

A section may have a `relevant` condition: when it does not hold, the whole section (every field and
repeat group in it) is hidden, nothing in it is required and none of its values is stored. A field with
`calculate` and `hidden: true` is computed and stored but not shown, for other rules to use.
Every expression is parsed (`expr`) and type-checked against the fields (`typecheck`) before publishing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from portal.lowcode import expr, sources, typecheck
from portal.lowcode.values import coerce

TYPES: dict[str, str] = {
    "text": "单行文本",
    "textarea": "多行文本",
    "integer": "整数",
    "decimal": "小数",
    "money": "金额（元）",
    "date": "日期",
    "datetime": "日期时间",
    "boolean": "是/否",
    "select_one": "单选",
    "select_multiple": "多选",
    "id_number": "身份证号",
    "phone": "手机号",
    "credit_code": "统一社会信用代码",
    "note": "说明文字",
    "repeat": "重复组",
    "file": "附件",
}
NUMERIC = {"integer", "decimal", "money"}
TEXTUAL = {"text", "textarea"}
SELECTS = {"select_one", "select_multiple"}
DATES = {"date", "datetime"}
# Types whose value can be computed by `calculate`.
CALCULABLE = NUMERIC | TEXTUAL | {"boolean", "date"}
EXPRESSIONS = ("relevant", "required", "constraint", "calculate")
PROPERTIES = {
    "key",
    "label",
    "label2",
    "type",
    "required",
    "options",
    "choices",
    "min",
    "max",
    "pattern",
    "constraint",
    "constraint_message",
    "relevant",
    "default",
    "calculate",
    "help",
    "fields",
    "hidden",
    *sources.FIELD_PROPERTIES,
}
PROPERTY_LABELS = {
    "label": "标签",
    "label2": "第二语言标签",
    "type": "类型",
    "required": "必填",
    "options": "选项",
    "choices": "选项列表",
    "min": "最小值",
    "max": "最大值",
    "pattern": "格式",
    "constraint": "校验条件",
    "constraint_message": "校验提示",
    "relevant": "显示条件",
    "default": "默认值",
    "calculate": "计算公式",
    "help": "说明",
    "hidden": "隐藏（只保存不显示）",
    **sources.FIELD_PROPERTIES,
}
MAX_FIELDS = 200
NUMBER_LIMIT = 10**15


@dataclass(frozen=True)
class Problem:
    """One lint finding: the field it concerns (or None for the whole form) and a Chinese message.

    `lint` fills in the field's label, so the message names the field as people know it.
    """

    key: str | None
    message: str
    label: str | None = None

    def __str__(self) -> str:
        if self.key and self.label:
            return f"字段“{self.label}”（{self.key}）：{self.message}"
        return f"字段“{self.key}”：{self.message}" if self.key else self.message


def sections(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the body's sections (empty for a malformed body)."""
    value = body.get("sections") if isinstance(body, dict) else None
    return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []


def walk(body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Yield (field, its repeat group or None) for every field of the body, in order."""
    for section in sections(body):
        for field in section.get("fields") or []:
            if not isinstance(field, dict):
                continue
            yield field, None
            if field.get("type") == "repeat":
                for inner in field.get("fields") or []:
                    if isinstance(inner, dict):
                        yield inner, field


def fields_by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return every field of the body by key."""
    return {f["key"]: f for f, _ in walk(body) if isinstance(f.get("key"), str)}


def options_of(body: dict[str, Any], field: dict[str, Any]) -> list[dict[str, str]]:
    """Return a select field's options, from the field or its named choice list."""
    if field.get("options"):
        return _option_list(field["options"])
    choices = body.get("choices") if isinstance(body, dict) else None
    if isinstance(choices, dict) and field.get("choices") in choices:
        return _option_list(choices[field["choices"]])
    return []


def _option_list(value: Any) -> list[dict[str, str]]:
    options = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and "value" in item:
            option = {"value": str(item["value"]), "label": str(item.get("label", item["value"]))}
            if item.get("label2"):  # the optional second-language label (see the builder)
                option["label2"] = str(item["label2"])
            if item.get("parent") not in (None, ""):  # a cascading choice (sources: depends_on)
                option["parent"] = str(item["parent"])
            options.append(option)
        elif isinstance(item, str | int):
            options.append({"value": str(item), "label": str(item)})
    return options


def compiled(field: dict[str, Any], name: str) -> expr.Tree | None:
    """Return the parsed tree of a field's expression property, None when it has none.

    `required: true/false` is stored as a boolean and comes back as that literal.
    """
    value = field.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return expr.parse(value)


def section_condition(section: dict[str, Any]) -> expr.Tree | None:
    """Return the parsed tree of a section's `relevant` condition, None when it has none."""
    value = section.get("relevant")
    return None if value in (None, "") else expr.parse(value)


def section_index(body: dict[str, Any]) -> dict[str, int]:
    """Return the number (from 0) of the section of every field, repeat fields by their group's."""
    found: dict[str, int] = {}
    for number, section in enumerate(sections(body)):
        for field in section.get("fields") or []:
            if not isinstance(field, dict) or not isinstance(field.get("key"), str):
                continue
            found[field["key"]] = number
            if field.get("type") == "repeat":
                for inner in field.get("fields") or []:
                    if isinstance(inner, dict) and isinstance(inner.get("key"), str):
                        found[inner["key"]] = number
    return found


def _section_references(body: dict[str, Any]) -> list[set[str]]:
    found = []
    for section in sections(body):
        try:
            found.append(expr.references(section_condition(section)))
        except expr.ExprError:
            found.append(set())
    return found


def dependency_order(body: dict[str, Any]) -> list[str]:
    """Return field keys so that each comes after those its `relevant` and `calculate` read.

    A field also comes after what its section's condition reads. Assumes a linted body (no cycles);
    a repeat's inner fields follow their group.
    """
    fields = fields_by_key(body)
    groups = {f["key"]: g["key"] for f, g in walk(body) if g is not None}
    section_of = section_index(body)
    section_reads = _section_references(body)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        if state.get(key) == 2 or key not in fields:
            return
        if state.get(key) == 1:
            raise ValueError(key)
        state[key] = 1
        reads = _dependencies(fields[key])
        if key in section_of and key not in groups:
            reads |= section_reads[section_of[key]]
        for dependency in sorted(reads):
            visit(dependency)
        if key in groups:
            visit(groups[key])
        state[key] = 2
        order.append(key)

    for key in fields:
        visit(key)
    return order


def _dependencies(field: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for name in ("relevant", "calculate"):
        try:
            found |= expr.references(compiled(field, name))
        except expr.ExprError:
            continue
    return found


def lint(body: Any) -> list[Problem]:
    """Return every problem of a definition body; an empty list means it may be published."""
    if not isinstance(body, dict):
        return [Problem(None, "表单定义必须是一个对象（包含 sections）")]
    problems: list[Problem] = []
    raw_sections = body.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        return [Problem(None, "表单至少需要一个分组（sections）")]
    choices = body.get("choices") or {}
    if not isinstance(choices, dict):
        problems.append(Problem(None, "选项列表（choices）必须是“名称: 选项”的对照"))
        choices = {}
    for name, items in choices.items():
        problems += [Problem(None, f"选项列表“{name}”：{m}") for m in _option_problems(items)]

    seen: dict[str, int] = {}
    count = 0
    for number, section in enumerate(raw_sections, 1):
        if not isinstance(section, dict) or not isinstance(section.get("fields"), list):
            problems.append(Problem(None, f"第 {number} 个分组格式不正确（需要 title 和 fields）"))
            continue
        if not str(section.get("title") or "").strip():
            problems.append(Problem(None, f"第 {number} 个分组缺少标题"))
        problems += [Problem(None, m) for m in _section_condition_problems(section, number)]
        for field in section["fields"]:
            count += 1
            problems += _field_problems(field, choices, seen, inside_repeat=False)
            if isinstance(field, dict) and field.get("type") == "repeat":
                inner = field.get("fields")
                if not isinstance(inner, list) or not inner:
                    problems.append(Problem(field.get("key"), "重复组至少需要一个子字段"))
                    continue
                for child in inner:
                    count += 1
                    problems += _field_problems(child, choices, seen, inside_repeat=True)
    if count > MAX_FIELDS:
        problems.append(Problem(None, f"字段过多（{count} 个，最多 {MAX_FIELDS} 个）"))
    problems += [Problem(k, "字段标识重复") for k, n in seen.items() if n > 1]
    problems += [Problem(None, m) for m in sources.page_problems(body)]
    if not problems:
        problems += _reference_problems(body)
    return _labelled(body, problems)


def _labelled(body: dict[str, Any], problems: list[Problem]) -> list[Problem]:
    """Give each problem of a field that field's label."""
    labels = {k: f["label"] for k, f in fields_by_key(body).items() if isinstance(f.get("label"), str)}
    return [Problem(p.key, p.message, p.label or labels.get(p.key or "")) for p in problems]


def _section_name(section: dict[str, Any], number: int) -> str:
    title = str(section.get("title") or "").strip()
    return f"分组“{title}”" if title else f"第 {number} 个分组"


def _section_condition_problems(section: dict[str, Any], number: int) -> list[str]:
    """A section's `relevant` must parse and may not use `.`; its references are checked with the rest."""
    value = section.get("relevant")
    if value in (None, ""):
        return []
    name = _section_name(section, number)
    if not isinstance(value, str):
        return [f"{name}的显示条件必须是表达式文本"]
    try:
        tree = expr.parse(value)
    except expr.ExprError as error:
        return [f"{name}的显示条件无法解析：{error}"]
    if expr.uses_self(tree):
        return [f"{name}的显示条件不能使用“.”（分组没有自己的值）"]
    return []


def _option_problems(items: Any) -> list[str]:
    if not isinstance(items, list) or not items:
        return ["至少需要一个选项"]
    values = [str(i.get("value", "")) if isinstance(i, dict) else str(i) for i in items]
    found = []
    if any(not v.strip() for v in values):
        found.append("选项值不能为空")
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        found.append(f"选项值重复：{'、'.join(duplicates)}")
    for item in items:
        second = item.get("label2") if isinstance(item, dict) else None
        if second is not None and (not isinstance(second, str) or len(second) > 100):
            found.append("选项的第二语言标签须为不超过 100 个字符的文本")
            break
    return found


def _field_problems(field: Any, choices: dict, seen: dict[str, int], inside_repeat: bool) -> list[Problem]:
    if not isinstance(field, dict):
        return [Problem(None, "字段格式不正确")]
    key = field.get("key")
    if not isinstance(key, str) or not expr.KEY_RE.match(key):
        shown = key if isinstance(key, str) else None
        return [Problem(shown, "字段标识须以小写字母开头，只含小写字母、数字和下划线，最长 40 个字符")]
    seen[key] = seen.get(key, 0) + 1
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem(key, message))

    unknown = sorted(set(field) - PROPERTIES)
    if unknown:
        bad(f"未知的属性：{'、'.join(unknown)}")
    label = field.get("label")
    if not isinstance(label, str) or not label.strip():
        bad("缺少标签")
    elif len(label) > 100:
        bad("标签过长（最多 100 个字符）")
    label2 = field.get("label2")
    if label2 is not None and (not isinstance(label2, str) or len(label2) > 100):
        bad("第二语言标签须为不超过 100 个字符的文本")
    kind = field.get("type")
    if kind not in TYPES:
        bad(f"类型“{kind}”无效，可选：{'、'.join(TYPES)}")
        return problems
    if kind == "repeat" and inside_repeat:
        bad("重复组内不能再嵌套重复组")
    if kind != "repeat" and "fields" in field:
        bad("只有重复组可以包含子字段")
    if kind in SELECTS:
        if field.get("options"):
            problems += [Problem(key, m) for m in _option_problems(field["options"])]
        elif field.get("choices"):
            if field["choices"] not in choices:
                bad(f"选项列表“{field['choices']}”不存在")
        elif not field.get("choices_from"):
            bad("单选、多选字段必须设置选项")
    elif field.get("options") or field.get("choices"):
        bad("只有单选、多选字段可以设置选项")
    if kind == "note" and (field.get("required") or field.get("calculate")):
        bad("说明文字不能必填或计算")
    if field.get("calculate") and kind not in CALCULABLE:
        bad(f"{TYPES[kind]}字段不能设置计算公式")
    problems += [Problem(key, m) for m in sources.field_problems(field, kind, inside_repeat)]
    problems += [Problem(key, m) for m in _bound_problems(field, kind)]
    pattern = field.get("pattern")
    if pattern not in (None, ""):
        if kind not in TEXTUAL:
            bad("只有文本字段可以设置格式")
        elif not isinstance(pattern, str) or len(pattern) > 200:
            bad("格式（正则表达式）必须是不超过 200 个字符的文本")
        else:
            try:
                re.compile(pattern)
            except re.error as error:
                bad(f"格式（正则表达式）无效：{error}")
    required = field.get("required")
    if required is not None and not isinstance(required, bool | str):
        bad("必填须为“是”“否”或一个条件表达式")
    if field.get("constraint_message") and not (field.get("constraint") or field.get("pattern")):
        bad("设置了校验提示却没有校验条件或格式")
    for name in EXPRESSIONS:
        value = field.get(name)
        if value in (None, "") or isinstance(value, bool) and name == "required":
            continue
        if not isinstance(value, str):
            bad(f"{PROPERTY_LABELS[name]}必须是表达式文本")
            continue
        try:
            tree = expr.parse(value)
        except expr.ExprError as error:
            bad(f"{PROPERTY_LABELS[name]}无法解析：{error}")
            continue
        if name != "constraint" and expr.uses_self(tree):
            bad(f"“.”（本字段的值）只能用于校验条件，不能用于{PROPERTY_LABELS[name]}")
    hidden = field.get("hidden")
    if hidden not in (None, False):
        if hidden is not True:
            bad("隐藏须为 true 或 false")
        elif not field.get("calculate"):
            bad("只有设置了计算公式的字段可以隐藏（隐藏字段不显示，值由公式算出）")
        elif any(field.get(name) not in (None, False, "") for name in ("required", "constraint", "pattern")):
            bad("隐藏字段不显示，录入人员无法改正，不能设置必填、校验条件或格式")
    if "default" in field and field["default"] not in (None, ""):
        if kind in {"note", "repeat"}:
            bad(f"{TYPES[kind]}不能设置默认值")
        else:
            _, default_error = coerce(field, field["default"], options=_default_options(field, choices))
            if default_error:
                bad(f"默认值无效：{default_error}")
    for text_property in ("help", "constraint_message"):
        if field.get(text_property) is not None and not isinstance(field[text_property], str):
            bad(f"{PROPERTY_LABELS[text_property]}必须是文本")
    return problems


def _default_options(field: dict[str, Any], choices: dict) -> list[dict[str, str]]:
    return options_of({"choices": choices}, field)


def _bound_problems(field: dict[str, Any], kind: str) -> list[str]:
    low, high = field.get("min"), field.get("max")
    if low is None and high is None:
        return []
    if kind in {"boolean", "note", "select_one", "id_number", "phone", "credit_code"}:
        return ["此类型不能设置最小值、最大值"]
    if kind in DATES:
        found = []
        for bound in (low, high):
            if bound is not None and not _is_iso_date(bound):
                found.append(f"日期范围“{bound}”须写成 YYYY-MM-DD")
        if not found and low is not None and high is not None and str(low) > str(high):
            found.append("最小值大于最大值")
        return found
    for bound in (low, high):
        if bound is not None and (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
            or abs(bound) > NUMBER_LIMIT
        ):
            return ["最小值、最大值必须是合理范围内的数字"]
    if kind in TEXTUAL | {"repeat", "select_multiple"}:
        for bound in (low, high):
            if bound is not None and (bound < 0 or bound != int(bound)):
                return ["长度或个数的范围必须是非负整数"]
    if low is not None and high is not None and low > high:
        return ["最小值大于最大值"]
    return []


def _is_iso_date(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


def _reference_problems(body: dict[str, Any]) -> list[Problem]:
    fields = fields_by_key(body)
    problems: list[Problem] = []
    for field, _group in walk(body):
        for name in EXPRESSIONS:
            if not isinstance(field.get(name), str) or not field[name]:
                continue
            for ref in sorted(expr.references(expr.parse(field[name]))):
                if ref not in fields:
                    problems.append(
                        Problem(field["key"], f"{PROPERTY_LABELS[name]}引用了不存在的字段“{ref}”")
                    )
                elif fields[ref]["type"] == "note":
                    problems.append(
                        Problem(field["key"], f"{PROPERTY_LABELS[name]}引用的“{ref}”是说明文字，没有值")
                    )
    groups = {f["key"]: g["key"] for f, g in walk(body) if g is not None}
    problems += [Problem(k, m) for k, m in sources.depends_problems(fields, groups)]
    problems += _section_reference_problems(body, fields)
    if problems:
        return problems
    problems += _type_problems(body, fields)
    if problems:
        return problems
    for key, field in fields.items():
        if key in _dependencies(field):
            problems.append(Problem(key, "显示条件或计算公式引用了字段自身"))
    if problems:
        return problems
    try:
        dependency_order(body)
    except ValueError as cycle:
        problems.append(Problem(str(cycle), "显示条件或计算公式之间存在循环引用"))
    return problems


def _section_reference_problems(body: dict[str, Any], fields: dict[str, dict[str, Any]]) -> list[Problem]:
    """A section's condition reads existing fields outside the section (its own are hidden with it)."""
    section_of = section_index(body)
    problems = []
    for number, section in enumerate(sections(body)):
        tree = section_condition(section)
        name = _section_name(section, number + 1)
        for ref in sorted(expr.references(tree)):
            if ref not in fields:
                problems.append(Problem(None, f"{name}的显示条件引用了不存在的字段“{ref}”"))
            elif fields[ref]["type"] == "note":
                problems.append(Problem(None, f"{name}的显示条件引用的“{ref}”是说明文字，没有值"))
            elif section_of.get(ref) == number:
                label = fields[ref].get("label") or ref
                problems.append(Problem(None, f"{name}的显示条件不能引用本分组内的字段“{label}”（{ref}）"))
    return problems


def type_form(body: dict[str, Any]) -> typecheck.Form:
    """Return what the type checker needs to know of a body."""
    return typecheck.Form(
        fields=fields_by_key(body),
        group_of={f["key"]: g["key"] for f, g in walk(body) if g is not None},
        options=lambda field: options_of(body, field),
    )


def _type_problems(body: dict[str, Any], fields: dict[str, dict[str, Any]]) -> list[Problem]:
    """Type-check every expression: each message names the fields it concerns."""
    form = type_form(body)
    problems = []
    for number, section in enumerate(sections(body)):
        tree = section_condition(section)
        if tree is not None:
            name = _section_name(section, number + 1)
            for message in typecheck.check(form, tree, own=None, purpose="condition"):
                problems.append(Problem(None, f"{name}的显示条件：{message}"))
    for key, field in fields.items():
        for name in EXPRESSIONS:
            if not isinstance(field.get(name), str) or not field[name]:
                continue
            purpose = "calculate" if name == "calculate" else "condition"
            for message in typecheck.check(form, expr.parse(field[name]), own=key, purpose=purpose):
                problems.append(Problem(key, f"{PROPERTY_LABELS[name]}：{message}"))
    return problems


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Describe in Chinese what changed from one version's body to the next."""
    before, after = fields_by_key(old), fields_by_key(new)
    changes: list[str] = []
    for key, field in after.items():
        if key not in before:
            kind = TYPES.get(str(field.get("type")), "?")
            changes.append(f"新增字段“{field.get('label')}”（{key}，{kind}）")
    for key, field in before.items():
        if key not in after:
            changes.append(f"删除字段“{field.get('label')}”（{key}）")
    for key in after.keys() & before.keys():
        a, b = before[key], after[key]
        for name, label in PROPERTY_LABELS.items():
            if name == "label" and a.get("label") != b.get("label"):
                changes.append(f"字段 {key} 的标签由“{a.get('label')}”改为“{b.get('label')}”")
            elif name != "label" and a.get(name) != b.get(name):
                changes.append(f"字段“{b.get('label')}”（{key}）的{label}已修改")
    old_titles = [s.get("title") for s in sections(old)]
    new_titles = [s.get("title") for s in sections(new)]
    if old_titles != new_titles:
        changes.append(f"分组由“{'、'.join(map(str, old_titles))}”改为“{'、'.join(map(str, new_titles))}”")
    old_conditions = {s.get("title"): s.get("relevant") or "" for s in sections(old)}
    for part in sections(new):
        title = part.get("title")
        if title in old_conditions and old_conditions[title] != (part.get("relevant") or ""):
            changes.append(f"分组“{title}”的显示条件已修改")
    if [k for k in before if k in after] != [k for k in after if k in before]:
        changes.append("字段顺序已调整")
    if (old.get("choices") or {}) != (new.get("choices") or {}):
        changes.append("选项列表已修改")
    return changes
