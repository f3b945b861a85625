"""Registration and the status steps of a case: 受理登记, 分流交办 … 结案归档, 提级, 移交, 督办, 中止, 作废.

Each public function checks the actor's role, scope and the case's status (`workflow`), changes the
case, writes a `CaseEvent` and commits; a refused step raises `DomainError` with a Chinese message
and changes nothing. Views and the CLI call these functions; nothing else changes `Case.status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.case import (
    Case,
    CaseEventKind,
    CaseStatus,
    Party,
    PartyKind,
    ReferralRoute,
)
from portal.models.org import Organization
from portal.models.people import Gender, Mediator
from portal.services import DomainError, documents
from portal.services.deadlines import DeadlineRules
from portal.services.numbering import format_case_number, next_seq
from portal.services.scope import can_reach_org
from portal.services.workflow import (
    GROUP_SIZE,
    WORKERS,
    can_edit,
    check_mediators,
    check_step,
    not_future,
    record_event,
    required,
)
from portal.validators import amount_error, credit_code_error, id_number_error, phone_error

S = CaseStatus
K = CaseEventKind

# --- registration ----------------------------------------------------------------------------------


def check_registration(case: Case, actor: User, today: date) -> None:
    """Check a new or corrected registration; raise DomainError naming the field."""
    if case.organization is None:
        raise DomainError("请选择受理的调解组织", "organization")
    if not can_reach_org(actor, case.organization):
        raise DomainError("只能为本单位及下级调解组织登记案件", "organization")
    if not case.organization.is_active:
        raise DomainError(f"{case.organization.name}已撤销，不能受理新案件", "organization")
    check_particulars(case, today)


def check_party(party: Party, today: date) -> None:
    """Check a party's identifiers as the registration form does (GB 11643, GB 32100, phone numbers)."""
    if party.kind == PartyKind.PERSON and party.credit_code:
        raise DomainError(f"当事人{party.name}为自然人，不应填写统一社会信用代码", "parties")
    if party.kind == PartyKind.ORGANIZATION and party.id_number:
        raise DomainError(f"当事人{party.name}为单位，请填写统一社会信用代码而非身份证号", "parties")
    gender = party.gender.value if isinstance(party.gender, Gender) else party.gender
    for value, error in (
        (party.id_number, lambda v: id_number_error(v, gender, today)),
        (party.credit_code, credit_code_error),
        (party.phone, phone_error),
    ):
        if value and (message := error(value)):
            raise DomainError(f"当事人{party.name}：{message}", "parties")


def check_particulars(case: Case, today: date) -> None:
    """Check what a registration says about the dispute and its parties (not who may register it)."""
    required(case.summary, "请填写纠纷简要情况", "summary")
    not_future(case.accepted_on, today, "受理日期", "accepted_on")
    not_future(case.occurred_on, today, "纠纷发生日期", "occurred_on")
    if case.occurred_on and case.accepted_on and case.occurred_on > case.accepted_on:
        raise DomainError("纠纷发生日期不能晚于受理日期", "occurred_on")
    if not case.parties:
        raise DomainError("请至少登记一名当事人", "parties")
    for party in case.parties:
        check_party(party, today)
    if case.people_involved is None or case.people_involved < len(case.parties):
        raise DomainError(f"涉及人数不能少于登记的当事人数（{len(case.parties)}人）", "people_involved")
    if case.amount is not None and (error := amount_error(case.amount)):
        raise DomainError(error.replace("金额", "涉及金额", 1), "amount")


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
        record_event(session, case, actor, K.REGISTER, to=S.REGISTERED, today=today, number=case.number)
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
    check_assigned_four_fixed(case)
    case.is_group = case.people_involved >= GROUP_SIZE


# --- the workflow ----------------------------------------------------------------------------------


def assign(
    session: Session,
    case: Case,
    actor: User,
    *,
    organization: Organization,
    mediators: Sequence[Mediator],
    responsible_person: str | None,
    responsible_unit: str | None,
    deadline: date | None,
    measures: str | None,
    lead_leader: str | None = None,
    note: str | None = None,
    today: date,
    rules: DeadlineRules | None = None,
    expected_version: int | None = None,
) -> Case:
    """分流交办: give the case to an organisation in the actor's subtree, name its mediators and fix its 四定.

    四定 are all required: 定人 (`responsible_person`, and `lead_leader` where a leader heads it), 定责
    (`responsible_unit`), 定时限 (`deadline`, which becomes the case's 办结时限) and 定措施 (`measures`).
    """
    rules = rules or DeadlineRules()
    check_step(case, actor, K.ASSIGN, expected_version)
    if not can_reach_org(actor, organization):
        raise DomainError("只能交办给本单位或下级调解组织", "organization")
    if not organization.is_active:
        raise DomainError(f"{organization.name}已撤销，不能承办案件", "organization")
    if not mediators:
        raise DomainError("请至少指定一名承办调解员", "mediators")
    check_mediators(actor, mediators)
    if len((lead_leader or "").strip()) > 50:
        raise DomainError("牵头领导不能超过50字", "lead_leader")
    check_four_fixed(
        case,
        responsible_person=responsible_person,
        responsible_unit=responsible_unit,
        deadline=deadline,
        measures=measures,
        today=today,
        rules=rules,
    )
    case.organization = organization
    case.mediators = list(mediators)
    case.lead_leader = (lead_leader or "").strip() or None
    case.responsible_unit = (responsible_unit or "").strip()
    case.responsible_person = (responsible_person or "").strip()
    case.measures = (measures or "").strip()
    case.deadline = deadline or case.deadline
    case.assigned_on = today
    record_event(
        session,
        case,
        actor,
        K.ASSIGN,
        to=S.ASSIGNED,
        note=note,
        today=today,
        organization=organization.name,
        mediators="、".join(m.name for m in mediators),
        responsible_person=case.responsible_person,
        deadline=case.deadline.isoformat(),
    )
    session.commit()
    return case


def latest_deadline(case: Case, rules: DeadlineRules) -> date:
    """Return the latest 办结时限 an assignment may set: the statutory one, or a later one already granted."""
    statutory = rules.due_date(case.accepted_on, case.dispute_type.default_deadline_days)
    return max(statutory, case.deadline) if case.deadline else statutory


def check_four_fixed(
    case: Case,
    *,
    responsible_person: str | None,
    responsible_unit: str | None,
    deadline: date | None,
    measures: str | None,
    today: date,
    rules: DeadlineRules,
) -> None:
    """Check the 四定 of an assignment (定人, 定责, 定时限, 定措施); raise DomainError naming the field.

    The 办结时限 may be set earlier than the statutory one, never later (that is 延期, with its reason);
    it may not lie in the past unless it is the case's current deadline, kept as it is.
    """
    required(responsible_person, "请填写责任人（定人）", "responsible_person")
    required(responsible_unit, "请填写责任单位（定责）", "responsible_unit")
    required(deadline, "请填写办结时限（定时限）", "deadline")
    required(measures, "请填写化解措施（定措施）", "measures")
    for value, most, what, field in (
        (responsible_person, 50, "责任人", "responsible_person"),
        (responsible_unit, 100, "责任单位", "responsible_unit"),
        (measures, 5000, "化解措施", "measures"),
    ):
        if len((value or "").strip()) > most:
            raise DomainError(f"{what}不能超过{most}字", field)
    if deadline is None:  # required() above has refused it; this tells the type checker
        return
    if deadline < case.accepted_on:
        raise DomainError(f"办结时限不能早于受理日期（{case.accepted_on:%Y-%m-%d}）", "deadline")
    if deadline < today and deadline != case.deadline:
        raise DomainError("办结时限不能早于今天", "deadline")
    limit = latest_deadline(case, rules)
    if deadline > limit:
        raise DomainError(f"办结时限不能晚于{limit:%Y-%m-%d}；确需更长时间的，请在交办后办理延期", "deadline")


def check_assigned_four_fixed(case: Case) -> None:
    """An assigned case keeps its 四定: a correction may change them, not empty them."""
    if case.assigned_on is None or case.status in (S.REGISTERED, S.VOIDED):
        return
    required(case.responsible_person, "已交办的案件须填写责任人（定人）", "responsible_person")
    required(case.responsible_unit, "已交办的案件须填写责任单位（定责）", "responsible_unit")
    required(case.measures, "已交办的案件须填写化解措施（定措施）", "measures")


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
    check_step(case, actor, K.START, expected_version)
    record_event(session, case, actor, K.START, to=S.MEDIATING, note=note, today=today)
    session.commit()
    return case


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
    check_step(case, actor, K.FAIL, expected_version)
    required(reason, "请填写调解不成的原因", "reason")
    case.failure_reason = reason.strip()
    record_event(session, case, actor, K.FAIL, to=S.FAILED, note=reason, today=today)
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
    check_step(case, actor, K.REFER, expected_version)
    required(route, "请选择引导途径", "route")
    required(stability_plan, "请填写稳控方案", "stability_plan")
    case.referral_route = ReferralRoute(route)
    case.stability_plan = stability_plan.strip()
    record_event(
        session, case, actor, K.REFER, to=S.REFERRED, note=note, today=today, route=case.referral_route.label
    )
    session.commit()
    return case


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
    check_step(case, actor, K.ARCHIVE, expected_version)
    case.closed_on = today
    record_event(session, case, actor, K.ARCHIVE, to=S.CLOSED, note=note, today=today)
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
    required(reason, f"请填写{kind.label}原因", "reason")
    if not to_org.is_active:
        raise DomainError(f"{to_org.name}已撤销，不能接收案件", "organization")
    from_name = case.organization.name
    was = case.status
    case.organization = to_org
    case.mediators = []
    case.suspended_from = None
    case.suspended_on = None
    record_event(
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
    check_step(case, actor, K.ESCALATE, expected_version)
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
    check_step(case, actor, K.TRANSFER, expected_version)
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
    check_step(case, actor, K.SUPERVISE, expected_version)
    required(deadline, "请填写督办期限", "deadline")
    required(note, "请填写督办要求", "note")
    if deadline < today:
        raise DomainError("督办期限不能早于今天", "deadline")
    case.supervision_deadline = deadline
    case.supervision_note = note.strip()
    case.supervising_organization = actor.organization
    record_event(session, case, actor, K.SUPERVISE, note=note, today=today, deadline=deadline.isoformat())
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
    check_step(case, actor, K.SUSPEND, expected_version)
    required(reason, "请填写中止原因", "reason")
    case.suspended_from = case.status
    case.suspended_on = today
    record_event(session, case, actor, K.SUSPEND, to=S.SUSPENDED, note=reason, today=today)
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
    check_step(case, actor, K.RESUME, expected_version)
    paused = (today - case.suspended_on).days if case.suspended_on else 0
    back_to = case.suspended_from or S.MEDIATING
    case.deadline = case.deadline + timedelta(days=paused)
    case.suspended_from = None
    case.suspended_on = None
    record_event(
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
    check_step(case, actor, K.EXTEND, expected_version)
    required(reason, "请填写延期理由", "reason")
    required(new_deadline, "请填写延长后的办结时限", "new_deadline")
    if new_deadline <= case.deadline:
        raise DomainError(f"延长后的时限应晚于现办结时限（{case.deadline:%Y-%m-%d}）", "new_deadline")
    limit = extension_limit(case, rules)
    if new_deadline > limit:
        raise DomainError(f"最多只能延长至{limit:%Y-%m-%d}", "new_deadline")
    old = case.deadline
    case.deadline = new_deadline
    case.extension_reason = reason.strip()
    record_event(
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


def extension_limit(case: Case, rules: DeadlineRules) -> date:
    """Return the latest 办结时限 an extension (延期) may set: the statutory one plus the most allowed."""
    statutory = rules.due_date(case.accepted_on, case.dispute_type.default_deadline_days)
    return statutory + timedelta(days=rules.max_extension_days)


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
    check_step(case, actor, K.VOID, expected_version)
    required(reason, "请填写作废原因", "reason")
    case.void_reason = reason.strip()
    record_event(session, case, actor, K.VOID, to=S.VOIDED, note=reason, today=today)
    # Its 受理登记表 and 协议书 no longer stand: /verify says so from now on.
    documents.revoke(session, "case", case.id, f"案件已作废：{case.void_reason}")
    session.commit()
    return case


def organizations_above(case: Case, candidates: Iterable[Organization]) -> list[Organization]:
    """Return the candidates that lie above the case's organisation (targets for 提级)."""
    above = set(case.organization.ancestor_ids[:-1])
    return [org for org in candidates if org.id in above]


PETITION_LEVELS = {"county": "县级", "city": "市级", "province": "省级", "national": "国家级"}


def record_petition(
    session: Session,
    case: Case,
    actor: User,
    *,
    level: str,
    note: str,
    today: date,
    expected_version: int | None = None,
) -> Case:
    """登记越级上访: a party took the dispute to a petition office above the handlers; commits."""
    check_step(case, actor, K.PETITION, expected_version)
    if level not in PETITION_LEVELS:
        raise DomainError("请选择上访层级", "level")
    required(note, "请写明上访时间、地点、人员和诉求", "note")
    record_event(session, case, actor, K.PETITION, note=note, today=today, level=PETITION_LEVELS[level])
    session.commit()
    return case
