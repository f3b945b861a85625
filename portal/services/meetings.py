"""研判会议: minutes of the 月排查分析例会 and 联席会议, their attendees, the cases discussed and the
decisions taken (议定事项), each of which may hand work out (`services.assignments`).

Scope: minutes belong to the organisation that held the meeting (召开单位) and are seen in its
subtree and above. Attendees come from the organisation tree (the subtree and the offices above it:
the county sends people to a township's meeting), its users and mediators, and the expert pool;
others are written in as text. The cases discussed lie in the meeting organisation's subtree and
the actor's. Minutes are corrected while no item is open, voided with a reason, never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case
from portal.models.meeting import AssignmentStatus, Meeting, MeetingDecision, MeetingKind
from portal.models.org import Organization, OrgStatus
from portal.services import DomainError, reviews
from portal.services.scope import can_reach_org, org_in_scope
from portal.services.workflow import not_future, required

WRITERS = frozenset({Role.ADMIN, Role.ENTRY})
STALE = "该会议纪要已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"


def _text(value: str | None, most: int, what: str, field: str, *, needed: bool = True) -> str | None:
    if needed:
        required(value, f"请填写{what}", field)
    text = (value or "").strip()
    if len(text) > most:
        raise DomainError(f"{what}不能超过{most}字", field)
    return text or None


#: How a meeting is named by default, after the organisation and the month.
TITLES = {MeetingKind.MONTHLY: "矛盾纠纷排查分析例会", MeetingKind.JOINT: "矛盾纠纷排查调处联席会议"}


def default_title(org: Organization, kind: MeetingKind, held_on: date) -> str:
    """Return the usual name of a meeting: 清河县司法局2026年3月矛盾纠纷排查分析例会."""
    return f"{org.name}{held_on.year}年{held_on.month}月{TITLES[kind]}"[:200]


def _above_or_within(actor: User, org_id: int, path: str) -> bool:
    return path.startswith(actor.organization.path) or org_id in actor.organization.ancestor_ids


def find_cases(session: Session, actor: User, meeting: Meeting, numbers: str | None) -> list[Case]:
    """Return the cases named by number (one per line or separated by 、), in scope and in the meeting's."""
    try:
        found = reviews.find_cases(session, actor, numbers or "")
    except DomainError as exc:
        raise DomainError(exc.message, "case_numbers") from exc
    for case in found:
        if not case.organization.path.startswith(meeting.organization.path):
            raise DomainError(f"案件{case.number}不在{meeting.organization.name}的辖区内", "case_numbers")
    return found


def prepare_meeting(
    session: Session,
    meeting: Meeting,
    actor: User,
    *,
    today: date,
    case_numbers: str | None = None,
    decisions: str | None = None,
) -> Meeting:
    """Check new or corrected minutes and add them without committing (the admin form commits).

    `case_numbers` replaces the cases discussed when given; each line of `decisions` adds a decision.
    """
    if not actor.has_role(*WRITERS):
        raise DomainError("您的角色不能记录会议")
    org = meeting.organization
    if org is None:
        raise DomainError("请选择召开单位", "organization")
    if not can_reach_org(actor, org):
        raise DomainError("只能记录本单位及下级单位召开的会议", "organization")
    if org.status == OrgStatus.REVOKED:
        raise DomainError(f"{org.name}已撤销", "organization")
    if meeting.is_void:
        raise DomainError("会议纪要已作废，不能修改")
    with session.no_autoflush:
        required(meeting.kind, "请选择会议类型", "kind")
        meeting.kind = MeetingKind(meeting.kind)  # a form hands in the value
        required(meeting.held_on, "请填写会议日期", "held_on")
        not_future(meeting.held_on, today, "会议日期", "held_on")
        meeting.title = _text(meeting.title, 200, "会议名称", "title", needed=False) or default_title(
            org, meeting.kind, meeting.held_on
        )
        meeting.place = _text(meeting.place, 200, "会议地点", "place") or ""
        meeting.host = _text(meeting.host, 50, "主持人", "host") or ""
        meeting.recorder = _text(meeting.recorder, 50, "记录人", "recorder", needed=False)
        meeting.external_attendees = _text(
            meeting.external_attendees, 2000, "其他参会人员", "external_attendees", needed=False
        )
        meeting.content = _text(meeting.content, 20000, "会议内容", "content") or ""
        for unit in meeting.attendee_organizations:
            if not _above_or_within(actor, unit.id, unit.path):
                raise DomainError(f"{unit.name}不是本单位、下级或上级单位", "attendee_organizations")
        for user in meeting.attendee_users:
            if not _above_or_within(actor, user.organization_id, user.organization.path):
                raise DomainError(f"{user.full_name}不是本单位、下级或上级单位的人员", "attendee_users")
        for person in meeting.attendee_mediators:
            if not can_reach_org(actor, person.organization):
                raise DomainError(f"调解员{person.name}不在您单位的管辖范围内", "attendee_mediators")
        for expert in meeting.attendee_experts:
            if not _above_or_within(actor, expert.organization_id, expert.organization.path):
                raise DomainError(f"专家{expert.name}不在可邀请的专家库中", "attendee_experts")
        if not (
            meeting.attendee_organizations
            or meeting.attendee_users
            or meeting.attendee_mediators
            or meeting.attendee_experts
            or meeting.external_attendees
        ):
            raise DomainError("请填写参会单位或人员", "attendee_organizations")
        if case_numbers is not None:
            meeting.cases = find_cases(session, actor, meeting, case_numbers)
        if meeting.id is None:
            meeting.created_by = actor
        session.add(meeting)
        for line in (decisions or "").splitlines():
            if line.strip():
                _add_decision(meeting, line)
    return meeting


def record_meeting(
    session: Session, meeting: Meeting, actor: User, *, today: date, **extra: str | None
) -> Meeting:
    """Record minutes (with `case_numbers` and `decisions` as in `prepare_meeting`) and commit."""
    prepare_meeting(session, meeting, actor, today=today, **extra)
    session.commit()
    return meeting


def _add_decision(meeting: Meeting, content: str | None, case: Case | None = None) -> MeetingDecision:
    text = _text(content, 5000, "议定事项", "decisions") or ""
    decision = MeetingDecision(
        seq=max((d.seq for d in meeting.decisions), default=0) + 1, content=text, case=case
    )
    meeting.decisions.append(decision)
    return decision


def _check_writer(meeting: Meeting, actor: User, expected_version: int | None) -> None:
    if not actor.has_role(*WRITERS):
        raise DomainError("您的角色不能修改会议纪要")
    if not can_reach_org(actor, meeting.organization):
        raise DomainError("该会议不在您单位的管辖范围内")
    if meeting.is_void:
        raise DomainError("会议纪要已作废")
    if expected_version is not None and expected_version != meeting.version:
        raise DomainError(STALE)


def add_decision(
    session: Session,
    meeting: Meeting,
    actor: User,
    *,
    content: str | None,
    case: Case | None = None,
    expected_version: int | None = None,
) -> MeetingDecision:
    """Add a decision (议定事项) to the minutes; commit."""
    _check_writer(meeting, actor, expected_version)
    if case is not None and case not in meeting.cases:
        raise DomainError("相关案件应为本次会议研判的案件", "case")
    with session.no_autoflush:
        decision = _add_decision(meeting, content, case)
    session.add(decision)
    meeting.updated_at = utcnow()  # the decision is part of the minutes: older pages are refused now
    session.commit()
    return decision


def withdraw_decision(
    session: Session, decision: MeetingDecision, actor: User, *, reason: str | None, today: date
) -> MeetingDecision:
    """Withdraw a decision recorded in error (撤销), unless work was handed out under it; commit."""
    _check_writer(decision.meeting, actor, None)
    if decision.withdrawn_on is not None:
        raise DomainError("该议定事项已撤销")
    if any(a.status != AssignmentStatus.CANCELLED for a in decision.assignments):
        raise DomainError("该议定事项已交办，请先撤销交办事项")
    decision.withdrawn_reason = _text(reason, 1000, "撤销原因", "reason")
    decision.withdrawn_on = today
    session.commit()
    return decision


def void_meeting(
    session: Session,
    meeting: Meeting,
    actor: User,
    *,
    reason: str | None,
    today: date,
    expected_version: int | None = None,
) -> Meeting:
    """Void minutes recorded in error, with a reason, unless an item handed out is still open; commit."""
    _check_writer(meeting, actor, expected_version)
    if any(a.status == AssignmentStatus.OPEN for d in meeting.decisions for a in d.assignments):
        raise DomainError("会议交办的事项尚未办结或撤销，不能作废会议纪要")
    meeting.void_reason = _text(reason, 1000, "作废原因", "reason")
    meeting.voided_on = today
    session.commit()
    return meeting


def open_decisions(meeting: Meeting) -> Sequence[MeetingDecision]:
    """Return the decisions in force, in order."""
    return [d for d in meeting.decisions if d.withdrawn_on is None]


def recent(session: Session, actor: User, limit: int = 5) -> list[Meeting]:
    """Return the latest minutes the actor sees (for pages that link to them)."""
    query = (
        select(Meeting)
        .where(org_in_scope(actor, Meeting.organization_id), Meeting.voided_on.is_(None))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
