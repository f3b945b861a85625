"""Roster rules: mediators leave office and experts leave the pool; nobody is deleted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from portal.models.people import Expert, ExpertStatus, Mediator, MediatorStatus


def retire_mediators(session: Session, mediators: Iterable[Mediator], on: date) -> int:
    """Record that mediators left office (离任) on a date; commits. Returns how many changed."""
    count = 0
    for mediator in mediators:
        if mediator.status == MediatorStatus.RETIRED:
            continue
        mediator.status = MediatorStatus.RETIRED
        mediator.left_on = on
        count += 1
    session.commit()
    return count


def reinstate_mediators(session: Session, mediators: Iterable[Mediator]) -> int:
    """Put retired mediators back in office; commits."""
    count = 0
    for mediator in mediators:
        if mediator.status == MediatorStatus.ACTIVE:
            continue
        mediator.status = MediatorStatus.ACTIVE
        mediator.left_on = None
        count += 1
    session.commit()
    return count


def withdraw_experts(session: Session, experts: Iterable[Expert]) -> int:
    """Take experts out of the pool (已退出); commits."""
    count = 0
    for expert in experts:
        if expert.status != ExpertStatus.WITHDRAWN:
            expert.status = ExpertStatus.WITHDRAWN
            count += 1
    session.commit()
    return count
