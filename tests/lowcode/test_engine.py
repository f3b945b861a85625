"""Checking a set of answers: coercion, hiding, calculation, requirements, and stored values re-checked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.admin.system import formdef_forms
from portal.lowcode import engine, schema

BODY = {
    "sections": [
        {
            "title": "甲",
            "fields": [
                {"key": "amount", "label": "金额", "type": "money", "min": 0},
                {"key": "ratio", "label": "比例", "type": "decimal"},
                {
                    "key": "when",
                    "label": "时间",
                    "type": "datetime",
                    "constraint": ". <= today()",
                    "constraint_message": "不能晚于今天",
                },
                {"key": "double", "label": "加倍", "type": "money", "calculate": "${amount} * 2"},
                {
                    "key": "rows",
                    "label": "明细",
                    "type": "repeat",
                    "min": 1,
                    "required": "${amount} > 100",
                    "fields": [
                        {"key": "item", "label": "项目", "type": "text", "required": True},
                        {"key": "cost", "label": "费用", "type": "money"},
                    ],
                },
                {"key": "total", "label": "合计", "type": "money", "calculate": "sum(${cost})"},
            ],
        }
    ]
}


def test_stored_answers_pass_a_second_check_unchanged():
    """What the engine stores is accepted as it is when the case is saved again."""
    raw = {
        "amount": "999999999999.99",  # the largest amount: below a trillion yuan, in fen
        "ratio": "0.00001",
        "when": "2026-11-24T08:00",
        "rows": [{"item": "医疗费", "cost": "12.30"}],
    }
    first = engine.check(BODY, raw, "2026-11-24")
    assert first.ok, first.errors
    assert first.values["ratio"] == 1e-05 and first.values["total"] == 12.3
    assert "double" not in first.values  # 2e12 is beyond an amount: left empty, not stored
    second = engine.check(BODY, first.values, "2026-11-24")
    assert second.ok, second.errors
    assert second.values == first.values


def test_required_repeat_and_row_errors_by_path():
    """A repeat group required by a condition, and a row's own required field, report by path."""
    outcome = engine.check(BODY, {"amount": "500", "rows": []}, "2026-11-24")
    assert outcome.errors == {"rows": "请至少填写一行"}
    outcome = engine.check(BODY, {"amount": "500", "rows": [{"item": "", "cost": "1"}]}, "2026-11-24")
    assert outcome.errors == {"rows.0.item": "请填写此项"}


def test_datetime_today_constraint_on_the_same_day():
    """An event this morning is not after today(); tomorrow is."""
    assert engine.check(BODY, {"when": "2026-11-24 08:00"}, "2026-11-24").ok
    assert engine.check(BODY, {"when": "2026-11-25 08:00"}, "2026-11-24").errors == {"when": "不能晚于今天"}


_KINDS = ["text", "integer", "decimal", "money", "date", "boolean", "select_one", "select_multiple", "phone"]
_field = st.fixed_dictionaries(
    {"type": st.sampled_from(_KINDS)},
    optional={
        "required": st.one_of(st.booleans(), st.sampled_from(["${f0} = 1", "not empty(${f1})", "${f0} >"])),
        "relevant": st.sampled_from(["${f0} > 2", "${f1} = 'a'", "${f2}", "${nope} = 1", "${f0} = ${f1}"]),
        "constraint": st.sampled_from([". > 0", "length(.) < 5", ". = ${f0}", "1 +"]),
        "calculate": st.sampled_from(["${f0} + 1", "${f1}", "count(${f2})"]),
        "min": st.one_of(st.integers(-5, 5), st.text(max_size=3)),
        "options": st.just([{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}]),
    },
)
_answer = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_field, min_size=1, max_size=4), st.lists(_answer, min_size=4, max_size=4))
def test_random_definitions_and_answers_never_crash(fields, answers):
    """A random definition either lints with named problems or checks any answers without crashing."""
    body = {
        "sections": [
            {
                "title": "随机",
                "fields": [{"key": f"f{i}", "label": f"字段{i}", **field} for i, field in enumerate(fields)],
            }
        ]
    }
    problems = schema.lint(body)
    if problems:
        assert all(isinstance(p.message, str) and p.message for p in problems)
        return
    outcome = engine.check(body, {f"f{i}": a for i, a in enumerate(answers)}, "2026-11-24")
    assert all(isinstance(m, str) and m for m in outcome.errors.values())
    again = engine.check(body, outcome.values, "2026-11-24")
    assert not again.errors or outcome.errors  # clean answers stay clean


def test_calculated_numbers_round_half_away_from_zero_like_the_browser():
    """Integer and money calculations round as engine.js shows them; whole numbers as text lose the .0."""
    body = {
        "sections": [
            {
                "title": "甲",
                "fields": [
                    {"key": "a", "label": "甲", "type": "decimal"},
                    {"key": "half", "label": "一半", "type": "integer", "calculate": "${a} / 2"},
                    {"key": "fee", "label": "费用", "type": "money", "calculate": "${a} + 0.125"},
                    {"key": "text", "label": "文字", "type": "text", "calculate": "${a} - 2"},
                ],
            }
        ]
    }
    values = engine.check(body, {"a": "5"}, "2026-11-24").values
    assert values == {"a": 5.0, "half": 3, "fee": 5.13, "text": "3"}
    assert engine.check(body, {"a": "-5"}, "2026-11-24").values["half"] == -3


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("1e400", "请输入金额（元），如 1200.50"),
        ("nan", "请输入金额（元），如 1200.50"),
        ("inf", "请输入金额（元），如 1200.50"),
        (float("inf"), "请输入金额（元），如 1200.50"),
        (float("nan"), "请输入金额（元），如 1200.50"),
        (1e300, "数值过大"),
        ("-5", "金额不能为负数"),
        ("1.005", "金额最多两位小数（分）"),
        ("1000000000000", "金额不能超过999,999,999,999.99元"),
    ],
)
def test_a_money_answer_is_yuan_in_fen_and_nothing_else(raw, error):
    assert engine.check(BODY, {"amount": raw}, "2026-11-24").errors == {"amount": error}


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("0001-01-01 08:00", "日期不能早于1900年1月1日"),
        ("1899-12-31 23:59", "日期不能早于1900年1月1日"),
        ("9999-12-31 08:00", "日期不能晚于"),
    ],
)
def test_a_date_answer_has_a_sane_window(raw, error):
    assert engine.check(BODY, {"when": raw}, "2026-11-24").errors["when"].startswith(error)
    assert engine.check(BODY, {"when": "1936-05-04 08:00"}, "2026-11-24").ok  # an elderly party's birth


@pytest.mark.parametrize("bound", [float("nan"), float("inf"), -float("inf"), 1e300])
def test_a_bound_that_is_no_number_is_reported(bound):
    body = {
        "sections": [
            {"title": "甲", "fields": [{"key": "fee", "label": "费用", "type": "money", "max": bound}]}
        ]
    }
    assert [p.message for p in schema.lint(body)] == ["最小值、最大值必须是合理范围内的数字"]


@pytest.mark.parametrize(
    ("text", "kept"), [("nan", "nan"), ("inf", "inf"), ("1e400", "1e400"), ("-5", -5), ("2.5", 2.5)]
)
def test_the_builder_keeps_only_plain_numbers_as_bounds(text, kept):
    assert formdef_forms._bound(text, "money") == kept  # what is kept as text is reported by lint
