"""分析研判 in a real browser, on the demo county: the county's monthly report and the 司法部 statistics
table, a figure followed to the ledger; both pages saved to docs/screenshots/ (analysis-report.png,
dispute-table.png)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.live import expect, log_in_demo

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_county_report_and_statistics_table(page: Page, screenshot) -> None:
    log_in_demo(page, "admin")
    page.goto("/admin/analysis/")
    expect(page.locator(".portal-title")).to_have_text("矛盾纠纷分析研判")
    accepted = page.locator("#analysis-metrics tr[data-metric='accepted'] td")
    expect(accepted.first).to_have_text("受理纠纷（件）")
    expect(page.locator("#analysis-types tbody tr").first).to_be_visible()
    screenshot(page, "analysis-report.png")
    count = accepted.nth(1).inner_text().strip()
    accepted.nth(1).locator("a").click()
    # The ledger opens filtered to exactly those cases: its list tab counts them.
    expect(page.locator(".nav-link.active").first).to_contain_text(f"({count})")
    assert page.url.split("?")[0].endswith("/admin/cases/") and "flt" in page.url

    page.goto("/admin/dispute_table/")
    expect(page.locator("#dispute-table thead tr").first).to_contain_text("调解成功（件）")
    total = page.locator("#dispute-table tbody tr[data-kind='total'] td")
    expect(total.first).to_have_text("合计")
    # The demo county records what mediation averted: 防止民转刑 and 防止群体性上访 are not all zero.
    assert int(total.nth(7).inner_text()) > 0 and int(total.nth(8).inner_text()) > 0
    screenshot(page, "dispute-table.png")
