"""The expression language: parsing, evaluation rules, and hostile or malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lowcode import expr


def run(text: str, today: str = "2026-11-24", current=None, **values):
    return expr.evaluate(expr.parse(text), expr.Context(values, current=current, today=today))


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("${a} = 'yes'", {"a": "yes"}, True),
        ("${a} == 'yes'", {"a": "no"}, False),
        ("${n} >= 3", {"n": 3}, True),
        ("${n} >= 3", {"n": 2.5}, False),
        ("${n} >= 3", {}, False),  # missing is null: comparisons are false
        ("${n} < 3", {}, False),
        ("not ${n} < 3", {}, True),
        ("${a} and ${b}", {"a": True, "b": 0}, False),
        ("${a} or ${b}", {"a": "", "b": [1]}, True),
        ("${a} + ${b} * 2", {"a": 1, "b": 2}, 5.0),
        ("(${a} + ${b}) * 2", {"a": 1, "b": 2}, 6.0),
        ("-${a} - -2", {"a": 1}, 1.0),
        ("${a} / 0", {"a": 1}, None),
        ("${a} + 1", {"a": "x"}, None),
        ("${a} in ('x', 'y')", {"a": "y"}, True),
        ("${a} not in ('x', 'y')", {"a": "z"}, True),
        ("'b' in ${m}", {"m": ["a", "b"]}, True),
        ("selected(${m}, 'c')", {"m": ["a", "b"]}, False),
        ("empty(${a})", {"a": ""}, True),
        ("empty(${a})", {"a": []}, True),
        ("not empty(${a})", {"a": 0}, True),
        ("count(${rows})", {"rows": [{}, {}]}, 2.0),
        ("sum(${cost})", {"cost": [1, None, 2.5]}, 3.5),
        ("length(${s})", {"s": "𠮷野家"}, 3.0),  # code points, not UTF-16 units
        ("${d} <= today()", {"d": "2026-11-24"}, True),
        ("${d} <= today()", {"d": "2026-11-24T08:00"}, True),  # a date-time compares by its date
        ("${d} > today()", {"d": "2026-11-25T00:10"}, True),
        ("${d} < '2026-11-24T09:00'", {"d": "2026-11-24T08:00"}, True),
        ("days(${a}, ${b})", {"a": "2026-01-01", "b": "2026-03-01"}, 59.0),
        ("days(${a}, ${b})", {"a": "bad", "b": "2026-03-01"}, None),
        ("min(${a}, 3) + max(1, 2)", {"a": 5}, 5.0),
        ("round(2.5) + round(-2.5)", {}, 0.0),
        ("round(1.25, 1)", {}, 1.3),
        ("${a} = 1", {"a": True}, False),  # booleans are not numbers
        ("${a} = true", {"a": True}, True),
        ("${a} = null", {"a": None}, True),
        ("'it\\'s' = \"it's\"", {}, True),
    ],
)
def test_evaluation(text, values, expected):
    """Each operator follows the documented rule."""
    assert run(text, **values) == expected


def test_current_value_and_references():
    """`.` is the field's own value; references lists every field read."""
    assert run(". <= ${claim}", current=5, claim=10) is True
    tree = expr.parse("${a} > 1 and (${b} = 'x' or empty(${c}))")
    assert expr.references(tree) == {"a", "b", "c"}
    assert expr.uses_self(expr.parse(". > 0"))
    assert not expr.uses_self(tree)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "表达式为空"),
        ("${a} >", "不完整"),
        ("${a} = = 1", "不应出现"),
        ("(${a} = 1", "右括号"),
        ("${a} = 1)", "多余的内容"),
        ("${A}", "不是有效的字段标识"),
        ("${a.b}", "不是有效的字段标识"),
        ("${__class__}", "不是有效的字段标识"),
        ("__import__('os')", "未知的函数"),
        ("eval('1')", "未知的函数"),
        ("${a}.__class__", "多余的内容"),
        ("x.y", "未知的函数"),
        ("count()", "需要 1 个参数"),
        ("today(1)", "需要 0 个参数"),
        ("${a} ; 1", "无法识别的字符"),
        ("${a} = `ls`", "无法识别的字符"),
        ("1" * 40, "过大或过长"),
        ("9" * 16 + ".5", "过大或过长"),
        ("(" * 100 + "1" + ")" * 100, "嵌套过深"),
        ("not " * 100 + "1", "嵌套过深"),
        ("-" * 100 + "1", "嵌套过深"),
        ("1 + " * 600 + "1", "过长"),
    ],
)
def test_malformed_and_hostile_input_is_refused_with_a_chinese_message(text, message):
    """Nothing reaches Python: unknown names, dunders and attribute access do not parse."""
    with pytest.raises(expr.ExprError, match=message):
        expr.parse(text)


def test_huge_values_in_answers_do_not_crash():
    """Numbers beyond a float's range evaluate to null, never raise."""
    assert run("${a} + 1", a=10**400) is None
    assert run("${a} > 1", a=10**400) is False
    assert run("${a} * ${a}", a=1e300) is None
    assert run("sum(${a})", a=[1e308, 1e308]) is None


def test_long_flat_chains_parse_without_recursion_trouble():
    """Long `and` chains and sums stay flat, so they are not limited by depth."""
    text = " and ".join(f"${{f{i}}} = {i}" for i in range(60))
    assert run(text, **{f"f{i}": i for i in range(60)}) is True


_leaf = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from(["${a}", "${b}", "${m}", "'x'", "true", "null", ".", "today()"]),
).map(str)


def _compose(children):
    binary = st.tuples(
        children, st.sampled_from(["+", "-", "*", "/", "=", "!=", "<", ">=", "and", "or", "in"]), children
    )
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"empty({c})"),
        st.tuples(children, children).map(lambda t: f"sum(({t[0]}, {t[1]}))"),
    )


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaf, _compose, max_leaves=12), _values, _values, _values)
def test_random_expressions_never_crash(text, a, b, m):
    """Any composed expression either evaluates on any data or is refused with ExprError."""
    try:
        tree = expr.parse(text)
    except expr.ExprError:
        return
    expr.evaluate(tree, expr.Context({"a": a, "b": b, "m": m}, current=a, today="2026-11-24"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_parses_or_is_refused(text):
    """Arbitrary text never raises anything but ExprError."""
    try:
        expr.parse(text)
    except expr.ExprError:
        pass
