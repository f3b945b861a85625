"""The county administrator registers a mediator and publishes a change to a dispute form.

A new part-time mediator joins 城关街道人民调解委员会: the administrator registers her with her 身份证号 and
a first training, and finds her in the roster with the number masked. The 物业纠纷 form then gets a field for
the property service contract's number: added in the form designer, published as the next version after the
confirmation, and seen in the registration form of a new 物业纠纷 case, which now uses that version.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditAction, AuditEvent
from portal.models.formdef import FormDefinition
from portal.models.people import Employment, Mediator, MediatorPosition
from portal.services.deadlines import local_today
from portal.validators import make_id_number
from tests.e2e.conftest import Journey
from tests.factories import REGION
from tests.live import choose, expect, fill_date, log_in_demo, nav

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

COMMITTEE = "城关街道人民调解委员会"
NAME = "韩立新"
FORM = "物业纠纷"
FIELD_KEY = "service_contract_no"
FIELD_LABEL = "物业服务合同编号"


def test_admin_registers_a_mediator_and_publishes_a_form_change(journey: Journey, live_app: Flask) -> None:
    page = journey.page
    id_number = make_id_number(REGION, date(1979, 3, 15), 7, "female")
    with live_app.app_context():
        form = db.session.scalar(select(FormDefinition).where(FormDefinition.title == FORM))
        published = form.latest.number
        db.session.remove()

    log_in_demo(page, "admin")

    # 1. 调解员名册 → 创建: her particulars, with a first training added inline.
    nav(page, "组织与人员", "调解员名册")
    page.locator(".nav-tabs").get_by_role("link", name="创建").click()
    expect(page).to_have_url(re.compile(r"/admin/mediators/new/"))
    choose(page, "organization", COMMITTEE)
    page.fill("#name", NAME)
    choose(page, "gender", "女")
    page.fill("#id_number", id_number)
    page.fill("#phone", "13905381267")
    choose(page, "position", "调解员", exact=True)
    choose(page, "employment", "兼职")
    fill_date(page, "appointed_on", (local_today() - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="添加 培训记录").click()
    fill_date(page, "trainings-0-held_on", (local_today() - timedelta(days=7)).isoformat())
    choose(page, "trainings-0-level", "县级")
    page.fill("#trainings-0-hours", "8")
    page.fill("#trainings-0-topic", "人民调解法与调解技巧岗前培训")
    journey.snap("mediator-form")
    page.locator("form.admin-form [type=submit]").first.click()
    expect(page.locator(".alert-success")).to_contain_text("创建成功")

    # She is in the roster, with her number masked.
    page.fill("input[name=search]", NAME)
    page.keyboard.press("Enter")
    row = page.locator("table.model-list tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(COMMITTEE)
    expect(row.locator("td.col-training_hours")).to_have_text("8")
    expect(row).to_contain_text("139****1267")
    journey.snap("mediator-in-roster")

    # 2. 自定义表单 → 物业纠纷: add a field to the draft.
    nav(page, "系统管理", "自定义表单")
    page.locator("table.model-list").get_by_role("link", name=FORM, exact=True).click()
    expect(page.locator(".badge-success")).to_have_text(f"现行第{published}版")
    page.locator(".builder-section").first.get_by_role("link", name="＋ 添加字段").click()
    page.fill("#key", FIELD_KEY)
    page.fill("#label", FIELD_LABEL)
    page.select_option("#type", "text")
    page.locator("summary", has_text="更多设置").click()  # 格式 is among the settings a clerk rarely needs
    page.fill("#pattern", r"[A-Za-z0-9-]{4,30}")
    page.fill("#help", "见物业服务合同首页，如 WY-2024-0158")
    journey.snap("form-field")
    page.get_by_role("button", name="保存到草稿").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已保存字段“{FIELD_LABEL}”")
    expect(page.locator(f"#field-{FIELD_KEY}")).to_contain_text(FIELD_LABEL)
    expect(page.locator(".badge-warning")).to_have_text("草稿有未发布的修改")

    # 3. Publish as the next version, after the confirmation page with what changes.
    page.get_by_role("link", name=f"发布第{published + 1}版…").click()
    expect(page.locator("#publish-changes")).to_contain_text(
        f"新增字段“{FIELD_LABEL}”（{FIELD_KEY}，单行文本）"
    )
    page.fill("#note", f"增加“{FIELD_LABEL}”字段")
    page.get_by_role("button", name="确认发布").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已发布第{published + 1}版")
    expect(page.locator(".badge-success")).to_have_text(f"现行第{published + 1}版")
    expect(page.locator(".badge-warning")).to_have_count(0)
    journey.snap("form-published")

    # 4. The new version is the one a new 物业纠纷 case fills in.
    nav(page, "矛盾纠纷", "纠纷台账")
    page.locator(".nav-tabs").get_by_role("link", name="创建").click()
    choose(page, "dispute_type", FORM)
    field = page.locator(f'#case-answers .lowcode-field[data-key="{FIELD_KEY}"]')
    expect(field).to_be_visible()
    expect(field).to_contain_text(FIELD_LABEL)
    journey.snap("new-version-in-case-form")
    journey.finish()

    # The outcome, as stored.
    with live_app.app_context():
        person = db.session.scalar(select(Mediator).where(Mediator.id_number == id_number))
        assert person is not None and person.name == NAME
        assert person.organization.name == COMMITTEE
        assert person.birth_date == date(1979, 3, 15)  # taken from the ID number
        assert (person.position, person.employment) == (MediatorPosition.MEDIATOR, Employment.PART_TIME)
        assert [t.topic for t in person.trainings] == ["人民调解法与调解技巧岗前培训"]
        created = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.entity == "mediator",
                AuditEvent.entity_id == str(person.id),
                AuditEvent.action == AuditAction.CREATE,
            )
        )
        assert created is not None and created.actor.username == "admin"
        form = db.session.scalar(select(FormDefinition).where(FormDefinition.title == FORM))
        assert form.latest.number == published + 1
        assert form.latest.published_by.username == "admin"
        assert form.latest.note == f"增加“{FIELD_LABEL}”字段"
        keys = [f["key"] for section in form.latest.body["sections"] for f in section.get("fields", [])]
        assert FIELD_KEY in keys
        assert not form.draft_dirty
        db.session.remove()
