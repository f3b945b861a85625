"""属地管理: what part of the organisation tree a user may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from portal.models.auth import User
from portal.models.org import Organization


def subtree_ids(user: User) -> Select[tuple[int]]:
    """Return a subquery of the ids of the organisations in the user's subtree."""
    return select(Organization.id).where(
        Organization.path.startswith(user.organization.path, autoescape=True)
    )


def org_in_scope(user: User, org_column: Any) -> ColumnElement[bool]:
    """Return a clause limiting `org_column` (an organisation id column) to the user's subtree."""
    if not user.organization.path:
        return false()
    if user.organization.parent_id is None:
        # The root's subtree is everything: skip the subquery so large lists stay fast.
        return true()
    return org_column.in_(subtree_ids(user))


def org_in_scope_or_above(user: User, org_column: Any) -> ColumnElement[bool]:
    """Return a clause for records kept by the user's subtree or by one of its ancestors.

    Used for shared resources held higher up, such as the county's expert pool.
    """
    return or_(org_in_scope(user, org_column), org_column.in_(user.organization.ancestor_ids))


def can_reach_org(user: User, org: Organization | None) -> bool:
    """Return whether the organisation lies in the user's subtree."""
    return org is not None and bool(user.organization.path) and org.path.startswith(user.organization.path)


def scoped_organizations(user: User) -> Select[tuple[Organization]]:
    """Return a query of the organisations in the user's subtree, in tree order."""
    return (
        select(Organization)
        .where(Organization.path.startswith(user.organization.path, autoescape=True))
        .order_by(Organization.path)
    )
