"""Journeys (tests/e2e): one complete task per role, through the UI only, on the shared demo live server.

The live server, the browser and the screenshots are the shared ones of tests/live.py. Each journey runs in a
`Journey`: a fresh browser context that records, on every page it opens (popups included),

- every request that is not for 127.0.0.1 (browser-internal schemes aside: data:, blob:, about: and the
  built-in PDF viewer's chrome: and chrome-extension: pages, which never touch the network);
- console errors and uncaught script errors, and Content-Security-Policy violations (both Chromium's console
  report and the page's `securitypolicyviolation` events);
- responses with a 5xx status.

`snap(name)` fails the journey when any of these were seen, then saves a screenshot of the step
(docs/screenshots/e2e/ under `make screenshots`), so a failure names the step where it happened; `finish()`
checks once more at the end. Journeys only read the database, before (to pick names the demo generated) and
after (to assert the outcome); everything else goes through the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.live import COLLECT_VIOLATIONS, chinese_context

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Response

#: Schemes a page may load without any network traffic.
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "chrome", "chrome-extension"})
LOOPBACK = "127.0.0.1"


def leaves_loopback(url: str) -> bool:
    """True when loading `url` would reach past 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return False
    return not (parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == LOOPBACK)


class Journey:
    """A browser context for one role's journey, watching what its pages do."""

    def __init__(self, context: BrowserContext, role: str, screenshot: Callable[[Page, str], Path]) -> None:
        self.context = context
        self.role = role
        self._screenshot = screenshot
        self._shots = 0
        self.external: list[str] = []
        self.problems: list[str] = []
        context.add_init_script(COLLECT_VIOLATIONS)
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("page", self._watch)
        self.page = context.new_page()

    def _watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))

    def _on_request(self, request: Request) -> None:
        if leaves_loopback(request.url):
            self.external.append(request.url)

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.problems.append(f"console error ({where}): {message.text}")

    def assert_clean(self, step: str) -> None:
        """Fail when a request left 127.0.0.1, or an error or policy violation was seen, up to `step`."""
        assert self.external == [], f"{self.role} / {step}: requests left {LOOPBACK}: {self.external}"
        for page in self.context.pages:
            if page.is_closed() or urlsplit(page.url).scheme not in ("http", "https"):
                continue
            violations = page.evaluate("window.__cspViolations || []")
            assert violations == [], f"{self.role} / {step}: CSP violations on {page.url}: {violations}"
        assert self.problems == [], f"{self.role} / {step}: {self.problems}"

    def snap(self, step: str, page: Page | None = None) -> Path:
        """Check the journey so far, then save a screenshot of the step as e2e/<role>-<n>-<step>.png."""
        self.assert_clean(step)
        self._shots += 1
        return self._screenshot(page or self.page, f"e2e/{self.role}-{self._shots}-{step}.png")

    def finish(self) -> None:
        """The last check, once the outcome is on screen."""
        self.assert_clean("end")


@pytest.fixture
def journey(
    request: pytest.FixtureRequest, browser: Browser, live_server: str, screenshot: Any
) -> Iterator[Journey]:
    """A fresh, watched Chinese browser context on the demo live server, named after the role (the module)."""
    role = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").removesuffix("_journey")
    with chinese_context(browser, live_server) as context:
        yield Journey(context, role, screenshot)
