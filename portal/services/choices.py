"""The registers a form's choices read (`choices_from`, see portal.lowcode.sources), for one user.

Each register answers `[{"value": id, "label": what people read, "parent": the cascade key}]`:

- `organizations` — the user's subtree, revoked ones left out; parent: the parent organisation's id.
- `townships` — the township-level 人民调解委员会 the user reaches: every one of the county for a county
  user, a township's own for a township user (in its subtree or above it: a 司法所's committee), shown
  by the township's name; parent: the county organisation's code, which a definition's region list
  uses as its county option's value (清河县 → `清`).
- `mediators` — serving mediators of the user's subtree, with their organisation; parent: its id.
- `experts` — experts in the pool of the subtree or above it (the county's pool), with profession.
- `dispute_types` — the active dictionary; parent: the category's id (category → sub-type).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.dictionary import DisputeType
from portal.models.org import Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.people import Expert, ExpertStatus, Mediator, MediatorStatus
from portal.services.scope import org_in_scope, org_in_scope_or_above

Option = dict[str, str]
#: The most options one register lists (a county has a few hundred mediators).
LIMIT = 2000


def _organizations(session: Session, user: User) -> list[Option]:
    found = session.execute(
        select(Organization.id, Organization.name, Organization.parent_id)
        .where(org_in_scope(user, Organization.id), Organization.status != OrgStatus.REVOKED)
        .order_by(Organization.path)
        .limit(LIMIT)
    )
    return [{"value": str(i), "label": name, "parent": str(parent or "")} for i, name, parent in found]


def _townships(session: Session, user: User) -> list[Option]:
    county_ids = user.organization.ancestor_ids if user.organization is not None else []
    counties = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(Organization.id.in_(county_ids), Organization.level == OrgLevel.COUNTY)
        )
    }
    options = []
    for county in counties.values():
        found = session.scalars(
            select(Organization)
            .where(
                Organization.path.startswith(county.path, autoescape=True),
                Organization.level == OrgLevel.TOWNSHIP,
                _reached(user),
                Organization.kind == OrgKind.COMMITTEE,
                Organization.status != OrgStatus.REVOKED,
            )
            .order_by(Organization.sort_order, Organization.path)
            .limit(LIMIT)
        )
        for org in found:
            label = org.name.removesuffix("人民调解委员会") or org.name
            options.append({"value": str(org.id), "label": label, "parent": county.code})
    return options


def _reached(user: User) -> Any:
    """Return the clause of the organisations a user reaches: its subtree, and its township above it."""
    return or_(org_in_scope(user, Organization.id), Organization.id.in_(user.organization.ancestor_ids))


def _mediators(session: Session, user: User) -> list[Option]:
    found = session.execute(
        select(Mediator.id, Mediator.name, Organization.id, Organization.name)
        .join(Organization, Organization.id == Mediator.organization_id)
        .where(org_in_scope(user, Mediator.organization_id), Mediator.status == MediatorStatus.ACTIVE)
        .order_by(Organization.path, Mediator.name, Mediator.id)
        .limit(LIMIT)
    )
    return [
        {"value": str(i), "label": f"{name}（{org_name}）", "parent": str(org_id)}
        for i, name, org_id, org_name in found
    ]


def _experts(session: Session, user: User) -> list[Option]:
    found = session.execute(
        select(Expert.id, Expert.name, Expert.profession)
        .where(org_in_scope_or_above(user, Expert.organization_id), Expert.status == ExpertStatus.ACTIVE)
        .order_by(Expert.name, Expert.id)
        .limit(LIMIT)
    )
    return [{"value": str(i), "label": f"{name}（{profession}）"} for i, name, profession in found]


def _dispute_types(session: Session, _user: User) -> list[Option]:
    found = session.execute(
        select(DisputeType.id, DisputeType.name, DisputeType.parent_id)
        .where(DisputeType.active.is_(True))
        .order_by(DisputeType.sort_order, DisputeType.code)
        .limit(LIMIT)
    )
    return [{"value": str(i), "label": name, "parent": str(parent or "")} for i, name, parent in found]


READERS: dict[str, Callable[[Session, User], list[Option]]] = {
    "organizations": _organizations,
    "townships": _townships,
    "mediators": _mediators,
    "experts": _experts,
    "dispute_types": _dispute_types,
}


def register_options(session: Session, user: User) -> Callable[[str], list[Option]]:
    """Return the callback `lowcode.choices.resolve` reads a register's options through, for this user."""

    def options(name: str) -> list[Option]:
        reader = READERS.get(name)
        found = reader(session, user) if reader is not None else []
        return [{k: v for k, v in o.items() if v != "" or k != "parent"} for o in found]

    return options
