"""The Content-Security-Policy in a real browser: the main pages work and nothing is refused.

Chromium reports every refusal (an inline script or handler, a style attribute, a javascript: link
followed, a request to another origin) as a `securitypolicyviolation` event and a console error. A
script installed before each page collects both; every step below then checks that the list is
empty, after using the page's scripts: the filter menu of the ledger, the dispute type that brings
its form into the case form, the "add a party" button, a batch action, the condition helper of the
form builder, a confirmation before publishing, and the polling print job page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal.extensions import db
from portal.models import FormDefinition, PrintJob
from portal.models.print_job import PrintJobKind
from portal.services import audit, formdefs
from tests.conftest import PASSWORD
from tests.factories import County, build_county, new_case
from tests.live import COLLECT_VIOLATIONS, browser_app, chinese_context, choose, expect, log_in, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def csp_app(tmp_path_factory) -> Iterator[Flask]:
    """The test county with the shipped forms, a case, a form draft and a running print job; CSRF on."""
    url = f"sqlite:///{tmp_path_factory.mktemp('csp') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
            formdefs.load_path(db.session, ROOT / "forms", None)
            county = County.load(db.session)
            new_case(db.session, county.users["entry_a"], county.mj, today=date(2026, 3, 2))
            db.session.add(
                PrintJob(
                    kind=PrintJobKind.CERTIFICATES,
                    title="2025年度调解能手证书",
                    organization=county.root,
                    requested_by_name="系统管理员",
                    total=4,
                )
            )
            db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class Watched:
    """A page whose policy violations and console errors about the policy are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{where}: {violations}"
        assert self.console == [], f"{where}: {self.console}"


@pytest.fixture
def watched(browser: Browser, csp_app: Flask) -> Iterator[Watched]:
    with serving(csp_app) as url:
        with chinese_context(browser, url) as context:
            context.add_init_script(COLLECT_VIOLATIONS)
            yield Watched(context.new_page())


def test_the_policy_is_sent_and_a_violation_would_be_seen(watched: Watched) -> None:
    """The watcher works: an inline script injected into the sign-in page is refused and reported."""
    page = watched.page
    response = page.goto("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                   document.body.appendChild(s); }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
    assert page.evaluate("window.__cspViolations")[0].startswith("script-src")


def test_main_pages_run_under_the_policy(watched: Watched, csp_app: Flask) -> None:
    page = watched.page
    page.goto("/login")
    watched.assert_clean("login")
    log_in(page, "admin")
    watched.assert_clean("dashboard")

    # The ledger: add a filter from the menu, apply it; the current tab is a javascript: link.
    page.goto("/admin/cases/")
    page.get_by_role("link", name="添加筛选器").click()
    page.locator(".field-filters a.filter").first.click()
    expect(page.locator("#filter_form .filters tr")).to_have_count(1)
    page.locator("#filter_form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"\?flt\d+_"))
    page.locator(".nav-tabs a.nav-link.active").first.click()
    watched.assert_clean("ledger with a filter")

    # A new case: the dispute type brings its form; another party can be added.
    page.goto("/admin/cases/new/")
    choose(page, "dispute_type", "道路交通事故纠纷")
    expect(page.locator("#case-answers .lowcode-form")).to_be_visible()
    page.locator('label[for="answers-injured-1"]').click()
    expect(page.locator('.lowcode-field[data-key="injured_count"]')).to_be_visible()
    parties = page.locator("#parties .inline-field-list > .inline-field")
    before = parties.count()
    page.locator("#parties-button").click()
    expect(page.locator("#parties .inline-field-list > .inline-field")).to_have_count(before + 1)
    watched.assert_clean("case create")

    page.goto("/admin/cases/")
    page.locator("a[href*='/admin/cases/details/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/cases/details/"))
    watched.assert_clean("case details")
    page.goto(page.url.replace("/details/", "/edit/"))
    expect(page.locator("#case-answers")).to_be_attached()
    watched.assert_clean("case edit")

    # A batch action with nothing selected answers with Flask-Admin's alert.
    page.goto("/admin/users/")
    messages: list[str] = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.locator("li.dropdown:has([data-batch-action]) > a.dropdown-toggle").click()
    page.locator("[data-batch-action='unlock']").click()
    page.wait_for_timeout(200)
    assert messages == ["请至少选择一条记录"]
    watched.assert_clean("users with a batch action")

    # The form builder: a draft, its field editor with the condition helper, a declined publication.
    with csp_app.app_context():
        traffic = select(FormDefinition.id).where(FormDefinition.key == "traffic_accident")
        draft_id = db.session.scalar(traffic)
    page.goto(f"/admin/form_definitions/details/?id={draft_id}")
    removes = page.locator("form[data-confirm] button", has_text="删除")
    count = removes.count()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    removes.first.click()
    page.wait_for_timeout(300)
    assert len(asked) == 1 and asked[0].startswith("删除")
    expect(removes).to_have_count(count)  # declined: nothing removed
    watched.assert_clean("form builder")
    page.goto(f"/admin/form_definitions/field/?id={draft_id}")
    page.locator('label[for="relevant_mode-1"]').click()  # 满足条件时显示: the condition picker
    rule = page.locator("#rules .builder-rule").first
    expect(rule).to_be_visible()
    rule.locator(".builder-rule-field select").select_option(index=1)
    expect(rule.locator(".builder-rule-op select option").first).to_be_attached()
    watched.assert_clean("field editor")
    page.goto(f"/admin/form_definitions/preview/?id={draft_id}")
    watched.assert_clean("form preview")

    # A running print job polls its progress.
    with csp_app.app_context():
        job_id = db.session.scalar(select(PrintJob.id))
    page.goto(f"/admin/print_jobs/details/?id={job_id}")
    with page.expect_response(lambda r: "/admin/print_jobs/progress/" in r.url):
        pass
    watched.assert_clean("print job")
