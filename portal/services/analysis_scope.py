"""The cases 分析研判 and the statistics table count: a subtree's, accepted in a span, not voided."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select, true

from portal.models.case import Case, CaseStatus
from portal.models.org import Organization


def subtree_clause(org: Organization) -> ColumnElement[bool]:
    """Return the clause keeping cases handled in the organisation's subtree."""
    if org.parent_id is None:
        return true()
    return Case.organization_id.in_(
        select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
    )


def in_period(org: Organization, start: date, end: date) -> list[ColumnElement[bool]]:
    """Return the clauses of the cases a report counts: the subtree's, accepted in the span, not voided."""
    return [subtree_clause(org), Case.accepted_on.between(start, end), Case.status != CaseStatus.VOIDED]
