"""Figures for the dashboard, always limited to the user's subtree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.case import OPEN_STATUSES, Agreement, Case, CaseStatus
from portal.models.org import Organization, OrgLevel, OrgStatus
from portal.models.people import Expert, ExpertStatus, Mediator, MediatorStatus, Training
from portal.services.deadlines import Colour, DeadlineRules, colour_clause
from portal.services.scope import org_in_scope, org_in_scope_or_above


def register_overview(session: Session, user: User, today: date | None = None) -> dict[str, Any]:
    """Return counts of organisations, mediators, experts and this year's training for the user's subtree."""
    today = today or clock.today()
    in_scope_org = org_in_scope(user, Organization.id)
    by_level = dict(
        session.execute(
            select(Organization.level, func.count())
            .where(in_scope_org, Organization.status != OrgStatus.REVOKED)
            .group_by(Organization.level)
        ).all()
    )
    mediators = dict(
        session.execute(
            select(Mediator.status, func.count())
            .where(org_in_scope(user, Mediator.organization_id))
            .group_by(Mediator.status)
        ).all()
    )
    experts = session.scalar(
        select(func.count())
        .select_from(Expert)
        .where(org_in_scope_or_above(user, Expert.organization_id), Expert.status == ExpertStatus.ACTIVE)
    )
    year_start = date(today.year, 1, 1)
    training_hours = session.scalar(
        select(func.coalesce(func.sum(Training.hours), 0))
        .join(Mediator, Training.mediator_id == Mediator.id)
        .where(org_in_scope(user, Mediator.organization_id), Training.held_on >= year_start)
    )
    active_in_scope = (org_in_scope(user, Mediator.organization_id), Mediator.status == MediatorStatus.ACTIVE)
    terms_ending = session.scalar(
        select(func.count())
        .select_from(Mediator)
        .where(*active_in_scope, Mediator.term_ends_on.between(today, date(today.year, 12, 31)))
    )
    terms_expired = session.scalar(
        select(func.count()).select_from(Mediator).where(*active_in_scope, Mediator.term_ends_on < today)
    )
    return {
        "org_levels": [(level, by_level.get(level, 0)) for level in OrgLevel],
        "mediators_active": mediators.get(MediatorStatus.ACTIVE, 0),
        "mediators_retired": mediators.get(MediatorStatus.RETIRED, 0),
        "experts": experts or 0,
        "training_hours": Decimal(training_hours or 0),
        "terms_ending": terms_ending or 0,
        "terms_expired": terms_expired or 0,
        "year": today.year,
    }


def ledger_overview(session: Session, user: User, today: date, rules: DeadlineRules) -> dict[str, Any]:
    """Return this year's intake and outcomes, open cases and warnings of the user's subtree."""
    in_scope = org_in_scope(user, Case.organization_id)
    year_start = date(today.year, 1, 1)
    this_year = session.execute(
        select(Case.status, func.count())
        .where(in_scope, Case.accepted_on >= year_start, Case.status != CaseStatus.VOIDED)
        .group_by(Case.status)
    ).all()
    by_status = dict(this_year)
    settled = session.scalar(
        select(func.count())
        .select_from(Agreement)
        .join(Case, Agreement.case_id == Case.id)
        .where(in_scope, Case.accepted_on >= year_start, Case.status != CaseStatus.VOIDED)
    )
    failed = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(in_scope, Case.accepted_on >= year_start, Case.failure_reason.is_not(None))
    )
    open_count = session.scalar(
        select(func.count()).select_from(Case).where(in_scope, Case.status.in_(OPEN_STATUSES))
    )
    red = session.scalar(
        select(func.count()).select_from(Case).where(in_scope, colour_clause(Colour.RED, today, rules))
    )
    yellow = session.scalar(
        select(func.count()).select_from(Case).where(in_scope, colour_clause(Colour.YELLOW, today, rules))
    )
    decided = (settled or 0) + (failed or 0)
    return {
        "accepted": sum(by_status.values()),
        "open": open_count or 0,
        "red": red or 0,
        "yellow": yellow or 0,
        "settled": settled or 0,
        "success_rate": round(100 * (settled or 0) / decided, 1) if decided else None,
        "year": today.year,
    }
