"""附加信息条件 (portal.lowcode.query): each field type has its operators; anything else is a message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lowcode import schema
from portal.lowcode.query import (
    FAMILIES,
    KIND_NAMES,
    OPERATORS,
    Catalogue,
    Condition,
    ConditionError,
    Day,
    parse,
)

BODY = {
    "choices": {
        "liability": [{"value": "main", "label": "主要责任"}, {"value": "equal", "label": "同等责任"}]
    },
    "sections": [
        {
            "title": "事故",
            "fields": [
                {"key": "plate", "label": "车牌号", "type": "text"},
                {"key": "details", "label": "经过", "type": "textarea"},
                {"key": "injured", "label": "是否有人受伤", "type": "boolean"},
                {"key": "injured_count", "label": "受伤人数", "type": "integer"},
                {"key": "rate", "label": "约定年利率（%）", "type": "decimal"},
                {"key": "claim", "label": "索赔金额", "type": "money"},
                {"key": "occurred", "label": "事故日期", "type": "date"},
                {"key": "reported_at", "label": "报警时间", "type": "datetime"},
                {"key": "liability", "label": "责任认定", "type": "select_one", "choices": "liability"},
                {
                    "key": "issues",
                    "label": "争议事项",
                    "type": "select_multiple",
                    "options": [
                        {"value": "medical", "label": "医疗费"},
                        {"value": "car", "label": "车辆损失"},
                    ],
                },
                {"key": "driver_id", "label": "驾驶人身份证号", "type": "id_number"},
                {"key": "driver_phone", "label": "驾驶人电话", "type": "phone"},
                {"key": "company", "label": "车主单位代码", "type": "credit_code"},
                {"key": "hint", "label": "说明", "type": "note"},
                {
                    "key": "witnesses",
                    "label": "证人",
                    "type": "repeat",
                    "fields": [{"key": "witness_name", "label": "姓名", "type": "text"}],
                },
            ],
        }
    ],
}
# A second form that uses the same label for another key, as two lending forms do.
LOAN = {
    "sections": [
        {"title": "借款", "fields": [{"key": "annual_rate", "label": "约定年利率（%）", "type": "decimal"}]}
    ]
}
CATALOGUE = Catalogue([BODY, LOAN])
# A value each type accepts, to try every operator with.
SAMPLE = {
    "text": "'鲁P12345'",
    "textarea": "'争执'",
    "integer": "3",
    "decimal": "4.5",
    "money": "1,200.50",
    "date": "2026-03-01",
    "datetime": "2026-03-01 09:30",
    "boolean": "是",
    "select_one": "主要责任",
    "select_multiple": "医疗费",
    "id_number": "'3715'",
    "phone": "'139'",
    "credit_code": "'91'",
    "note": "1",
    "repeat": "1",
}
KEY_OF = {f["type"]: f["key"] for f, group in schema.walk(BODY) if group is None}


def one(text: str) -> Condition:
    (condition,) = parse(text, CATALOGUE)
    return condition


def test_every_field_type_has_a_family_and_an_operator_set():
    """A new field type in the designer fails here until the filter knows how to compare it."""
    assert set(schema.TYPES) == set(FAMILIES) - set(KIND_NAMES)  # pseudo-kinds: register choices
    assert set(FAMILIES.values()) == set(OPERATORS)


@pytest.mark.parametrize("kind", sorted(SAMPLE))
@pytest.mark.parametrize("operator", ["=", "!=", "<", "<=", ">", ">=", "in", "contains", "filled", "empty"])
def test_each_operator_on_each_type_is_a_condition_or_a_chinese_message(kind, operator):
    key = KEY_OF[kind]
    text = {
        "in": f"{key} in ({SAMPLE[kind]})",
        "contains": f"{key} 包含 {SAMPLE[kind]}",
        "filled": f"{key} 已填写",
        "empty": f"{key} is empty",
    }.get(operator, f"{key} {operator} {SAMPLE[kind]}")
    allowed = operator in OPERATORS[FAMILIES[kind]]
    if allowed:
        condition = one(text)
        assert (condition.keys, condition.operator) == ((key,), operator)
    else:
        with pytest.raises(ConditionError, match="只能|不能作为筛选条件"):
            one(text)


def test_yes_no_fields_compare_with_yes_or_no_only():
    assert one("是否有人受伤 = 是").value is True
    assert one("injured = true").value is True
    assert one("${injured} != 否").value is False
    with pytest.raises(ConditionError, match="“是否有人受伤”是“是/否”字段，只能用 =、!=、已填写、为空 筛选"):
        one("injured > true")
    with pytest.raises(ConditionError, match="请与 是 或 否 比较"):
        one("injured = 3")


def test_labels_work_as_well_as_keys():
    assert one("受伤人数 >= 3") == Condition(("injured_count",), "number", ">=", 3.0)
    assert one("受伤人数＞＝3") == one("injured_count >= 3")  # full-width, as an IME types it
    assert one("索赔金额 <= 1,200.50").value == 1200.5
    assert one("责任认定 = 同等责任").value == "equal"
    assert one("liability in (main, 同等责任)").value == ("main", "equal")
    assert one("争议事项 = 车辆损失") == Condition(("issues",), "choices", "=", "car")
    assert one("selected(${issues}, 'medical')").value == "medical"
    assert one("车牌号 包含 鲁P").operator == "contains"


def test_a_label_shared_by_two_forms_reads_both_fields():
    assert one("约定年利率（%） > 10").keys == ("rate", "annual_rate")


def test_dates_and_date_times():
    assert one("事故日期 >= 2026/3/1").value == "2026-03-01"
    assert one("报警时间 = 2026-03-01").value == Day("2026-03-01", "2026-03-02")
    assert one("报警时间 < '2026-03-01 09:30'").value == "2026-03-01T09:30"
    for bad in ("事故日期 > 明天", "事故日期 = 2026-02-30", "事故日期 = '2026-03-01 09:30'"):
        with pytest.raises(ConditionError, match="请写成 2026-03-01"):
            one(bad)
    # The last day a date can have: a date-time field's day would end past it (was an OverflowError, a 500).
    assert one("事故日期 = 9999-12-31").value == "9999-12-31"
    with pytest.raises(ConditionError, match="“报警时间”的日期超出范围"):
        one("报警时间 = 9999-12-31")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nosuch = 1", "附加信息中没有字段“nosuch”"),
        ("受伤人 >= 3", "是否指“受伤人数”"),
        ("受伤人数 >= 很多", "“受伤人数”是数字，请与数字比较"),
        ("受伤人数 >= 1e400", "“受伤人数”是数字"),
        ("责任认定 = 全部责任", "“责任认定”没有选项“全部责任”，可选：主要责任、同等责任"),
        ("驾驶人电话 >= '139'", "只能按“已填写/未填写”筛选"),
        ("姓名 = 张三", "“姓名”是重复组“证人”里的字段，不能单独筛选"),
        ("说明 = 1", "“说明”是说明文字，不能作为筛选条件"),
        ("__import__('os')", "看不懂条件"),
        ("受伤人数", "看不懂条件"),
        ("", "请填写条件"),
        (" and ".join(["injured = 是"] * 11), "条件最多 10 个"),
    ],
)
def test_what_cannot_be_applied_is_a_chinese_message(text, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text, CATALOGUE)


def test_several_conditions_join_with_and():
    conditions = parse(
        "受伤人数 >= 3 and 是否有人受伤 = 是 并且 plate 包含 'and'；claim is not empty", CATALOGUE
    )
    assert [c.keys[0] for c in conditions] == ["injured_count", "injured", "plate", "claim"]
    assert conditions[2].value == "and"  # quoted text keeps its words


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_condition_or_a_chinese_message(text):
    try:
        parse(text, CATALOGUE)
    except ConditionError as error:
        assert str(error)
