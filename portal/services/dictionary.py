"""Dispute-type dictionary rules: two levels at most; types are retired, never deleted."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from portal.models.dictionary import DisputeType
from portal.services import DomainError


def check_parent(dispute_type: DisputeType, parent: DisputeType | None) -> None:
    """Refuse a parent that is the type itself or is not a first-level type."""
    if parent is None:
        return
    if dispute_type.id is not None and parent.id == dispute_type.id:
        raise DomainError("上级类型不能是本类型")
    if parent.parent_id is not None:
        raise DomainError("纠纷类型最多两级：上级类型必须是一级类型")


def deactivate(session: Session, types: Iterable[DisputeType]) -> int:
    """Stop offering types for new cases (existing records keep them); commits. Returns how many."""
    count = 0
    for dispute_type in types:
        if dispute_type.active:
            dispute_type.active = False
            count += 1
    session.commit()
    return count
