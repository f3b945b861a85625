"""Forms version 2 on the server: if/count-if/sum-if, in/not in, length, days, sections shown by a
condition, hidden calculated fields, and what the browser is given. The same table runs in engine.js
(tests/browser/test_lowcode_v2_browser.py) with the same expected values."""

from __future__ import annotations

import copy

import pytest

from portal.lowcode import engine, expr, render, schema
from tests.lowcode.v2_table import BODY, EXPRESSIONS, GROUPS, SCENARIOS, TODAY, normalized


@pytest.mark.parametrize(("text", "values", "expected"), EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_expression_table(text, values, expected):
    """Each new function and operator gives the value the table says."""
    got = expr.evaluate(expr.parse(text), expr.Context(values, today=TODAY, groups=GROUPS))
    assert got == expected and type(got) is not bool or got is expected


def test_aliases_and_trees():
    """count_if/sum_if are the same functions; the tree names them with a hyphen; `if` is lazy."""
    assert expr.parse("count_if(${rows}, true)") == expr.parse("count-if(${rows}, true)")
    assert expr.parse("sum-if(${cost}, ${level} = 'a')") == {
        "sum-if": [{"var": ["cost"]}, {"==": [{"var": ["level"]}, "a"]}]
    }
    assert expr.references(expr.parse("count-if(${rows}, ${level} = ${x})")) == {"rows", "level", "x"}
    with pytest.raises(expr.ExprError, match="需要 3 个参数"):
        expr.parse("if(${a}, 1)")
    with pytest.raises(expr.ExprError, match="需要 2 个参数"):
        expr.parse("count-if(${rows})")
    # The branch not taken is never evaluated: a row function over garbage data there cannot matter.
    assert expr.evaluate(expr.parse("if(true, 1, count-if(${x}, ${y}))"), expr.Context({"x": 5})) == 1


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenarios(scenario):
    """Stored values, hidden paths and errors of each scenario are those of the table."""
    outcome = engine.check(BODY, scenario.raw, TODAY)
    assert outcome.errors == scenario.errors
    assert outcome.hidden == scenario.hidden
    assert normalized(outcome.values) == normalized(scenario.values)


def test_a_hidden_section_keeps_no_value_and_requires_nothing():
    """The rows typed in a section that then hides are dropped; its required repeat asks for nothing."""
    raw = {
        "accident_date": "2026-10-01",
        "injured": "0",
        "claim": "100",
        "victims": [{"victim_name": "", "level": "", "cost": "abc"}],  # even an unreadable amount
    }
    outcome = engine.check(BODY, raw, TODAY)
    assert outcome.ok, outcome.errors
    assert "victims" not in outcome.values and "serious_cost" not in outcome.values
    # Stored answers pass a second check unchanged.
    assert engine.check(BODY, outcome.values, TODAY).values == outcome.values


def test_hidden_calculated_fields_are_stored_and_read_by_other_rules():
    """`late` is computed and stored though never shown; it decides whether its reason is asked for."""
    late = engine.check(BODY, {"accident_date": "2026-01-01", "report_date": "2026-03-01"}, TODAY)
    assert late.values["late"] is True and late.errors["late_reason"] == "请填写此项"
    on_time = engine.check(BODY, {"accident_date": "2026-01-01", "report_date": "2026-01-02"}, TODAY)
    assert on_time.values["late"] is False and "late_reason" not in on_time.errors
    # A value posted for a hidden calculated field is never taken: the formula decides.
    forged = engine.check(
        BODY, {"accident_date": "2026-01-01", "report_date": "2026-01-02", "late": "1"}, TODAY
    )
    assert forged.values["late"] is False


def test_section_condition_orders_evaluation():
    """A section's fields come after what its condition reads, wherever that field sits in the form."""
    order = schema.dependency_order(BODY)
    for key in ("victims", "serious_count", "serious_cost", "victim_name"):
        assert order.index("injured") < order.index(key)
    body = copy.deepcopy(BODY)
    body["sections"].reverse()  # the condition reads a field of a later section
    assert schema.lint(body) == []
    assert engine.check(body, SCENARIOS[3].raw, TODAY).hidden == SCENARIOS[3].hidden


def test_the_browser_gets_the_parsed_rules_and_the_messages():
    """engine.js is given trees, never expression text, and the server's own words."""
    spec = engine.browser_spec(BODY, TODAY)
    assert spec["sections"][1] == {"==": [{"var": ["injured"]}, True]}
    assert spec["fields"]["serious_count"]["calculate"] == {
        "count-if": [{"var": ["victims"]}, {"var": ["is_serious"]}]
    }
    assert spec["fields"]["is_serious"]["calculate"] == {
        "in": [{"var": ["level"]}, {"list": ["serious", "disabled"]}]
    }
    assert spec["fields"]["late"]["hidden"] is True and spec["fields"]["victim_name"]["group"] == "victims"
    assert spec["fields"]["claim"]["section"] == 2
    assert spec["messages"]["money_fen"] == "金额最多两位小数（分）"
    assert spec["window"]["earliest"] == "1900-01-01" and spec["window"]["latest"].startswith("2076-11-24")
    assert spec["fields"]["victims"]["max_text"] == "5"


def test_sections_and_hidden_fields_render(app):
    """A hidden calculated field has no input; the form's spec is the engine's."""
    with app.test_request_context():
        html = str(render.section(BODY, {}, {}, TODAY))
    assert 'name="answers.late"' not in html and 'name="answers.major"' not in html
    assert "is_serious" not in html.split("data-spec=")[0] + html.split("data-spec=")[1].split(">", 1)[1]
    assert 'name="answers.late_reason"' in html and 'data-path="serious_count"' in html
    assert render.spec(BODY, TODAY) == engine.browser_spec(BODY, TODAY)
