"""Acceptance (issue 17): the county's administrator — the role that keeps form definitions — builds a
three-field form in the 表单设计器 without typing an expression, previews it at phone size, publishes it,
and a new case of that dispute type shows the conditional field only while the condition holds; the
server validates and stores the answers by the same rule.

Screenshots (docs/screenshots/ with PORTAL_SCREENSHOTS=docs): form-builder-desktop.png,
form-builder-condition.png, form-builder-phone.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, DisputeType, FormDefinition
from portal.services import audit
from tests.conftest import PASSWORD
from tests.factories import build_county
from tests.live import browser_app, chinese_context, choose, expect, log_in, log_out, nav, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

TYPE_NAME = "物业纠纷"
CAUSES = ["欠缴物业费", "服务质量", "公共收益分配"]


@pytest.fixture(scope="module")
def builder_app(tmp_path_factory) -> Iterator[Flask]:
    """The test county without any form definition, CSRF on."""
    url = f"sqlite:///{tmp_path_factory.mktemp('builder') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def builder_url(builder_app: Flask) -> Iterator[str]:
    with serving(builder_app) as url:
        yield url


def _add_field(page: Page, label: str, kind: str, required: bool = False, options: str = "") -> None:
    """Open 添加字段, fill the label and type (no key: it is generated), save, and land back."""
    page.get_by_role("link", name="＋ 添加字段").first.click()
    page.fill("#label", label)
    page.select_option("#type", kind)
    if options:
        page.fill("#options", options)
    if required:
        page.locator('label[for="required_mode-1"]').click()  # 是
    expect(page.locator(".builder-rules-editor")).to_be_hidden()  # 总是显示 until a condition is wanted


def _save(page: Page, label: str) -> None:
    page.get_by_role("button", name="保存到草稿").click()
    expect(page.locator(".alert-success", has_text=f"已保存字段“{label}”")).to_be_visible()


def test_clerk_builds_publishes_and_a_case_follows_the_condition(
    browser: Browser, builder_url: str, builder_app: Flask, screenshot
) -> None:
    with chinese_context(browser, builder_url, width=1366) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        log_in(page, "admin")
        nav(page, "系统管理", "表单设计")
        row = page.locator("tr", has_text=TYPE_NAME).first
        row.get_by_role("button", name="新建表单").click()
        expect(page.locator(".alert-success", has_text=f"已为“{TYPE_NAME}”新建表单")).to_be_visible()

        # 1. a choice field, 2. a text field, 3. a money field shown only for one choice.
        _add_field(page, "纠纷起因", "select_one", required=True, options="\n".join(CAUSES))
        _save(page, "纠纷起因")
        _add_field(page, "物业服务企业", "text")
        _save(page, "物业服务企业")
        _add_field(page, "欠缴金额", "money", required=True)
        page.set_viewport_size({"width": 375, "height": 800})
        screenshot(page, "form-builder-field-phone.png")  # 必填's radios side by side, none overlapping
        page.set_viewport_size({"width": 1366, "height": 900})
        page.locator('label[for="relevant_mode-1"]').click()  # 满足条件时显示
        rule = page.locator("#rules .builder-rule").first
        expect(rule).to_be_visible()
        rule.locator(".builder-rule-field select").select_option(label="纠纷起因（单选）")
        ops = rule.locator(".builder-rule-op select option").all_inner_texts()
        assert ops == ["等于", "不等于", "在…之中", "不在…之中", "为空", "不为空"]
        rule.locator(".builder-rule-op select").select_option(label="等于")
        values = rule.locator(".builder-rule-value select option").all_inner_texts()
        assert values == ["请选择", *CAUSES]  # the field's own choices, nothing to type
        rule.locator(".builder-rule-value select").select_option(label="欠缴物业费")
        screenshot(page, "form-builder-condition.png")
        _save(page, "欠缴金额")

        # The builder reads the condition back in words; the phone preview follows it live.
        expect(page.locator("#field-field_3")).to_contain_text("显示条件：“纠纷起因”等于“欠缴物业费”")
        phone = page.locator("#builder-phone")
        assert phone.bounding_box()["width"] == pytest.approx(375, abs=1)
        amount = phone.locator('.lowcode-field[data-key="field_3"]')
        expect(amount).to_be_hidden()
        phone.locator("select#answers-field_1").select_option("欠缴物业费")
        expect(amount).to_be_visible()
        screenshot(page, "form-builder-desktop.png")
        phone.locator("select#answers-field_1").select_option("服务质量")
        expect(amount).to_be_hidden()

        # Drag 物业服务企业 above 纠纷起因, then undo it.
        page.locator("#field-field_2 .builder-handle").drag_to(
            page.locator("#field-field_1"), target_position={"x": 5, "y": 2}
        )
        expect(page.locator(".alert-success", has_text="已移动字段 field_2")).to_be_visible()
        assert page.locator("tr.builder-row").first.get_attribute("data-key") == "field_2"
        page.get_by_role("button", name="↶ 撤销").click()
        expect(page.locator(".alert-success", has_text="已撤销：移动字段 field_2")).to_be_visible()
        assert page.locator("tr.builder-row").first.get_attribute("data-key") == "field_1"

        # The phone-sized screen: the same page at 375 px.
        page.set_viewport_size({"width": 375, "height": 800})
        page.reload()
        screenshot(page, "form-builder-phone.png")
        page.set_viewport_size({"width": 1366, "height": 900})

        # Publish after the confirmation with its diff.
        page.get_by_role("link", name="发布…").click()
        expect(page.locator(".builder-publish-diff")).to_contain_text("首次发布：表单共 3 个字段")
        expect(page.locator("#publish-changes")).to_contain_text(
            "新增字段“欠缴金额”（金额（元），必填，有显示条件）"
        )
        page.fill("#note", "物业纠纷登记附加表")
        page.get_by_role("button", name="确认发布").click()
        expect(page.locator(".alert-success", has_text="已发布第1版")).to_be_visible()
        log_out(page)

        # A new case of that type: the amount appears only for 欠缴物业费, and the server insists on it.
        log_in(page, "entry_a")
        page.goto("/admin/cases/new/")
        choose(page, "dispute_type", TYPE_NAME)
        section = page.locator("#case-answers .lowcode-form")
        expect(section).to_be_visible()
        amount = section.locator('.lowcode-field[data-key="field_3"]')
        expect(amount).to_be_hidden()
        section.locator("select#answers-field_1").select_option("服务质量")
        expect(amount).to_be_hidden()
        section.locator("select#answers-field_1").select_option("欠缴物业费")
        expect(amount).to_be_visible()
        choose(page, "organization", "马集镇人民调解委员会")
        choose(page, "source", "当事人申请")
        page.fill("#summary", "业主以服务质量差为由拒缴物业费两年，物业公司要求补缴。")
        page.fill("#people_involved", "2")
        choose(page, "risk_level", "低")
        choose(page, "difficulty", "一般")
        page.get_by_role("button", name="添加 当事人").click()
        choose(page, "parties-0-role", "申请人")
        choose(page, "parties-0-kind", "单位")
        page.fill("#parties-0-name", "清河县安居物业服务有限公司")
        page.fill("#parties-0-phone", "13905387711")
        page.fill("#answers-field_2", "清河县安居物业服务有限公司")
        page.locator("form.admin-form input[type=submit][value='保存']").click()
        expect(amount.locator(".invalid-feedback")).to_have_text("请填写此项")
        page.fill("#answers-field_3", "3600")
        page.locator("form.admin-form input[type=submit][value='保存']").click()
        expect(page).to_have_url(re.compile(r"/admin/cases/details/\?id=\d+"))
        assert errors == []

    with builder_app.app_context():
        kind = db.session.scalar(select(DisputeType).where(DisputeType.name == TYPE_NAME))
        definition = db.session.scalar(
            select(FormDefinition).where(FormDefinition.dispute_type_id == kind.id)
        )
        assert definition.latest.body["sections"][0]["fields"][2]["relevant"] == "${field_1} = '欠缴物业费'"
        case = db.session.scalar(select(Case).where(Case.dispute_type_id == kind.id))
        assert case.form_version_id == definition.latest.id
        assert case.answers == {
            "field_1": "欠缴物业费",
            "field_2": "清河县安居物业服务有限公司",
            "field_3": 3600,
        }
        db.session.remove()
