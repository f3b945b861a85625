"""Without Chromium the browser tests skip loudly, except where CI requires them: there they fail."""

from __future__ import annotations

import pytest

from tests import live
from tests.e2e.conftest import leaves_loopback


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PORTAL_CHROMIUM", str(tmp_path / "no-such-chromium"))
    for name in live.REQUIRE_BROWSER_VARS:
        monkeypatch.delenv(name, raising=False)


def test_a_missing_chromium_is_found_missing(no_chromium) -> None:
    assert live.chromium_path() is None


def test_without_ci_a_missing_browser_skips_with_the_marked_reason(no_chromium) -> None:
    with pytest.raises(pytest.skip.Exception, match=live.SKIP_PREFIX):
        live.missing_browser("Chromium")


@pytest.mark.parametrize(("name", "value"), [("CI", "1"), ("CI", "true"), ("PORTAL_REQUIRE_BROWSER", "1")])
def test_under_ci_a_missing_browser_fails(no_chromium, monkeypatch: pytest.MonkeyPatch, name, value) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(pytest.fail.Exception, match="browser tests must run here"):
        live.missing_browser("Chromium")


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_a_cleared_variable_does_not_require_the_browser(no_chromium, monkeypatch, value) -> None:
    monkeypatch.setenv("PORTAL_REQUIRE_BROWSER", value)
    assert not live.browser_required()


@pytest.mark.parametrize(
    ("url", "leaves"),
    [
        ("http://127.0.0.1:5000/admin/", False),
        ("ws://127.0.0.1:5000/socket", False),
        ("data:image/png;base64,AAAA", False),
        ("chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/index.html", False),  # the PDF viewer
        ("https://cdn.jsdelivr.net/npm/jquery.min.js", True),
        ("http://localhost:5000/", True),  # the journeys use 127.0.0.1 only
        ("http://127.0.0.1.nip.io/", True),
        ("ftp://127.0.0.1/file", True),
    ],
)
def test_a_journey_counts_every_url_off_the_loopback_address(url: str, leaves: bool) -> None:
    assert leaves_loopback(url) is leaves
