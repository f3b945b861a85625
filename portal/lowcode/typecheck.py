"""Type-check a form's expressions before it is published, so a rule that can never match is refused.

The evaluator (`expr.evaluate`) never raises: comparing a yes/no field with the text '是', a number with
a date, or reading a repeat row's field from outside its row simply gives false or null, and the form
would silently never show, require or compute what its author meant. This module gives every
sub-expression a static type from the form's fields and refuses, with a Chinese message that names the
fields (label and key), what cannot work:

- `=`/`!=` between different types (a yes/no field with text, a number with text or a date, a date with
  text that is no `YYYY-MM-DD` date, a multiple choice with a single value), and a choice field compared
  with a value that is none of its options (often its label: `${liability} = '全部责任'`);
- `<`, `<=`, `>`, `>=` on yes/no fields, lists, or two different types;
- arithmetic on anything but numbers (dates take `days(start, end)`);
- a field of a repeat group read outside its rows (at the top level or from another group's row) other
  than through an aggregate: `sum`, `count`, `empty`, `count-if`, `sum-if` or the right side of `in`;
- functions given arguments of the wrong type, `if` whose two results differ in type, and a calculation
  whose result does not fit its field (text into a number field).

Unknown fields, unknown functions and wrong numbers of arguments are refused earlier, by the parser and
`schema.lint`'s reference check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.lowcode import expr

#: A field type's value type.
VALUE_TYPES = {
    "text": "text",
    "textarea": "text",
    "id_number": "text",
    "phone": "text",
    "credit_code": "text",
    "select_one": "text",
    "integer": "number",
    "decimal": "number",
    "money": "number",
    "date": "date",
    "datetime": "date",
    "boolean": "boolean",
    "select_multiple": "list",
    "repeat": "rows",
}
KIND_NAMES = {
    "number": "数字",
    "text": "文本",
    "date": "日期",
    "boolean": "是/否",
    "list": "列表",
    "rows": "重复组",
    "null": "空值",
    "any": "值",
}
#: What a calculated field of each type accepts as the calculation's result.
CALCULATED_KINDS = {
    "integer": {"number"},
    "decimal": {"number"},
    "money": {"number"},
    "date": {"date"},
}
TYPE_NAMES = {"integer": "整数", "decimal": "小数", "money": "金额", "date": "日期"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YES_NO_TEXT = {"是", "否", "有", "无", "yes", "no", "true", "false", "1", "0"}
_OPEN = {"null", "any"}


@dataclass(frozen=True)
class Type:
    """The static type of a sub-expression and what it came from (for messages)."""

    kind: str
    what: str
    key: str | None = None  # the field it reads
    item: Type | None = None  # a list's element type
    column: str | None = None  # the repeat group whose rows it was read from, outside them
    literal: Any = None  # a literal's value
    is_literal: bool = False

    @property
    def iso_date(self) -> bool:
        return self.is_literal and isinstance(self.literal, str) and bool(_ISO_DATE.match(self.literal))


@dataclass(frozen=True)
class Form:
    """What the checker knows of a form: its fields by key, each repeat field's group, select options."""

    fields: Mapping[str, dict[str, Any]]
    group_of: Mapping[str, str]
    options: Callable[[dict[str, Any]], list[dict[str, str]]]

    def name(self, key: str) -> str:
        """Return “标签”（key）, the way messages name a field."""
        return f"“{self.fields[key].get('label') or key}”（{key}）"


def check(form: Form, tree: expr.Tree, *, own: str | None, purpose: str) -> list[str]:
    """Return the Chinese problems of one expression of field `own` (None: a section's condition).

    `purpose` is "condition" (显示条件, 必填, 校验条件) or "calculate".
    """
    checker = _Checker(form, own)
    row = form.group_of.get(own) if own else None
    result = checker.of(tree, row)
    if purpose == "calculate" and own is not None:
        checker.calculated(result, own)
    elif result.kind != "rows":
        checker.scalar(result)
    return checker.problems


class _Checker:
    def __init__(self, form: Form, own: str | None) -> None:
        self.form = form
        self.own = own
        self.problems: list[str] = []

    def bad(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    # --- types of the leaves ---------------------------------------------------------------------------

    def field(self, key: str, row: str | None) -> Type:
        spec = self.form.fields.get(key)
        if spec is None:  # reported by the reference check
            return Type("any", f"“{key}”", key=None)
        kind = VALUE_TYPES.get(spec.get("type", ""), "any")
        label = f"{self.form.name(key)}"
        if kind == "list":
            value = Type("list", label, key=key, item=Type("text", label, key=key))
        else:
            value = Type(kind, label, key=key)
        group = self.form.group_of.get(key)
        if group is not None and group != row:
            return Type("list", label, key=key, item=value, column=group)
        return value

    @staticmethod
    def literal(value: Any) -> Type:
        if value is None:
            return Type("null", "null", is_literal=True)
        if isinstance(value, bool):
            return Type("boolean", "true" if value else "false", literal=value, is_literal=True)
        if isinstance(value, int | float):
            shown = int(value) if isinstance(value, float) and value.is_integer() else value
            return Type("number", f"数字 {shown}", literal=value, is_literal=True)
        return Type("text", f"文本“{value}”", literal=value, is_literal=True)

    # --- the checks shared by operators ------------------------------------------------------------------

    def scalar(self, value: Type) -> Type:
        """Refuse a repeat row's field read outside its row where one value is needed."""
        if value.column is not None and value.key is not None:
            group = self.form.name(value.column)
            self.bad(
                f"{value.what}是重复组{group}中每一行的字段，只能在该组的行内引用；"
                f"在组外请用 sum()、count()、count-if()、sum-if() 汇总各行"
            )
            return Type("any", value.what)
        if value.kind == "rows" and value.key is not None:
            self.bad(
                f"{value.what}是重复组，有多行数据，只能用于 count()、empty()、count-if()，"
                f"或用 sum()、sum-if() 汇总其中的字段"
            )
            return Type("any", value.what)
        return value

    def kind_of(self, value: Type) -> str:
        name = KIND_NAMES[value.kind]
        if value.key is not None:
            spec = self.form.fields.get(value.key) or {}
            if spec.get("type") == "select_multiple":
                return "多选"
        return name

    def desc(self, value: Type) -> str:
        """数字字段“受伤人数”（injured_count）, 文本“是”, 日期（today()）."""
        if value.is_literal:
            return value.what
        if value.key is not None and value.what.startswith("“"):
            return f"{self.kind_of(value)}字段{value.what}"
        return f"{self.kind_of(value)}（{value.what}）"

    def compare(self, operator: str, left: Type, right: Type) -> None:
        left, right = self.scalar(left), self.scalar(right)
        if left.kind in _OPEN or right.kind in _OPEN:
            return
        ordering = operator in {"<", "<=", ">", ">="}
        for one, other in ((left, right), (right, left)):
            if one.kind == "boolean":
                if ordering:
                    self.bad(f"{one.what}是“是/否”字段，不能比较大小")
                    return
                if other.kind != "boolean":
                    hint = ""
                    if one.key and other.is_literal and str(other.literal).strip().lower() in _YES_NO_TEXT:
                        truth = str(other.literal).strip().lower() in {"是", "有", "yes", "true", "1"}
                        hint = f"；请写成 ${{{one.key}}} = {'true' if truth else 'false'}"
                    against = self.desc(other)
                    self.bad(f"{one.what}是“是/否”字段，只能与 true 或 false 比较，不能与{against}比较{hint}")
                    return
            if one.kind == "list" and other.kind != "list":
                hint = ""
                if one.key and other.is_literal and other.kind == "text":
                    hint = f"；判断是否选中某项请写 selected(${{{one.key}}}, '{other.literal}')"
                self.bad(f"{one.what}是多选（一组值），不能与{self.desc(other)}直接比较{hint}")
                return
            if one.kind == "list" and ordering:
                self.bad(f"{one.what}是多选（一组值），不能比较大小")
                return
            if one.kind == "date" and other.kind != "date":
                if other.kind == "text" and other.iso_date:
                    return
                if other.kind == "text" and other.is_literal:
                    self.bad(f"{one.what}是日期，与之比较的{other.what}不是 YYYY-MM-DD 形式的日期")
                elif other.kind == "number":
                    days = "相差天数请用 days(开始日期, 结束日期)"
                    self.bad(f"不能把{self.desc(one)}与{self.desc(other)}比较；{days}")
                else:
                    self.bad(f"不能把{self.desc(one)}与{self.desc(other)}比较")
                return
        if left.kind != right.kind:
            self.bad(f"不能把{self.desc(left)}与{self.desc(right)}比较")
            return
        if not ordering:
            self.options(left, right)
            self.options(right, left)

    def options(self, field: Type, value: Type) -> None:
        """A choice field compared with a literal that is none of its option values (often its label)."""
        if field.key is None or not value.is_literal or not isinstance(value.literal, str):
            return
        spec = self.form.fields.get(field.key) or {}
        if spec.get("type") not in {"select_one", "select_multiple"}:
            return
        options = self.form.options(spec)
        if not options or value.literal in {o["value"] for o in options}:
            return
        by_label = [o["value"] for o in options if o["label"] == value.literal]
        if by_label:
            hint = f"；“{value.literal}”是选项的名称，条件中请写它的值 '{by_label[0]}'"
        else:
            values = "、".join(f"{o['value']}（{o['label']}）" for o in options[:8])
            hint = f"；可选的值：{values}{'等' if len(options) > 8 else ''}"
        self.bad(f"{field.what}没有值为“{value.literal}”的选项{hint}")

    def number(self, value: Type, where: str) -> bool:
        """Refuse what is no number; return whether it is one (or may be)."""
        value = self.scalar(value)
        if value.kind in _OPEN or value.kind == "number":
            return True
        if value.kind == "date":
            self.bad(f"{where}不能用于{self.desc(value)}；相差天数请用 days(开始日期, 结束日期)")
        else:
            self.bad(f"{where}只能用于数字，不能用于{self.desc(value)}")
        return False

    def date(self, value: Type, where: str) -> None:
        value = self.scalar(value)
        if value.kind in _OPEN or value.kind == "date" or value.iso_date:
            return
        self.bad(f"{where}需要日期，不能用于{self.desc(value)}")

    def calculated(self, result: Type, own: str) -> None:
        spec = self.form.fields[own]
        if result.kind != "rows":
            result = self.scalar(result)
        wanted = CALCULATED_KINDS.get(spec.get("type", ""))
        if result.kind == "rows" or (
            wanted and result.kind not in wanted | _OPEN and not (result.iso_date and "date" in wanted)
        ):
            kind = TYPE_NAMES.get(spec.get("type", ""), "")
            self.bad(f"计算结果是{KIND_NAMES[result.kind]}，不能填入{kind}字段{self.form.name(own)}")

    # --- the walk --------------------------------------------------------------------------------------

    def of(self, tree: expr.Tree, row: str | None) -> Type:
        if not isinstance(tree, dict):
            return self.literal(tree)
        (operator, arguments), *_ = tree.items()
        if operator == "var":
            return self.field(arguments[0], row)
        if operator == ".":
            if self.own is None:
                return Type("any", "本字段的值")
            found = self.field(self.own, row)
            return Type(found.kind, "本字段的值", key=found.key, item=found.item, column=found.column)
        if operator in expr.ROW_FUNCTIONS:
            return self.over_rows(operator, arguments, row)
        if operator == "if":
            condition, first, second = (self.of(a, row) for a in arguments)
            if condition.kind != "rows":
                self.scalar(condition)
            return self.join(self.scalar(first), self.scalar(second))
        if operator == "in":
            needle = self.of(arguments[0], row)
            haystack = arguments[1]
            if isinstance(haystack, dict) and "list" in haystack:
                for item in haystack["list"]:
                    self.compare("==", needle, self.of(item, row))
            else:
                found = self.of(haystack, row)
                self.compare("==", needle, found.item if found.kind == "list" and found.item else found)
            return Type("boolean", "比较的结果")
        if operator == "list":
            items = [self.scalar(self.of(a, row)) for a in arguments]
            return Type("list", "列表", item=items[0] if items else None)
        values = [self.of(a, row) for a in arguments]
        return self.apply(operator, values)

    def apply(self, operator: str, values: list[Type]) -> Type:
        if operator in {"==", "!=", "<", "<=", ">", ">="}:
            self.compare(operator, *values)
            return Type("boolean", "比较的结果")
        if operator in {"and", "or", "!"}:
            for value in values:
                if value.kind != "rows":
                    self.scalar(value)
            return Type("boolean", "条件的结果")
        if operator in {"+", "-", "*", "/", "neg"}:
            numbers = [self.number(value, "加减乘除") for value in values]
            return Type("number" if all(numbers) else "any", "算式的结果")
        if operator == "empty":
            return Type("boolean", "empty() 的结果")
        if operator == "count":
            return Type("number", "count() 的结果")
        if operator == "sum":
            self.summable(values[0])
            return Type("number", "sum() 的结果")
        if operator == "selected":
            self.selected(*values)
            return Type("boolean", "selected() 的结果")
        if operator == "length":
            value = self.scalar(values[0])
            if value.kind not in _OPEN | {"text", "list"}:
                self.bad(f"length() 计算文本的字数，不能用于{self.desc(value)}")
            return Type("number", "length() 的结果")
        if operator == "today":
            return Type("date", "today()")
        if operator == "days":
            for value in values:
                self.date(value, "days() ")
            return Type("number", "days() 的结果")
        if operator in {"min", "max", "round"}:
            for value in values:
                self.number(value, f"{operator}() ")
            return Type("number", f"{operator}() 的结果")
        return Type("any", operator)

    def summable(self, value: Type, function: str = "sum") -> None:
        if value.kind == "rows":
            self.bad(
                f"{function}() 需要数字字段，{value.what}是重复组；请写组中的字段，如 sum(${{字段标识}})，"
                "行数请用 count()"
            )
            return
        item = value.item if value.kind == "list" and value.item is not None else value
        if item.kind not in _OPEN | {"number"}:
            self.bad(f"{function}() 只能加总数字，不能用于{self.desc(item)}")

    def selected(self, field: Type, option: Type) -> None:
        field = self.scalar(field)
        spec = self.form.fields.get(field.key or "") or {}
        if field.kind not in _OPEN and spec.get("type") not in {"select_one", "select_multiple"}:
            self.bad(f"selected() 的第一个参数应是单选或多选字段，{field.what}不是")
            return
        option = self.scalar(option)
        if option.kind not in _OPEN | {"text"}:
            self.bad(f"selected() 的第二个参数应是选项的值（文本），不能是{self.desc(option)}")
            return
        self.options(field, option)

    def join(self, first: Type, second: Type) -> Type:
        if first.kind in _OPEN:
            return second
        if second.kind in _OPEN or first.kind == second.kind:
            return Type(first.kind, "if() 的结果", item=first.item)
        for one, other in ((first, second), (second, first)):
            if one.kind == "date" and other.iso_date:
                return Type("date", "if() 的结果")
        self.bad(f"if() 的两个结果类型不同：{self.desc(first)}，{self.desc(second)}")
        return Type("any", "if() 的结果")

    def over_rows(self, operator: str, arguments: list[expr.Tree], row: str | None) -> Type:
        target, condition = arguments
        key = target["var"][0] if isinstance(target, dict) and "var" in target else None
        spec = self.form.fields.get(key or "")
        group = None
        if spec is not None and key is not None:
            group = key if spec.get("type") == "repeat" else self.form.group_of.get(key)
        example = (
            "count-if(${重复组}, ${组内字段} = '值')"
            if operator == "count-if"
            else ("sum-if(${组内数字字段}, ${组内字段} = '值')")
        )
        if group is None or (operator == "sum-if" and key == group):
            wanted = "重复组或其中的字段" if operator == "count-if" else "重复组中的数字字段"
            self.bad(f"{operator}() 的第一个参数应是{wanted}，如 {example}")
            self.of(condition, row)
            return Type("number", f"{operator}() 的结果")
        if operator == "sum-if" and key is not None:
            self.summable(self.field(key, group), "sum-if")
        result = self.of(condition, group)
        if result.kind != "rows":
            self.scalar(result)
        return Type("number", f"{operator}() 的结果")
