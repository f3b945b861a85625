"""The case workflow's rules (docs/architecture.md §2): which steps exist, who may take them, from which
statuses.

`cases` (registration and status changes) and `case_records` (sessions, agreements, follow-ups)
take steps through these guards; views ask them which buttons to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.case import (
    MEDIATION_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
)
from portal.models.people import Mediator, MediatorStatus
from portal.services import DomainError
from portal.services.scope import can_reach_org
from portal.validators import date_window_error

#: Roles that carry cases through mediation.
WORKERS = frozenset({Role.ADMIN, Role.ENTRY})
#: A dispute involving this many people or more is a group dispute (群体性纠纷).
GROUP_SIZE = 5
#: Statuses that end mediation: entering one sets the case's 办结日期 (`Case.concluded_on`).
CONCLUDING = frozenset({CaseStatus.SETTLED, CaseStatus.FAILED})
STALE_CASE = "该案件已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"

S = CaseStatus
K = CaseEventKind


@dataclass(frozen=True)
class Step:
    """Who may take a step, and from which statuses."""

    from_statuses: frozenset[CaseStatus]
    roles: frozenset[Role] = WORKERS


#: The workflow. Every step a user can take on an existing case is listed here, and only here.
STEPS: dict[CaseEventKind, Step] = {
    K.ASSIGN: Step(frozenset({S.REGISTERED})),
    K.START: Step(frozenset({S.ASSIGNED})),
    K.SESSION: Step(frozenset({S.MEDIATING})),
    K.SETTLE: Step(frozenset({S.MEDIATING})),
    K.FAIL: Step(frozenset({S.MEDIATING})),
    K.REFER: Step(frozenset({S.FAILED})),
    K.FOLLOW_UP: Step(frozenset({S.SETTLED, S.FOLLOWED_UP, S.REFERRED})),
    K.ARCHIVE: Step(frozenset({S.FOLLOWED_UP, S.REFERRED})),
    K.ESCALATE: Step(MEDIATION_STATUSES | {S.SUSPENDED}),
    K.TRANSFER: Step(MEDIATION_STATUSES | {S.SUSPENDED}),
    K.SUPERVISE: Step(OPEN_STATUSES, frozenset({Role.ADMIN})),
    K.SUSPEND: Step(MEDIATION_STATUSES),
    K.RESUME: Step(frozenset({S.SUSPENDED})),
    K.EXTEND: Step(MEDIATION_STATUSES),
    K.VOID: Step(OPEN_STATUSES),
    # A party went over the handlers' heads (越级上访): recorded even after closing, since that is
    # when it matters most; it feeds the assessment's 越级上访 criterion and 责任倒查.
    K.PETITION: Step(frozenset(CaseStatus) - {S.VOIDED}),
    # Records kept beside the workflow (`services.case_extras`): steps of the history that move no
    # status. 听证 belongs to mediation; 领导包案 and 三调联动 to an open case; a partner's feedback on a
    # referral (对接反馈) may come after the case was closed. Referring a case to the court, police or
    # petition office is a record, not a status: the case stays in the ledger and its own outcome
    # (调解不成 → 引导诉讼, 结案) still goes through the steps above (docs/architecture.md §2).
    K.HEARING: Step(MEDIATION_STATUSES),
    K.LEADER: Step(OPEN_STATUSES),
    K.LEADER_NOTE: Step(OPEN_STATUSES),
    K.LEADER_END: Step(OPEN_STATUSES),
    K.LIAISON_OUT: Step(OPEN_STATUSES),
    K.LIAISON_IN: Step(OPEN_STATUSES),
    K.LIAISON_FEEDBACK: Step(frozenset(CaseStatus) - {S.VOIDED}),
    K.RECORD_VOID: Step(OPEN_STATUSES),
}


# --- guards ----------------------------------------------------------------------------------------


def refusal(case: Case, actor: User, kind: CaseEventKind) -> str | None:
    """Return why `actor` may not take step `kind` on `case` now, or None if they may."""
    step = STEPS[kind]
    if not actor.has_role(*step.roles):
        return f"您的角色不能办理「{kind.label}」"
    if not can_reach_org(actor, case.organization):
        return "该案件不在您单位的管辖范围内，不能办理"
    if case.status not in step.from_statuses:
        return f"案件当前状态为「{case.status.label}」，不能办理「{kind.label}」"
    if kind in (CaseEventKind.SETTLE, CaseEventKind.FAIL) and not case.sessions:
        return "请先填写调解记录，再登记调解结果"
    return None


def available_steps(case: Case, actor: User) -> list[CaseEventKind]:
    """Return the steps the actor may take on the case now, in workflow order."""
    return [kind for kind in STEPS if refusal(case, actor, kind) is None]


def can_edit(case: Case, actor: User) -> bool:
    """Return whether the actor may correct the case's registration details."""
    return case.is_open and actor.has_role(*WORKERS) and can_reach_org(actor, case.organization)


def check_step(case: Case, actor: User, kind: CaseEventKind, expected_version: int | None) -> None:
    reason = refusal(case, actor, kind)
    if reason:
        raise DomainError(reason)
    if expected_version is not None and expected_version != case.version:
        raise DomainError(STALE_CASE)


def required(value: Any, message: str, field: str | None = None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, field)


def not_future(day: date | None, today: date, what: str, field: str) -> None:
    """Refuse the date of something that has happened if it is after today or before 1 October 1949."""
    if day is not None and (error := date_window_error(day, past=True, today=today)):
        raise DomainError(error.replace("日期", what, 1), field)


def record_event(
    session: Session,
    case: Case,
    actor: User,
    kind: CaseEventKind,
    *,
    to: CaseStatus | None = None,
    note: str | None = None,
    today: date,
    **details: Any,
) -> CaseEvent:
    """Record a step, move the case to `to` and mark it as touched."""
    event = CaseEvent(
        case=case,
        kind=kind,
        from_status=case.status,
        to_status=to or case.status,
        actor=actor,
        actor_name=actor.full_name,
        organization_id=actor.organization_id,
        note=(note or "").strip() or None,
        details={k: v for k, v in details.items() if v not in (None, "")},
    )
    session.add(event)
    if to is not None:
        case.status = to
    if to in CONCLUDING:
        # 办结日期: mediation has ended (调解成功 then dates it by the agreement, `case_records.settle`).
        case.concluded_on = today
    if kind not in (K.SUPERVISE, K.PETITION):  # done to the handlers or by the parties, not by the handlers
        case.last_activity_on = max(case.last_activity_on, today)
    if to in (S.CLOSED, S.VOIDED):
        # A leader's personal charge (领导包案, services.case_extras) ends with the case.
        for charge in case.leader_charges:
            if charge.is_active:
                charge.ended_on = max(today, charge.started_on)
                charge.end_note = "案件结案归档，包案结束" if to == S.CLOSED else "案件作废，包案结束"
    return event


def check_mediators(actor: User, mediators: Sequence[Mediator]) -> None:
    for person in mediators:
        if person.status != MediatorStatus.ACTIVE:
            raise DomainError(f"调解员{person.name}已离任，不能承办案件", "mediators")
        if not can_reach_org(actor, person.organization):
            raise DomainError(f"调解员{person.name}不在您单位的管辖范围内", "mediators")
