"""优秀案例库 in a real browser, on the demo county: a township's clerk reads a published case from the menu
(anonymised, no case number), and the county's evaluator opens a submitted one for 脱敏核对, the original
beside the anonymised text; pages saved to docs/screenshots/ (library-entry.png, library-check.png)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.live import expect, log_in_demo, log_out, nav

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_reading_the_library_and_checking_a_proposal(page: Page, screenshot) -> None:
    log_in_demo(page, "entry")
    nav(page, "优秀案例", "优秀案例库")
    rows = page.locator("table.model-list tbody tr")
    expect(rows.first).to_be_visible()
    rows.first.locator("a", has_text="案").first.click()
    expect(page.locator("#library-title")).to_be_visible()
    body = page.locator("body").inner_text()
    assert "人调字" not in body and "案情简介" in body and "典型意义" in body
    expect(page.locator("#library-print")).to_have_text("打印案例（PDF）")
    screenshot(page, "library-entry.png")
    log_out(page)

    log_in_demo(page, "evaluator")
    nav(page, "优秀案例", "案例推荐审核")
    page.goto("/admin/excellent_cases/?flt0_0=submitted")
    page.locator("table.model-list tbody tr a", has_text="案").first.click()
    expect(page.locator("#library-status")).to_have_text("待审核")
    page.locator("#library-anonymise").click()
    expect(page.locator(".library-original").first).to_be_visible()
    expect(page.locator("#library-confirm")).to_be_visible()
    assert page.locator(".library-original").count() == 5
    screenshot(page, "library-check.png")
