"""认定责任: naming, revising and withdrawing the organisations and people held responsible in a review."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.base import utcnow
from portal.models.org import Organization
from portal.models.people import Mediator
from portal.models.review import (
    AccountabilityReview,
    ResponsibilityCause,
    ResponsibleKind,
    ResponsibleParty,
)
from portal.services import DomainError
from portal.services.reviews import (
    MAX_POINTS,
    K,
    check_step,
    clean,
    record_step,
    required,
    within_review,
)


@dataclass(frozen=True)
class Measures:
    """The measures (处理措施) taken against one responsible party."""

    criticism: bool = False
    notice: bool = False
    interview: bool = False
    supervision: bool = False
    deduction_points: Decimal | None = None
    award_ban: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        # Points may come as int or float from callers; keep them exact.
        if self.deduction_points is not None and not isinstance(self.deduction_points, Decimal):
            object.__setattr__(self, "deduction_points", Decimal(str(self.deduction_points)))


# --- responsible parties ---------------------------------------------------------------------------


def _check_measures(measures: Measures) -> None:
    points = measures.deduction_points
    if points is not None and points != 0:
        if points < 0:
            raise DomainError("扣分分值应为正数", "deduction_points")
        if points > MAX_POINTS:
            raise DomainError(f"扣分分值不能超过{MAX_POINTS}分", "deduction_points")
        if points != points.quantize(Decimal("0.1")):
            raise DomainError("扣分分值最多保留一位小数", "deduction_points")


def _apply_measures(party: ResponsibleParty, measures: Measures) -> None:
    party.criticism = measures.criticism
    party.notice = measures.notice
    party.interview = measures.interview
    party.supervision = measures.supervision
    party.deduction_points = measures.deduction_points or None
    party.award_ban = measures.award_ban
    party.measure_note = clean(measures.note)


def name_party(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    kind: ResponsibleKind | str,
    cause: ResponsibilityCause | str,
    facts: str,
    organization: Organization | None = None,
    mediator: Mediator | None = None,
    person_name: str | None = None,
    position: str | None = None,
    measures: Measures | None = None,
    expected_version: int | None = None,
) -> ResponsibleParty:
    """认定责任: name an organisation, a mediator or another person responsible, the cause and the facts."""
    check_step(review, actor, K.NAME_PARTY, expected_version)
    measures = measures or Measures()
    try:
        kind = ResponsibleKind(kind)
    except ValueError:
        raise DomainError("请选择责任主体类别", "kind") from None
    try:
        cause = ResponsibilityCause(cause)
    except ValueError:
        raise DomainError("请选择责任类型", "cause") from None
    required(facts, "请填写认定责任的事实依据", "facts")
    _check_measures(measures)
    party = ResponsibleParty(kind=kind, cause=cause, facts=facts.strip(), named_at=utcnow())
    if kind == ResponsibleKind.ORGANIZATION:
        if organization is None:
            raise DomainError("请选择责任单位", "organization")
        if not within_review(review.organization, actor, organization):
            raise DomainError(f"{organization.name}不在本倒查主办单位的管辖范围内", "organization")
        party.organization = organization
        duplicate = [p for p in review.responsible if p.organization_id == organization.id]
    elif kind == ResponsibleKind.MEDIATOR:
        if mediator is None:
            raise DomainError("请选择责任调解员", "mediator")
        if not within_review(review.organization, actor, mediator.organization):
            raise DomainError(f"调解员{mediator.name}不在本倒查主办单位的管辖范围内", "mediator")
        party.mediator = mediator
        # The roster changes; the review keeps where the mediator served when named.
        party.position = clean(position) or f"{mediator.organization.name} {mediator.position.label}"
        duplicate = [p for p in review.responsible if p.mediator_id == mediator.id]
    else:
        required(person_name, "请填写责任人姓名", "person_name")
        required(position, "请填写责任人的单位及职务", "position")
        party.person_name = person_name.strip()
        duplicate = [p for p in review.responsible if p.kind == kind and p.person_name == party.person_name]
    if kind != ResponsibleKind.MEDIATOR:
        party.position = clean(position)
    if duplicate:
        raise DomainError(f"已认定{party.name}的责任，请修改原认定", _identity_field(kind))
    _apply_measures(party, measures)
    review.parties.append(party)
    record_step(
        session,
        review,
        actor,
        K.NAME_PARTY,
        party=party.name,
        cause=cause.label,
        measures=party.measures_text,
    )
    session.commit()
    return party


def _identity_field(kind: ResponsibleKind) -> str:
    return {
        ResponsibleKind.ORGANIZATION: "organization",
        ResponsibleKind.MEDIATOR: "mediator",
        ResponsibleKind.PERSON: "person_name",
    }[kind]


def _own_party(review: AccountabilityReview, party: ResponsibleParty) -> None:
    if party.review_id != review.id or party.withdrawn_at is not None:
        raise DomainError("本倒查未认定该责任主体", "party")


def revise_party(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    party: ResponsibleParty,
    *,
    cause: ResponsibilityCause | str,
    facts: str,
    position: str | None = None,
    measures: Measures,
    expected_version: int | None = None,
) -> ResponsibleParty:
    """修改责任认定: change the cause, facts or measures of a party before the decision."""
    check_step(review, actor, K.REVISE_PARTY, expected_version)
    _own_party(review, party)
    try:
        cause = ResponsibilityCause(cause)
    except ValueError:
        raise DomainError("请选择责任类型", "cause") from None
    required(facts, "请填写认定责任的事实依据", "facts")
    if party.kind == ResponsibleKind.PERSON:
        required(position, "请填写责任人的单位及职务", "position")
    _check_measures(measures)
    before = party.measures_text
    party.cause = cause
    party.facts = facts.strip()
    if position is not None and position.strip():
        party.position = position.strip()
    _apply_measures(party, measures)
    record_step(
        session,
        review,
        actor,
        K.REVISE_PARTY,
        party=party.name,
        cause=cause.label,
        before=before or "无",
        measures=party.measures_text or "无",
    )
    session.commit()
    return party


def withdraw_party(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    party: ResponsibleParty,
    *,
    reason: str,
    expected_version: int | None = None,
) -> ResponsibleParty:
    """撤销责任认定: the investigation cleared the party; the naming stays on record with the reason."""
    check_step(review, actor, K.WITHDRAW_PARTY, expected_version)
    _own_party(review, party)
    required(reason, "请填写撤销认定的原因", "reason")
    party.withdrawn_at = utcnow()
    party.withdrawn_reason = reason.strip()
    record_step(session, review, actor, K.WITHDRAW_PARTY, note=reason, party=party.name)
    session.commit()
    return party
