"""以案定补申报: 申报 → 审核 (核定金额) → 审批 (locked) → 发放, 退回/撤回, no double pay, roles, xlsx."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import AuditEvent, Difficulty, User
from portal.models.subsidy import (
    ClaimEventKind,
    ClaimStatus,
    LockedClaimError,
    PaymentMethod,
    SubsidyClaim,
    SubsidyClaimCase,
)
from portal.services import DomainError, subsidy_claims, subsidy_payments, subsidy_sheets
from portal.services.deadlines import local_today
from tests.assessment_ledger import add_evaluator, settled

PERIOD = "2025Q1"
K, S = ClaimEventKind, ClaimStatus


def ledger(county):
    """MJ: 马集调解员's case (100), one shared with 前李调解员 (50 + 50), a 疑难 one (200); LL: one."""
    entry = county.users["entry_a"]
    ma, li = county.mediators["马集调解员"], county.mediators["前李调解员"]
    cases = [
        settled(db.session, entry, county.mj, [ma], date(2025, 1, 6)),
        settled(db.session, entry, county.mj, [ma, li], date(2025, 2, 3)),
        settled(db.session, entry, county.mj_village, [li], date(2025, 3, 2), difficulty=Difficulty.HARD),
    ]
    other = settled(
        db.session, county.users["entry_b"], county.ll, [county.mediators["柳林调解员"]], date(2025, 2, 10)
    )
    return cases, other


def declare(county, username="entry_a", org=None, period=PERIOD):
    return subsidy_claims.declare(
        db.session, county.users[username], org or county.mj, period=period, today=local_today()
    )


def person(county, username: str, roles: list[str], org) -> User:
    user = User(username=username, full_name=f"测试{username}", organization=org)
    user.roles = roles
    user.set_password("Passw0rd2026")
    db.session.add(user)
    db.session.flush()
    county.users[username] = user
    return user


def steps(claim: SubsidyClaim) -> list[ClaimEventKind]:
    return [e.kind for e in claim.events]


def test_the_whole_flow_with_an_adjustment(county):
    """申报 freezes the lines; 审核 adjusts one with a reason; 审批 locks; 发放 records the payment."""
    ledger(county)
    claim = declare(county)
    assert claim.status == S.DECLARED and claim.number == f"MJ补申〔{local_today().year}〕1号"
    assert claim.period_start == date(2025, 1, 1) and claim.period_end == date(2025, 3, 31)
    assert len(claim.cases) == 3 and len(claim.lines) == 4
    assert claim.declared_total == claim.total == Decimal(400)  # 100 + 50 + 50 + 200
    hard = next(line for line in claim.lines if line.declared_amount == Decimal(200))
    evaluator, admin = county.users["evaluator"], county.users["admin"]
    subsidy_claims.adjust(
        db.session,
        claim,
        hard,
        evaluator,
        amount="120.50",
        reason="卷宗缺少回访照片",
        expected_version=claim.version,
    )
    assert hard.amount == Decimal("120.50") and hard.declared_amount == Decimal(200)
    assert claim.total == Decimal("320.50") and claim.declared_total == Decimal(400)
    subsidy_claims.review(db.session, claim, evaluator, note="同意", expected_version=claim.version)
    subsidy_claims.approve(db.session, claim, admin, expected_version=claim.version)
    assert claim.is_locked and claim.approved_by == admin
    subsidy_claims.pay(
        db.session,
        claim,
        admin,
        paid_on=local_today(),
        method=PaymentMethod.BANK,
        voucher_number="记-2025-031",
        today=local_today(),
        expected_version=claim.version,
    )
    assert claim.status == S.PAID and claim.voucher_number == "记-2025-031"
    assert steps(claim) == [K.DECLARE, K.ADJUST, K.REVIEW, K.APPROVE, K.PAY]
    assert [(e.from_status, e.to_status) for e in claim.events][-1] == (S.APPROVED, S.PAID)
    adjust = claim.events[1]
    assert adjust.details["before"] == "200.00" and adjust.details["after"] == "120.50"
    assert adjust.note == "卷宗缺少回访照片"
    # Each step is audited as that step, on the claim's row.
    logged = db.session.scalars(
        select(AuditEvent.step).where(
            AuditEvent.entity == "subsidy_claim", AuditEvent.entity_id == str(claim.id)
        )
    ).all()
    assert {"申报", "核定金额", "审核", "审批", "发放"} <= set(logged)


def test_amounts_are_locked_once_approved(county):
    """After 审批 no step adjusts, and a change written straight to a line or the total is refused."""
    ledger(county)
    claim = declare(county)
    subsidy_claims.review(db.session, claim, county.users["evaluator"])
    subsidy_claims.approve(db.session, claim, county.users["admin"])
    line = claim.lines[0]
    with pytest.raises(DomainError, match="已审批"):
        subsidy_claims.adjust(db.session, claim, line, county.users["evaluator"], amount="1", reason="改")
    line.amount = Decimal(1)
    with pytest.raises(LockedClaimError, match="已锁定"):
        db.session.flush()
    db.session.rollback()
    claim.total = Decimal(1)
    with pytest.raises(LockedClaimError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(claim.events[0])
    with pytest.raises(LockedClaimError, match="不能删除"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DomainError, match="已审批"):
        subsidy_claims.return_claim(db.session, claim, county.users["admin"], reason="再看看")


def test_return_resubmit_and_return_after_review(county):
    """退回 goes back to 申报 with the reason; the office answers; the approver can send it back too."""
    ledger(county)
    claim = declare(county)
    evaluator, admin, entry = county.users["evaluator"], county.users["admin"], county.users["entry_a"]
    subsidy_claims.return_claim(db.session, claim, evaluator, reason="请补充回访记录")
    assert claim.status == S.DECLARED and claim.is_returned and claim.return_reason == "请补充回访记录"
    with pytest.raises(DomainError, match="已退回申报单位"):
        subsidy_claims.review(db.session, claim, evaluator)
    with pytest.raises(DomainError, match="补正情况"):
        subsidy_claims.resubmit(db.session, claim, entry, note=" ")
    subsidy_claims.resubmit(db.session, claim, entry, note="已补充")
    assert not claim.is_returned
    subsidy_claims.review(db.session, claim, evaluator)
    subsidy_claims.return_claim(db.session, claim, admin, reason="金额与台账不符")
    assert claim.status == S.DECLARED and claim.reviewed_by is None and claim.is_returned
    assert steps(claim) == [K.DECLARE, K.RETURN, K.RESUBMIT, K.REVIEW, K.RETURN]


def test_withdraw_before_review_releases_the_cases(county):
    """撤回 is possible only before 审核, needs a reason, and lets the cases be declared again."""
    ledger(county)
    claim = declare(county)
    entry = county.users["entry_a"]
    with pytest.raises(DomainError, match="撤回理由"):
        subsidy_claims.withdraw(db.session, claim, entry, reason="")
    subsidy_claims.withdraw(db.session, claim, entry, reason="漏报案件")
    assert claim.status == S.WITHDRAWN and all(c.released for c in claim.cases)
    again = declare(county)
    assert again.number.endswith("2号") and len(again.cases) == 3
    subsidy_claims.review(db.session, again, county.users["evaluator"])
    with pytest.raises(DomainError, match="不能办理「撤回」"):
        subsidy_claims.withdraw(db.session, again, entry, reason="再撤")


def test_a_case_is_never_claimed_twice(county):
    """The same quarter twice, or the village's own claim over cases its township declared, is refused,
    and the database refuses a second live row for a case whatever the service does."""
    cases, _ = ledger(county)
    claim = declare(county)
    with pytest.raises(DomainError, match="已有申报单MJ补申"):
        declare(county)
    with pytest.raises(DomainError, match="均已列入其他申报单.*不能重复申报"):
        declare(county, "admin", county.mj_village)
    draft = subsidy_claims.prepare(db.session, county.users["admin"], county.mj_village, PERIOD)
    assert [c.number for c, _n in draft.held] == [cases[2].number] and not draft.cases
    other = subsidy_claims.declare(
        db.session, county.users["admin"], county.ll, period=PERIOD, today=local_today()
    )
    nested = db.session.begin_nested()
    db.session.add(
        SubsidyClaimCase(
            claim=other,
            case_id=cases[0].id,
            case_number=cases[0].number,
            organization_name="马集",
            difficulty=Difficulty.NORMAL,
            tier_amount=Decimal(100),
            signed_on=date(2025, 1, 11),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    nested.rollback()
    assert claim.status == S.DECLARED


def test_stale_versions_and_roles_are_refused(county):
    """A step on an old version is refused; the county reviews and approves, not the same person twice."""
    ledger(county)
    claim = declare(county)
    seen = claim.version
    subsidy_claims.adjust(
        db.session, claim, claim.lines[0], county.users["evaluator"], amount="10", reason="核减"
    )
    with pytest.raises(DomainError, match="已被他人更新"):
        subsidy_claims.review(db.session, claim, county.users["evaluator"], expected_version=seen)
    township_evaluator = add_evaluator(county, "evaluator_mj", county.mj)
    with pytest.raises(DomainError, match="县（区）司法局考评员审核"):
        subsidy_claims.review(db.session, claim, township_evaluator)
    with pytest.raises(DomainError, match="录入员或管理员"):
        subsidy_claims.withdraw(db.session, claim, county.users["clerk"], reason="x")
    both = person(county, "both", ["admin", "evaluator"], county.root)
    subsidy_claims.review(db.session, claim, both)
    with pytest.raises(DomainError, match="审核人与审批人不能为同一人"):
        subsidy_claims.approve(db.session, claim, both)
    with pytest.raises(DomainError, match="县（区）司法局管理员"):
        subsidy_claims.approve(db.session, claim, county.users["admin_a"])
    subsidy_claims.approve(db.session, claim, county.users["admin"])
    with pytest.raises(DomainError, match="发放日期不能晚于今天"):
        subsidy_claims.pay(
            db.session,
            claim,
            county.users["admin"],
            paid_on=date(2100, 1, 1),
            method="bank",
            voucher_number="1",
            today=local_today(),
        )


def test_who_declared_a_claim_may_not_approve_it(county):
    """A county administrator may file a township's claim, but then another administrator approves it."""
    ledger(county)
    claim = declare(county, username="admin")
    subsidy_claims.review(db.session, claim, county.users["evaluator"])
    with pytest.raises(DomainError, match="申报人与审批人不能为同一人"):
        subsidy_claims.approve(db.session, claim, county.users["admin"])
    other = person(county, "admin_2", ["admin"], county.root)
    subsidy_claims.approve(db.session, claim, other)
    assert claim.status == S.APPROVED and claim.approved_by_id == other.id


def test_scope_period_and_amount_rules(county):
    """Another township's organisation, a quarter not yet ended, and bad amounts are refused in Chinese."""
    ledger(county)
    with pytest.raises(DomainError, match="本单位或下级"):
        subsidy_claims.declare(
            db.session, county.users["entry_b"], county.mj, period=PERIOD, today=local_today()
        )
    with pytest.raises(DomainError, match="尚未结束"):
        subsidy_claims.declare(
            db.session, county.users["entry_a"], county.mj, period="2025Q1", today=date(2025, 3, 31)
        )
    with pytest.raises(DomainError, match="季度"):
        subsidy_claims.period_bounds("2025Q5")
    claim = declare(county)
    with pytest.raises(DomainError, match="管辖范围"):
        subsidy_claims.withdraw(db.session, claim, county.users["entry_b"], reason="x")
    for bad in ("-1", "abc", "100000.01", "1.005", "inf"):
        with pytest.raises(DomainError):
            subsidy_claims.parse_amount(bad)
    assert subsidy_claims.parse_amount("80.5") == Decimal("80.50")
    assert subsidy_claims.period_label("2026Q4") == "2026年第四季度"
    assert subsidy_claims.recent_periods(date(2026, 2, 1), 3) == ["2026Q1", "2025Q4", "2025Q3"]


def test_amount_in_words():
    words = subsidy_payments.amount_in_words
    assert words(Decimal("1005")) == "壹仟零伍元整"
    assert words(Decimal("100050")) == "壹拾万零伍拾元整"
    assert words(Decimal("1234567.89")) == "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"
    assert words(Decimal("12.05")) == "壹拾贰元零伍分"
    assert words(Decimal("0")) == "零元整"


def test_payment_list_and_its_workbook(county):
    """The county's list: approved and paid claims' payees with a 合计; pending claims named, not listed."""
    ledger(county)
    claim = declare(county)
    subsidy_claims.review(db.session, claim, county.users["evaluator"])
    subsidy_claims.approve(db.session, claim, county.users["admin"])
    pending = subsidy_claims.declare(
        db.session, county.users["entry_b"], county.ll, period=PERIOD, today=local_today()
    )
    plist = subsidy_payments.payment_list(db.session, county.users["clerk"], county.root, PERIOD)
    assert {(r.mediator_name, r.cases, r.amount) for r in plist.rows} == {
        ("马集调解员", 2, Decimal(150)),
        ("前李调解员", 2, Decimal(250)),
    }
    assert plist.total == Decimal(400) and plist.pending == [pending] and plist.is_draft
    with pytest.raises(DomainError):
        subsidy_payments.payment_list(db.session, county.users["entry_b"], county.mj, PERIOD)
    book = load_workbook(BytesIO(subsidy_sheets.payment_workbook(plist, "文书甲", date(2025, 4, 20))))
    sheet = book["发放清单"]
    assert sheet["A1"].value == "清河县司法局2025年第一季度人民调解“以案定补”补贴发放清单（草稿）"
    assert "A3:A4" in sheet.merged_cells and "G3:J3" in sheet.merged_cells and sheet["G3"].value == "发放情况"
    assert [sheet.cell(4, c).value for c in range(7, 11)] == ["状态", "发放日期", "发放方式", "凭证号"]
    rows = {sheet.cell(r, 4).value: sheet.cell(r, 6).value for r in (5, 6)}
    assert rows == {"前李调解员": 250.0, "马集调解员": 150.0}
    assert sheet.cell(5, 6).number_format == "#,##0.00" and sheet.cell(5, 6).border.left.style == "thin"
    assert sheet["A7"].value == "合计" and sheet["F7"].value == 400.0 and sheet["E7"].value == 4
    assert "制表：文书甲" in sheet["A9"].value and "审核" in sheet["A9"].value and "审批" in sheet["A9"].value
    assert "LL补申" in sheet["A10"].value
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$3:$4"
    details = book["计补明细"]
    assert details["A3"].value == "申报单号" and details.cell(4 + 4, 1).value == "合计"
    assert details.cell(8, 10).value == 400.0


def test_demo_claims_cover_the_states(county):
    """The demo's claims go through the services: paid, approved and reviewed ones, dated in the past."""
    from portal.services.demo.subsidy_claims import seed_claims

    today = local_today()
    periods = subsidy_claims.recent_periods(today, 4)[1:]
    entry = county.users["entry_a"]
    for period in periods:
        start, _end = subsidy_claims.period_bounds(period)
        for org, person in ((county.mj, "马集调解员"), (county.ll, "柳林调解员")):
            settled(
                db.session,
                entry if org is county.mj else county.users["entry_b"],
                org,
                [county.mediators[person]],
                start,
            )
    assert seed_claims(db.session, today) == {"subsidy_claims": 5}
    claims = db.session.scalars(select(SubsidyClaim).order_by(SubsidyClaim.id)).all()
    assert [c.status for c in claims] == [S.PAID, S.PAID, S.PAID, S.APPROVED, S.REVIEWED]
    assert all(e.at.date() <= today for c in claims for e in c.events)
    assert all(c.paid_on <= today and c.voucher_number for c in claims if c.status == S.PAID)
