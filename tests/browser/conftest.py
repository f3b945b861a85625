"""Fixtures of the browser tests: a live server on a seeded demo database and one headless Chromium.

The server runs the real app with CSRF on, in a thread, on a fresh SQLite file migrated with the
real migrations and filled by `seed_demo`, so the browser sees what a county office would see.
Chromium is the distribution's (`/usr/bin/chromium`); without it the tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal.extensions import db
from portal.services.demo.seed import seed_demo
from tests.conftest import make_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Where `make screenshots` keeps the pictures reviewers look at; a plain test run writes to a
#: temporary folder, so running the suite leaves the working tree clean.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    """Return the system Chromium, if there is one."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> Iterator[Flask]:
    """An app with CSRF on, as in production, over a fresh SQLite file holding the demo county."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'portal.sqlite3'}"
    app = make_app(url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        seed_demo(db.session, scale=0.1)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


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


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """Serve `live_app` over HTTP on a free local port; yield the base URL."""
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch one headless Chromium for the module; skip when it is not installed."""
    executable = _chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (/usr/bin/chromium or `chromium` on PATH)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page at a desktop size, in Chinese."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory) -> Callable[[Page, str], Path]:
    """Return a function that saves a full-page screenshot (under docs/ with PORTAL_SCREENSHOTS=docs)."""
    folder = (
        DOC_SCREENSHOTS
        if os.environ.get("PORTAL_SCREENSHOTS") == "docs"
        else tmp_path_factory.mktemp("shots")
    )
    folder.mkdir(parents=True, exist_ok=True)

    def _save(page: Page, name: str) -> Path:
        path = folder / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return _save
