"""Organisation tree rules: valid parents, revocation without losing history."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models.org import Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.people import Mediator, MediatorStatus
from portal.services import DomainError

LEVEL_ORDER = [OrgLevel.COUNTY, OrgLevel.TOWNSHIP, OrgLevel.VILLAGE, OrgLevel.GRID]


def check_placement(org: Organization, parent: Organization | None) -> None:
    """Refuse a parent that would create a cycle or put a node above its parent's level."""
    if parent is None:
        if org.level != OrgLevel.COUNTY:
            raise DomainError("只有区/县级组织可以没有上级组织")
        return
    if org.id is not None and (parent.id == org.id or org.id in parent.ancestor_ids):
        raise DomainError("上级组织不能是本组织或其下级组织")
    if parent.status == OrgStatus.REVOKED:
        raise DomainError(f"上级组织“{parent.name}”已撤销，不能再添加下级")
    if LEVEL_ORDER.index(OrgLevel(org.level)) < LEVEL_ORDER.index(OrgLevel(parent.level)):
        raise DomainError(f"{OrgLevel(org.level).label}级组织不能隶属于{OrgLevel(parent.level).label}级组织")


def prepare(org: Organization) -> None:
    """Normalise a saved organisation: only a 行业性专业性调委会 has an industry; no credit code is None."""
    if org.kind != OrgKind.INDUSTRY_COMMITTEE and org.industry is not None:
        org.industry = None
    if org.credit_code == "":
        org.credit_code = None


def revoke(session: Session, orgs: Iterable[Organization]) -> int:
    """Mark organisations 已撤销 once they have no active sub-organisations or mediators; commits."""
    count = 0
    for org in orgs:
        if org.status == OrgStatus.REVOKED:
            continue
        active_children = session.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.parent_id == org.id, Organization.status != OrgStatus.REVOKED)
        )
        if active_children:
            raise DomainError(
                f"“{org.name}”还有 {active_children} 个未撤销的下级组织，请先撤销或调整下级组织"
            )
        active_mediators = session.scalar(
            select(func.count())
            .select_from(Mediator)
            .where(Mediator.organization_id == org.id, Mediator.status == MediatorStatus.ACTIVE)
        )
        if active_mediators:
            raise DomainError(f"“{org.name}”还有 {active_mediators} 名在职调解员，请先办理离任或调动")
        org.status = OrgStatus.REVOKED
        count += 1
    session.commit()
    return count
