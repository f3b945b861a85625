"""The form engine's expression language: parse text to a JSON tree, evaluate the tree.

Administrators write conditions the way ODK XLSForm users do::

    ${injured} = 'yes' and ${injured_count} >= 3
    not empty(${report_number})
    . <= ${total_amount}                      (in a constraint, `.` is the field's own value)
    ${liability} in ('full', 'main')
    sum(${compensation}) + ${other_costs}
    if(${deaths} > 0, 'major', 'general')
    count-if(${injured_persons}, ${injury_level} = 'serious')
    sum-if(${medical_cost}, ${injury_level} in ('serious', 'disabled'))
    length(${plate_no}) = 7 and days(${accident_time}, today()) <= 30

The text is parsed once, here, into a small JSON tree shaped like JSON Logic (``{"op": [args]}``).
Nothing is ever passed to `eval`: the tree only holds literals, field references and the operators
below. The same tree is sent to the browser, where `static/lowcode/engine.js` evaluates it with the
same rules, so the page shows and hides fields exactly as the server, which decides, will.

Evaluation rules (mirrored in JavaScript, and tested against it):
- a missing or hidden field is null; arithmetic with null, division by zero and non-finite results are null;
- `=`/`!=` compare numbers numerically and everything else by type and value;
- `<`, `<=`, `>`, `>=` compare two numbers or two strings (ISO dates compare correctly, a date-time with a
  date by its date), otherwise false;
- `and`/`or`/`not` give booleans; null, false, 0, '' and empty lists are false;
- `in` tests membership in a list literal or a multi-select value (a single value: equality);
- `if(c, a, b)` is `a` when `c` is true, else `b` (only that branch is evaluated);
- `count-if(${group}, cond)` counts the rows of a repeat group where `cond` holds, and
  `sum-if(${field}, cond)` adds a repeat field's numbers over those rows; `cond` is evaluated inside each
  row, so it sees the row's own fields as single values (the context's `groups` names each repeat
  field's group). `count_if`/`sum_if` are the same functions.

Whether an expression makes sense for the form (types, scope of repeat rows) is checked before a form
is published, by `portal/lowcode/typecheck.py`; evaluation itself never raises for any data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MAX_LENGTH = 1000
MAX_DEPTH = 32
MAX_DIGITS = 15  # beyond this a float cannot hold the number exactly, in Python or in JavaScript
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "empty": (1, 1),
    "count": (1, 1),
    "sum": (1, 1),
    "selected": (2, 2),
    "length": (1, 1),
    "today": (0, 0),
    "days": (2, 2),
    "min": (2, 2),
    "max": (2, 2),
    "round": (1, 2),
    "if": (3, 3),
    "count-if": (2, 2),
    "sum-if": (2, 2),
}
#: Other spellings of function names, as authors may type them.
ALIASES = {"count_if": "count-if", "sum_if": "sum-if", "countif": "count-if", "sumif": "sum-if"}
#: Functions whose second argument is evaluated inside each row of the first argument's repeat group.
ROW_FUNCTIONS = {"count-if", "sum-if"}
COMPARISONS = {"=": "==", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
OPERATORS = {"==", "!=", "<", "<=", ">", ">=", "in", "and", "or", "!", "+", "-", "*", "/", "neg", "var", "."}
OPERATORS |= set(FUNCTIONS) | {"list"}

Tree = Any  # a literal (None, bool, int, float, str) or a one-key dict {operator: [arguments]}


class ExprError(ValueError):
    """A malformed expression, with a Chinese message saying where."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message if position is None else f"{message}（第 {position + 1} 个字符处）")


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<ref>\$\{(?P<key>[^}]*)\})
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<op><=|>=|!=|==|=|<|>|\+|-|\*|/|\(|\)|,|\.)
    |(?P<word>(?:count|sum)-if\b|[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ref, number, string, op, word, end
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; raise ExprError on anything the language does not know."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"表达式过长（最多 {MAX_LENGTH} 个字符）")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExprError(f"无法识别的字符“{text[position]}”", position)
        kind = match.lastgroup or ""
        if kind == "key":  # the named group inside `ref`
            kind = "ref"
        if kind != "space":
            value = match.group("key") if kind == "ref" else match.group(0)
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """A recursive-descent parser with a depth limit, producing the JSON tree."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.token
        if token.kind == kind and (text is None or token.text == text):
            return self.advance()
        return None

    def expect(self, kind: str, text: str, message: str) -> Token:
        token = self.accept(kind, text)
        if token is None:
            raise ExprError(message, self.token.position)
        return token

    def nested(self, parse: Callable[[], Tree]) -> Tree:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"表达式嵌套过深（最多 {MAX_DEPTH} 层）", self.token.position)
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> Tree:
        if self.token.kind == "end":
            raise ExprError("表达式为空")
        tree = self.expression()
        if self.token.kind != "end":
            raise ExprError(f"多余的内容“{self.token.text}”", self.token.position)
        return tree

    def expression(self) -> Tree:
        return self.nested(self.disjunction)

    def disjunction(self) -> Tree:
        terms = [self.conjunction()]
        while self.accept("word", "or"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else {"or": terms}

    def conjunction(self) -> Tree:
        terms = [self.negation()]
        while self.accept("word", "and"):
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else {"and": terms}

    def negation(self) -> Tree:
        if self.accept("word", "not"):
            return {"!": [self.nested(self.negation)]}
        return self.comparison()

    def comparison(self) -> Tree:
        left = self.additive()
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return {COMPARISONS[token.text]: [left, self.additive()]}
        if token.kind == "word" and token.text == "in":
            self.advance()
            return {"in": [left, self.additive()]}
        if token.kind == "word" and token.text == "not" and self.tokens[self.index + 1].text == "in":
            self.index += 2
            return {"!": [{"in": [left, self.additive()]}]}
        return left

    def additive(self) -> Tree:
        left = self.multiplicative()
        while self.token.kind == "op" and self.token.text in "+-":
            operator = self.advance().text
            left = {operator: [left, self.multiplicative()]}
        return left

    def multiplicative(self) -> Tree:
        left = self.unary()
        while self.token.kind == "op" and self.token.text in "*/":
            operator = self.advance().text
            left = {operator: [left, self.unary()]}
        return left

    def unary(self) -> Tree:
        if self.accept("op", "-"):
            operand = self.nested(self.unary)
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            return {"neg": [operand]}
        return self.primary()

    def primary(self) -> Tree:
        token = self.advance()
        if token.kind == "number":
            return _number(token)
        if token.kind == "string":
            return _string(token)
        if token.kind == "ref":
            if not KEY_RE.match(token.text):
                raise ExprError(f"字段引用“${{{token.text}}}”不是有效的字段标识", token.position)
            return {"var": [token.text]}
        if token.kind == "op" and token.text == ".":
            return {".": []}
        if token.kind == "op" and token.text == "(":
            items = [self.expression()]
            while self.accept("op", ","):
                items.append(self.expression())
            self.expect("op", ")", "缺少右括号“)”")
            return items[0] if len(items) == 1 else {"list": items}
        if token.kind == "word":
            return self.word(token)
        if token.kind == "end":
            raise ExprError("表达式不完整", token.position)
        raise ExprError(f"此处不应出现“{token.text}”", token.position)

    def word(self, token: Token) -> Tree:
        name = ALIASES.get(token.text, token.text)
        if name in {"true", "false"}:
            return name == "true"
        if name == "null":
            return None
        if name not in FUNCTIONS:
            raise ExprError(f"未知的函数或名称“{name}”（字段请写成 ${{字段标识}}）", token.position)
        self.expect("op", "(", f"函数 {name} 后缺少“(”")
        arguments: list[Tree] = []
        if not self.accept("op", ")"):
            arguments.append(self.expression())
            while self.accept("op", ","):
                arguments.append(self.expression())
            self.expect("op", ")", f"函数 {name} 缺少右括号“)”")
        low, high = FUNCTIONS[name]
        if not low <= len(arguments) <= high:
            wanted = str(low) if low == high else f"{low}–{high}"
            raise ExprError(f"函数 {name} 需要 {wanted} 个参数，写了 {len(arguments)} 个", token.position)
        return {name: arguments}


def _number(token: Token) -> int | float:
    digits = token.text.replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise ExprError(f"数字“{token.text[:20]}”过大或过长（最多 {MAX_DIGITS} 位有效数字）", token.position)
    return float(token.text) if "." in token.text else int(token.text)


_ESCAPES = re.compile(r"\\(.)")


def _string(token: Token) -> str:
    return _ESCAPES.sub(r"\1", token.text[1:-1])


def parse(text: str) -> Tree:
    """Parse an expression into its JSON tree, or raise ExprError with a Chinese message."""
    if not isinstance(text, str):
        raise ExprError("表达式必须是文本")
    return _Parser(text).parse()


def references(tree: Tree) -> set[str]:
    """Return the field keys the tree refers to."""
    if isinstance(tree, dict):
        (operator, arguments), *_ = tree.items()
        if operator == "var":
            return {arguments[0]}
        found: set[str] = set()
        for argument in arguments:
            found |= references(argument)
        return found
    return set()


def uses_self(tree: Tree) -> bool:
    """Return whether the tree mentions `.`, the field's own value."""
    if isinstance(tree, dict):
        (operator, arguments), *_ = tree.items()
        return operator == "." or any(uses_self(a) for a in arguments)
    return False


# --- evaluation ------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _num(value: Any) -> float | None:
    if not _is_number(value):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def truthy(value: Any) -> bool:
    """Return the truth of a value: null, false, 0, '' and [] are false."""
    if value is None or value is False or value == "" or value == []:
        return False
    if _is_number(value):
        return _num(value) not in (None, 0.0)
    return True


def equal(left: Any, right: Any) -> bool:
    """Compare numbers numerically and everything else by type and value."""
    if _is_number(left) and _is_number(right):
        return _num(left) == _num(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if type(left) is not type(right):
        return False
    return bool(left == right)


def _order(operator: str, left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        a, b = _num(left), _num(right)
        if a is None or b is None:
            return False
    elif isinstance(left, str) and isinstance(right, str):
        a, b = _comparable(left, right)  # type: ignore[assignment]
    else:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]  # type: ignore[operator]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _comparable(left: str, right: str) -> tuple[str, str]:
    """Compare a date with a date-time by their dates: "2026-11-24T08:00" is not after today()."""
    if len(left) != len(right) and _ISO_DATE.match(left) and _ISO_DATE.match(right):
        return left[:10], right[:10]
    return left, right


def _arithmetic(operator: str, left: Any, right: Any) -> float | None:
    a, b = _num(left), _num(right)
    if a is None or b is None:
        return None
    if operator == "+":
        return _finite(a + b)
    if operator == "-":
        return _finite(a - b)
    if operator == "*":
        return _finite(a * b)
    return None if b == 0 else _finite(a / b)


def _days(start: Any, end: Any) -> float | None:
    try:
        return float((date.fromisoformat(str(end)[:10]) - date.fromisoformat(str(start)[:10])).days)
    except ValueError:
        return None


def _round(value: Any, places: Any = 0) -> float | None:
    number, digits = _num(value), _num(places)
    if number is None or digits is None or not 0 <= digits <= 6 or digits != int(digits):
        return None
    # Round half away from zero, as JavaScript's engine.js does for positive and negative numbers alike.
    factor = 10 ** int(digits)
    return _finite(math.copysign(math.floor(abs(number) * factor + 0.5), number) / factor)


@dataclass
class Context:
    """What an expression sees: field values, the field's own value and today's date (ISO).

    `groups` maps each field of a repeat group to its group's key, for `sum-if` (`count-if` over a
    field counts the rows of its group too). The group's own value is its list of row objects.
    """

    values: Mapping[str, Any]
    current: Any = None
    today: str = ""
    groups: Mapping[str, str] = field(default_factory=dict)


def evaluate(tree: Tree, context: Context) -> Any:
    """Evaluate a parsed tree; never raises for any data, only returns null where a value is undefined."""
    if not isinstance(tree, dict):
        return tree
    (operator, arguments), *_ = tree.items()
    if operator == "var":
        return context.values.get(arguments[0])
    if operator == ".":
        return context.current
    if operator == "and":
        return all(truthy(evaluate(a, context)) for a in arguments)
    if operator == "or":
        return any(truthy(evaluate(a, context)) for a in arguments)
    if operator == "!":
        return not truthy(evaluate(arguments[0], context))
    if operator == "today":
        return context.today
    if operator == "if":
        chosen = arguments[1] if truthy(evaluate(arguments[0], context)) else arguments[2]
        return evaluate(chosen, context)
    if operator in ROW_FUNCTIONS:
        return _over_rows(operator, arguments, context)
    values = [evaluate(a, context) for a in arguments]
    return _apply(operator, values)


def _over_rows(operator: str, arguments: list[Tree], context: Context) -> float | None:
    """`count-if(${group or field}, cond)` and `sum-if(${field}, cond)`: cond is evaluated in each row."""
    target, condition = arguments
    if not isinstance(target, dict) or "var" not in target:
        return 0.0 if operator == "count-if" else None
    key = target["var"][0]
    rows = context.values.get(context.groups.get(key, key))
    total, counted = 0.0, 0.0
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, Mapping):
            continue
        inside = Context({**context.values, **row}, context.current, context.today, context.groups)
        if not truthy(evaluate(condition, inside)):
            continue
        counted += 1
        number = _num(row.get(key))
        if number is not None:
            total += number
    return counted if operator == "count-if" else _finite(total)


def _apply(operator: str, values: list[Any]) -> Any:
    if operator == "list":
        return values
    if operator == "==":
        return equal(*values)
    if operator == "!=":
        return not equal(*values)
    if operator in {"<", "<=", ">", ">="}:
        return _order(operator, *values)
    if operator in {"+", "-", "*", "/"}:
        return _arithmetic(operator, *values)
    if operator == "neg":
        number = _num(values[0])
        return None if number is None else -number
    if operator == "in":
        needle, haystack = values
        if isinstance(haystack, list):
            return any(equal(needle, item) for item in haystack)
        return haystack is not None and equal(needle, haystack)
    if operator == "empty":
        return values[0] is None or values[0] == "" or values[0] == []
    if operator == "count":
        value = values[0]
        return (
            float(len(value)) if isinstance(value, list) else (0.0 if value is None or value == "" else 1.0)
        )
    if operator == "sum":
        value = values[0] if isinstance(values[0], list) else [values[0]]
        total = 0.0
        for item in value:
            number = _num(item)
            if number is not None:
                total += number
        return _finite(total)
    if operator == "selected":
        value, option = values
        return any(equal(option, v) for v in value) if isinstance(value, list) else equal(value, option)
    if operator == "length":
        return float(len(values[0])) if isinstance(values[0], str | list) else 0.0
    if operator == "days":
        return _days(*values)
    if operator in {"min", "max"}:
        numbers = [_num(v) for v in values]
        if None in numbers:
            return None
        return min(numbers) if operator == "min" else max(numbers)  # type: ignore[type-var]
    if operator == "round":
        return _round(*values)
    raise ExprError(f"未知的运算“{operator}”")
