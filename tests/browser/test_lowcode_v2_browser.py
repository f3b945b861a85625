"""Forms version 2 in a real browser: engine.js gives the table's values, and the page validates live.

The table is tests/lowcode/v2_table.py, which tests/lowcode/test_engine_v2.py runs on the server:

1. every expression (if, count-if, sum-if, in/not in, length, days) evaluates in engine.js to the
   value the table expects;
2. every scenario, entered in the form's preview page, gives in the page the stored values, hidden
   fields and messages the table expects; submitted, the server shows the same messages;
3. typing: a message appears when a field is left wrong and goes when it is corrected, calculations and
   a section follow the answers, with no CSP violation and no console error.
   Screenshot: docs/screenshots/lowcode-v2-live.png;
4. 300 random expressions over the new functions give the same value in both engines.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from portal.extensions import db
from portal.lowcode import expr
from portal.services import audit, formdefs
from tests.conftest import PASSWORD
from tests.factories import build_county
from tests.live import COLLECT_VIOLATIONS, browser_app, chinese_context, expect, log_in, serving
from tests.lowcode.v2_table import BODY, EXPRESSIONS, GROUPS, SCENARIOS, TODAY, Scenario, normalized

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ENGINE = Path(__file__).resolve().parents[2] / "static" / "lowcode" / "engine.js"

SET_VALUE = """([name, value]) => {
  const els = document.querySelectorAll(`[name="${name}"]`);
  if (!els.length) throw new Error("no input named " + name);
  if (els[0].type === "radio" || els[0].type === "checkbox") {
    els.forEach((e) => { e.checked = Array.isArray(value) ? value.includes(e.value) : e.value === value; });
  } else {
    els[0].value = value;
  }
  els[0].dispatchEvent(new Event("input", { bubbles: true }));
  els[0].dispatchEvent(new Event("change", { bubbles: true }));
}"""
ADD_ROW = (
    """(key) => document.querySelector(`.lowcode-repeat[data-key="${key}"] > .lowcode-add-row`).click()"""
)
STATE = "() => document.querySelector('.lowcode-form').lowcode.touchAll()"
SERVER_ERRORS = """() => {
  const out = {};
  document.querySelectorAll(".lowcode-field .invalid-feedback").forEach((el) => {
    const text = el.textContent.trim();
    if (text) out[el.closest(".lowcode-field").dataset.path] = text;
  });
  return out;
}"""


def test_expression_table_in_engine_js(browser: Browser) -> None:
    """engine.js evaluates each tree the server parsed to the value the table expects."""
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(ENGINE))
    payload = [{"tree": expr.parse(text), "values": values} for text, values, _ in EXPRESSIONS]
    results = page.evaluate(
        """([items, groups, today]) => items.map(i => window.Lowcode.evaluate(i.tree,
             {values: i.values, today: today, current: null, groups: groups}))""",
        [payload, GROUPS, TODAY],
    )
    page.close()
    for (text, values, expected), got in zip(EXPRESSIONS, results, strict=True):
        same = got is expected if isinstance(expected, bool) or expected is None else got == expected
        assert same, (
            f"{text} over {json.dumps(values, ensure_ascii=False)}: js {got!r}, expected {expected!r}"
        )


@pytest.fixture(scope="module")
def v2_app(tmp_path_factory) -> Iterator[tuple[Flask, int]]:
    """The test county with the version-2 definition as a draft, CSRF on."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lowcode_v2') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
            definition = formdefs.create(db.session, "accident_v2", "交通事故（第二版规则）", None)
            formdefs.save_draft(db.session, definition, BODY, None)
            number = definition.id
        db.session.remove()
    yield app, number
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def v2_url(v2_app) -> Iterator[str]:
    with serving(v2_app[0]) as url:
        yield url


@pytest.fixture
def preview(browser: Browser, v2_app, v2_url: str) -> Iterator[tuple[Page, str, list[str]]]:
    """An administrator's page on the preview of the draft; collects console errors and CSP violations."""
    with chinese_context(browser, v2_url) as context:
        context.add_init_script(COLLECT_VIOLATIONS)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        log_in(page, "admin")
        yield page, f"/admin/form_definitions/preview/?id={v2_app[1]}", problems
        problems += page.evaluate("() => window.__cspViolations || []")
        assert problems == []


def _enter(page: Page, raw: dict[str, Any]) -> None:
    """Put the scenario's answers into the inputs, firing the events typing fires."""
    for key, value in raw.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                page.evaluate(ADD_ROW, key)
                for inner, text in row.items():
                    page.evaluate(SET_VALUE, [f"answers.{key}.{index}.{inner}", text])
        else:
            page.evaluate(SET_VALUE, [f"answers.{key}", value])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenarios_in_the_page(preview, scenario: Scenario) -> None:
    """In the page: the table's values, hidden fields and messages; after submitting, the server's too."""
    page, url, _ = preview
    page.goto(url)
    expect(page.locator(".lowcode-form")).to_be_visible()
    _enter(page, scenario.raw)
    state = page.evaluate(STATE)
    assert state["errors"] == scenario.errors
    assert set(state["hidden"]) == scenario.hidden
    assert normalized(state["values"]) == normalized(scenario.values)
    for path in scenario.errors:
        expect(page.locator(f'.lowcode-field[data-path="{path}"] > .lowcode-live')).to_have_text(
            scenario.errors[path]
        )
    page.get_by_role("button", name="检查").click()
    page.wait_for_load_state("load")
    if scenario.errors:
        expect(page.locator(".alert-danger")).to_contain_text(f"有 {len(scenario.errors)} 处需要修改")
    else:
        expect(page.locator(".alert-success")).to_contain_text("校验通过")
    assert page.evaluate(SERVER_ERRORS) == scenario.errors
    # The page the server sent back agrees with itself: the live engine finds the same messages.
    assert page.evaluate(STATE)["errors"] == scenario.errors


def test_typing_updates_messages_calculations_and_sections(preview, screenshot) -> None:
    """A clerk types: messages come and go, the amount band and the injury section follow the answers."""
    page, url, _ = preview
    page.goto(url)
    section = page.locator('.lowcode-section:has([data-path="serious_count"])')
    expect(section).to_be_hidden()
    expect(page.locator('[name="answers.late"]')).to_have_count(0)  # hidden calculated: never an input

    claim = page.locator("#answers-claim")
    claim.click()
    page.keyboard.type("12.345")
    page.keyboard.press("Tab")
    feedback = page.locator('.lowcode-field[data-path="claim"] > .lowcode-live')
    expect(feedback).to_have_text("金额最多两位小数（分）")
    expect(claim).to_have_class(re.compile(r"\bis-invalid\b"))
    claim.fill("")
    page.keyboard.type("150000")
    expect(feedback).to_be_hidden()
    expect(page.locator("#answers-band")).to_have_value("重大")
    leader = page.locator('.lowcode-field[data-path="leader_note"]')
    expect(leader).to_be_visible()  # the hidden flag `major` is true
    expect(leader.locator(".lowcode-required")).to_be_visible()

    page.locator('label[for="answers-injured-1"]').click()
    expect(section).to_be_visible()
    page.get_by_role("button", name="添加一行").click()
    page.locator("#answers-victims-0-victim_name").fill("张三")
    page.locator("#answers-victims-0-level").select_option("serious")
    page.locator("#answers-victims-0-cost").fill("5000")
    page.keyboard.press("Tab")
    expect(page.locator("#answers-serious_count")).to_have_value("1")
    expect(page.locator("#answers-serious_cost")).to_have_value("5000.00")
    page.locator("#answers-accident_date").fill("2026-10-01")
    page.locator("#answers-report_date").fill("2026-09-30")
    page.keyboard.press("Tab")
    expect(page.locator('.lowcode-field[data-path="report_date"] > .lowcode-live')).to_have_text(
        "报案日期不能早于事故日期"
    )
    screenshot(page, "lowcode-v2-live.png")
    page.locator('label[for="answers-injured-0"]').click()
    expect(section).to_be_hidden()


def _random_expressions(count: int, seed: int = 17) -> list[str]:
    """Random expressions over the version-2 functions, the same on every run."""
    chooser = random.Random(seed)
    leaves = [
        "${a}",
        "${n}",
        "${m}",
        "${s}",
        "${d}",
        "${b}",
        "${l}",
        "3",
        "0",
        "2.5",
        "'x'",
        "'2026-11-01'",
        "true",
        "null",
        "today()",
    ]
    row_leaves = ["${level}", "${cost}", "${who}", "'serious'", "1000", "null"]

    def build(depth: int, inside_row: bool) -> str:
        pool = leaves + (row_leaves if inside_row else [])
        if depth <= 0 or chooser.random() < 0.25:
            return chooser.choice(pool)
        left, right = build(depth - 1, inside_row), build(depth - 1, inside_row)
        form = chooser.randrange(12)
        if form == 0:
            return f"if({left}, {right}, {build(depth - 1, inside_row)})"
        if form == 1 and not inside_row:
            return f"count-if(${{rows}}, {build(depth - 1, True)})"
        if form == 2 and not inside_row:
            return f"sum-if(${{cost}}, {build(depth - 1, True)})"
        if form == 3:
            return f"({left} {chooser.choice(['in', 'not in'])} ({right}, {build(0, inside_row)}))"
        if form == 4:
            return f"length({left})"
        if form == 5:
            return f"days({left}, {right})"
        if form == 6:
            return f"(not {left})"
        operator = chooser.choice(["=", "!=", "<", ">=", "+", "-", "*", "/", "and", "or", "in"])
        return f"({left} {operator} {right})"

    return [build(4, False) for _ in range(count)]


RANDOM_DATA = [
    {
        "a": "x",
        "n": 3,
        "m": 2.5,
        "s": "鲁RA12345",
        "d": "2026-11-01",
        "b": True,
        "l": ["x", 3],
        "rows": ROWS_DATA,
    }
    for ROWS_DATA in [
        [
            {"who": "张三", "level": "serious", "cost": 5000},
            {"who": "李四", "level": "slight", "cost": 1200.5},
            {"who": None, "level": None, "cost": None},
        ]
    ]
] + [
    {"a": None, "n": None, "m": 0, "s": "", "d": None, "b": False, "l": [], "rows": []},
    {
        "a": "2026-11-01T08:00",
        "n": -7.5,
        "m": 1e15,
        "s": "abc",
        "d": "bad",
        "b": 0,
        "l": [True, 1],
        "rows": None,
    },
]


def test_random_expressions_agree(browser: Browser) -> None:
    """Hundreds of random expressions over the new functions: engine.js gives what the server gives."""
    texts = _random_expressions(300)
    cases = [(text, expr.parse(text), data) for text in texts for data in RANDOM_DATA]
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(ENGINE))
    results = page.evaluate(
        """([items, groups, today]) => items.map(i => window.Lowcode.evaluate(i.tree,
             {values: i.values, today: today, current: null, groups: groups}))""",
        [[{"tree": tree, "values": data} for _, tree, data in cases], GROUPS, TODAY],
    )
    page.close()
    for (text, tree, data), got in zip(cases, results, strict=True):
        want = expr.evaluate(tree, expr.Context(data, today=TODAY, groups=GROUPS))
        if isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
            assert math.isclose(want, got, rel_tol=1e-12), (text, data, want, got)
        else:
            assert want == got and isinstance(want, bool) == isinstance(got, bool), (text, data, want, got)
