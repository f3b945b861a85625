"""批量打印 in a real browser, without Redis (the web process's own background thread, as under `make run`).

The demo county's 文书 opens 批量打印 and retries the demo's 协议书 batch that a restart interrupted (it
completes). Then 新建批量打印: last year's 调解能手 certificates, the count, 开始打印 (confirming the
dialog), and the job page: its progress reaches 100% and the download link appears; the PDF it hands out
has one page per certificate. No CSP violation, no console error. The failed job, the chooser, the
confirmation and the finished job are saved as screenshots (print-job*.png).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from portal import clock
from tests.live import COLLECT_VIOLATIONS, expect, log_in_demo

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_a_clerk_starts_a_batch_and_downloads_it(page: Page, screenshot: Callable[[Page, str], Path]) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.add_init_script(COLLECT_VIOLATIONS)
    log_in_demo(page, "clerk")

    # The demo's 协议书 batch that a restart interrupted: 失败 with the reason, and 重试 finishes it.
    page.goto("/admin/print_jobs/")
    row = page.locator("table.model-list tbody tr", has_text="调解协议书").first
    expect(row).to_contain_text("失败")
    row.locator("td.col-title a").click()
    expect(page.locator("#print-job-error")).to_contain_text("生成中断")
    screenshot(page, "print-job-failed.png")
    page.locator("#print-job-retry button").click()
    expect(page.locator("#print-job-status")).to_have_text("已完成", timeout=90_000)
    expect(page.locator("#print-job-download-link")).to_be_visible()

    page.goto("/admin/print_jobs/")
    page.locator("#print-job-new").click()
    year = str(clock.today().year - 1)
    expect(page.locator("#print-year")).to_have_value(year)
    screenshot(page, "print-job-choose.png")
    page.locator("#print-new-certificates button[type=submit]").click()

    total = int(page.locator("#print-job-total").inner_text())
    assert total >= 1
    expect(page.locator("#print-job-items tbody tr")).to_have_count(total)
    screenshot(page, "print-job-confirm.png")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    polled: list[int] = []
    page.on("response", lambda r: polled.append(r.status) if "/admin/print_jobs/progress/" in r.url else None)
    page.locator("#print-job-start").click()

    expect(page.locator("#print-job-status")).to_have_text("已完成", timeout=60_000)
    assert asked and asked[0].startswith("将在后台生成")
    expect(page.locator("#print-job-percent")).to_have_text("100%")
    expect(page.locator(".progress-bar")).to_have_text(f"{total}/{total}")
    link = page.locator("#print-job-download-link")
    expect(link).to_be_visible()
    screenshot(page, "print-job.png")

    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.body())).pages) == total
    assert all(status == 200 for status in polled)
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
