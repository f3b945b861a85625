"""Shared fixtures of the browser tests (tests/browser) and journeys (tests/e2e): a live server, one Chromium.

Loaded for the whole suite as a plugin (`pytest_plugins` in tests/conftest.py), so both folders share one
seeded live server and one browser per test process.

- `live_app` / `live_server`: the real app with CSRF on, over a fresh SQLite file migrated with the real
  migrations and filled by `seed_demo` (a small demo county), served in a thread on 127.0.0.1.
- `browser`: the system's Chromium (`/usr/bin/chromium`, or the file named by PORTAL_CHROMIUM; never one that
  Playwright downloads), launched once per session.
  Without it the tests are skipped with a loud message, repeated in the terminal summary; with CI=1 or
  PORTAL_REQUIRE_BROWSER=1 a missing Chromium (or Playwright) is a failure instead, so CI never skips them.
- `screenshot`: full-page pictures, under docs/screenshots/ with PORTAL_SCREENSHOTS=docs (`make
  screenshots`), otherwise in a temporary folder so that a test run leaves the working tree clean.
- `log_in`, `log_out`, `nav`, `choose`, `fill_date`, and on a case page `take_step`, `confirm`, `status`,
  `step_buttons`: the gestures the browser tests repeat.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal.extensions import db
from portal.services.demo.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import PASSWORD, make_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

#: Where `make screenshots` keeps the pictures reviewers look at.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Nothing but the live server resolves, so a page that tried to reach another host could not.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Set either to make a missing browser a failure (CI must never skip the browser tests).
REQUIRE_BROWSER_VARS = ("PORTAL_REQUIRE_BROWSER", "CI")
#: Every skip for a missing browser starts with this, so the terminal summary can find and count them.
SKIP_PREFIX = "BROWSER TESTS NOT RUN"


def chromium_path() -> str | None:
    """Return the system Chromium: PORTAL_CHROMIUM if set (None when that file is missing), else Debian's."""
    chosen = os.environ.get("PORTAL_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_required() -> bool:
    """True when CI=1 or PORTAL_REQUIRE_BROWSER=1 (any value but empty, 0, false or no)."""
    values = (os.environ.get(name, "").strip().lower() for name in REQUIRE_BROWSER_VARS)
    return any(value not in ("", "0", "false", "no") for value in values)


def missing_browser(what: str) -> None:
    """Skip loudly (or fail, when the browser is required) because `what` is missing."""
    if browser_required():
        pytest.fail(
            f"{what} is missing and {' or '.join(REQUIRE_BROWSER_VARS)} is set: browser tests must run here. "
            "Install Debian's chromium package (make install-dev as root); never `playwright install`.",
            pytrace=False,
        )
    pytest.skip(
        f"{SKIP_PREFIX}: {what} is missing (install Debian's chromium package, e.g. make install-dev as root)"
    )


def playwright_api() -> ModuleType:
    """Return `playwright.sync_api`, or skip/fail (see `missing_browser`) without it."""
    try:
        import playwright.sync_api as api
    except ImportError:
        missing_browser("Playwright for Python (the dev extra)")
        raise  # not reached: missing_browser raises
    return api


def expect(*args: Any, **kwargs: Any) -> Any:
    """Playwright's `expect`, imported when first used, so modules import without the browser extra."""
    return playwright_api().expect(*args, **kwargs)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Repeat, at the very end, that browser tests were skipped and why: a green run did not run them."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if SKIP_PREFIX in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep("!", f"WARNING: {len(skipped)} browser tests SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            "Chromium (/usr/bin/chromium) or Playwright is missing, so no browser test or journey ran. "
            "Install Debian's chromium package; CI sets PORTAL_REQUIRE_BROWSER=1 to make this a failure.",
            red=True,
        )


# Runs before the page's own scripts (Playwright injects it; the page's policy does not apply to it).
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


# --- the live server --------------------------------------------------------------------------------


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` over HTTP on a free local port in a thread; yield the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def browser_app(database_url: str) -> Flask:
    """An app for a browser to use: CSRF on, as in production.

    Its static files may be cached for an hour, so the browser does not revalidate the page's 25 scripts and
    stylesheets at every page (that was a quarter of the journeys' CPU).
    """
    return make_app(database_url, WTF_CSRF_ENABLED=True, SEND_FILE_MAX_AGE_DEFAULT=3600)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> Iterator[Flask]:
    """An app with CSRF on, as in production, over a fresh SQLite file holding the demo county."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        seed_demo(db.session, scale=0.1)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """Serve `live_app` over HTTP on a free local port; yield the base URL."""
    with serving(live_app) as url:
        yield url


# --- the browser --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch one headless system Chromium for the session (see `missing_browser` when there is none)."""
    executable = chromium_path()
    if executable is None:
        missing_browser("Chromium (PORTAL_CHROMIUM, /usr/bin/chromium or `chromium` on PATH)")
    api = playwright_api()
    with api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def chinese_context(browser: Browser, base_url: str, width: int = 1400) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies) on `base_url`, in Chinese, `width` pixels wide; closed after."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN", base_url=base_url)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh Chinese browser context on the demo live server, at a desktop size."""
    with chinese_context(browser, live_server, width=1366) as context:
        yield context.new_page()


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory) -> Callable[[Page, str], Path]:
    """Return a function that saves a full-page screenshot (under docs/ with PORTAL_SCREENSHOTS=docs).

    The name may hold a folder (`e2e/admin-1.png`); it is created as needed.
    """
    folder = (
        DOC_SCREENSHOTS
        if os.environ.get("PORTAL_SCREENSHOTS") == "docs"
        else tmp_path_factory.mktemp("shots")
    )

    def _save(page: Page, name: str) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return _save


# --- gestures -------------------------------------------------------------------------------------------


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page and wait for the dashboard (the test county's password by default)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登 录").click()
    expect(page.locator(".portal-title")).to_have_text("工作台")


def log_in_demo(page: Page, username: str) -> None:
    """Sign in as one of the demo county's accounts (the `live_app`)."""
    log_in(page, username, DEMO_PASSWORD)


def log_out(page: Page) -> None:
    """Sign out through the user menu and land on the sign-in page."""
    page.wait_for_load_state("load")
    logout = page.get_by_role("button", name="退出登录")
    for _ in range(3):  # under load the first click can land before Bootstrap's handler is bound
        page.locator("#user-menu").click()
        try:
            expect(logout).to_be_visible(timeout=2000)
            break
        except AssertionError:
            continue
    logout.click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("您已安全退出")).to_be_visible()


def nav(page: Page, category: str, item: str) -> None:
    """Open `item` from the menu `category` of the top navigation bar, as a person would."""
    page.wait_for_load_state("load")
    bar = page.locator(".portal-nav")
    link = bar.get_by_role("link", name=item, exact=True)
    for _ in range(3):  # the dropdown opens once Bootstrap's handler is bound
        bar.get_by_role("link", name=category, exact=True).click()
        try:
            expect(link).to_be_visible(timeout=2000)
            break
        except AssertionError:
            continue
    link.click()
    expect(page.locator(".portal-title")).to_have_text(item)


def choose(page: Page, field_id: str, text: str, exact: bool = False) -> None:
    """Pick `text` in the Select2 widget of `<select id=field_id>` as a person would: open, type, click.

    The first option containing `text` is picked, or with `exact` the option reading just `text` (调解员,
    not 首席调解员).
    """
    page.locator(f"#s2id_{field_id}").click()
    page.keyboard.type(text)
    label = re.compile(rf"^\s*{re.escape(text)}\s*$") if exact else text
    page.locator(".select2-drop-active .select2-result-label", has_text=label).first.click()
    expect(page.locator(f"#s2id_{field_id}")).to_contain_text(text)
    selected = [o.strip() for o in page.locator(f"select#{field_id} option:checked").all_inner_texts()]
    assert any(text == o if exact else text in o for o in selected), (field_id, selected)


def fill_date(page: Page, field_id: str, value: str) -> None:
    """Type a date into a date(-time) picker field and close the picker."""
    field = page.locator(f"#{field_id}")
    field.fill(value)
    page.keyboard.press("Tab")
    page.locator(".portal-title").click()  # close the picker
    expect(field).to_have_value(value)


def take_step(page: Page, label: str) -> None:
    """Click the step's button on the case page and check the step form opened."""
    page.locator("#case-steps").get_by_role("link", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/cases/act/\w+/\?id=\d+"))
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text(label)


def confirm(page: Page, label: str, number: str) -> None:
    """Submit a step form and check it landed back on the case page with the success message."""
    page.get_by_role("button", name=f"确认{label}").click()
    expect(page).to_have_url(re.compile(r"/admin/cases/details/\?id=\d+"))
    expect(page.locator(".alert-success", has_text=f"已办理「{label}」：{number}")).to_be_visible()


def status(page: Page) -> str:
    """Return the case page's status badge text."""
    return page.locator(".case-header .case-status").inner_text().strip()


def step_buttons(page: Page) -> list[str]:
    """Return the labels of the step buttons on the case page."""
    return [text.strip() for text in page.locator("#case-steps a").all_inner_texts()]
