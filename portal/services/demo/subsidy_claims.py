"""Demo 以案定补申报: township committees' quarterly claims, one in each state, through the services.

The last three ended quarters: older claims paid, the last quarter's approved, reviewed (with an
amount adjusted), declared, returned, and one withdrawn and declared again. Each step goes through
`services.subsidy_claims` (so it is audited and version-checked like a user's); afterwards the steps
are dated back to plausible office days, since a demo loaded today would otherwise show every step
on the same minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import Role, User
from portal.models.org import Organization, OrgKind, OrgLevel
from portal.models.subsidy import PaymentMethod, SubsidyClaim, SubsidyClaimEvent
from portal.services import DomainError, subsidy_claims
from portal.services.scope import can_reach_org

#: (how many quarters back, the state to leave the claim in), filled in committee order.
PLAN = (
    (3, "paid"),
    (2, "paid"),
    (2, "paid"),
    (1, "approved"),
    (1, "reviewed"),
    (1, "declared"),
    (1, "returned"),
    (1, "redeclared"),
)


def _office_time(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), clock.zone()).astimezone(UTC)


def _users(session: Session) -> dict[str, User | None]:
    names = ("admin", "evaluator", "entry")
    return {n: session.scalar(select(User).where(User.username == n)) for n in names}


def _declarer(session: Session, users: dict[str, User | None], org: Organization) -> User | None:
    """Return who files `org`'s claim: the demo's 录入员 where it reaches, else another user of the
    committee's own subtree or township — never the county administrator, who approves (申报人 and
    审批人 are different people)."""
    entry = users["entry"]
    if entry is not None and can_reach_org(entry, org):
        return entry
    for user in session.scalars(select(User).order_by(User.id)):
        if user is users["admin"] or not can_reach_org(user, org) or user.organization.parent_id is None:
            continue
        if user.has_role(Role.ENTRY) or user.has_role(Role.ADMIN):
            return user
    return None


def _redate(session: Session, claim: SubsidyClaim, declared: date) -> None:
    """Date the claim's steps a few office days apart from `declared` on (never after today)."""
    today = clock.today()
    events = list(session.scalars(select(SubsidyClaimEvent).where(SubsidyClaimEvent.claim_id == claim.id)))
    stamps = {}
    for number, step in enumerate(sorted(events, key=lambda e: e.id)):
        day = min(declared + timedelta(days=4 * number), today)
        stamps[step.kind.value] = _office_time(day, 9 + number % 7)
        session.execute(
            update(SubsidyClaimEvent)
            .where(SubsidyClaimEvent.id == step.id)
            .values(at=stamps[step.kind.value])
        )
    values: dict[str, object] = {"declared_on": declared}
    if claim.reviewed_at is not None and "review" in stamps:
        values["reviewed_at"] = stamps["review"]
    if claim.approved_at is not None and "approve" in stamps:
        values["approved_at"] = stamps["approve"]
    if claim.paid_on is not None and "pay" in stamps:
        values["paid_on"] = clock.local_date(stamps["pay"])
    session.execute(update(SubsidyClaim).where(SubsidyClaim.id == claim.id).values(**values))
    session.commit()


def _walk(session: Session, claim: SubsidyClaim, state: str, users: dict[str, User | None]) -> None:
    """Take the claim from 申报 to `state` through the services."""
    evaluator, admin = users["evaluator"], users["admin"]
    assert evaluator is not None and admin is not None
    if state == "returned":
        subsidy_claims.return_claim(
            session, claim, evaluator, reason="部分案件回访记录未上传扫描件，请补充后重新报送"
        )
        return
    if state == "declared":
        return
    line = max(claim.lines, key=lambda item: (item.amount, -item.id))
    if state in ("reviewed", "approved") or claim.id % 2 == 0:
        subsidy_claims.adjust(
            session,
            claim,
            line,
            evaluator,
            amount=(line.amount / 2).quantize(Decimal("0.01")),
            reason="该案卷宗中调解记录仅一次且未载明调解过程，按一半核定",
        )
    subsidy_claims.review(session, claim, evaluator, note="经抽查卷宗，案件真实、材料齐全")
    if state == "reviewed":
        return
    subsidy_claims.approve(session, claim, admin, note="同意按核定金额发放")
    if state == "approved":
        return
    subsidy_claims.pay(
        session,
        claim,
        admin,
        paid_on=clock.today(),
        method=PaymentMethod.BANK,
        voucher_number=f"QHSF-{claim.period}-{claim.id:03d}",
        note="已通过代发工资卡发放",
        today=clock.today(),
    )


def seed_claims(session: Session, today: date) -> dict[str, int]:
    """Declare and move the demo claims; return how many were stored."""
    users = _users(session)
    if users["admin"] is None or users["evaluator"] is None:
        return {"subsidy_claims": 0}
    committees = list(
        session.scalars(
            select(Organization)
            .where(Organization.kind == OrgKind.COMMITTEE, Organization.level == OrgLevel.TOWNSHIP)
            .order_by(Organization.path)
        )
    )
    periods = subsidy_claims.recent_periods(today, 4)  # this quarter, then the three ended ones
    stored = 0
    for back, state in PLAN:
        period = periods[back]
        for org in committees:
            if subsidy_claims.live_claim(session, org, period) is not None:
                continue
            declarer = _declarer(session, users, org)
            if declarer is None:
                continue
            claim = _declare(session, declarer, org, period, today)
            if claim is None:
                continue
            if state == "redeclared":
                subsidy_claims.withdraw(
                    session, claim, declarer, reason="漏报一件已履行完毕的案件，撤回后重新申报"
                )
                _redate(session, claim, _declared_day(period, today) - timedelta(days=3))
                claim = _declare(session, declarer, org, period, today)
                if claim is None:
                    break
            _walk(session, claim, "declared" if state == "redeclared" else state, users)
            _redate(session, claim, _declared_day(period, today))
            stored += 1
            break
    return {"subsidy_claims": stored}


def _declared_day(period: str, today: date) -> date:
    _start, end = subsidy_claims.period_bounds(period)
    return min(end + timedelta(days=8), today - timedelta(days=20))


def _declare(
    session: Session, declarer: User, org: Organization, period: str, today: date
) -> SubsidyClaim | None:
    try:
        return subsidy_claims.declare(
            session, declarer, org, period=period, note="本季度以案定补申报，卷宗已整理备查", today=today
        )
    except DomainError:
        session.rollback()
        return None
