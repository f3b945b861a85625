"""The steps of a 责任倒查 review besides naming the responsible: 立案, 关联案件, 调查, 结论, 决定, 归档.

Each function checks the step (`reviews.check_step`), changes the review, records a `ReviewEvent`
and commits; a refused step raises `DomainError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.base import utcnow
from portal.models.case import Case
from portal.models.review import (
    AccountabilityReview,
    DocumentCounter,
    IncidentKind,
    ReviewCase,
)
from portal.services import DomainError
from portal.services.numbering import reserve
from portal.services.reviews import (
    NUMBER_SERIES,
    WRITERS,
    K,
    S,
    check_step,
    local_minute,
    record_step,
    required,
    within_review,
)

# --- numbers ----------------------------------------------------------------------------------------


def format_review_number(org_code: str, year: int, seq: int) -> str:
    """Return the 发文字号 of a review decision: `<org code>司倒查〔2026〕3号`."""
    return f"{org_code}司倒查〔{year}〕{seq}号"


# --- snapshots --------------------------------------------------------------------------------------


def snapshot_of(case: Case, taken_at: datetime) -> dict[str, Any]:
    """Return the case as it stands now, with its whole history, as display text (frozen in the review)."""
    return {
        "taken_at": local_minute(taken_at),
        "number": case.number,
        "status": case.status.label,
        "dispute_type": str(case.dispute_type),
        "organization": case.organization.name,
        "accepted_on": case.accepted_on.isoformat(),
        "deadline": case.deadline.isoformat(),
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "parties": case.party_names,
        "people_involved": case.people_involved,
        "risk_level": case.risk_level.label,
        "summary": case.summary,
        "mediators": "、".join(m.name for m in case.mediators),
        "responsible_unit": case.responsible_unit,
        "responsible_person": case.responsible_person,
        "sessions": len(case.sessions),
        "events": [
            {
                "at": local_minute(e.at),
                "kind": e.kind.label,
                "from": e.from_status.label if e.from_status else None,
                "to": e.to_status.label if e.to_status else None,
                "actor": e.actor_name,
                "note": e.note,
                "details": {str(k): str(v) for k, v in (e.details or {}).items()},
            }
            for e in case.events
        ],
    }


def _link(
    session: Session, review: AccountabilityReview, actor: User, cases: Sequence[Case]
) -> list[ReviewCase]:
    now = utcnow()
    in_force = {link.case_id for link in review.linked}
    added = []
    for case in cases:
        if not within_review(review.organization, actor, case.organization):
            raise DomainError(f"案件{case.number}不在本倒查主办单位的管辖范围内", "case_numbers")
        if case.id in in_force:
            raise DomainError(f"案件{case.number}已关联本倒查", "case_numbers")
        old = next((link for link in review.case_links if link.case_id == case.id), None)
        if old is not None:
            # Re-linking a withdrawn case: the first snapshot stays, as the record of what was seen then.
            old.withdrawn_at = None
            old.withdrawn_reason = None
            added.append(old)
            continue
        link = ReviewCase(
            review=review,
            case=case,
            linked_at=now,
            linked_by_name=actor.full_name,
            snapshot=snapshot_of(case, now),
        )
        session.add(link)
        added.append(link)
        in_force.add(case.id)
    return added


# --- opening and the incident ----------------------------------------------------------------------


def _check_incident(
    *,
    title: str,
    incident_kind: IncidentKind | str,
    incident_at: datetime | None,
    incident_place: str,
    people_involved: str,
    people_count: int | None,
    description: str,
    today: date,
) -> None:
    required(title, "请填写倒查事项名称", "title")
    required(incident_kind, "请选择事件类型", "incident_kind")
    try:
        IncidentKind(incident_kind)
    except ValueError:
        raise DomainError("请选择事件类型", "incident_kind") from None
    required(incident_at, "请填写事件发生时间", "incident_at")
    if clock.local_date(incident_at) > today:
        raise DomainError("事件发生时间不能晚于今天", "incident_at")
    required(incident_place, "请填写事件发生地点", "incident_place")
    required(people_involved, "请填写涉及人员", "people_involved")
    required(description, "请填写事件经过", "description")
    if people_count is not None and people_count < 1:
        raise DomainError("涉及人数应为正整数", "people_count")


def open_review(
    session: Session,
    actor: User,
    *,
    title: str,
    incident_kind: IncidentKind | str,
    incident_at: datetime,
    incident_place: str,
    people_involved: str,
    description: str,
    people_count: int | None = None,
    cases: Sequence[Case] = (),
    note: str | None = None,
    today: date,
) -> AccountabilityReview:
    """立案: open a review of an incident at the actor's office, link its cases (snapshotted) and commit."""
    if not actor.has_role(*WRITERS):
        raise DomainError("您的角色不能发起责任倒查")
    fields = {
        "title": title,
        "incident_kind": incident_kind,
        "incident_at": incident_at,
        "incident_place": incident_place,
        "people_involved": people_involved,
        "people_count": people_count,
        "description": description,
    }
    _check_incident(**fields, today=today)
    review = AccountabilityReview(
        organization=actor.organization,
        title=title.strip(),
        incident_kind=IncidentKind(incident_kind),
        incident_at=incident_at,
        incident_place=incident_place.strip(),
        people_involved=people_involved.strip(),
        people_count=people_count,
        description=description.strip(),
        opened_on=today,
        opened_by=actor,
    )
    session.add(review)
    with session.no_autoflush:
        links = _link(session, review, actor, cases)
    record_step(
        session,
        review,
        actor,
        K.OPEN,
        to=S.OPENED,
        note=note,
        incident=IncidentKind(incident_kind).label,
        cases="、".join(link.snapshot["number"] for link in links),
    )
    session.commit()
    return review


def revise(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    title: str,
    incident_kind: IncidentKind | str,
    incident_at: datetime,
    incident_place: str,
    people_involved: str,
    description: str,
    people_count: int | None = None,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> AccountabilityReview:
    """修改案情: correct the incident details before the decision."""
    check_step(review, actor, K.REVISE, expected_version)
    fields = {
        "title": title,
        "incident_kind": incident_kind,
        "incident_at": incident_at,
        "incident_place": incident_place,
        "people_involved": people_involved,
        "people_count": people_count,
        "description": description,
    }
    _check_incident(**fields, today=today)
    review.title = title.strip()
    review.incident_kind = IncidentKind(incident_kind)
    review.incident_at = incident_at
    review.incident_place = incident_place.strip()
    review.people_involved = people_involved.strip()
    review.people_count = people_count
    review.description = description.strip()
    record_step(session, review, actor, K.REVISE, note=note)
    session.commit()
    return review


def link_cases(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    cases: Sequence[Case],
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> list[ReviewCase]:
    """关联案件: link more cases found during the review, each with its history as it stands now."""
    check_step(review, actor, K.LINK_CASE, expected_version)
    if not cases:
        raise DomainError("请填写要关联的案件编号", "case_numbers")
    with session.no_autoflush:
        links = _link(session, review, actor, cases)
    record_step(session, review, actor, K.LINK_CASE, note=note, cases="、".join(str(link) for link in links))
    session.commit()
    return links


def unlink_case(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    link: ReviewCase,
    *,
    reason: str,
    expected_version: int | None = None,
) -> ReviewCase:
    """撤销关联: a case linked by mistake is set aside with a reason; its snapshot stays on record."""
    check_step(review, actor, K.UNLINK_CASE, expected_version)
    if link.review_id != review.id or link.withdrawn_at is not None:
        raise DomainError("该案件未关联本倒查", "link")
    required(reason, "请填写撤销关联的原因", "reason")
    link.withdrawn_at = utcnow()
    link.withdrawn_reason = reason.strip()
    record_step(session, review, actor, K.UNLINK_CASE, note=reason, cases=str(link))
    session.commit()
    return link


def investigate(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    investigators: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> AccountabilityReview:
    """开始调查: name the investigators (调查组) and start the investigation."""
    check_step(review, actor, K.INVESTIGATE, expected_version)
    required(investigators, "请填写调查组成员", "investigators")
    review.investigators = investigators.strip()
    record_step(
        session, review, actor, K.INVESTIGATE, to=S.INVESTIGATING, note=note, investigators=investigators
    )
    session.commit()
    return review


# --- finding, decision, archive --------------------------------------------------------------------


def record_finding(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    finding: str,
    rectification_deadline: date | None = None,
    today: date,
    expected_version: int | None = None,
) -> AccountabilityReview:
    """记录调查结论: save the draft finding and rectification deadline during the investigation."""
    check_step(review, actor, K.FINDING, expected_version)
    required(finding, "请填写调查结论", "finding")
    if rectification_deadline is not None and rectification_deadline < today:
        raise DomainError("整改期限不能早于今天", "rectification_deadline")
    review.finding = finding.strip()
    review.rectification_deadline = rectification_deadline
    record_step(
        session,
        review,
        actor,
        K.FINDING,
        rectification_deadline=rectification_deadline.isoformat() if rectification_deadline else None,
    )
    session.commit()
    return review


def decide(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    finding: str,
    rectification_deadline: date | None,
    decided_on: date,
    today: date,
    note: str | None = None,
    expected_version: int | None = None,
) -> AccountabilityReview:
    """作出决定: fix the finding and measures, and give the decision its 发文字号."""
    check_step(review, actor, K.DECIDE, expected_version)
    required(finding, "请填写倒查结论", "finding")
    required(decided_on, "请填写决定日期", "decided_on")
    if decided_on > today:
        raise DomainError("决定日期不能晚于今天", "decided_on")
    if decided_on < review.opened_on:
        raise DomainError(f"决定日期不能早于立案日期（{review.opened_on:%Y-%m-%d}）", "decided_on")
    parties = review.responsible
    if parties:
        bare = [p.name for p in parties if not p.measures]
        if bare:
            raise DomainError(f"请先为以下责任主体确定处理措施：{'、'.join(bare)}")
        required(rectification_deadline, "认定了责任的，请填写整改期限", "rectification_deadline")
    if rectification_deadline is not None and rectification_deadline < decided_on:
        raise DomainError("整改期限不能早于决定日期", "rectification_deadline")
    review.finding = finding.strip()
    review.rectification_deadline = rectification_deadline
    review.decided_on = decided_on
    review.decided_by = actor
    review.year = decided_on.year
    # The counter row is locked until this transaction ends, so numbers are gapless and unique.
    review.seq = reserve(
        session, DocumentCounter, kind=NUMBER_SERIES, organization_id=review.organization_id, year=review.year
    )
    review.number = format_review_number(review.organization.code, review.year, review.seq)
    record_step(
        session,
        review,
        actor,
        K.DECIDE,
        to=S.DECIDED,
        note=note,
        number=review.number,
        decided_on=decided_on.isoformat(),
        parties="、".join(f"{p.name}（{p.measures_text}）" for p in parties) or "无",
    )
    session.commit()
    return review


def archive(
    session: Session,
    review: AccountabilityReview,
    actor: User,
    *,
    rectification_report: str,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> AccountabilityReview:
    """归档: record how the rectification was carried out and close the file."""
    check_step(review, actor, K.ARCHIVE, expected_version)
    required(rectification_report, "请填写整改落实情况", "rectification_report")
    review.rectification_report = rectification_report.strip()
    review.archived_on = today
    record_step(session, review, actor, K.ARCHIVE, to=S.ARCHIVED, note=note)
    session.commit()
    return review
