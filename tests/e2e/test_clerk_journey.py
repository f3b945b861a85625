"""The county's 文书 prints a 调解能手 certificate, and anyone can verify it.

The clerk opens an approved 调解能手, prints the 荣誉证书 (a POST that opens the PDF in a new tab), finds
it in the 文书出具记录 with the same SHA-256 as the file received, signs out, and checks the printed 核验码
on the public verification page, as the holder's future employer would.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models.document import DocumentKind, IssuedDocument
from tests.e2e.conftest import Journey
from tests.live import expect, log_in_demo, log_out, nav

if TYPE_CHECKING:
    from playwright.sync_api import Route

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SERIAL = re.compile(r"核验码：([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})")
CERTIFICATE_NUMBER = re.compile(r"\S+〔\d{4}〕\d+号")


def test_clerk_prints_a_certificate_and_verifies_it(journey: Journey, live_app: Flask) -> None:
    page = journey.page
    log_in_demo(page, "clerk")

    # 1. An approved 调解能手.
    nav(page, "考核评价", "调解能手")
    row = page.locator("table.model-list tbody tr", has_text="已批准").first
    holder = row.locator("td.col-mediator").inner_text().strip()
    number = CERTIFICATE_NUMBER.search(row.inner_text()).group(0)
    row.get_by_title("查看记录").click()
    expect(page.locator("#recognition-status")).to_have_text("已批准")
    expect(page.locator("#recognition-serial")).to_have_text(number)
    journey.snap("recognition")

    # 2. 打印证书: the PDF opens in a new tab; keep the bytes the browser received.
    received: list[bytes] = []

    def keep(route: Route) -> None:
        response = route.fetch()
        received.append(response.body())
        route.fulfill(response=response)

    page.context.route("**/print/certificate/**", keep)
    with page.expect_popup() as opened:
        page.locator("#recognition-print").click()
    viewer = opened.value
    viewer.wait_for_load_state("networkidle")
    page.context.unroute("**/print/certificate/**", keep)
    assert len(received) == 1
    pdf = received[0]
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "荣 誉 证 书" in text and holder in text and number in text, text
    serial = SERIAL.search(text).group(1)
    digest = hashlib.sha256(pdf).hexdigest()
    journey.snap("certificate", viewer)
    viewer.close()

    # 3. 文书出具记录 holds it, with the SHA-256 of the file received.
    nav(page, "系统管理", "文书出具记录")
    issued = page.locator("table.model-list tbody tr", has_text=serial)
    expect(issued).to_have_count(1)
    expect(issued).to_contain_text("荣誉证书")
    expect(issued).to_contain_text(number)
    issued.get_by_title("查看记录").click()
    expect(page.locator("table")).to_contain_text(digest)
    journey.snap("issue-record")

    # 4. Signed out, the verification page confirms the 核验码 printed on the certificate.
    log_out(page)
    page.goto("/verify/")
    page.get_by_placeholder(re.compile("核验码")).fill(serial)
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".verify-result")).to_contain_text("核验通过")
    result = page.locator("table")
    expect(result).to_contain_text("荣誉证书")
    expect(result).to_contain_text(number)
    expect(result).to_contain_text(serial)
    expect(result).not_to_contain_text(holder)  # the name is masked on the public page
    journey.snap("verified")
    journey.finish()

    with live_app.app_context():
        document = db.session.scalar(select(IssuedDocument).where(IssuedDocument.serial == serial))
        assert document is not None
        assert document.kind == DocumentKind.CERTIFICATE
        assert document.sha256 == digest
        assert document.number == number
        assert document.issued_by.username == "clerk"
        assert document.revoked_at is None
        db.session.remove()
