"""Records kept while a case is worked: 调解记录 (sessions), the agreement, 回访 (follow-up visits)."""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.case import (
    Agreement,
    Case,
    CaseEventKind,
    CaseStatus,
    Evaluation,
    FollowUp,
    MediationSession,
    Performance,
)
from portal.services import DomainError
from portal.services.scope import can_reach_org
from portal.services.workflow import (
    WORKERS,
    check_mediators,
    check_step,
    not_future,
    record_event,
    required,
)
from portal.validators import amount_error

S = CaseStatus
K = CaseEventKind


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
    check_step(case, actor, K.SESSION, expected_version)
    if record.held_at is not None and record.held_at.tzinfo is None:
        record.held_at = record.held_at.replace(tzinfo=UTC)  # a naive time is UTC, as the database stores it
    check_session(record, case, today)
    check_mediators(actor, record.mediators)
    record.case = case
    session.add(record)
    record_event(
        session,
        case,
        actor,
        K.SESSION,
        today=today,
        note=record.result.label if record.result else None,
        held_at=clock.as_local(record.held_at).strftime("%Y-%m-%d %H:%M"),
        place=record.place,
    )
    session.commit()
    return record


def held_on(record: MediationSession) -> date:
    """Return the office's date of a session (a naive stored time is UTC)."""
    held_at = record.held_at if record.held_at.tzinfo else record.held_at.replace(tzinfo=UTC)
    return clock.local_date(held_at)


def check_session(record: MediationSession, case: Case, today: date) -> None:
    """Check a 调解记录: time, place and content given; held between the acceptance and today."""
    required(record.held_at, "请填写调解时间", "held_at")
    required(record.place, "请填写调解地点", "place")
    required(record.content, "请填写调解过程及内容", "content")
    day = held_on(record)  # dates are counted in the office's zone
    if day > today:
        raise DomainError("调解时间不能晚于今天", "held_at")
    if day < case.accepted_on:
        raise DomainError("调解时间不能早于受理日期", "held_at")


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
    check_step(case, actor, K.SETTLE, expected_version)
    check_agreement(agreement, case, today)
    agreement.case = case
    agreement.number = case.number
    if agreement.performed and agreement.performed_on is None:
        agreement.performed_on = today
    session.add(agreement)
    record_event(
        session,
        case,
        actor,
        K.SETTLE,
        to=S.SETTLED,
        today=today,
        form=agreement.form.label,
        amount=str(agreement.amount) if agreement.amount is not None else None,
    )
    case.concluded_on = agreement.signed_on
    session.commit()
    return agreement


def check_agreement(agreement: Agreement, case: Case, today: date) -> None:
    """Check an agreement: terms and date given, signed after the acceptance and the last 调解记录 and
    not after today; its amount, performance and 司法确认 in order."""
    required(agreement.terms, "请填写协议内容", "terms")
    required(agreement.signed_on, "请填写协议日期", "signed_on")
    not_future(agreement.signed_on, today, "协议日期", "signed_on")
    if agreement.signed_on < case.accepted_on:
        raise DomainError("协议日期不能早于受理日期", "signed_on")
    last_session = max((held_on(r) for r in case.sessions), default=None)
    if last_session is not None and agreement.signed_on < last_session:
        raise DomainError(f"协议日期不能早于最近一次调解（{last_session:%Y-%m-%d}）", "signed_on")
    if agreement.amount is not None and (error := amount_error(agreement.amount)):
        raise DomainError(error.replace("金额", "协议金额", 1), "amount")
    if agreement.performance_deadline and agreement.performance_deadline < agreement.signed_on:
        raise DomainError("履行期限不能早于协议日期", "performance_deadline")
    not_future(agreement.performed_on, today, "履行日期", "performed_on")
    if agreement.performed_on and agreement.performed_on < agreement.signed_on:
        raise DomainError("履行日期不能早于协议日期", "performed_on")
    _check_confirmation(agreement, today)


def _check_confirmation(agreement: Agreement, today: date) -> None:
    parts = (agreement.confirmation_court, agreement.confirmation_date, agreement.confirmation_number)
    if any(parts) and not all(parts):
        raise DomainError("司法确认须同时填写确认法院、日期和文书编号", "confirmation_number")
    if agreement.confirmation_date and agreement.confirmation_date < agreement.signed_on:
        raise DomainError("司法确认日期不能早于协议日期", "confirmation_date")
    not_future(agreement.confirmation_date, today, "司法确认日期", "confirmation_date")


def update_agreement(session: Session, agreement: Agreement, actor: User, *, today: date) -> Agreement:
    """Record performance or 司法确认 on an agreement after the fact."""
    case = agreement.case
    if not can_reach_org(actor, case.organization) or not actor.has_role(*WORKERS):
        raise DomainError("您不能修改该协议")
    if case.status == S.VOIDED:
        raise DomainError("已作废案件的协议不能修改")
    check_agreement(agreement, case, today)
    if agreement.performed and agreement.performed_on is None:
        agreement.performed_on = today
    if not agreement.performed:
        agreement.performed_on = None
    session.commit()
    return agreement


def check_follow_up(visit: FollowUp, case: Case, today: date) -> None:
    """Check a 回访: date, visitor, person visited and a 1–5 satisfaction; made after the agreement (or the
    acceptance, for a case guided elsewhere) and not after today; a 不满意 (群众评议) says why."""
    required(visit.visited_on, "请填写回访日期", "visited_on")
    not_future(visit.visited_on, today, "回访日期", "visited_on")
    required(visit.visitor, "请填写回访人", "visitor")
    required(visit.person_visited, "请填写被回访人", "person_visited")
    if visit.satisfaction not in range(1, 6):
        raise DomainError("满意度应为1至5分", "satisfaction")
    if visit.evaluation == Evaluation.DISSATISFIED and not (visit.evaluation_comment or "").strip():
        raise DomainError("当事人评价不满意的，请写明原因", "evaluation_comment")
    if visit.visited_on < case.accepted_on:
        raise DomainError("回访日期不能早于受理日期", "visited_on")
    if case.agreement is not None and visit.visited_on < case.agreement.signed_on:
        raise DomainError(f"回访日期不能早于协议日期（{case.agreement.signed_on:%Y-%m-%d}）", "visited_on")


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
    check_step(case, actor, K.FOLLOW_UP, expected_version)
    check_follow_up(visit, case, today)
    visit.case = case
    session.add(visit)
    if visit.performance == Performance.FULL and case.agreement is not None and not case.agreement.performed:
        case.agreement.performed = True
        case.agreement.performed_on = visit.visited_on
    target = S.FOLLOWED_UP if case.status == S.SETTLED else None
    record_event(
        session,
        case,
        actor,
        K.FOLLOW_UP,
        to=target,
        today=today,
        note=visit.notes,
        satisfaction=f"{visit.satisfaction}分",
        performance=visit.performance.label,
        evaluation=visit.evaluation.label if visit.evaluation else None,
    )
    session.commit()
    return visit
