"""Figures for the dashboard, always limited to the user's subtree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.org import Organization, OrgLevel, OrgStatus
from portal.models.people import Expert, ExpertStatus, Mediator, MediatorStatus, Training
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
