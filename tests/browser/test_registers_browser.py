"""The 调解员名册 in a real browser: sign-in, masking, validation, a CSRF-protected save, scope.

Screenshots of each page are written to docs/screenshots/ for reviewers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from portal.extensions import db
from portal.models.auth import User
from portal.models.people import Mediator
from portal.services.demo.seed import DEMO_PASSWORD
from tests.live import expect, log_out

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

MASKED_PHONE = re.compile(r"1\d\d\*\*\*\*\d{4}")
# A bare 11-digit mobile number, not part of a longer run of digits.
UNMASKED_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and submit the sign-in form."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登 录").click()


def column_texts(page: Page, header: str) -> list[str]:
    """Return the text of the list table's column titled `header`, one item per row."""
    headers = [text.strip() for text in page.locator("table.model-list thead th").all_inner_texts()]
    assert header in headers, f"no column {header!r} in {headers}"
    index = headers.index(header)
    rows = page.locator("table.model-list tbody tr")
    return [rows.nth(i).locator("td").nth(index).inner_text().strip() for i in range(rows.count())]


def wrong_check_char(id_number: str) -> str:
    """Return the ID number with a different last character, so its check character is wrong."""
    last = id_number[-1]
    replacement = "0" if last == "X" else str((int(last) + 1) % 10)
    return id_number[:-1] + replacement


def test_admin_signs_in_edits_a_mediator_and_signs_out(page: Page, live_server: str, screenshot) -> None:
    """Walk the admin through sign-in, the masked list, a rejected and an accepted edit, and sign-out."""
    # 1. The admin is behind the sign-in page.
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("body")).to_contain_text("大调解综合管理平台")
    expect(page.locator("input#username")).to_be_visible()
    expect(page.locator("input#password[type=password]")).to_be_visible()
    screenshot(page, "login.png")

    # 2. A wrong password is refused in Chinese.
    log_in(page, "admin", DEMO_PASSWORD + "x")
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()

    # 3. The right one opens the dashboard.
    log_in(page, "admin")
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    expect(page.locator(".portal-title")).to_have_text("工作台")
    screenshot(page, "dashboard.png")

    # 4. The roster lists mediators with Chinese headers and masked phone numbers.
    page.goto("/admin/mediators/")
    table = page.locator("table.model-list")
    expect(table.locator("tbody tr").first).to_be_visible()
    assert table.locator("tbody tr").count() > 1
    headers = table.locator("thead th")
    expect(headers.filter(has_text="姓名")).to_have_count(1)
    expect(headers.filter(has_text="所属组织")).to_have_count(1)
    table_text = table.inner_text()
    assert MASKED_PHONE.search(table_text), "no masked phone number in the list"
    assert not UNMASKED_MOBILE.search(table_text), "an unmasked mobile number is in the list"
    screenshot(page, "mediators_list.png")

    # 5. The edit form of the first mediator speaks Chinese and includes the trainings.
    table.locator("tbody tr").first.locator("a[href*='/admin/mediators/edit/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/mediators/edit/"))
    form = page.locator("form.admin-form")
    for label in ("身份证号", "所属组织", "培训日期"):
        expect(form.locator("label", has_text=label).first).to_be_visible()
    expect(form.get_by_role("button", name="添加 培训记录")).to_be_visible()
    expect(form.locator("input#csrf_token")).to_have_value(re.compile(r".{20,}"))
    screenshot(page, "mediator_edit.png")

    # 6. A wrong check character is refused next to the field; the right one saves (CSRF included).
    id_field = page.locator("#id_number")
    id_number = id_field.input_value()
    id_field.fill(wrong_check_char(id_number))
    page.locator("form.admin-form [type=submit]").first.click()
    error = page.locator("#id_number ~ .invalid-feedback")
    expect(error).to_be_visible()
    expect(error).to_contain_text("身份证号校验位不正确")
    expect(id_field).to_have_class(re.compile(r"\bis-invalid\b"))
    screenshot(page, "mediator_validation.png")

    page.locator("#id_number").fill(id_number)
    page.locator("form.admin-form [type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/mediators/(\?.*)?$"))
    expect(page.locator(".alert-success")).to_contain_text(re.compile("保存.*成功"))

    # 7. Sign out through the user menu (its dropdown works once the page's scripts have run).
    log_out(page)
    expect(page.locator("input#username")).to_be_visible()


def test_entry_clerk_sees_only_own_township(page: Page, live_server: str, live_app) -> None:
    """The township's entry clerk sees only its own mediators and no user management."""
    with live_app.app_context():
        township = db.session.scalar(db.select(User).where(User.username == "entry")).organization.name
        county_total = db.session.scalar(db.select(db.func.count()).select_from(Mediator))
        db.session.remove()

    page.goto("/login")
    log_in(page, "entry")
    expect(page.locator(".portal-title")).to_have_text("工作台")
    page.goto("/admin/mediators/")
    expect(page.locator("table.model-list tbody tr").first).to_be_visible()

    organisations = column_texts(page, "所属组织")
    assert 0 < len(organisations) < county_total
    assert all(township in text for text in organisations), organisations
    expect(page.locator("#admin-navbar-collapse a", has_text="用户管理")).to_have_count(0)
