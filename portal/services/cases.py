"""The case workflow (DESIGN §3): registration, every transition, and the rules that guard them.

Each public function checks the actor's role, scope and the case's status, changes the case,
writes a `CaseEvent` and commits; a refused step raises `DomainError` with a Chinese message
and changes nothing. Views and the CLI call these functions; nothing else changes `Case.status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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
    PartyKind,
    ReferralRoute,
)
from portal.models.org import Organization
from portal.models.people import Mediator, MediatorStatus
from portal.models.records import Agreement, FollowUp, MediationSession, Performance
from portal.services import DomainError
from portal.services.deadlines import DeadlineRules
from portal.services.numbering import format_case_number, next_seq
from portal.services.scope import can_reach_org

#: Roles that carry cases through mediation.
WORKERS = frozenset({Role.ADMIN, Role.ENTRY})
#: A dispute involving this many people or more is a group dispute (群体性纠纷).
GROUP_SIZE = 5
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
    return None


def available_steps(case: Case, actor: User) -> list[CaseEventKind]:
    """Return the steps the actor may take on the case now, in workflow order."""
    return [kind for kind in STEPS if refusal(case, actor, kind) is None]


def can_edit(case: Case, actor: User) -> bool:
    """Return whether the actor may correct the case's registration details."""
    return case.is_open and actor.has_role(*WORKERS) and can_reach_org(actor, case.organization)


def _check(case: Case, actor: User, kind: CaseEventKind, expected_version: int | None) -> None:
    reason = refusal(case, actor, kind)
    if reason:
        raise DomainError(reason)
    if expected_version is not None and expected_version != case.version:
        raise DomainError(STALE_CASE)


def _required(value: Any, message: str, field: str | None = None) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, field)


def _not_future(day: date | None, today: date, what: str, field: str) -> None:
    if day is not None and day > today:
        raise DomainError(f"{what}不能晚于今天", field)


def _event(
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
    if kind != K.SUPERVISE:  # supervision is done to the handlers, not by them
        case.last_activity_on = max(case.last_activity_on, today)
    return event


def _check_mediators(actor: User, mediators: Sequence[Mediator]) -> None:
    for person in mediators:
        if person.status != MediatorStatus.ACTIVE:
            raise DomainError(f"调解员{person.name}已离任，不能承办案件", "mediators")
        if not can_reach_org(actor, person.organization):
            raise DomainError(f"调解员{person.name}不在您单位的管辖范围内", "mediators")


# --- registration ----------------------------------------------------------------------------------


def check_registration(case: Case, actor: User, today: date) -> None:
    """Check a new or corrected registration; raise DomainError naming the field."""
    if case.organization is None:
        raise DomainError("请选择受理的调解组织", "organization")
    if not can_reach_org(actor, case.organization):
        raise DomainError("只能为本单位及下级调解组织登记案件", "organization")
    if not case.organization.is_active:
        raise DomainError(f"{case.organization.name}已撤销，不能受理新案件", "organization")
    _required(case.summary, "请填写纠纷简要情况", "summary")
    _not_future(case.accepted_on, today, "受理日期", "accepted_on")
    _not_future(case.occurred_on, today, "纠纷发生日期", "occurred_on")
    if case.occurred_on and case.accepted_on and case.occurred_on > case.accepted_on:
        raise DomainError("纠纷发生日期不能晚于受理日期", "occurred_on")
    if not case.parties:
        raise DomainError("请至少登记一名当事人", "parties")
    for party in case.parties:
        if party.kind == PartyKind.PERSON and party.credit_code:
            raise DomainError(f"当事人{party.name}为自然人，不应填写统一社会信用代码", "parties")
        if party.kind == PartyKind.ORGANIZATION and party.id_number:
            raise DomainError(f"当事人{party.name}为单位，请填写统一社会信用代码而非身份证号", "parties")
    if case.people_involved is None or case.people_involved < len(case.parties):
        raise DomainError(f"涉及人数不能少于登记的当事人数（{len(case.parties)}人）", "people_involved")
    if case.amount is not None and case.amount < 0:
        raise DomainError("涉及金额不能为负数", "amount")


def prepare_registration(
    session: Session, case: Case, actor: User, *, today: date, rules: DeadlineRules | None = None
) -> Case:
    """Accept a new case (受理登记) without committing: number it, set its deadline, record the event.

    Flask-Admin's create view commits after calling this; `register` commits itself.
    """
    rules = rules or DeadlineRules()
    if not actor.has_role(*WORKERS):
        raise DomainError("您的角色不能登记案件")
    # The case may already be pending in the session: it must not be flushed half-filled.
    with session.no_autoflush:
        case.accepted_on = case.accepted_on or today
        check_registration(case, actor, today)
        if case.dispute_type is None:
            raise DomainError("请选择纠纷类型", "dispute_type")
        case.is_group = case.people_involved >= GROUP_SIZE
        case.status = S.REGISTERED
        case.registered_by = actor
        case.numbering_organization = case.organization
        case.year = case.accepted_on.year
        case.seq = next_seq(session, case.organization, case.year)
        case.number = format_case_number(case.year, case.organization.code, case.seq)
        case.deadline = rules.due_date(case.accepted_on, case.dispute_type.default_deadline_days)
        case.last_activity_on = case.accepted_on
        session.add(case)
        _event(session, case, actor, K.REGISTER, to=S.REGISTERED, today=today, number=case.number)
    return case


def register(
    session: Session, case: Case, actor: User, *, today: date, rules: DeadlineRules | None = None
) -> Case:
    """Accept a new case (受理登记) and commit."""
    prepare_registration(session, case, actor, today=today, rules=rules)
    session.commit()
    return case


def check_correction(case: Case, actor: User, *, today: date) -> None:
    """Check corrections to an open case's registration details (the status is not touched here)."""
    if not case.is_open:
        raise DomainError("已结案或已作废的案件不能修改")
    if not can_edit(case, actor):
        raise DomainError("您不能修改该案件")
    check_registration(case, actor, today)
    case.is_group = case.people_involved >= GROUP_SIZE


# --- the workflow ----------------------------------------------------------------------------------


def assign(
    session: Session,
    case: Case,
    actor: User,
    *,
    organization: Organization,
    mediators: Sequence[Mediator],
    lead_leader: str | None = None,
    responsible_unit: str | None = None,
    responsible_person: str | None = None,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """分流交办: give the case to an organisation in the actor's subtree and name its mediators."""
    _check(case, actor, K.ASSIGN, expected_version)
    if not can_reach_org(actor, organization):
        raise DomainError("只能交办给本单位或下级调解组织", "organization")
    if not organization.is_active:
        raise DomainError(f"{organization.name}已撤销，不能承办案件", "organization")
    if not mediators:
        raise DomainError("请至少指定一名承办调解员", "mediators")
    _check_mediators(actor, mediators)
    case.organization = organization
    case.mediators = list(mediators)
    case.lead_leader = lead_leader or case.lead_leader
    case.responsible_unit = responsible_unit or case.responsible_unit or organization.name
    case.responsible_person = responsible_person or case.responsible_person or mediators[0].name
    case.assigned_on = today
    _event(
        session,
        case,
        actor,
        K.ASSIGN,
        to=S.ASSIGNED,
        note=note,
        today=today,
        organization=organization.name,
        mediators="、".join(m.name for m in mediators),
    )
    session.commit()
    return case


def start(
    session: Session,
    case: Case,
    actor: User,
    *,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """开始调解."""
    _check(case, actor, K.START, expected_version)
    _event(session, case, actor, K.START, to=S.MEDIATING, note=note, today=today)
    session.commit()
    return case


def record_session(
    session: Session,
    case: Case,
    actor: User,
    record: MediationSession,
    *,
    today: date,
    expected_version: int | None = None,
) -> MediationSession:
    """Add an entry to the 调解工作记录本."""
    _check(case, actor, K.SESSION, expected_version)
    _required(record.held_at, "请填写调解时间", "held_at")
    _required(record.place, "请填写调解地点", "place")
    _required(record.content, "请填写调解过程及内容", "content")
    if record.held_at.date() > today:
        raise DomainError("调解时间不能晚于今天", "held_at")
    if record.held_at.date() < case.accepted_on:
        raise DomainError("调解时间不能早于受理日期", "held_at")
    _check_mediators(actor, record.mediators)
    record.case = case
    session.add(record)
    _event(
        session,
        case,
        actor,
        K.SESSION,
        today=today,
        note=record.result.label if record.result else None,
        held_at=record.held_at.strftime("%Y-%m-%d %H:%M"),
        place=record.place,
    )
    session.commit()
    return record


def settle(
    session: Session,
    case: Case,
    actor: User,
    agreement: Agreement,
    *,
    today: date,
    expected_version: int | None = None,
) -> Agreement:
    """调解成功: record the agreement (written or oral)."""
    _check(case, actor, K.SETTLE, expected_version)
    if not case.sessions:
        raise DomainError("请先填写调解记录，再登记调解结果")
    _required(agreement.terms, "请填写协议内容", "terms")
    _required(agreement.signed_on, "请填写协议日期", "signed_on")
    _not_future(agreement.signed_on, today, "协议日期", "signed_on")
    if agreement.signed_on < case.accepted_on:
        raise DomainError("协议日期不能早于受理日期", "signed_on")
    if agreement.amount is not None and agreement.amount < 0:
        raise DomainError("协议金额不能为负数", "amount")
    if agreement.performance_deadline and agreement.performance_deadline < agreement.signed_on:
        raise DomainError("履行期限不能早于协议日期", "performance_deadline")
    _check_confirmation(agreement)
    agreement.case = case
    agreement.number = case.number
    if agreement.performed and agreement.performed_on is None:
        agreement.performed_on = today
    session.add(agreement)
    _event(
        session,
        case,
        actor,
        K.SETTLE,
        to=S.SETTLED,
        today=today,
        form=agreement.form.label,
        amount=str(agreement.amount) if agreement.amount is not None else None,
    )
    session.commit()
    return agreement


def _check_confirmation(agreement: Agreement) -> None:
    parts = (agreement.confirmation_court, agreement.confirmation_date, agreement.confirmation_number)
    if any(parts) and not all(parts):
        raise DomainError("司法确认须同时填写确认法院、日期和文书编号", "confirmation_number")
    if agreement.confirmation_date and agreement.confirmation_date < agreement.signed_on:
        raise DomainError("司法确认日期不能早于协议日期", "confirmation_date")


def update_agreement(session: Session, agreement: Agreement, actor: User, *, today: date) -> Agreement:
    """Record performance or 司法确认 on an agreement after the fact."""
    case = agreement.case
    if not can_reach_org(actor, case.organization) or not actor.has_role(*WORKERS):
        raise DomainError("您不能修改该协议")
    if case.status == S.VOIDED:
        raise DomainError("已作废案件的协议不能修改")
    _not_future(agreement.performed_on, today, "履行日期", "performed_on")
    _check_confirmation(agreement)
    if agreement.performed and agreement.performed_on is None:
        agreement.performed_on = today
    if not agreement.performed:
        agreement.performed_on = None
    session.commit()
    return agreement


def fail(
    session: Session,
    case: Case,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """调解不成: record why; the case must then be guided to litigation, arbitration or an agency."""
    _check(case, actor, K.FAIL, expected_version)
    if not case.sessions:
        raise DomainError("请先填写调解记录，再登记调解结果")
    _required(reason, "请填写调解不成的原因", "reason")
    case.failure_reason = reason.strip()
    _event(session, case, actor, K.FAIL, to=S.FAILED, note=reason, today=today)
    session.commit()
    return case


def refer(
    session: Session,
    case: Case,
    actor: User,
    *,
    route: ReferralRoute,
    stability_plan: str,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """引导诉讼/仲裁/行政途径, with the 稳控方案 that keeps the dispute from escalating meanwhile."""
    _check(case, actor, K.REFER, expected_version)
    _required(route, "请选择引导途径", "route")
    _required(stability_plan, "请填写稳控方案", "stability_plan")
    case.referral_route = ReferralRoute(route)
    case.stability_plan = stability_plan.strip()
    _event(
        session, case, actor, K.REFER, to=S.REFERRED, note=note, today=today, route=case.referral_route.label
    )
    session.commit()
    return case


def follow_up(
    session: Session,
    case: Case,
    actor: User,
    visit: FollowUp,
    *,
    today: date,
    expected_version: int | None = None,
) -> FollowUp:
    """回访: record the visit; full performance marks the agreement performed."""
    _check(case, actor, K.FOLLOW_UP, expected_version)
    _required(visit.visited_on, "请填写回访日期", "visited_on")
    _not_future(visit.visited_on, today, "回访日期", "visited_on")
    _required(visit.visitor, "请填写回访人", "visitor")
    _required(visit.person_visited, "请填写被回访人", "person_visited")
    if visit.satisfaction not in range(1, 6):
        raise DomainError("满意度应为1至5分", "satisfaction")
    if visit.visited_on < case.accepted_on:
        raise DomainError("回访日期不能早于受理日期", "visited_on")
    visit.case = case
    session.add(visit)
    if visit.performance == Performance.FULL and case.agreement is not None and not case.agreement.performed:
        case.agreement.performed = True
        case.agreement.performed_on = visit.visited_on
    target = S.FOLLOWED_UP if case.status == S.SETTLED else None
    _event(
        session,
        case,
        actor,
        K.FOLLOW_UP,
        to=target,
        today=today,
        note=visit.notes,
        satisfaction=f"{visit.satisfaction}分",
        performance=visit.performance.label,
    )
    session.commit()
    return visit


def archive(
    session: Session,
    case: Case,
    actor: User,
    *,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """结案归档."""
    _check(case, actor, K.ARCHIVE, expected_version)
    case.closed_on = today
    _event(session, case, actor, K.ARCHIVE, to=S.CLOSED, note=note, today=today)
    session.commit()
    return case


def _move(
    session: Session,
    case: Case,
    actor: User,
    kind: CaseEventKind,
    to_org: Organization,
    reason: str,
    today: date,
) -> None:
    """Hand the case to another organisation, which registers and assigns it afresh."""
    _required(reason, f"请填写{kind.label}原因", "reason")
    if not to_org.is_active:
        raise DomainError(f"{to_org.name}已撤销，不能接收案件", "organization")
    from_name = case.organization.name
    was = case.status
    case.organization = to_org
    case.mediators = []
    case.suspended_from = None
    case.suspended_on = None
    _event(
        session,
        case,
        actor,
        kind,
        to=S.REGISTERED,
        note=reason,
        today=today,
        from_org=from_name,
        to_org=to_org.name,
        was=was.label,
    )
    session.commit()


def escalate(
    session: Session,
    case: Case,
    actor: User,
    *,
    to_org: Organization,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """提级: hand the case up to an organisation above its current one."""
    _check(case, actor, K.ESCALATE, expected_version)
    if to_org.id not in case.organization.ancestor_ids[:-1]:
        raise DomainError("提级只能提交给上级调解组织", "organization")
    _move(session, case, actor, K.ESCALATE, to_org, reason, today)
    return case


def transfer(
    session: Session,
    case: Case,
    actor: User,
    *,
    to_org: Organization,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """移交: hand the case to another organisation (for example the competent industry committee)."""
    _check(case, actor, K.TRANSFER, expected_version)
    if to_org.id == case.organization_id:
        raise DomainError("案件已由该组织办理，请选择其他调解组织", "organization")
    _move(session, case, actor, K.TRANSFER, to_org, reason, today)
    return case


def supervise(
    session: Session,
    case: Case,
    actor: User,
    *,
    deadline: date,
    note: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """督办: the supervising office sets its own deadline for the case."""
    _check(case, actor, K.SUPERVISE, expected_version)
    _required(deadline, "请填写督办期限", "deadline")
    _required(note, "请填写督办要求", "note")
    if deadline < today:
        raise DomainError("督办期限不能早于今天", "deadline")
    case.supervision_deadline = deadline
    case.supervision_note = note.strip()
    case.supervising_organization = actor.organization
    _event(session, case, actor, K.SUPERVISE, note=note, today=today, deadline=deadline.isoformat())
    session.commit()
    return case


def suspend(
    session: Session,
    case: Case,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """中止: pause mediation; the time until it resumes does not count against the deadline."""
    _check(case, actor, K.SUSPEND, expected_version)
    _required(reason, "请填写中止原因", "reason")
    case.suspended_from = case.status
    case.suspended_on = today
    _event(session, case, actor, K.SUSPEND, to=S.SUSPENDED, note=reason, today=today)
    session.commit()
    return case


def resume(
    session: Session,
    case: Case,
    actor: User,
    *,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """恢复调解: return to the status before 中止 and move the deadline by the days paused."""
    _check(case, actor, K.RESUME, expected_version)
    paused = (today - case.suspended_on).days if case.suspended_on else 0
    back_to = case.suspended_from or S.MEDIATING
    case.deadline = case.deadline + timedelta(days=paused)
    case.suspended_from = None
    case.suspended_on = None
    _event(
        session,
        case,
        actor,
        K.RESUME,
        to=back_to,
        note=note,
        today=today,
        paused_days=paused,
        deadline=case.deadline.isoformat(),
    )
    session.commit()
    return case


def extend(
    session: Session,
    case: Case,
    actor: User,
    *,
    new_deadline: date,
    reason: str,
    today: date,
    rules: DeadlineRules | None = None,
    expected_version: int | None = None,
) -> Case:
    """延期: extend the mediation deadline, with a reason (normally both parties' consent)."""
    rules = rules or DeadlineRules()
    _check(case, actor, K.EXTEND, expected_version)
    _required(reason, "请填写延期理由", "reason")
    _required(new_deadline, "请填写延长后的办结时限", "new_deadline")
    if new_deadline <= case.deadline:
        raise DomainError(f"延长后的时限应晚于现办结时限（{case.deadline:%Y-%m-%d}）", "new_deadline")
    limit = rules.due_date(case.accepted_on, case.dispute_type.default_deadline_days) + timedelta(
        days=rules.max_extension_days
    )
    if new_deadline > limit:
        raise DomainError(f"最多只能延长至{limit:%Y-%m-%d}", "new_deadline")
    old = case.deadline
    case.deadline = new_deadline
    case.extension_reason = reason.strip()
    _event(
        session,
        case,
        actor,
        K.EXTEND,
        note=reason,
        today=today,
        old_deadline=old.isoformat(),
        deadline=new_deadline.isoformat(),
    )
    session.commit()
    return case


def void(
    session: Session,
    case: Case,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """作废: a mistaken entry keeps its number and history but leaves the ledger's figures."""
    _check(case, actor, K.VOID, expected_version)
    _required(reason, "请填写作废原因", "reason")
    case.void_reason = reason.strip()
    _event(session, case, actor, K.VOID, to=S.VOIDED, note=reason, today=today)
    session.commit()
    return case


def organizations_above(case: Case, candidates: Iterable[Organization]) -> list[Organization]:
    """Return the candidates that lie above the case's organisation (targets for 提级)."""
    above = set(case.organization.ancestor_ids[:-1])
    return [org for org in candidates if org.id in above]
