"""以案定补: each mediator's subsidy for a period, from the tier table, with the cases behind it.

The rules, as printed on the sheet:

- a case belongs to the period in which its agreement was signed (调解成功日期);
- it counts only if it was settled (an agreement, the case not voided), the agreement has been
  performed (履行完毕), and its file is complete: at least one 调解记录, the agreement, and at least
  one 回访;
- a case pays once, whatever the number of sessions held on it (重复调解不重复计补);
- the amount is the tier of the case's 难易程度 in `SubsidyPolicy`; when several 承办调解员 share a
  case it is split equally (the odd cent goes to the mediator registered first, the lowest id, so
  the summary, the detail and the xlsx agree) or, if the policy says so, each
  receives the whole amount; with no 承办调解员 recorded, the mediators who held its sessions share it;
- 行政调解 (cases handled by a 行政调解组织) and 司法调解 (cases handled by a 诉调对接中心, or referred
  by a court) are left out when the policy says so, and listed as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.models.auth import User
from portal.models.case import Agreement, Case, CaseSource, CaseStatus, MediationSession
from portal.models.org import Organization, OrgKind
from portal.models.people import Mediator
from portal.models.recognition import SubsidyPolicy
from portal.services.scope import org_in_scope

CENT = Decimal("0.01")


def policy(session: Session) -> SubsidyPolicy:
    """Return the subsidy policy, creating it with the standard tiers on first use."""
    found = session.scalar(select(SubsidyPolicy).order_by(SubsidyPolicy.id).limit(1))
    if found is None:
        found = SubsidyPolicy(
            simple_amount=Decimal(50),
            normal_amount=Decimal(100),
            hard_amount=Decimal(200),
            major_amount=Decimal(300),
            exclude_administrative=True,
            exclude_judicial=True,
            split_among_mediators=True,
        )
        session.add(found)
        session.flush()
    return found


@dataclass
class SubsidyLine:
    """One case on a mediator's sheet."""

    case: Case
    tier_amount: Decimal
    share: Decimal
    sharers: int


@dataclass
class MediatorSubsidy:
    """A mediator's subsidy for the period."""

    mediator: Mediator
    lines: list[SubsidyLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """Return the sum of the shares."""
        return sum((line.share for line in self.lines), Decimal(0))


@dataclass
class SubsidySheet:
    """The period's sheet: per mediator amounts, and the cases left out with the reason."""

    start: date
    end: date
    policy: SubsidyPolicy
    rows: list[MediatorSubsidy]
    excluded: list[tuple[Case, str]]

    @property
    def total(self) -> Decimal:
        """Return the sum over all mediators."""
        return sum((row.total for row in self.rows), Decimal(0))


def exclusion(case: Case, rules: SubsidyPolicy) -> str | None:
    """Return why a settled case does not earn a subsidy, or None if it does."""
    if case.status == CaseStatus.VOIDED:
        return "已作废"
    if case.agreement is None:
        return "未达成调解协议"
    if rules.exclude_administrative and case.organization.kind == OrgKind.ADMINISTRATIVE:
        return "行政调解案件，不计以案定补"
    if rules.exclude_judicial and (
        case.organization.kind == OrgKind.COURT_LINK or case.source == CaseSource.COURT
    ):
        return "司法（诉调对接/法院委派）调解案件，不计以案定补"
    if not case.agreement.performed:
        return "协议尚未履行完毕"
    if not case.sessions:
        return "卷宗不全：无调解记录"
    if not case.follow_ups:
        return "卷宗不全：无回访记录"
    return None


def payees(case: Case) -> list[Mediator]:
    """Return who shares the case's subsidy, the mediator registered first (lowest id) first.

    `Case.mediators` has no order of its own, so the order that decides who gets the odd cent is
    fixed here rather than left to the database.
    """
    people = {person.id: person for person in case.mediators}
    if not people:
        for record in case.sessions:
            for person in record.mediators:
                people.setdefault(person.id, person)
    return [people[key] for key in sorted(people)]


def shares(amount: Decimal, people: int, split: bool) -> list[Decimal]:
    """Return each person's share: equal parts to the cent, the odd cents to the first; or the whole.

    Callers pass the people in `payees` order, so the first is the lowest mediator id.
    """
    if people <= 0:
        return []
    if not split:
        return [amount] * people
    part = (amount / people).quantize(CENT, ROUND_DOWN)
    rest = amount - part * people
    return [part + rest] + [part] * (people - 1)


def compute_sheet(
    session: Session,
    actor: User,
    *,
    start: date,
    end: date,
    mediator_id: int | None = None,
    organization: Organization | None = None,
) -> SubsidySheet:
    """Compute the subsidies of the mediators in the actor's subtree for agreements signed in [start, end].

    With `organization`, only the cases of that organisation's subtree count (a claim's 申报单位).
    """
    rules = policy(session)
    query = (
        select(Case)
        .join(Agreement, Agreement.case_id == Case.id)
        .where(
            Agreement.signed_on.between(start, end),
            Case.status != CaseStatus.VOIDED,
            org_in_scope(actor, Case.organization_id),
        )
        .options(
            joinedload(Case.organization),
            joinedload(Case.agreement),
            selectinload(Case.mediators).joinedload(Mediator.organization),
            selectinload(Case.sessions).selectinload(MediationSession.mediators),
            selectinload(Case.follow_ups),
        )
        .order_by(Agreement.signed_on, Case.id)
    )
    if organization is not None:
        query = query.where(
            Case.organization_id.in_(
                select(Organization.id).where(Organization.path.startswith(organization.path, autoescape=True))
            )
        )
    rows: dict[int, MediatorSubsidy] = {}
    excluded: list[tuple[Case, str]] = []
    for case in session.scalars(query).unique():
        reason = exclusion(case, rules)
        sharers = payees(case)
        if reason is None and not sharers:
            reason = "未记录承办调解员"
        if reason is not None:
            excluded.append((case, reason))
            continue
        amount = rules.amount_for(case.difficulty)
        for person, share in zip(
            sharers, shares(amount, len(sharers), rules.split_among_mediators), strict=True
        ):
            if mediator_id is not None and person.id != mediator_id:
                continue
            row = rows.setdefault(person.id, MediatorSubsidy(person))
            row.lines.append(SubsidyLine(case, amount, share, len(sharers)))
    ordered = sorted(rows.values(), key=lambda r: (-r.total, r.mediator.name))
    return SubsidySheet(start, end, rules, ordered, excluded)


def reachable_mediator(session: Session, actor: User, mediator_id: int) -> Mediator | None:
    """Return the mediator if it lies in the actor's subtree."""
    return session.scalar(
        select(Mediator).where(Mediator.id == mediator_id, org_in_scope(actor, Mediator.organization_id))
    )
