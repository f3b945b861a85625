"""Without Chromium the browser tests skip loudly, except where CI requires them: there they fail."""

from __future__ import annotations

import pytest

from tests import live


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
