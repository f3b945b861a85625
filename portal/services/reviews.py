"""责任倒查: who may do what to a review, what a user sees, and what the decided findings feed.

The steps themselves are in `review_steps` (立案 … 归档) and `review_parties` (认定责任).
Every step checks the actor's role and scope and the review's status (`STEPS`), records a
`ReviewEvent`, bumps the review's version (so a form based on an older page is refused) and
commits; a refused step raises `DomainError` and changes nothing. The audit log records every row
written, through the session listener of `services.audit`.

Scope: a review belongs to the office that opened it (主办单位) and is seen in that office's
subtree and above. It may only link cases, and name organisations and mediators, that lie both in
the actor's subtree and in the review's.

The decision is frozen: after 决定 only the rectification report and 归档 may be added. The findings
feed the assessment (`deductions`) and the 调解能手 recognition (`findings_against`,
`awards_blocked`); all three count decisions by their decision date (决定日期).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager

from portal import clock
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case
from portal.models.org import Organization
from portal.models.people import Mediator
from portal.models.review import (
    DECIDED_STATUSES,
    AccountabilityReview,
    ResponsibleKind,
    ResponsibleParty,
    ReviewCase,
    ReviewEvent,
    ReviewEventKind,
    ReviewStatus,
)
from portal.services import DomainError
from portal.services.scope import can_reach_org, org_in_scope

K = ReviewEventKind
S = ReviewStatus

#: Roles that run reviews; clerks read them, 调解员/录入员 (the people reviewed) do not see them.
WRITERS = frozenset({Role.ADMIN, Role.EVALUATOR})
READERS = WRITERS | {Role.CLERK}
#: The 发文字号 series of review decisions in `DocumentCounter`.
NUMBER_SERIES = "review"
MAX_POINTS = Decimal(100)
STALE_REVIEW = "该倒查已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"

#: Which steps may be taken from which statuses. Everything a user can do to a review is listed here.
STEPS: dict[ReviewEventKind, frozenset[ReviewStatus]] = {
    K.REVISE: frozenset({S.OPENED, S.INVESTIGATING}),
    K.LINK_CASE: frozenset({S.OPENED, S.INVESTIGATING}),
    K.UNLINK_CASE: frozenset({S.OPENED, S.INVESTIGATING}),
    K.INVESTIGATE: frozenset({S.OPENED}),
    K.NAME_PARTY: frozenset({S.INVESTIGATING}),
    K.REVISE_PARTY: frozenset({S.INVESTIGATING}),
    K.WITHDRAW_PARTY: frozenset({S.INVESTIGATING}),
    K.FINDING: frozenset({S.INVESTIGATING}),
    K.DECIDE: frozenset({S.INVESTIGATING}),
    K.ARCHIVE: frozenset({S.DECIDED}),
}


@dataclass(frozen=True)
class Deduction:
    """A 扣分 decided in a review against a mediator or organisation, for the assessment."""

    review: AccountabilityReview
    points: Decimal
    reason: str
    decided_on: date
    party: ResponsibleParty


# --- guards ----------------------------------------------------------------------------------------


def can_read(actor: User, review: AccountabilityReview) -> bool:
    """Return whether the actor may see the review."""
    return actor.has_role(*READERS) and can_reach_org(actor, review.organization)


def refusal(review: AccountabilityReview, actor: User, kind: ReviewEventKind) -> str | None:
    """Return why `actor` may not take step `kind` on `review` now, or None if they may."""
    if not actor.has_role(*WRITERS):
        return f"您的角色不能办理「{kind.label}」"
    if not can_reach_org(actor, review.organization):
        return "该倒查不在您单位的管辖范围内，不能办理"
    if review.status not in STEPS[kind]:
        return f"倒查当前状态为「{review.status.label}」，不能办理「{kind.label}」"
    return None


def available_steps(review: AccountabilityReview, actor: User) -> list[ReviewEventKind]:
    """Return the steps the actor may take on the review now, in `STEPS` order."""
    return [kind for kind in STEPS if refusal(review, actor, kind) is None]


def check_step(
    review: AccountabilityReview, actor: User, kind: ReviewEventKind, expected_version: int | None
) -> None:
    reason = refusal(review, actor, kind)
    if reason:
        raise DomainError(reason)
    if expected_version is not None and expected_version != review.version:
        raise DomainError(STALE_REVIEW)


def required(value: Any, message: str, field: str | None = None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, field)


def clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def within_review(review_org: Organization, actor: User, org: Organization | None) -> bool:
    """Return whether `org` lies in both the actor's and the review office's subtrees."""
    return can_reach_org(actor, org) and org is not None and org.path.startswith(review_org.path)


def record_step(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    kind: ReviewEventKind,
    *,
    to: ReviewStatus | None = None,
    note: str | None = None,
    **details: Any,
) -> ReviewEvent:
    """Record a step, move the review to `to` and bump its version."""
    event = ReviewEvent(
        review=review,
        kind=kind,
        from_status=review.status,
        to_status=to or review.status,
        actor=actor,
        actor_name=actor.full_name,
        note=clean(note),
        details={k: v for k, v in details.items() if v not in (None, "")},
    )
    session.add(event)
    if to is not None:
        review.status = to
    # Touch the row even when only children changed, so that its version moves on.
    review.updated_at = utcnow()
    return event


def local_minute(value: datetime | None) -> str:
    """Return a stored time as the office's time, to the minute."""
    return "" if value is None else clock.as_local(value).strftime("%Y-%m-%d %H:%M")


CASE_NUMBER_SPLIT = re.compile(r"[\s,，;；、]+")


def find_cases(session: Session, actor: User, numbers: str) -> list[Case]:
    """Return the cases named by their numbers (one per line or separated by 、), within the actor's scope."""
    wanted: list[str] = []
    for raw in CASE_NUMBER_SPLIT.split((numbers or "").strip()):
        if not raw:
            continue
        number = raw.replace("(", "（").replace(")", "）")
        if number not in wanted:
            wanted.append(number)
    if not wanted:
        return []
    found = {
        c.number: c
        for c in session.scalars(
            select(Case).where(Case.number.in_(wanted), org_in_scope(actor, Case.organization_id))
        )
    }
    # The same answer for a case that does not exist and one outside the actor's subtree.
    missing = [n for n in wanted if n not in found]
    if missing:
        names = "、".join(missing)
        raise DomainError(f"未找到以下案件，或案件不在您单位的管辖范围内：{names}", "case_numbers")
    return [found[n] for n in wanted]


# --- reading ---------------------------------------------------------------------------------------


def scoped_reviews(actor: User) -> Select[Any]:
    """Return a query of the reviews the actor may see."""
    if not actor.has_role(*READERS):
        return select(AccountabilityReview).where(AccountabilityReview.id.is_(None))
    return select(AccountabilityReview).where(org_in_scope(actor, AccountabilityReview.organization_id))


def linked_to_case(session: Session, case: Case, actor: User) -> list[AccountabilityReview]:
    """Return the reviews the actor may see that link the case (links in force), newest first."""
    query = (
        scoped_reviews(actor)
        .join(ReviewCase, ReviewCase.review_id == AccountabilityReview.id)
        .where(ReviewCase.case_id == case.id, ReviewCase.withdrawn_at.is_(None))
        .order_by(AccountabilityReview.opened_on.desc(), AccountabilityReview.id.desc())
    )
    return list(session.scalars(query))


# --- what the findings feed ------------------------------------------------------------------------


def _decided_parties(start: date, end: date) -> Select[Any]:
    return (
        select(ResponsibleParty)
        .join(ResponsibleParty.review)
        .options(contains_eager(ResponsibleParty.review))
        .where(
            AccountabilityReview.status.in_(DECIDED_STATUSES),
            AccountabilityReview.decided_on >= start,
            AccountabilityReview.decided_on <= end,
            ResponsibleParty.withdrawn_at.is_(None),
        )
        .order_by(AccountabilityReview.decided_on, AccountabilityReview.id, ResponsibleParty.id)
    )


def deductions(
    session: Session,
    *,
    mediator_id: int | None = None,
    organization_id: int | None = None,
    start: date,
    end: date,
) -> list[Deduction]:
    """Return the 扣分 decided (决定日期 in [start, end], both included) against a mediator or organisation.

    Give exactly one of `mediator_id` and `organization_id`. An organisation's deductions are those
    naming the organisation itself; a deduction against one of its mediators is the mediator's.
    """
    if (mediator_id is None) == (organization_id is None):
        raise ValueError("give exactly one of mediator_id and organization_id")
    if mediator_id is not None:
        target = ResponsibleParty.mediator_id == mediator_id
    else:
        target = (ResponsibleParty.kind == ResponsibleKind.ORGANIZATION) & (
            ResponsibleParty.organization_id == organization_id
        )
    query = _decided_parties(start, end).where(target, ResponsibleParty.deduction_points > 0)
    result = []
    for party in session.scalars(query).unique():
        review = party.review
        reason = f"{review.number}《{review.title}》认定{party.cause.label}"
        if party.measure_note:
            reason += f"：{party.measure_note}"
        result.append(
            Deduction(
                review=review,
                points=party.deduction_points,
                reason=reason,
                decided_on=review.decided_on,
                party=party,
            )
        )
    return result


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def findings_against(session: Session, mediator_id: int, year: int) -> list[AccountabilityReview]:
    """Return the reviews decided in `year` (decided or archived) that name the mediator as responsible."""
    query = _decided_parties(*_year(year)).where(ResponsibleParty.mediator_id == mediator_id)
    return _distinct_reviews(session.scalars(query).unique())


def awards_blocked(session: Session, mediator_id: int, year: int) -> list[AccountabilityReview]:
    """Return the reviews decided in `year` with 取消评优 against the mediator personally.

    A 取消评优 against the mediator's organisation does not block the mediator: it disqualifies the
    organisation's own honours, and an individual is only sanctioned when named with facts (a
    person cleared by the investigation must not lose an award through the unit's finding).
    """
    query = _decided_parties(*_year(year)).where(
        ResponsibleParty.mediator_id == mediator_id, ResponsibleParty.award_ban.is_(True)
    )
    return _distinct_reviews(session.scalars(query).unique())


def _distinct_reviews(parties: Any) -> list[AccountabilityReview]:
    seen: dict[int, AccountabilityReview] = {}
    for party in parties:
        seen.setdefault(party.review.id, party.review)
    return list(seen.values())


def responsible_organizations(
    session: Session, actor: User, review: AccountabilityReview
) -> list[Organization]:
    """Return the organisations that may be named in the review: in both the actor's and its subtree."""
    query = (
        select(Organization)
        .where(
            Organization.path.startswith(review.organization.path, autoescape=True),
            org_in_scope(actor, Organization.id),
        )
        .order_by(Organization.path)
    )
    return list(session.scalars(query))


def responsible_mediators(session: Session, actor: User, review: AccountabilityReview) -> list[Mediator]:
    """Return the mediators (serving or retired) that may be named in the review."""
    orgs = select(Organization.id).where(
        Organization.path.startswith(review.organization.path, autoescape=True),
        org_in_scope(actor, Organization.id),
    )
    query = (
        select(Mediator)
        .where(Mediator.organization_id.in_(orgs))
        .order_by(Mediator.organization_id, Mediator.name)
    )
    return list(session.scalars(query))
