"""听证, 领导包案 and 三调联动: records kept beside a case's workflow (models/case_extras.py).

Each action is a step of the case's history (`workflow.STEPS`: who may take it, in which statuses) that
moves no status: the record and a `CaseEvent` are written together, so the audit log shows the step on
the case. The checks are functions of the record and its case, shared by the forms and by
`case_checks` (the demo ledger and imports are held to the same rules):

- 听证: held between the acceptance and now; place, 主持人, parties present, the questions heard and the
  outcome given; mediators of the actor's subtree, experts of the pool of the actor's subtree or above.
- 领导包案: the leader's name, post and level, a start between the acceptance and today and the leader's
  initial 批示; one leader holds a case once at a time. 批示 and progress notes are dated between the start
  and today and never edited. The charge ends by hand (the leader leaves, the risk is resolved) or when
  the case is closed or voided (`workflow.record_event`).
- 三调联动: a referral out (移出) starts with our 移送日期; a referral in (移入) with our 接收日期, on a case
  registered from that partner (纠纷来源 法院/公安/信访移交), at most one per case, received no later than
  the acceptance. Dates run 移送 ≤ 接收 ≤ 反馈, none after today. The feedback (调解成功/不成/退回) is given
  once; on a case received, 调解成功 needs the agreement and 调解不成 the failure recorded.

Referring a case out is a record, not a workflow step: the case stays in the ledger, under its handlers,
and its outcome is still recorded through the workflow (调解不成 → 引导诉讼, 结案归档). A mistaken record is
voided with a reason (作废记录), never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.case import Case, CaseEventKind, CaseSource, CaseStatus
from portal.models.case_extras import (
    Hearing,
    LeaderCharge,
    LeaderNote,
    LeaderNoteKind,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
)
from portal.models.people import Expert, ExpertStatus
from portal.services import DomainError
from portal.services.scope import can_reach_org, org_in_scope
from portal.services.workflow import (
    check_mediators,
    check_step,
    not_future,
    record_event,
    required,
)

K = CaseEventKind
S = CaseStatus
STALE_RECORD = "该记录已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"
#: The case source that a referral in (移入) from each partner goes with.
SOURCE_OF_CHANNEL = {
    LiaisonChannel.COURT: CaseSource.COURT,
    LiaisonChannel.POLICE: CaseSource.POLICE,
    LiaisonChannel.PETITION: CaseSource.PETITION,
}
Record = Hearing | LeaderCharge | Liaison


def _check_version(record: Any, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record.version:
        raise DomainError(STALE_RECORD)


def _not_void(record: Record) -> None:
    if record.voided_on is not None:
        raise DomainError("该记录已作废，不能再办理")


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


# --- 听证 -------------------------------------------------------------------------------------------


def hearing_day(hearing: Hearing) -> date:
    """Return the office's date of a hearing (a naive stored time is UTC)."""
    held_at = hearing.held_at if hearing.held_at.tzinfo else hearing.held_at.replace(tzinfo=UTC)
    return clock.local_date(held_at)


def check_hearing(hearing: Hearing, case: Case, today: date) -> None:
    """Check a 听证: time, place, 主持人, parties present, questions and outcome; between the acceptance
    and today."""
    required(hearing.held_at, "请填写听证时间", "held_at")
    required(hearing.place, "请填写听证地点", "place")
    required(hearing.presiding, "请填写主持人", "presiding")
    required(hearing.parties_present, "请填写到场当事人", "parties_present")
    required(hearing.questions, "请填写听证事项", "questions")
    required(hearing.outcome, "请选择听证结果", "outcome")
    required(hearing.summary, "请填写听证意见及情况", "summary")
    day = hearing_day(hearing)
    if day > today:
        raise DomainError("听证时间不能晚于今天", "held_at")
    if day < case.accepted_on:
        raise DomainError("听证时间不能早于受理日期", "held_at")


def check_experts(actor: User, experts: Sequence[Expert]) -> None:
    """Refuse experts who left the pool or belong to a pool outside the actor's subtree and above."""
    own = actor.organization.path
    for expert in experts:
        if expert.status != ExpertStatus.ACTIVE:
            raise DomainError(f"专家{expert.name}已退出专家库", "experts")
        if not (own.startswith(expert.organization.path) or can_reach_org(actor, expert.organization)):
            raise DomainError(f"专家{expert.name}不在您可邀请的专家库中", "experts")


def record_hearing(
    session: Session,
    case: Case,
    actor: User,
    hearing: Hearing,
    *,
    today: date,
    expected_version: int | None = None,
) -> Hearing:
    """Record a 听证 held on the case."""
    check_step(case, actor, K.HEARING, expected_version)
    if hearing.held_at is not None and hearing.held_at.tzinfo is None:
        hearing.held_at = hearing.held_at.replace(tzinfo=UTC)
    for name in (
        "place",
        "presiding",
        "parties_present",
        "representatives",
        "questions",
        "summary",
        "recorder",
    ):
        setattr(hearing, name, _text(getattr(hearing, name)))
    check_hearing(hearing, case, today)
    check_mediators(actor, hearing.mediators)
    check_experts(actor, hearing.experts)
    hearing.case = case
    session.add(hearing)
    record_event(
        session,
        case,
        actor,
        K.HEARING,
        today=today,
        note=hearing.summary,
        held_at=clock.as_local(hearing.held_at).strftime("%Y-%m-%d %H:%M"),
        place=hearing.place,
        presiding=hearing.presiding,
        hearing_outcome=hearing.outcome.label,
    )
    session.commit()
    return hearing


# --- 领导包案 ----------------------------------------------------------------------------------------


def check_charge(charge: LeaderCharge, case: Case, today: date) -> None:
    """Check a 领导包案: leader, post, level, the first 批示, and a start between the acceptance and today;
    an end after the start and not after today."""
    required(charge.leader_name, "请填写包案领导姓名", "leader_name")
    required(charge.leader_post, "请填写包案领导职务", "leader_post")
    required(charge.level, "请选择包案领导层级", "level")
    required(charge.started_on, "请填写包案日期", "started_on")
    required(charge.instructions, "请填写领导批示或包案要求", "instructions")
    not_future(charge.started_on, today, "包案日期", "started_on")
    if charge.started_on < case.accepted_on:
        raise DomainError("包案日期不能早于受理日期", "started_on")
    if charge.ended_on is not None:
        not_future(charge.ended_on, today, "结束日期", "ended_on")
        if charge.ended_on < charge.started_on:
            raise DomainError("结束日期不能早于包案日期", "ended_on")


def check_note(note: LeaderNote, charge: LeaderCharge, today: date) -> None:
    """Check a 批示 or progress note: dated between the start of the charge and today, with content."""
    required(note.kind, "请选择记录类别", "kind")
    required(note.noted_on, "请填写日期", "noted_on")
    required(note.content, "请填写内容", "content")
    not_future(note.noted_on, today, "日期", "noted_on")
    if note.noted_on < charge.started_on:
        raise DomainError(f"日期不能早于包案日期（{charge.started_on:%Y-%m-%d}）", "noted_on")
    if charge.ended_on is not None and note.noted_on > charge.ended_on:
        raise DomainError(f"日期不能晚于包案结束日期（{charge.ended_on:%Y-%m-%d}）", "noted_on")


def take_charge(
    session: Session,
    case: Case,
    actor: User,
    charge: LeaderCharge,
    *,
    today: date,
    expected_version: int | None = None,
) -> LeaderCharge:
    """领导包案: a leader takes personal charge of the case."""
    check_step(case, actor, K.LEADER, expected_version)
    if charge.leader is not None:
        if not (
            actor.organization.path.startswith(charge.leader.organization.path)
            or can_reach_org(actor, charge.leader.organization)
        ):
            raise DomainError("所选领导不在您单位或上级单位", "leader")
        charge.leader_name = charge.leader_name or charge.leader.full_name
    for name in ("leader_name", "leader_post", "instructions"):
        setattr(charge, name, _text(getattr(charge, name)))
    check_charge(charge, case, today)
    if any(c.is_active and c.leader_name == charge.leader_name for c in case.leader_charges):
        raise DomainError(f"{charge.leader_name}已在包案本案件", "leader_name")
    charge.case = case
    session.add(charge)
    record_event(
        session,
        case,
        actor,
        K.LEADER,
        today=today,
        note=charge.instructions,
        leader=str(charge),
        level=charge.level.label,
    )
    session.commit()
    return charge


def add_note(
    session: Session,
    case: Case,
    actor: User,
    charge: LeaderCharge,
    note: LeaderNote,
    *,
    today: date,
    expected_version: int | None = None,
) -> LeaderNote:
    """Record the leader's 批示 or the progress reported to the leader."""
    check_step(case, actor, K.LEADER_NOTE, None)
    _check_version(charge, expected_version)
    _not_void(charge)
    if charge.ended_on is not None:
        raise DomainError("包案已结束，不能再登记批示或进展")
    note.content = _text(note.content) or ""
    check_note(note, charge, today)
    note.author_name = charge.leader_name if note.kind == LeaderNoteKind.INSTRUCTION else actor.full_name
    note.charge = charge
    session.add(note)
    record_event(
        session,
        case,
        actor,
        K.LEADER_NOTE,
        today=today,
        note=note.content,
        leader=str(charge),
        note_kind=note.kind.label,
    )
    session.commit()
    return note


def end_charge(
    session: Session,
    case: Case,
    actor: User,
    charge: LeaderCharge,
    *,
    ended_on: date | None,
    note: str | None,
    today: date,
    expected_version: int | None = None,
) -> LeaderCharge:
    """End a 领导包案 before the case closes (the leader moved on, the risk was resolved)."""
    check_step(case, actor, K.LEADER_END, None)
    _check_version(charge, expected_version)
    _not_void(charge)
    if charge.ended_on is not None:
        raise DomainError("该包案已结束")
    required(ended_on, "请填写结束日期", "ended_on")
    required(note, "请填写结束原因", "note")
    charge.ended_on, charge.end_note = ended_on, _text(note)
    check_charge(charge, case, today)
    record_event(session, case, actor, K.LEADER_END, today=today, note=charge.end_note, leader=str(charge))
    session.commit()
    return charge


# --- 三调联动 ----------------------------------------------------------------------------------------


def check_liaison(liaison: Liaison, case: Case, today: date) -> None:
    """Check a 三调联动 record: partner and reason given, its dates in order and none after today; a referral
    in goes with the partner's 纠纷来源 and was received no later than the acceptance; feedback complete."""
    required(liaison.channel, "请选择对接类型", "channel")
    required(liaison.direction, "请选择移出或移入", "direction")
    required(liaison.partner, "请填写对接单位", "partner")
    required(liaison.reason, "请填写移送事由", "reason")
    for name, what in (("sent_on", "移送日期"), ("received_on", "接收日期"), ("feedback_on", "反馈日期")):
        not_future(getattr(liaison, name), today, what, name)
    if liaison.direction == LiaisonDirection.OUT:
        required(liaison.sent_on, "请填写移送日期", "sent_on")
        if liaison.sent_on is not None and liaison.sent_on < case.accepted_on:
            raise DomainError("移送日期不能早于受理日期", "sent_on")
    else:
        required(liaison.received_on, "请填写接收日期", "received_on")
        if case.source != SOURCE_OF_CHANNEL[liaison.channel]:
            raise DomainError(
                f"{liaison.channel.label}移入的案件，纠纷来源应为「{SOURCE_OF_CHANNEL[liaison.channel].label}」",
                "channel",
            )
        if liaison.received_on is not None and liaison.received_on > case.accepted_on:
            raise DomainError("接收日期不能晚于受理日期", "received_on")
    if liaison.sent_on and liaison.received_on and liaison.received_on < liaison.sent_on:
        raise DomainError("接收日期不能早于移送日期", "received_on")
    if liaison.feedback_on is not None or liaison.outcome is not None:
        required(liaison.feedback_on, "请填写反馈日期", "feedback_on")
        required(liaison.outcome, "请选择对接结果", "outcome")
        required(liaison.feedback, "请填写反馈情况", "feedback")
        start = max(d for d in (liaison.sent_on, liaison.received_on, case.accepted_on) if d is not None)
        if liaison.feedback_on is not None and liaison.feedback_on < start:
            raise DomainError(f"反馈日期不能早于{start:%Y-%m-%d}（受理、移送或接收日期）", "feedback_on")
        if liaison.direction == LiaisonDirection.IN:
            if liaison.outcome == LiaisonOutcome.SETTLED and case.agreement is None:
                raise DomainError("案件尚未登记调解协议，不能反馈调解成功", "outcome")
            if liaison.outcome == LiaisonOutcome.FAILED and not case.failure_reason:
                raise DomainError("案件尚未登记调解不成，不能反馈调解不成", "outcome")


def open_liaison(
    session: Session,
    case: Case,
    actor: User,
    liaison: Liaison,
    *,
    today: date,
    expected_version: int | None = None,
) -> Liaison:
    """移出 (refer the case to the partner) or 移入 (record that it came from the partner)."""
    out = liaison.direction == LiaisonDirection.OUT
    kind = K.LIAISON_OUT if out else K.LIAISON_IN
    check_step(case, actor, kind, expected_version)
    for name in ("partner", "partner_contact", "partner_reference", "reason"):
        setattr(liaison, name, _text(getattr(liaison, name)))
    liaison.feedback_on = liaison.outcome = liaison.feedback = None
    check_liaison(liaison, case, today)
    if not out and any(x.direction == LiaisonDirection.IN and x.voided_on is None for x in case.liaisons):
        raise DomainError("该案件已登记移入信息", "channel")
    liaison.case = case
    session.add(liaison)
    record_event(
        session,
        case,
        actor,
        kind,
        today=today,
        note=liaison.reason,
        channel=liaison.channel.label,
        partner=liaison.partner,
        reference=liaison.partner_reference,
    )
    session.commit()
    return liaison


def record_feedback(
    session: Session,
    case: Case,
    actor: User,
    liaison: Liaison,
    *,
    feedback_on: date | None,
    outcome: LiaisonOutcome | None,
    feedback: str | None,
    partner_reference: str | None = None,
    received_on: date | None = None,
    today: date,
    expected_version: int | None = None,
) -> Liaison:
    """对接反馈: what came of the referral — the partner's word on a case sent out, ours on one received."""
    check_step(case, actor, K.LIAISON_FEEDBACK, None)
    _check_version(liaison, expected_version)
    _not_void(liaison)
    if liaison.outcome is not None:
        raise DomainError("该对接已反馈，如需更正请作废后重新登记")
    required(feedback_on, "请填写反馈日期", "feedback_on")
    required(outcome, "请选择对接结果", "outcome")
    required(feedback, "请填写反馈情况", "feedback")
    liaison.feedback_on, liaison.outcome, liaison.feedback = feedback_on, outcome, _text(feedback)
    if _text(partner_reference):
        liaison.partner_reference = _text(partner_reference)
    if received_on is not None and liaison.direction == LiaisonDirection.OUT:
        liaison.received_on = received_on
    check_liaison(liaison, case, today)
    record_event(
        session,
        case,
        actor,
        K.LIAISON_FEEDBACK,
        today=today,
        note=liaison.feedback,
        channel=str(liaison),
        partner=liaison.partner,
        outcome=outcome.label if outcome else None,
    )
    session.commit()
    return liaison


# --- voiding ----------------------------------------------------------------------------------------


def void_record(
    session: Session,
    case: Case,
    actor: User,
    record: Record,
    *,
    reason: str | None,
    today: date,
    expected_version: int | None = None,
) -> Record:
    """作废 a hearing, a 包案 or a 三调联动 record entered in error; it stays on the case, struck through."""
    check_step(case, actor, K.RECORD_VOID, None)
    _check_version(record, expected_version)
    if record.case_id != case.id:
        raise DomainError("该记录不属于本案件")
    _not_void(record)
    required(reason, "请填写作废原因", "reason")
    record.voided_on, record.void_reason = today, _text(reason)
    record_event(
        session, case, actor, K.RECORD_VOID, today=today, note=record.void_reason, record=str(record)
    )
    session.commit()
    return record


def check_records(case: Case, today: date) -> None:
    """Check every record kept beside the case's workflow (for `case_checks`)."""
    for hearing in case.hearings:
        check_hearing(hearing, case, today)
    for charge in case.leader_charges:
        check_charge(charge, case, today)
        for note in charge.notes:
            check_note(note, charge, today)
    for liaison in case.liaisons:
        check_liaison(liaison, case, today)
    for record in (*case.hearings, *case.leader_charges, *case.liaisons):
        if record.voided_on is not None and not record.void_reason:
            raise DomainError("作废的记录应写明作废原因")


# --- figures ----------------------------------------------------------------------------------------


def liaison_kinds() -> list[tuple[str, str]]:
    """Return the ledger filter's (value, label) pairs: each channel in both directions, then any."""
    pairs = []
    for channel in LiaisonChannel:
        pairs.append((channel.value, f"{channel.label}（全部）"))
        for direction in LiaisonDirection:
            pairs.append((f"{channel.value}_{direction.value}", f"{channel.label}（{direction.label}）"))
    return [*pairs, ("any", "任一三调联动")]


def liaison_clause(value: str) -> Any:
    """Return the condition on `Case` of the ledger filter 对接类型 (a value of `liaison_kinds`)."""
    conditions: list[Any] = [Liaison.voided_on.is_(None)]
    channel, _, direction = value.partition("_")
    if channel != "any":
        conditions.append(Liaison.channel == LiaisonChannel(channel))
    if direction:
        conditions.append(Liaison.direction == LiaisonDirection(direction))
    return Case.id.in_(select(Liaison.case_id).where(and_(*conditions)))


def liaison_counts(session: Session, user: User, start: date, end: date) -> dict[str, int]:
    """Return {`<channel>_<direction>`: cases} of the cases the user's subtree accepted in the period
    (voided left out) with a referral of that kind (not voided)."""
    rows = session.execute(
        select(Liaison.channel, Liaison.direction, func.count(func.distinct(Liaison.case_id)))
        .join(Case, Case.id == Liaison.case_id)
        .where(
            Liaison.voided_on.is_(None),
            Case.accepted_on.between(start, end),
            Case.status != S.VOIDED,
            org_in_scope(user, Case.organization_id),
        )
        .group_by(Liaison.channel, Liaison.direction)
    ).all()
    return {f"{LiaisonChannel(c).value}_{LiaisonDirection(d).value}": n for c, d, n in rows}


def active_leaders(session: Session, case_ids: Sequence[int]) -> dict[int, str]:
    """Return {case id: 'name（post）、…'} of the leaders in charge of the given cases now."""
    if not case_ids:
        return {}
    found: dict[int, list[str]] = {}
    query = (
        select(LeaderCharge)
        .where(
            LeaderCharge.case_id.in_(list(case_ids)),
            LeaderCharge.voided_on.is_(None),
            LeaderCharge.ended_on.is_(None),
        )
        .order_by(LeaderCharge.started_on, LeaderCharge.id)
    )
    for charge in session.scalars(query):
        found.setdefault(charge.case_id, []).append(str(charge))
    return {case_id: "、".join(names) for case_id, names in found.items()}


def active_charge_cases() -> Any:
    """Return the ids of the cases a leader is in charge of now (a subquery)."""
    return select(LeaderCharge.case_id).where(
        LeaderCharge.voided_on.is_(None), LeaderCharge.ended_on.is_(None)
    )
