"""A township's 录入员 registers a neighbours' dispute and carries it to an agreement.

The clerk of 城关司法所 registers the dispute with both neighbours as parties (受理登记), assigns it to the
street's committee and its mediator (分流交办, with the 四定), records the mediation session in which they
agreed, settles it with a written agreement (调解成功) and finds it in the ledger as 调解成功.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models.case import Case, CaseStatus
from portal.models.org import Organization
from portal.models.people import Mediator, MediatorStatus
from portal.services.deadlines import local_today
from portal.validators import make_id_number
from tests.e2e.conftest import Journey
from tests.factories import REGION
from tests.live import choose, confirm, expect, fill_date, log_in_demo, nav, status, step_buttons, take_step

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

COMMITTEE = "城关街道人民调解委员会"
APPLICANT = "高秀英"
RESPONDENT = "马德胜"
TERMS = f"{RESPONDENT}于本月内拆除搭建在两户之间通道上的彩钢棚，并赔偿{APPLICANT}修缮院墙费用三千元。"


def test_entry_registers_a_case_and_settles_it(journey: Journey, live_app: Flask) -> None:
    page = journey.page
    accepted = local_today() - timedelta(days=2)
    with live_app.app_context():  # the committee's mediator, whose name the demo generated
        mediator = db.session.scalar(
            select(Mediator.name)
            .join(Organization)
            .where(Organization.name == COMMITTEE, Mediator.status == MediatorStatus.ACTIVE)
            .order_by(Mediator.id)
        )
        db.session.remove()
    assert mediator, f"the demo county has no mediator in {COMMITTEE}"

    log_in_demo(page, "entry")

    # 1. 受理登记 with both neighbours.
    nav(page, "矛盾纠纷", "纠纷台账")
    page.locator(".nav-tabs").get_by_role("link", name="创建").click()
    choose(page, "organization", COMMITTEE)
    choose(page, "source", "当事人申请")
    choose(page, "dispute_type", "邻里纠纷")
    fill_date(page, "accepted_on", accepted.isoformat())
    fill_date(page, "occurred_on", (accepted - timedelta(days=10)).isoformat())
    page.fill("#place", "城关街道阳光社区七号楼")
    page.fill(
        "#summary",
        f"{RESPONDENT}在两户之间的公共通道上搭建彩钢棚，雨水冲刷{APPLICANT}家院墙致墙体开裂，双方多次争吵。",
    )
    page.fill("#claims", "拆除彩钢棚，赔偿院墙修缮费用")
    page.fill("#people_involved", "2")
    choose(page, "risk_level", "低")
    choose(page, "difficulty", "一般")
    add_party = page.get_by_role("button", name="添加 当事人")
    add_party.click()
    add_party.click()
    for i, (role, name, gender, born, phone) in enumerate(
        [
            ("申请人", APPLICANT, "女", date(1962, 8, 19), "13905387711"),
            ("被申请人", RESPONDENT, "男", date(1958, 1, 6), "13605382290"),
        ]
    ):
        choose(page, f"parties-{i}-role", role)
        choose(page, f"parties-{i}-kind", "自然人")
        page.fill(f"#parties-{i}-name", name)
        choose(page, f"parties-{i}-gender", gender)
        sex = "female" if gender == "女" else "male"
        page.fill(f"#parties-{i}-id_number", make_id_number(REGION, born, 30 + i, sex))
        page.fill(f"#parties-{i}-phone", phone)
        page.fill(f"#parties-{i}-address", "城关街道阳光社区七号楼")
    # The type's own form (forms/neighbour_dispute.yaml) in two steps; its cascades narrow as one picks.
    answers = page.locator("#case-answers")
    expect(answers.locator(".lowcode-steps .nav-link.active")).to_contain_text("基本情况")
    expect(answers.get_by_role("button", name="上一步")).to_be_disabled()
    page.select_option("#answers-province", label="山东省")
    expect(page.locator("#answers-city option")).to_have_text(["请选择", "菏泽市", "济宁市"])
    page.select_option("#answers-city", label="菏泽市")
    page.select_option("#answers-county", label="清河县")
    page.select_option("#answers-township", label="城关街道")  # from the organisation tree
    page.select_option("#answers-category", label="通行")
    expect(page.locator("#answers-detail option")).to_have_text(
        ["请选择", "道路被堵", "私设路障", "其他情形"]
    )
    page.select_option("#answers-detail", label="私设路障")
    page.fill("#answers-households", "2")
    answers.locator("label[for='answers-mediated_before-0']").click()
    answers.get_by_role("button", name="下一步").click()
    expect(page.locator("#answers-host_mediator")).to_be_visible()
    expect(page.locator("#answers-province")).to_be_hidden()
    host = page.locator("#answers-host_mediator option", has_text=mediator).first.get_attribute("value")
    page.select_option("#answers-host_mediator", value=host)  # the register, as the clerk may see it
    journey.snap("registration-form")
    page.locator("form.admin-form input[type=submit][value='保存']").click()
    expect(page).to_have_url(re.compile(r"/admin/cases/details/\?id=\d+"))
    number = page.locator(".case-number").inner_text().strip()
    assert re.fullmatch(rf"（{accepted.year}）\w+人调字第\d+号", number), number
    assert status(page) == "受理登记"
    expect(page.locator(".card", has_text="当事人（2）")).to_contain_text(RESPONDENT)
    shown = page.locator(".case-answers-card")
    for text in ("菏泽市", "清河县", "城关街道", "私设路障", mediator):
        expect(shown).to_contain_text(text)

    # 2. 分流交办 to the committee and its mediator, with the 四定.
    take_step(page, "分流交办")
    choose(page, "organization", COMMITTEE)
    choose(page, "mediators", mediator)
    page.fill("#responsible_person", mediator)
    page.fill("#measures", "实地查看通道和院墙，约双方到社区调解室面对面协商。")
    confirm(page, "分流交办", number)
    assert status(page) == "分流交办"

    # 3. 开始调解, and the session in which they agreed.
    take_step(page, "开始调解")
    confirm(page, "开始调解", number)
    take_step(page, "调解记录")
    fill_date(page, "held_at", f"{(accepted + timedelta(days=1)).isoformat()} 09:30:00")
    page.fill("#content", "释明相邻关系的法律规定，双方同意拆除彩钢棚、由被申请人承担院墙修缮费用。")
    page.select_option("#result", label="达成协议")
    confirm(page, "调解记录", number)
    assert "调解成功" in step_buttons(page)
    journey.snap("mediating")

    # 4. 调解成功 with the written agreement.
    take_step(page, "调解成功")
    page.select_option("#form", label="书面协议")
    page.fill("#terms", TERMS)
    page.fill("#amount", "3000")
    page.fill("#performance_manner", "现金支付")
    confirm(page, "调解成功", number)
    assert status(page) == "调解成功"
    expect(page.locator(".card", has_text="调解协议（书面协议）")).to_contain_text("3000.00 元")
    journey.snap("settled")

    # 5. The ledger lists it as 调解成功.
    nav(page, "矛盾纠纷", "纠纷台账")
    page.fill("input[name=search]", APPLICANT)
    page.keyboard.press("Enter")
    row = page.locator("table.model-list tbody tr", has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("调解成功")
    journey.snap("ledger")
    journey.finish()

    with live_app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        assert case.status == CaseStatus.SETTLED
        assert case.organization.name == COMMITTEE
        assert [m.name for m in case.mediators] == [mediator]
        assert sorted(p.name for p in case.parties) == sorted([APPLICANT, RESPONDENT])
        assert case.agreement is not None and case.agreement.terms == TERMS
        assert case.agreement.amount == Decimal("3000.00")
        assert case.registered_by.username == "entry"
        db.session.remove()
