"""Type-checked rules: a form whose expressions can never work is refused at publishing, naming the field.

Each kind of mistake below used to publish and then silently never match (the evaluator answers false or
null for any data); now publishing refuses it with a Chinese message naming the field by label and key.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.lowcode import schema
from portal.services import DomainError, formdefs

LEVELS = [{"value": "serious", "label": "重伤"}, {"value": "slight", "label": "轻微伤"}]
BASE = [
    {"key": "injured", "label": "是否有人受伤", "type": "boolean"},
    {"key": "injured_count", "label": "受伤人数", "type": "integer"},
    {"key": "accident_date", "label": "事故日期", "type": "date"},
    {"key": "plate", "label": "车牌号", "type": "text"},
    {"key": "insurance", "label": "险种", "type": "select_multiple", "options": ["交强险", "商业险"]},
    {
        "key": "liability",
        "label": "责任认定",
        "type": "select_one",
        "options": [{"value": "full", "label": "全部责任"}, {"value": "main", "label": "主要责任"}],
    },
    {
        "key": "victims",
        "label": "受伤人员",
        "type": "repeat",
        "fields": [
            {"key": "victim_name", "label": "伤者姓名", "type": "text"},
            {"key": "level", "label": "伤情", "type": "select_one", "options": LEVELS},
            {"key": "cost", "label": "医疗费", "type": "money"},
        ],
    },
    {
        "key": "witnesses",
        "label": "证人",
        "type": "repeat",
        "fields": [{"key": "witness_name", "label": "证人姓名", "type": "text"}],
    },
]


def body_with(field: dict, where: str = "top") -> dict:
    """The base form plus one field: at the top level, or inside the witnesses' rows."""
    fields = copy.deepcopy(BASE)
    if where == "row":
        fields[-1]["fields"].append(field)
    else:
        fields.append(field)
    return {"sections": [{"title": "事故情况", "fields": fields}]}


def probe(expression: str, kind: str = "text", prop: str = "relevant") -> dict:
    return {"key": "probe", "label": "待查字段", "type": kind, prop: expression}


# (what is wrong, the field added, where, words the message must contain)
REFUSED = [
    (
        "a yes/no field compared with a string",
        probe("${injured} == '是'"),
        "top",
        ["“是否有人受伤”（injured）", "true 或 false", "${injured} = true"],
    ),
    (
        "a yes/no field compared with a number",
        probe("${injured} = 1", prop="required"),
        "top",
        ["必填", "“是否有人受伤”（injured）", "数字 1"],
    ),
    (
        "a number compared with a date",
        probe("${injured_count} > ${accident_date}"),
        "top",
        ["“受伤人数”（injured_count）", "“事故日期”（accident_date）", "days("],
    ),
    (
        "a number compared with a string",
        probe("${injured_count} = '3'"),
        "top",
        ["数字字段“受伤人数”（injured_count）", "文本“3”"],
    ),
    (
        "a date compared with something that is no date",
        probe(". >= '去年'", kind="date", prop="constraint"),
        "top",
        ["校验条件", "YYYY-MM-DD"],
    ),
    (
        "a repeat row's field read at the top level",
        probe("${level} = 'serious'"),
        "top",
        ["“伤情”（level）", "重复组“受伤人员”（victims）", "count-if"],
    ),
    (
        "a repeat row's field read from another group's row",
        probe("${victim_name} = ${witness_name}"),
        "row",
        ["“伤者姓名”（victim_name）", "重复组“受伤人员”（victims）"],
    ),
    (
        "a choice compared with its label instead of its value",
        probe("${liability} = '全部责任'"),
        "top",
        ["“责任认定”（liability）", "'full'"],
    ),
    (
        "a multiple choice compared with one value",
        probe("${insurance} = '交强险'"),
        "top",
        ["“险种”（insurance）", "selected(${insurance}, '交强险')"],
    ),
    (
        "arithmetic on a date",
        probe("${accident_date} + 30", kind="date", prop="calculate"),
        "top",
        ["计算公式", "“事故日期”（accident_date）", "days("],
    ),
    (
        "text calculated into a number field",
        probe("${plate}", kind="integer", prop="calculate"),
        "top",
        ["计算结果是文本", "整数字段“待查字段”（probe）"],
    ),
    (
        "if() with results of two types",
        probe("if(${injured}, 1, '无')", kind="text", prop="calculate"),
        "top",
        ["if() 的两个结果类型不同"],
    ),
    (
        "sum-if() over text",
        probe("sum-if(${victim_name}, ${level} = 'serious')", kind="money", prop="calculate"),
        "top",
        ["sum-if() 只能加总数字", "“伤者姓名”（victim_name）"],
    ),
    (
        "count-if() over something that is no repeat group",
        probe("count-if(${injured_count}, true)", kind="integer", prop="calculate"),
        "top",
        ["count-if() 的第一个参数应是重复组"],
    ),
    (
        "an unknown field",
        probe("${injury} = true"),
        "top",
        ["不存在的字段“injury”"],
    ),
    (
        "an unknown function",
        probe("contains(${plate}, '鲁')"),
        "top",
        ["未知的函数或名称“contains”"],
    ),
    (
        "a function with the wrong number of arguments",
        probe("days(${accident_date}) > 3"),
        "top",
        ["函数 days 需要 2 个参数，写了 1 个"],
    ),
]


@pytest.mark.parametrize(("field", "where", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_lint_names_the_field(field, where, words):
    """Lint finds the mistake and names the field that holds it, by label and key."""
    problems = schema.lint(body_with(field, where))
    assert [p.key for p in problems] == ["probe"]
    text = str(problems[0])
    assert text.startswith("字段“待查字段”（probe）：")
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(("field", "where", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_publishing_is_refused(county, field, where, words):
    """Publishing such a draft is refused with the field named; nothing is published."""
    definition = formdefs.create(db.session, "typed", "类型检查", None)
    formdefs.save_draft(db.session, definition, body_with(field, where), None)
    with pytest.raises(DomainError) as refused:
        formdefs.publish(db.session, definition, county.users["admin"])
    assert "字段“待查字段”（probe）" in refused.value.message
    assert words[0] in refused.value.message
    assert definition.versions == []


ACCEPTED = [
    "${injured} = true and ${injured_count} >= 3",
    "${accident_date} <= today() and ${accident_date} >= '2026-01-01'",
    "days(${accident_date}, today()) <= 30",
    "${liability} in ('full', 'main') and selected(${insurance}, '交强险')",
    "'交强险' in ${insurance} and ${liability} not in ('main')",
    "count-if(${victims}, ${level} = 'serious' and ${cost} > 1000) > 0",
    "sum-if(${cost}, ${level} != 'slight') + sum(${cost}) > 0",
    "'张三' in ${victim_name} or count(${victims}) > 2",
    "length(${plate}) in (7, 8) and not empty(${victims})",
    "if(${injured}, ${injured_count}, 0) > 1",
    "${injured} = null or ${plate} != null",
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_sound_rules_publish(expression):
    """Rules that can work are not refused."""
    assert schema.lint(body_with(probe(expression))) == []


def test_rules_inside_a_row_see_the_row():
    """In a row, the row's own fields are single values; other rows' groups still need aggregates."""
    inside = {"key": "note", "label": "备注", "type": "text", "relevant": "${witness_name} = '张三'"}
    assert schema.lint(body_with(inside, "row")) == []
    count = {"key": "seen", "label": "伤者数", "type": "integer", "calculate": "count(${victims})"}
    assert schema.lint(body_with(count, "row")) == []


def test_section_conditions_are_checked_too():
    """A section's condition is type-checked, and may not read the fields it hides."""
    body = body_with(probe("true"))
    body["sections"].append(
        {"title": "伤亡", "relevant": "${injured} = '是'", "fields": [probe("true") | {"key": "p2"}]}
    )
    messages = [str(p) for p in schema.lint(body)]
    assert messages == [
        "分组“伤亡”的显示条件：“是否有人受伤”（injured）是“是/否”字段，只能与 true 或 false 比较，"
        "不能与文本“是”比较；请写成 ${injured} = true"
    ]
    body["sections"][1]["relevant"] = "${p2} = 'x'"
    assert [str(p) for p in schema.lint(body)] == [
        "分组“伤亡”的显示条件不能引用本分组内的字段“待查字段”（p2）"
    ]
    body["sections"][1]["relevant"] = ". = 1"
    assert [str(p) for p in schema.lint(body)] == ["分组“伤亡”的显示条件不能使用“.”（分组没有自己的值）"]


def test_hidden_needs_a_calculation():
    assert [p.message for p in schema.lint(body_with(probe("true") | {"hidden": True}))] == [
        "只有设置了计算公式的字段可以隐藏（隐藏字段不显示，值由公式算出）"
    ]
    hidden = {"key": "x", "label": "甲", "type": "integer", "calculate": "count(${victims})", "hidden": True}
    assert schema.lint(body_with(hidden)) == []
    assert [p.message for p in schema.lint(body_with(hidden | {"required": True}))] == [
        "隐藏字段不显示，录入人员无法改正，不能设置必填、校验条件或格式"
    ]


_leaf = st.sampled_from(
    [
        "${injured}",
        "${injured_count}",
        "${accident_date}",
        "${plate}",
        "${insurance}",
        "${liability}",
        "${victims}",
        "${level}",
        "${cost}",
        "${witness_name}",
        "3",
        "'full'",
        "'2026-01-01'",
        "true",
        "null",
        "today()",
        ".",
    ]
)


def _compose(children):
    binary = st.tuples(
        children, st.sampled_from(["+", "*", "=", "!=", "<", ">=", "and", "or", "in", "not in"]), children
    )
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        children.map(lambda c: f"count-if(${{victims}}, {c})"),
        children.map(lambda c: f"sum-if(${{cost}}, {c})"),
        st.tuples(children, children).map(lambda t: f"days({t[0]}, {t[1]})"),
        children.map(lambda c: f"length({c})"),
        children.map(lambda c: f"sum({c})"),
    )


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(_leaf, _compose, max_leaves=8),
    st.sampled_from(["relevant", "constraint", "calculate"]),
    st.sampled_from(["text", "integer", "date", "boolean"]),
    st.sampled_from(["top", "row"]),
)
def test_any_expression_is_checked_without_crashing(text, prop, kind, where):
    """Whatever is written, lint answers with named problems or none, and never raises."""
    for problem in schema.lint(body_with(probe(text, kind=kind, prop=prop), where)):
        assert problem.key in {"probe", None} and problem.message
