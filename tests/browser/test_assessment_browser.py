"""考核评价 in a real browser: an evaluator's whole loop, in Chinese.

Two county evaluators assess last year's mediators: the first opens a round with the shipped
调解员 template and opens the evidence behind an auto score; both enter their manual scores; the
round is finalised; then two 调解能手 are nominated from the candidate list, put on 公示 and
approved, each with a certificate serial. The round page and the candidate list are saved to
docs/screenshots/ (assessment-round.png, recognition-candidates.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import time_machine
from flask import Flask
from flask_migrate import upgrade

from portal.extensions import db
from portal.models.assessment import Band
from portal.models.people import Training, TrainingLevel
from portal.services import audit, recognition, standard_templates
from portal.services.deadlines import local_today
from tests import live
from tests.assessment_ledger import add_evaluator, settled
from tests.conftest import BEIJING, PASSWORD
from tests.factories import County, build_county
from tests.live import browser_app, chinese_context, choose, expect, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NOMINEES = ("马集调解员", "前李调解员")
TEMPLATE = "调解员年度绩效考评方案"


def _prepare(county: County, year: int) -> None:
    """Two settled cases and eight training hours for each nominee; lenient criteria; two evaluators."""
    entry = county.users["entry_a"]
    for name in NOMINEES:
        person = county.mediators[name]
        for month in (3, 5):
            settled(db.session, entry, person.organization, [person], date(year, month, 1), sessions=2)
        person.trainings.append(
            Training(
                held_on=date(year, 6, 1), level=TrainingLevel.COUNTY, hours=Decimal(8), topic="人民调解法实务"
            )
        )
    rules = recognition.criteria_for(db.session, year)
    rules.min_cases, rules.min_success_rate, rules.min_training_hours = 2, Decimal(80), Decimal(8)
    rules.min_band, rules.notice_days, rules.serial_prefix = Band.GOOD, 5, "QH能手"
    standard_templates.install(db.session)
    add_evaluator(county, "evaluator2", county.root).full_name = "考评员乙"
    db.session.commit()


@pytest.fixture(scope="module")
def assessment_server(tmp_path_factory, browser) -> Iterator[str]:
    """Serve the test county with last year's cases over a fresh SQLite file, CSRF on."""
    url = f"sqlite:///{tmp_path_factory.mktemp('assessment') / 'portal.sqlite3'}"
    app: Flask = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
            _prepare(County.load(db.session), local_today().year - 1)
        db.session.remove()
    with serving(app) as base:
        yield base
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def wide_page(browser: Browser, assessment_server: str) -> Iterator[Page]:
    with chinese_context(browser, assessment_server, width=1500) as context:
        yield context.new_page()


def log_in(page: Page, username: str) -> None:
    """Sign in afresh (the old session's cookies dropped)."""
    page.context.clear_cookies()
    live.log_in(page, username)


def enter_scores(page: Page, round_url: str, less: int) -> None:
    """Open the scoring page and give every open field its maximum less `less` points."""
    page.goto(round_url)
    page.locator("#round-steps").get_by_role("link", name="录入人工评分").click()
    inputs = page.locator("#score-table input.score-input")
    for i in range(inputs.count()):
        field = inputs.nth(i)
        field.fill(str(max(0, int(float(field.get_attribute("max"))) - less)))
    page.get_by_role("button", name="保存我的评分").click()
    expect(page.locator(".alert-success", has_text="已保存")).to_be_visible()


def test_an_evaluators_whole_loop(wide_page: Page, screenshot) -> None:
    page = wide_page
    year = local_today().year - 1
    log_in(page, "evaluator")

    # 1. Open a round for last year with the shipped template; the targets default to all mediators.
    page.wait_for_load_state("load")  # the menu opens by script: on a busy machine it may come late
    page.locator(".portal-nav").get_by_role("link", name="考核评价").click()
    page.locator(".portal-nav").get_by_role("link", name="考评批次").click()
    expect(page.locator(".portal-title")).to_have_text("考评批次")
    page.goto("/admin/assessment_rounds/new/")
    choose(page, "template", TEMPLATE)
    page.select_option("#period_kind", label="年度")
    expect(page.locator("#year")).to_have_value(str(year))
    page.get_by_role("button", name="开启批次并计算").click()
    expect(page.locator(".alert-success")).to_contain_text("已开启考评批次")
    expect(page.locator("#round-title")).to_have_text(f"{year}年度{TEMPLATE}")
    expect(page.locator("#round-status")).to_have_text("评分中")
    round_url = page.url

    # 2. Review the auto scores: the cases behind 办案数量 of the first mediator open with links.
    rows = page.locator("#round-results tbody tr")
    expect(rows).to_have_count(4)
    first = rows.first
    expect(first).to_contain_text("调解员")
    first.locator("td").nth(4).get_by_role("link").click()
    expect(page.locator("#evidence-cases tbody tr")).to_have_count(2)
    expect(page.locator("#evidence-cases")).to_contain_text("MJ")
    page.go_back()

    # 3. Two evaluators enter their manual scores.
    enter_scores(page, round_url, less=0)
    log_in(page, "evaluator2")
    enter_scores(page, round_url, less=1)
    expect(page.locator("#round-scores")).to_contain_text("考评员乙")

    # 4. Finalise after the confirmation page.
    page.locator("#round-steps").get_by_role("link", name="定稿").click()
    expect(page.locator("#confirm-hint")).to_contain_text("锁定")
    page.get_by_role("button", name="确认定稿").click()
    expect(page.locator("#round-status")).to_have_text("已定稿")
    expect(page.locator("#round-steps").get_by_role("link", name="录入人工评分")).to_have_count(0)
    top_band = page.locator("#round-results tbody tr").first.locator(".badge").inner_text().strip()
    assert top_band in ("优秀", "良好"), top_band
    screenshot(page, "assessment-round.png")

    # 5. The candidate list proposes the two mediators with the evidence per criterion; nominate both.
    log_in(page, "evaluator")
    page.goto(f"/admin/recognitions/new/?year={year}")
    candidates = page.locator("#candidates tbody tr")
    expect(candidates).to_have_count(2)
    expect(page.locator("#candidates")).to_contain_text(f"✔ {top_band}")
    screenshot(page, "recognition-candidates.png")
    for name in NOMINEES:
        row = page.locator(f"#candidates tr[data-mediator='{name}']")
        row.locator("input[name=reason]").fill("年度办案质效突出，群众满意度高")
        row.get_by_role("button", name="提名").click()
        expect(page.locator(".alert-success")).to_contain_text(f"已提名{name}")

    # 6. 公示 from today for a week; a week later (the server's clock moved on) approval gives serials.
    start = local_today()
    for name in NOMINEES:
        page.goto(f"/admin/recognitions/new/?year={year}")
        page.locator(f"#candidates tr[data-mediator='{name}']").get_by_role("link", name="已提名").click()
        page.locator("#recognition-steps").get_by_role("link", name="公示").click()
        page.fill("#notice_start", start.isoformat())
        page.fill("#notice_end", (start + timedelta(days=6)).isoformat())
        page.locator(".portal-title").click()
        page.get_by_role("button", name="确认公示").click()
        expect(page.locator("#recognition-status")).to_have_text("公示中")
    serials = []
    # The live server runs in this process, so moving the clock moves the server's "today".
    with time_machine.travel(datetime.combine(start + timedelta(days=8), time(10), BEIJING), tick=True):
        log_in(page, "evaluator")  # a week later the old sign-in has timed out
        for name in NOMINEES:
            page.goto(f"/admin/recognitions/new/?year={year}")
            page.locator(f"#candidates tr[data-mediator='{name}']").get_by_role("link", name="公示中").click()
            page.locator("#recognition-steps").get_by_role("link", name="批准").click()
            page.get_by_role("button", name="确认批准").click()
            expect(page.locator("#recognition-status")).to_have_text("已批准")
            serials.append(page.locator("#recognition-serial").inner_text())
    assert [re.fullmatch(rf"QH能手〔{year}〕\d{{3}}号", s) is not None for s in serials] == [True, True]
    assert len(set(serials)) == 2
