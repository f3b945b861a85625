"""Conditions on answers for the ledger's filter 附加信息条件: `受伤人数 >= 3 and 是否有人受伤 = 是`.

A condition names a field by its key (`injured_count`, `${injured_count}`) or by its label as people
see it (`受伤人数`), then an operator and a value. Which operators a field takes follows from its type
(OPERATORS): numbers and dates compare with < and >, a yes/no field only with = and != (是/否,
true/false), a choice with = or `in (…)` (by the option's value or its label), a multiple choice with
= meaning "this option is ticked", personal numbers only by 已填写/为空. Anything else, an unknown field,
or a value of the wrong kind is a `ConditionError` with a Chinese message naming the field.

Pure: the fields come from the published form bodies handed to `Catalogue`; `portal.admin.ledger.answers`
turns the parsed `Condition`s into SQL.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from portal.lowcode import schema
from portal.lowcode.values import FALSE_TEXT, NUMBER_LIMIT, TRUE_TEXT
from portal.text import strip_control

# The families of field types, by how their answers are stored and compared.
FAMILIES = {
    "text": "text",
    "textarea": "text",
    "integer": "number",
    "decimal": "number",
    "money": "number",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "select_one": "choice",
    "select_multiple": "choices",
    "id_number": "personal",
    "phone": "personal",
    "credit_code": "personal",
    "repeat": "rows",
    "file": "rows",
    "note": "note",
    # A choice from a register (`choices_from`): stored as {"id", "label"}, compared by label or id.
    "reference": "ref",
}
#: Names of the pseudo-kinds the catalogue gives fields (besides schema.TYPES).
KIND_NAMES = {"reference": "数据选项"}
PRESENCE = frozenset({"empty", "filled"})
ORDERED = frozenset({"=", "!=", "<", "<=", ">", ">="})
OPERATORS: dict[str, frozenset[str]] = {
    "text": frozenset({"=", "!=", "in", "contains"}) | PRESENCE,
    "number": ORDERED | PRESENCE,
    "date": ORDERED | PRESENCE,
    "datetime": ORDERED | PRESENCE,
    "boolean": frozenset({"=", "!="}) | PRESENCE,
    "choice": frozenset({"=", "!=", "in"}) | PRESENCE,
    "choices": frozenset({"=", "!="}) | PRESENCE,
    "personal": PRESENCE,
    "rows": PRESENCE,
    "ref": frozenset({"=", "!=", "contains"}) | PRESENCE,
    "note": frozenset(),
}
# How each operator is written in messages, in this order.
OPERATOR_TEXT = {
    "=": "=",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "in": "in (…)",
    "contains": "包含",
    "filled": "已填写",
    "empty": "为空",
}
MAX_CONDITIONS = 10
MAX_VALUE = 200
EXAMPLE = "如 受伤人数 >= 3，或 是否有人受伤 = 是；多个条件用 and 连接"

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_AND = re.compile(r"\s+and\s+|\s*(?:并且|而且|;|；)\s*", re.IGNORECASE)
_WIDE = str.maketrans({"＝": "=", "＞": ">", "＜": "<", "！": "!", "　": " "})
_SYMBOLS = {"==": "=", "<>": "!=", "≠": "!=", "≥": ">=", "≤": "<="}
_PRESENCE_WORDS = {
    "为空": "empty",
    "未填写": "empty",
    "不为空": "filled",
    "非空": "filled",
    "已填写": "filled",
}
_TERMS = (
    ("presence", re.compile(r"^(?P<s>.+?)\s+is\s+(?P<not>not\s+)?empty$", re.IGNORECASE)),
    ("presence_word", re.compile(r"^(?P<s>.+?)\s*(?P<w>不为空|为空|未填写|已填写|非空)$")),
    ("empty_call", re.compile(r"^(?P<not>not\s+)?empty\s*\(\s*(?P<s>.+?)\s*\)$", re.IGNORECASE)),
    ("selected", re.compile(r"^selected\s*\(\s*(?P<s>.+?)\s*[,，]\s*(?P<v>.+?)\s*\)$", re.IGNORECASE)),
    ("in", re.compile(r"^(?P<s>.+?)\s+in\s*[(（](?P<v>.*)[)）]$", re.IGNORECASE)),
    ("contains", re.compile(r"^(?P<s>.+?)(?:\s+contains\s+|\s*包含\s*)(?P<v>.+)$", re.IGNORECASE)),
    ("compare", re.compile(r"^(?P<s>.+?)\s*(?P<op>>=|<=|!=|<>|==|=|<|>|≥|≤|≠)\s*(?P<v>.+)$")),
)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME = re.compile(r"^(.+?)[T\s]+(\d{1,2}):(\d{2})$")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


class ConditionError(ValueError):
    """A condition that cannot be applied; the message is Chinese and shown to the user."""


@dataclass(frozen=True)
class Day:
    """A date compared with a date-time answer: the whole day, from `start` up to `end` (the next day)."""

    start: str
    end: str


@dataclass
class FieldInfo:
    """One answer key over every published version: its type, labels and options."""

    key: str
    kind: str
    labels: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)  # value -> label
    all_options: list[tuple[str, str]] = field(default_factory=list)  # every (value, label) of every form
    group: str | None = None  # the label of the repeat group holding it

    @property
    def family(self) -> str:
        return FAMILIES.get(self.kind, "note")

    @property
    def label(self) -> str:
        return self.labels[-1] if self.labels else self.key


@dataclass(frozen=True)
class Condition:
    """One parsed condition: the answer keys it reads (one, or several sharing a label), how, with what."""

    keys: tuple[str, ...]
    family: str
    operator: str
    value: Any  # float | bool | str | Day | tuple[str, ...] (for `in`, `not in`) | None (for presence)


class Catalogue:
    """The answer fields of the published form bodies, by key and by label."""

    def __init__(self, bodies: Iterable[dict[str, Any]]) -> None:
        self.fields: dict[str, FieldInfo] = {}
        self.by_label: dict[str, list[str]] = {}
        for body in bodies:
            for spec, group in schema.walk(body):
                key, kind = spec.get("key"), spec.get("type")
                if not isinstance(key, str) or not isinstance(kind, str):
                    continue
                if kind == "select_one" and spec.get("choices_from"):
                    kind = "reference"
                info = self.fields.setdefault(key, FieldInfo(key, kind))
                if info.kind != kind and FAMILIES.get(info.kind) != FAMILIES.get(kind):
                    info.kind = "note"  # a key with two kinds of answer cannot be compared sensibly
                if group is not None:
                    info.group = str(group.get("label") or group.get("key"))
                label = str(spec.get("label") or "").strip()
                if label and label not in info.labels:
                    info.labels.append(label)
                    self.by_label.setdefault(label, []).append(key)
                for option in schema.options_of(body, spec) if kind in schema.SELECTS else []:
                    info.options.setdefault(option["value"], option["label"])
                    if (option["value"], option["label"]) not in info.all_options:
                        info.all_options.append((option["value"], option["label"]))

    def resolve(self, name: str) -> list[FieldInfo]:
        """Return the field(s) a key or label names, or raise ConditionError."""
        name = name.strip()
        if name.startswith("${") and name.endswith("}"):
            name = name[2:-1].strip()
        if name in self.fields:
            return [self.fields[name]]
        keys = self.by_label.get(name) or self.by_label.get(re.sub(r"\s+", "", name))
        if keys:
            return [self.fields[k] for k in dict.fromkeys(keys)]
        if name.lower() in self.fields:
            return [self.fields[name.lower()]]
        if not name:
            raise ConditionError(f"条件缺少字段名，{EXAMPLE}")
        close = difflib.get_close_matches(name, [*self.by_label, *self.fields], n=1, cutoff=0.5)
        hint = f"，是否指“{close[0]}”？" if close else "，请检查字段名称或标识"
        raise ConditionError(f"附加信息中没有字段“{name[:40]}”{hint}")


def parse(text: str, catalogue: Catalogue) -> list[Condition]:
    """Return the conditions of `text` (joined by and / 并且 / ；), or raise ConditionError."""
    text = strip_control(str(text), multiline=False).translate(_WIDE).strip()
    if not text:
        raise ConditionError(f"请填写条件，{EXAMPLE}")
    quoted: list[str] = []

    def hide(match: re.Match[str]) -> str:
        quoted.append(match.group(0)[1:-1])
        return f"\x00{len(quoted) - 1}\x00"

    masked = _QUOTED.sub(hide, text)
    terms = [t.strip() for t in _AND.split(masked) if t.strip()]
    if len(terms) > MAX_CONDITIONS:
        raise ConditionError(f"条件最多 {MAX_CONDITIONS} 个")
    return [_condition(term, quoted, catalogue) for term in terms]


def _unmask(text: str, quoted: list[str]) -> tuple[str, bool]:
    """Return the text with its quoted parts restored, and whether it was one quoted literal."""
    whole = _PLACEHOLDER.fullmatch(text.strip())
    restored = _PLACEHOLDER.sub(lambda m: quoted[int(m.group(1))], text).strip()
    return restored, whole is not None


def _condition(term: str, quoted: list[str], catalogue: Catalogue) -> Condition:
    unknown: ConditionError | None = None
    for shape, pattern in _TERMS:
        match = pattern.match(term)
        if match is None:
            continue
        try:  # a label may hold a word such as 包含: the shape whose subject is a field wins
            fields = catalogue.resolve(_unmask(match.group("s"), quoted)[0])
        except ConditionError as error:
            unknown = unknown or error
            continue
        if shape in {"presence", "empty_call"}:
            operator, raw = ("filled" if match.group("not") else "empty"), None
        elif shape == "presence_word":
            operator, raw = _PRESENCE_WORDS[match.group("w")], None
        elif shape in {"selected", "contains", "in"}:
            operator, raw = {"selected": "=", "contains": "contains", "in": "in"}[shape], match.group("v")
        else:
            operator, raw = _SYMBOLS.get(match.group("op"), match.group("op")), match.group("v")
        return _typed(fields, operator, raw, quoted)
    if unknown is not None:
        raise unknown
    shown = _unmask(term, quoted)[0][:40]
    raise ConditionError(f"看不懂条件“{shown}”：请写成“字段 运算 值”，{EXAMPLE}")


def _typed(fields: list[FieldInfo], operator: str, raw: str | None, quoted: list[str]) -> Condition:
    first = fields[0]
    if len({f.family for f in fields}) > 1:
        names = "、".join(f.key for f in fields)
        raise ConditionError(f"“{first.label}”对应多个类型不同的字段（{names}），请改用字段标识")
    if first.group:
        raise ConditionError(f"“{first.label}”是重复组“{first.group}”里的字段，不能单独筛选")
    allowed = OPERATORS[first.family]
    if operator not in allowed:
        raise ConditionError(_operator_message(first, allowed))
    keys = tuple(f.key for f in fields)
    if operator in PRESENCE:
        return Condition(keys, first.family, operator, None)
    assert raw is not None
    if operator == "in":
        items = [i for i in re.split(r"\s*[,，]\s*", raw.strip()) if i]
        if not items:
            raise ConditionError(f"“{first.label}”的 in (…) 中没有值")
        found = [_value(fields, *_unmask(item, quoted)) for item in items]
        values = tuple(dict.fromkeys(v for one in found for v in (one if isinstance(one, tuple) else (one,))))
        return Condition(keys, first.family, operator, values)
    value = _value(fields, *_unmask(raw, quoted))
    if isinstance(value, tuple):  # a label several forms give to different codes: any of them
        return Condition(keys, first.family, "in" if operator == "=" else "not in", value)
    return Condition(keys, first.family, operator, value)


def _operator_message(info: FieldInfo, allowed: frozenset[str]) -> str:
    kind = schema.TYPES.get(info.kind) or KIND_NAMES.get(info.kind, info.kind)
    if info.family == "personal":
        return f"“{info.label}”是个人证件或联系方式，只能按“已填写/未填写”筛选"
    if not allowed:
        return f"“{info.label}”是{kind}，不能作为筛选条件"
    ops = "、".join(text for op, text in OPERATOR_TEXT.items() if op in allowed)
    return f"“{info.label}”是“{kind}”字段，只能用 {ops} 筛选"


def _value(fields: list[FieldInfo], text: str, quoted: bool) -> Any:
    """Return the literal as the answers store it (number, boolean, ISO date, option value, text)."""
    info = fields[0]
    if len(text) > MAX_VALUE:
        raise ConditionError(f"“{info.label}”的比较值过长")
    family = info.family
    if family == "number":
        number = text.replace(",", "").replace("，", "")
        if not _NUMBER.match(number) or abs(Decimal(number)) > NUMBER_LIMIT:
            raise ConditionError(f"“{info.label}”是数字，请与数字比较，如 {info.label} >= 3")
        return float(Decimal(number))
    if family == "boolean":
        word = text.lower()
        if word in TRUE_TEXT or word in FALSE_TEXT:
            return word in TRUE_TEXT
        raise ConditionError(f"“{info.label}”是“是/否”字段，请与 是 或 否 比较，如 {info.label} = 是")
    if family in {"date", "datetime"}:
        return _when(info, text)
    if family in {"choice", "choices"}:
        options: dict[str, str] = {}
        for f in fields:
            options.update(f.options)
        if text in options:
            return text
        codes = _codes_by_label(fields, text)
        if codes:
            return codes[0] if len(codes) == 1 else tuple(codes)
        by_label = {label: value for value, label in options.items()}
        listed = "、".join(list(by_label)[:12])
        raise ConditionError(f"“{info.label}”没有选项“{text[:20]}”，可选：{listed}")
    return text


def _codes_by_label(fields: list[FieldInfo], text: str) -> list[str]:
    """Return every option code the fields' forms label `text` (ignoring spaces), in order."""
    wanted = re.sub(r"\s+", "", text)
    codes: list[str] = []
    for info in fields:
        for value, label in info.all_options:
            if re.sub(r"\s+", "", label) == wanted and value not in codes:
                codes.append(value)
    return codes


def _when(info: FieldInfo, text: str) -> str | Day:
    """Return an ISO date (a Day for a date-time field) or an ISO date-time to the minute."""
    moment = _DATETIME.match(text)
    found = _DATE.match((moment.group(1) if moment else text).strip())
    try:
        day = date(*(int(g) for g in found.groups())) if found else None
        at = (
            datetime(day.year, day.month, day.day, int(moment[2]), int(moment[3])) if day and moment else None
        )
    except ValueError:
        day = at = None
    if day is None or (moment is not None and (at is None or info.family == "date")):
        raise ConditionError(f"“{info.label}”是日期，请写成 2026-03-01 这样的日期")
    if at is not None:
        return at.strftime("%Y-%m-%dT%H:%M")
    if info.family == "datetime":
        if day == date.max:  # the day after it does not exist
            raise ConditionError(f"“{info.label}”的日期超出范围")
        return Day(day.isoformat(), (day + timedelta(days=1)).isoformat())
    return day.isoformat()
