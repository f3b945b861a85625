"""The form engine in a real browser: engine.js agrees with the server, and the traffic form lives.

1. The same expressions over the same data give the same results in Python and in engine.js.
2. An entry clerk registers a 道路交通事故 case: choosing 有人受伤 reveals the injury fields, a repeat
   row can be added, and submitting with a required answer missing shows the server's Chinese error.
   Screenshots: docs/screenshots/lowcode-traffic-form.png, lowcode-required-error.png, form-builder.png.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask_migrate import upgrade

from portal.extensions import db
from portal.lowcode import expr
from portal.services import audit, formdefs
from tests.conftest import PASSWORD
from tests.factories import build_county
from tests.live import browser_app, chinese_context, choose, expect, log_in, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "static" / "lowcode" / "engine.js"

EXPRESSIONS = [
    "${a} = 'yes'",
    "${n} >= 3",
    "${n} < 3",
    "not ${n} < 3",
    "${a} and ${b}",
    "${a} or ${b}",
    "${n} + ${m} * 2",
    "(${n} + ${m}) / ${m}",
    "-${n} - -2",
    "${n} / 0",
    "${a} + 1",
    "${a} in ('x', 'yes')",
    "${a} not in ('x', 'y')",
    "'b' in ${l}",
    "selected(${l}, 'c')",
    "empty(${a})",
    "empty(${l})",
    "not empty(${b})",
    "count(${l})",
    "sum(${l})",
    "length(${s})",
    "${d} <= today()",
    "days(${d}, today())",
    "min(${n}, 3) + max(${m}, 2)",
    "round(${m}, 1)",
    "round(-2.5) + round(2.5)",
    "${b} = true",
    "${b} = 1",
    "${a} = null",
    "${n} = 3.0",
    "${s} > 'a'",
    ". <= ${n}",
    "${l} = ${l}",
    "${d} <= '2026-11-01T08:00'",
    "${d} > '2026-11-01T08:00'",
]
DATA = [
    {"a": "yes", "b": True, "n": 3, "m": 1.25, "l": ["a", "b"], "s": "𠮷野家", "d": "2026-11-01"},
    {"a": None, "b": False, "n": None, "m": 0, "l": [], "s": "", "d": None},
    {"a": "x", "b": 0, "n": -7.5, "m": 2, "l": [1, 2.5, None], "s": "abc", "d": "2027-01-01"},
    {"a": "", "b": "", "n": 1e15, "m": -0.5, "l": ["c"], "s": "张三", "d": "bad"},
]


def _same(left, right) -> bool:
    if isinstance(left, float | int) and isinstance(right, float | int) and not isinstance(left, bool):
        return math.isclose(left, right, rel_tol=1e-12)
    return left == right


def test_engine_js_agrees_with_the_server(browser: Browser) -> None:
    """Every expression, over every data set, evaluates to the same value in both engines."""
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(ENGINE))
    cases = [(text, expr.parse(text), data) for text in EXPRESSIONS for data in DATA]
    payload = [{"tree": tree, "values": data} for _, tree, data in cases]
    results = page.evaluate(
        """(items) => items.map(i => window.Lowcode.evaluate(i.tree,
             {values: i.values, today: "2026-11-24", current: 2}))""",
        payload,
    )
    page.close()
    for (text, tree, data), got in zip(cases, results, strict=True):
        want = expr.evaluate(tree, expr.Context(data, current=2, today="2026-11-24"))
        assert _same(want, got), (
            f"{text} over {json.dumps(data, ensure_ascii=False)}: python {want!r}, js {got!r}"
        )


@pytest.fixture(scope="module")
def forms_app(tmp_path_factory) -> Iterator[Flask]:
    """The test county with the shipped catalogue loaded, CSRF on."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lowcode') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
            formdefs.load_path(db.session, ROOT / "forms", None)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def forms_page(browser: Browser, forms_app: Flask) -> Iterator[Page]:
    """A Chinese browser page on the forms app."""
    with serving(forms_app) as url:
        with chinese_context(browser, url) as context:
            yield context.new_page()


def test_traffic_form_reveals_injury_fields_and_reports_missing_answers(forms_page: Page, screenshot) -> None:
    """有人受伤 shows the injury fields; a missing required answer comes back as a Chinese error."""
    page = forms_page
    log_in(page, "entry_a")
    page.goto("/admin/cases/new/")
    choose(page, "dispute_type", "道路交通事故纠纷")
    section = page.locator("#case-answers .lowcode-form")
    expect(section).to_be_visible()
    count = page.locator('.lowcode-field[data-key="injured_count"]')
    expect(count).to_be_hidden()
    page.locator('label[for="answers-injured-1"]').click()  # 是
    expect(count).to_be_visible()
    expect(count.locator(".lowcode-required")).to_be_visible()
    repeat = page.locator('.lowcode-repeat[data-key="injured_persons"]')
    expect(repeat).to_be_visible()
    repeat.get_by_role("button", name="添加一行").click()
    expect(repeat.locator(".lowcode-row")).to_have_count(1)
    page.locator('label[for="answers-injured-0"]').click()  # 否: hidden again
    expect(count).to_be_hidden()
    expect(repeat).to_be_hidden()
    page.locator('label[for="answers-injured-1"]').click()
    screenshot(page, "lowcode-traffic-form.png")

    # The rest of the registration, leaving 受伤人数 empty.
    choose(page, "organization", "马集镇人民调解委员会")
    choose(page, "source", "当事人申请")
    page.fill("#summary", "两车在镇东路口相撞，一方车上两人受伤，就医疗费和修车费协商不成。")
    page.fill("#people_involved", "3")
    choose(page, "risk_level", "中")
    choose(page, "difficulty", "一般")
    page.locator("form.admin-form input[type=submit][value='保存']").click()
    expect(page.locator(".alert-danger, .alert-error").first).to_contain_text("附加信息")
    expect(page.locator('.lowcode-field[data-key="injured_count"] .invalid-feedback')).to_have_text(
        "请填写此项"
    )
    screenshot(page, "lowcode-required-error.png")


def test_builder_page(forms_page: Page, screenshot) -> None:
    """The builder shows the traffic form's sections, fields, conditions and history."""
    page = forms_page
    log_in(page, "admin")
    page.goto("/admin/form_definitions/")
    page.get_by_role("link", name="道路交通事故").first.click()
    expect(page.locator(".builder-section").first).to_be_visible()
    expect(page.get_by_text("第1版").first).to_be_visible()
    screenshot(page, "form-builder.png")
