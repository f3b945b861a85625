"""The 纠纷台账 in a real browser: one case from 受理登记 to 结案归档, clicked through in Chinese.

An entry clerk of 马集镇 registers a case with two parties, assigns it, records two mediation
sessions, settles it with an agreement, records a follow-up visit and archives it. The ledger,
the filled registration form, the case page with its step buttons and the archived case's
timeline are saved to docs/screenshots/ for reviewers.

The county is the one of tests/factories.py (not the demo county of the other browser test), so
the case is numbered （YYYY）MJ人调字第N号; a few cases registered through the services beforehand
give the ledger red, yellow and blue badges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask_migrate import upgrade

from portal.extensions import db
from portal.services import audit, cases
from portal.services.deadlines import local_today
from portal.validators import make_id_number
from tests.conftest import PASSWORD
from tests.factories import REGION, County, build_county, four_fixed, new_case
from tests.live import (
    browser_app,
    chinese_context,
    choose,
    confirm,
    expect,
    fill_date,
    log_in,
    serving,
    status,
    step_buttons,
    take_step,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

MJ = "马集镇人民调解委员会"
MEDIATOR = "马集调解员"
APPLICANT = "王建国"
RESPONDENT = "李红霞"
# The steps of the case, in the order its timeline must list them.
TIMELINE = ["受理登记", "分流交办", "开始调解", "调解记录", "调解记录", "调解成功", "回访", "结案归档"]


# --- a live server on the test county --------------------------------------------------------------


# Cases registered beforehand: (organisation, 风险等级, dispute type code, parties, summary, days ago).
EXTRA_CASES = [
    ("mj", "high", "08", ("赵永福", "钱广仁"), "征地补偿款分配争议，多户村民集体反映", 0),
    ("mj_village", "medium", "03", ("孙桂兰", "孙桂芝"), "姐妹二人因老宅宅基地使用权界址发生争执", 5),
    ("mj", "low", "13", ("刘志强", "陈立军"), "两车在村口路段发生剐蹭，就修车费用协商不成", 2),
    ("mj", "low", "10", ("周海涛", "吴建业"), "农民工讨要拖欠的三个月工资", 45),
]


def _add_ledger_cases(county: County, today: date) -> None:
    """Register a few cases so the ledger shows red, yellow and blue badges and several statuses.

    The last one was accepted 45 days ago and assigned the next day: it is overdue, hence red.
    """
    entry = county.users["entry_a"]
    for org, risk, type_code, parties, summary, days_ago in EXTRA_CASES:
        case = new_case(
            db.session,
            entry,
            getattr(county, org),
            today=today,
            risk_level=risk,
            type_code=type_code,
            parties=parties,
            summary=summary,
            accepted_on=today - timedelta(days=days_ago),
        )
    cases.assign(
        db.session,
        case,
        entry,
        organization=county.mj,
        mediators=[county.mediators[MEDIATOR]],
        today=today - timedelta(days=44),
        **four_fixed(case, MEDIATOR),
    )


@pytest.fixture(scope="module")
def ledger_app(tmp_path_factory) -> Iterator[Flask]:
    """An app with CSRF on over a fresh SQLite file holding the test county and a few cases."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'portal.sqlite3'}"
    app = browser_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            build_county(db.session, PASSWORD)
            db.session.commit()
            _add_ledger_cases(County.load(db.session), local_today())
            db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def ledger_server(ledger_app: Flask) -> Iterator[str]:
    """Serve `ledger_app`; yield its base URL."""
    with serving(ledger_app) as url:
        yield url


@pytest.fixture
def wide_page(browser: Browser, ledger_server: str) -> Iterator[Page]:
    """A fresh Chinese browser context 1400 px wide on the ledger server."""
    with chinese_context(browser, ledger_server) as context:
        yield context.new_page()


# --- the walk-through --------------------------------------------------------------------------------


def test_a_case_from_registration_to_archive(wide_page: Page, screenshot) -> None:
    """Register, assign, mediate twice, settle, follow up and archive one case, all in the browser."""
    page = wide_page
    today = local_today()
    accepted = today - timedelta(days=3)
    log_in(page, "entry_a")

    # 1. The ledger lists the township's cases; 创建 opens the registration form.
    page.goto("/admin/cases/")
    expect(page.locator(".portal-title")).to_have_text("纠纷台账")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(4)
    page.locator(".nav-tabs").get_by_role("link", name="创建").click()
    expect(page).to_have_url(re.compile(r"/admin/cases/new/"))

    choose(page, "organization", MJ)
    choose(page, "source", "当事人申请")
    choose(page, "dispute_type", "民间借贷纠纷")
    fill_date(page, "accepted_on", accepted.isoformat())
    fill_date(page, "occurred_on", (accepted - timedelta(days=60)).isoformat())
    page.fill("#place", "马集镇前李村")
    page.fill(
        "#summary",
        f"{APPLICANT}于今年初借给同村{RESPONDENT}人民币五万元用于经营，约定半年内归还，"
        "到期后多次催要未果，双方发生争执。",
    )
    page.fill("#claims", "要求归还借款五万元")
    page.fill("#people_involved", "2")
    page.fill("#amount", "50000")
    choose(page, "risk_level", "中")
    choose(page, "difficulty", "一般")

    # Two parties through the inline 添加 当事人 button.
    add_party = page.get_by_role("button", name="添加 当事人")
    add_party.click()
    add_party.click()
    expect(page.locator("#parties .inline-field-list > .inline-field")).to_have_count(2)
    choose(page, "parties-0-role", "申请人")
    choose(page, "parties-0-kind", "自然人")
    page.fill("#parties-0-name", APPLICANT)
    choose(page, "parties-0-gender", "男")
    page.fill("#parties-0-id_number", make_id_number(REGION, date(1968, 4, 12), 21, "male"))
    page.fill("#parties-0-phone", "13905381234")
    page.fill("#parties-0-address", "马集镇前李村三组")
    choose(page, "parties-1-role", "被申请人")
    choose(page, "parties-1-kind", "自然人")
    page.fill("#parties-1-name", RESPONDENT)
    choose(page, "parties-1-gender", "女")
    page.fill("#parties-1-id_number", make_id_number(REGION, date(1975, 9, 3), 37, "female"))
    page.fill("#parties-1-phone", "13605387788")
    page.fill("#parties-1-address", "马集镇前李村五组")
    screenshot(page, "case-register-form.png")

    page.locator("form.admin-form input[type=submit][value='保存']").click()
    expect(page).to_have_url(re.compile(r"/admin/cases/details/\?id=\d+"))
    number = page.locator(".case-number").inner_text().strip()
    assert re.fullmatch(rf"（{accepted.year}）MJ人调字第\d+号", number), number
    expect(page.locator(".alert-success")).to_have_count(1)  # one confirmation, not two
    assert status(page) == "受理登记"
    expect(page.locator(".card", has_text="当事人（2）")).to_contain_text(APPLICANT)
    expect(page.locator(".card", has_text="当事人（2）")).to_contain_text(RESPONDENT)

    # 2. 分流交办 to 马集镇 with its mediator, picked in the Select2 widgets.
    assert step_buttons(page)[0] == "分流交办"
    take_step(page, "分流交办")
    # The widgets speak Chinese too (templates/admin/cases/_zh_widgets.html).
    page.locator("#s2id_mediators").click()
    page.keyboard.type("查无此人")
    expect(page.locator(".select2-drop-active .select2-no-results")).to_have_text("没有找到匹配项")
    page.keyboard.press("Escape")
    choose(page, "organization", MJ)
    choose(page, "mediators", MEDIATOR)
    # 四定: 责任单位 and 办结时限 come filled in; 责任人 and 化解措施 are the assigner's to write.
    expect(page.locator("#responsible_unit")).to_have_value(MJ)
    page.fill("#responsible_person", MEDIATOR)
    page.fill("#measures", "核实借条及转账记录，约双方面对面协商分期还款。")
    page.fill("#note", "请马集镇调解委员会依法调解，注意稳控情绪。")
    confirm(page, "分流交办", number)
    assert status(page) == "分流交办"
    expect(page.locator(".case-header")).to_contain_text(f"调解员 {MEDIATOR}")

    # 3. 开始调解; the page now offers the mediation steps.
    take_step(page, "开始调解")
    confirm(page, "开始调解", number)
    assert status(page) == "调解中"
    buttons = step_buttons(page)
    # No result can be recorded before the mediation itself is.
    assert buttons[0] == "调解记录" and "调解成功" not in buttons, buttons

    # Two 调解记录, on the days after acceptance (times are Beijing wall time).
    sessions = [
        (
            accepted + timedelta(days=1),
            "09:30:00",
            "分别听取双方陈述，核实借条及转账记录，被申请人承认借款事实但称暂无能力一次还清。",
            "继续调解",
        ),
        (accepted + timedelta(days=2), "15:00:00", "释法明理，双方就分期还款方案达成一致意见。", "达成协议"),
    ]
    for day, time, content, result in sessions:
        take_step(page, "调解记录")
        expect(page.locator("#s2id_mediators")).to_contain_text(MEDIATOR)
        fill_date(page, "held_at", f"{day.isoformat()} {time}")
        expect(page.locator(".daterangepicker .applyBtn").first).to_have_text("确定")
        page.fill("#content", content)
        page.select_option("#result", label=result)
        confirm(page, "调解记录", number)
    expect(page.locator(".case-session")).to_have_count(2)
    buttons = step_buttons(page)
    assert buttons[:3] == ["调解记录", "调解成功", "调解不成"], buttons
    screenshot(page, "case-steps.png")
    expect(page.locator(".case-session").first).to_contain_text(f"{sessions[0][0].isoformat()} 09:30")

    # 4. 调解成功 with the agreement's terms and amount.
    take_step(page, "调解成功")
    page.select_option("#form", label="书面协议")
    page.fill(
        "#terms", f"{RESPONDENT}分两期归还{APPLICANT}借款五万元：本月底前归还三万元，三个月内归还余款两万元。"
    )
    page.fill("#amount", "50000")
    page.fill("#performance_manner", "银行转账")
    confirm(page, "调解成功", number)
    assert status(page) == "调解成功"
    agreement = page.locator(".card", has_text="调解协议（书面协议）")
    expect(agreement).to_contain_text("50000.00 元")

    # 5. 回访 with the satisfaction score.
    take_step(page, "回访")
    page.select_option("#method", label="电话回访")
    page.select_option("#performance", label="部分履行")
    page.fill("#satisfaction", "5")
    page.select_option("#evaluation", label="满意")  # 群众评议: the party's own verdict
    page.select_option("#remaining_risk", label="已化解")
    page.fill("#notes", "首期三万元已按期归还，双方表示满意。")
    confirm(page, "回访", number)
    assert status(page) == "已回访"
    expect(page.locator(".card", has_text="回访记录（1）")).to_contain_text("5 分")

    # 6. 结案归档 closes the case: no more corrections, and the only step left is 越级上访.
    take_step(page, "结案归档")
    confirm(page, "结案归档", number)
    assert status(page) == "结案归档"
    assert step_buttons(page) == ["越级上访"]
    expect(page.locator(".nav-tabs").get_by_role("link", name="修改登记信息")).to_have_count(0)

    timeline = page.locator("#case-timeline > li .case-timeline-head strong").all_inner_texts()
    assert [t.strip() for t in timeline] == TIMELINE
    screenshot(page, "case-timeline.png")

    # The ledger lists the archived case with the others.
    page.goto("/admin/cases/")
    expect(rows).to_have_count(5)
    expect(page.locator("table.model-list")).to_contain_text(number)
    for colour in ("red", "yellow", "blue"):
        assert page.locator(f"table.model-list .badge-risk-{colour}").count() > 0, colour
    screenshot(page, "ledger-list.png")
