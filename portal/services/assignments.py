"""交办督办: the items a meeting's decision hands to an organisation, followed up until done.

Who sees an item: the subtree of the organisation that assigned it (交办单位, the meeting's) and the
subtree of the one carrying it out (承办单位). So a township sees the items the county's meeting gave
it, though not the county's minutes (the item shows the decision's text, not the meeting page).

Who does what (`STEPS`): the assigning side (the actor reaches the 交办单位) reminds (催办), escalates
(挂牌督办), extends the deadline (延期) and cancels (撤销交办); the carrying side (the actor reaches the
承办单位) reports progress (报告进展) and completes the item with its result (办结). A county
administrator reaches both. Every step is an `AssignmentEvent` (the 督办 history), bumps the item's
version (a form based on an older page is refused) and commits.

Warnings, as for cases (`services.deadlines`): an open item past its deadline is 红; one due within
`DeadlineRules.warn_days` (CASE_WARN_DAYS) or under 挂牌督办 is 黄; any other open item is 蓝.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case
from portal.models.meeting import (
    Assignment,
    AssignmentEvent,
    AssignmentEventKind,
    AssignmentStatus,
    MeetingDecision,
)
from portal.models.org import Organization, OrgStatus
from portal.models.review import DocumentCounter
from portal.services import DomainError
from portal.services.deadlines import Assessment, Colour, DeadlineRules
from portal.services.numbering import reserve
from portal.services.scope import can_reach_org, org_in_scope
from portal.services.workflow import not_future, required
from portal.validators import date_window_error

K = AssignmentEventKind
S = AssignmentStatus
WRITERS = frozenset({Role.ADMIN, Role.ENTRY})
NUMBER_SERIES = "assignment"
STALE = "该交办事项已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"
ASSIGNER, ASSIGNEE = "assigner", "assignee"


@dataclass(frozen=True)
class Step:
    """Which side takes a step."""

    side: str


#: Every step a user can take on an existing item; all are taken while the item is open.
STEPS: dict[AssignmentEventKind, Step] = {
    K.PROGRESS: Step(ASSIGNEE),
    K.COMPLETE: Step(ASSIGNEE),
    K.REMIND: Step(ASSIGNER),
    K.ESCALATE: Step(ASSIGNER),
    K.EXTEND: Step(ASSIGNER),
    K.CANCEL: Step(ASSIGNER),
}


def format_number(org_code: str, year: int, seq: int) -> str:
    """Return the 交办文号: `<code>交办〔2026〕3号`."""
    return f"{org_code}交办〔{year}〕{seq}号"


# --- scope ----------------------------------------------------------------------------------------


def visible_clause(user: User) -> ColumnElement[bool]:
    """Return the condition for the items the user sees (assigned by or to its subtree)."""
    return or_(
        org_in_scope(user, Assignment.organization_id),
        org_in_scope(user, Assignment.assigning_organization_id),
    )


def can_read(user: User, item: Assignment) -> bool:
    """Return whether the user sees the item."""
    return can_reach_org(user, item.organization) or can_reach_org(user, item.assigning_organization)


def refusal(item: Assignment, actor: User, kind: AssignmentEventKind) -> str | None:
    """Return why `actor` may not take step `kind` on the item now, or None if they may."""
    if not actor.has_role(*WRITERS):
        return f"您的角色不能办理「{kind.label}」"
    side = STEPS[kind].side
    if side == ASSIGNER and not can_reach_org(actor, item.assigning_organization):
        return f"「{kind.label}」由交办单位（{item.assigning_organization.name}）办理"
    if side == ASSIGNEE and not can_reach_org(actor, item.organization):
        return f"「{kind.label}」由承办单位（{item.organization.name}）办理"
    if item.status != S.OPEN:
        return f"交办事项{item.status.label}，不能办理「{kind.label}」"
    if kind == K.ESCALATE and item.escalated_on is not None:
        return "该事项已挂牌督办"
    return None


def available_steps(item: Assignment, actor: User) -> list[AssignmentEventKind]:
    """Return the steps the actor may take now, in `STEPS` order."""
    return [kind for kind in STEPS if refusal(item, actor, kind) is None]


# --- assigning ------------------------------------------------------------------------------------


def _text(value: str | None, most: int, what: str, field: str) -> str:
    required(value, f"请填写{what}", field)
    text = (value or "").strip()
    if len(text) > most:
        raise DomainError(f"{what}不能超过{most}字", field)
    return text


def _check_deadline(deadline: date | None, not_before: date, field: str = "deadline") -> date:
    required(deadline, "请填写办理期限", field)
    assert deadline is not None  # required() has refused None; this tells the type checker
    if deadline < not_before:
        raise DomainError(f"办理期限不能早于{not_before:%Y-%m-%d}", field)
    if error := date_window_error(deadline, past=False):
        raise DomainError(error.replace("日期", "办理期限", 1), field)
    return deadline


def _event(
    session: Session,
    item: Assignment,
    actor: User,
    kind: AssignmentEventKind,
    *,
    to: AssignmentStatus | None = None,
    note: str | None = None,
    **details: Any,
) -> None:
    event = AssignmentEvent(
        kind=kind,
        from_status=item.status,
        to_status=to or item.status,
        actor=actor,
        actor_name=actor.full_name,
        organization_id=actor.organization_id,
        note=(note or "").strip() or None,
        details={k: v for k, v in details.items() if v not in (None, "")},
    )
    item.events.append(event)
    session.add(event)
    if to is not None:
        item.status = to


def assign(
    session: Session,
    decision: MeetingDecision,
    actor: User,
    *,
    organization: Organization | None,
    owner_person: str | None,
    content: str | None,
    deadline: date | None,
    case: Case | None = None,
    today: date,
) -> Assignment:
    """交办: hand a decision's work to an organisation of the meeting's subtree; number it; commit."""
    meeting = decision.meeting
    if not actor.has_role(*WRITERS):
        raise DomainError("您的角色不能交办事项")
    if not can_reach_org(actor, meeting.organization):
        raise DomainError("只有召开会议的单位（及其上级）才能交办该会议的事项")
    if meeting.is_void or decision.withdrawn_on is not None:
        raise DomainError("会议纪要已作废或议定事项已撤销，不能交办")
    if organization is None:
        raise DomainError("请选择承办单位", "organization")
    if not organization.path.startswith(meeting.organization.path):
        raise DomainError(f"承办单位应为{meeting.organization.name}或其下级单位", "organization")
    if organization.status == OrgStatus.REVOKED:
        raise DomainError(f"{organization.name}已撤销，不能承办", "organization")
    owner = _text(owner_person, 50, "责任人", "owner_person")
    body = _text(content or decision.content, 5000, "交办内容", "content")
    due = _check_deadline(deadline, max(today, meeting.held_on))
    if case is not None and not case.organization.path.startswith(meeting.organization.path):
        raise DomainError("相关案件不在召开单位的辖区内", "case")
    year = today.year
    seq = reserve(
        session, DocumentCounter, kind=NUMBER_SERIES, organization_id=meeting.organization_id, year=year
    )
    item = Assignment(
        decision_id=decision.id,
        number=format_number(meeting.organization.code, year, seq),
        year=year,
        seq=seq,
        assigning_organization=meeting.organization,
        organization=organization,
        owner_person=owner,
        content=body,
        case=case or decision.case,
        assigned_on=today,
        deadline=due,
        status=S.OPEN,
        created_by=actor,
    )
    session.add(item)
    item.decision = decision
    _event(
        session,
        item,
        actor,
        K.ASSIGN,
        to=S.OPEN,
        organization=organization.name,
        owner_person=owner,
        deadline=due.isoformat(),
    )
    session.commit()
    return item


# --- the steps ------------------------------------------------------------------------------------


def _check(item: Assignment, actor: User, kind: AssignmentEventKind, expected_version: int | None) -> None:
    if reason := refusal(item, actor, kind):
        raise DomainError(reason)
    if expected_version is not None and expected_version != item.version:
        raise DomainError(STALE)


def _bump(item: Assignment) -> None:
    # Touch the row even when only its history changed, so that its version moves on.
    item.updated_at = utcnow()


def take_step(
    session: Session,
    item: Assignment,
    actor: User,
    kind: AssignmentEventKind,
    *,
    note: str | None = None,
    deadline: date | None = None,
    result: str | None = None,
    completed_on: date | None = None,
    today: date,
    expected_version: int | None = None,
) -> Assignment:
    """Take one 督办 step (`STEPS`) on an item; commit."""
    _check(item, actor, kind, expected_version)
    if kind == K.PROGRESS:
        text = _text(note, 2000, "进展情况", "note")
        item.last_progress_on = today
        _event(session, item, actor, kind, note=text)
    elif kind == K.REMIND:
        item.reminders += 1
        _event(session, item, actor, kind, note=_text(note, 1000, "催办要求", "note"), times=item.reminders)
    elif kind == K.ESCALATE:
        text = _text(note, 1000, "督办要求", "note")
        item.escalated_on = today
        _event(session, item, actor, kind, note=text)
    elif kind == K.EXTEND:
        reason = _text(note, 1000, "延期理由", "note")
        new = _check_deadline(deadline, max(today, item.deadline + timedelta(days=1)))
        old, item.deadline = item.deadline, new
        _event(
            session, item, actor, kind, note=reason, old_deadline=old.isoformat(), deadline=new.isoformat()
        )
    elif kind == K.COMPLETE:
        item.result = _text(result, 5000, "办理结果", "result")
        done = completed_on or today
        not_future(done, today, "办结日期", "completed_on")
        if done < item.assigned_on:
            raise DomainError(f"办结日期不能早于交办日期（{item.assigned_on:%Y-%m-%d}）", "completed_on")
        item.completed_on = done
        _event(session, item, actor, kind, to=S.DONE, note=note, completed_on=done.isoformat())
    elif kind == K.CANCEL:
        item.cancel_reason = _text(note, 1000, "撤销原因", "note")
        _event(session, item, actor, kind, to=S.CANCELLED, note=item.cancel_reason)
    _bump(item)
    session.commit()
    return item


# --- warnings -------------------------------------------------------------------------------------


def assess(item: Assignment, today: date, rules: DeadlineRules) -> Assessment:
    """Return the 红/黄/蓝 badge of an item on `today`; done and cancelled items have none."""
    if item.status != S.OPEN:
        return Assessment(None, ())
    left = (item.deadline - today).days
    escalated = ("挂牌督办中",) if item.escalated_on is not None else ()
    if left < 0:
        return Assessment(Colour.RED, (f"已逾期{-left}天", *escalated))
    if left <= rules.warn_days:
        return Assessment(Colour.YELLOW, ("今日到期" if left == 0 else f"{left}天后到期", *escalated))
    if escalated:
        return Assessment(Colour.YELLOW, escalated)
    return Assessment(Colour.BLUE, ())


def colour_clause(colour: Colour | str, today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    """Return the SQL condition for items showing `colour` on `today`, the same rule as `assess`."""
    is_open = Assignment.status == S.OPEN
    red = Assignment.deadline < today
    yellow = or_(
        Assignment.deadline <= today + timedelta(days=rules.warn_days), Assignment.escalated_on.is_not(None)
    )
    if colour == Colour.RED:
        return and_(is_open, red)
    if colour == Colour.YELLOW:
        return and_(is_open, not_(red), yellow)
    if colour == Colour.BLUE:
        return and_(is_open, not_(red), not_(yellow))
    return false()


def counts(session: Session, user: User, today: date, rules: DeadlineRules | None = None) -> dict[str, int]:
    """Return how many open items the user sees, how many are overdue (红) and how many 黄."""
    rules = rules or DeadlineRules()
    visible = visible_clause(user)

    def count(*where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count(Assignment.id)).where(visible, *where)) or 0

    return {
        "assignments_open": count(Assignment.status == S.OPEN),
        "assignments_overdue": count(colour_clause(Colour.RED, today, rules)),
        "assignments_due_soon": count(colour_clause(Colour.YELLOW, today, rules)),
    }


@dataclass(frozen=True)
class Timeliness:
    """交办事项按期办结率 of an organisation: items done on time and items late (done late or overdue)."""

    on_time: list[Assignment]
    late: list[Assignment]


def timeliness(session: Session, target: Organization, start: date, end: date, as_of: date) -> Timeliness:
    """Return the items assigned start … end to the target's subtree, sorted by how they were done.

    On time: completed by the deadline (and by `as_of`). Late: completed after the deadline, or still
    open (or completed after `as_of`) with the deadline before `as_of`. Cancelled items do not count.
    """
    subtree = select(Organization.id).where(Organization.path.startswith(target.path, autoescape=True))
    items = session.scalars(
        select(Assignment)
        .where(
            Assignment.organization_id.in_(subtree),
            Assignment.assigned_on.between(start, end),
            Assignment.status != S.CANCELLED,
        )
        .order_by(Assignment.assigned_on, Assignment.id)
    ).all()
    on_time: list[Assignment] = []
    late: list[Assignment] = []
    for item in items:
        done = item.completed_on if item.status == S.DONE else None
        if done is not None and done <= as_of:
            (on_time if done <= item.deadline else late).append(item)
        elif item.deadline < as_of:
            late.append(item)
    return Timeliness(on_time, late)
