"""分析研判: the cases a report names one by one: the period's major, group and high-risk disputes, and
the cases overdue on the report's day with their 四定 owners (定人, 定责, 定时限, 定措施)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal import clock
from portal.models.case import (
    MEDIATION_STATUSES,
    Case,
    CaseEventKind,
    CaseStatus,
    Difficulty,
    RiskLevel,
)
from portal.models.org import Organization
from portal.services.analysis_periods import Period
from portal.services.analysis_scope import in_period, subtree_clause

#: Statuses a case overdue on a past day may still be in today (otherwise it was touched since).
STILL_OPEN = MEDIATION_STATUSES | {CaseStatus.SUSPENDED}
#: How many rows the lists keep (a county month holds a few dozen major cases; the page says if cut).
LIST_LIMIT = 200


# --------------------------------------------------------------------------------


def serious_cases(session: Session, org: Organization, period: Period) -> tuple[list[Case], int]:
    """Return the period's major (重大), group (群体性) and high-risk cases, riskiest first, and how many."""
    clause = (
        *in_period(org, period.start, period.end),
        or_(Case.difficulty == Difficulty.MAJOR, Case.is_group.is_(True), Case.risk_level == RiskLevel.HIGH),
    )
    total = session.scalar(select(func.count(Case.id)).where(*clause)) or 0
    risk_order = case({RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1}, value=Case.risk_level, else_=2)
    found = session.scalars(
        select(Case)
        .where(*clause)
        .options(joinedload(Case.organization), joinedload(Case.dispute_type), joinedload(Case.agreement))
        .order_by(risk_order, Case.people_involved.desc(), Case.accepted_on, Case.id)
        .limit(LIST_LIMIT)
    ).all()
    return list(found), total


@dataclass
class Overdue:
    """A case in mediation past its 办结时限 on the report's day, with its 四定 owners."""

    case: Case
    deadline: date
    days: int
    status: CaseStatus


def state_on(case_: Case, day: date) -> tuple[CaseStatus, date]:
    """Return a case's status and 办结时限 on `day`, replayed from its recorded steps.

    The status is the one the last step up to that day left; the deadline is today's with the
    延期 and 恢复调解 recorded after that day taken back.
    """
    status, deadline = CaseStatus.REGISTERED, case_.deadline
    later = []
    for event in case_.events:
        if clock.local_date(event.at) <= day:
            if event.to_status is not None:
                status = event.to_status
        else:
            later.append(event)
    for event in reversed(later):
        details = event.details or {}
        if event.kind == CaseEventKind.EXTEND and details.get("old_deadline"):
            deadline = date.fromisoformat(details["old_deadline"])
        elif event.kind == CaseEventKind.RESUME and details.get("paused_days"):
            deadline -= timedelta(days=int(details["paused_days"]))
    return status, deadline


def overdue_cases(session: Session, org: Organization, day: date, today: date) -> tuple[list[Overdue], int]:
    """Return the subtree's cases in mediation and past their deadline on `day`, longest overdue first
    (at most LIST_LIMIT of them), and how many there are in all.

    On today (a period still running) this is the ledger's 超期 filter; for a day past, the steps
    recorded since are taken back (`state_on`).
    """
    options = (joinedload(Case.organization), joinedload(Case.dispute_type))
    if day >= today:
        found = session.scalars(
            select(Case)
            .where(subtree_clause(org), Case.status.in_(MEDIATION_STATUSES), Case.deadline < today)
            .options(*options)
        ).all()
        rows = [Overdue(c, c.deadline, (today - c.deadline).days, c.status) for c in found]
    else:
        candidates = session.scalars(
            select(Case)
            .where(
                subtree_clause(org),
                Case.accepted_on < day,
                Case.status != CaseStatus.VOIDED,
                # In mediation now, or touched since: a case concluded before `day` has neither.
                or_(Case.status.in_(STILL_OPEN), Case.last_activity_on >= day),
            )
            .options(*options, selectinload(Case.events))
        ).all()
        rows = []
        for c in candidates:
            status, deadline = state_on(c, day)
            if status in MEDIATION_STATUSES and deadline < day:
                rows.append(Overdue(c, deadline, (day - deadline).days, status))
    rows.sort(key=lambda r: (-r.days, r.case.accepted_on, r.case.id))
    return rows[:LIST_LIMIT], len(rows)
