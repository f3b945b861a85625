"""The case workflow: numbering, every step allowed and refused, stale versions, voiding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Agreement,
    AgreementForm,
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    FollowUp,
    Hearing,
    HearingOutcome,
    LeaderCharge,
    LeaderLevel,
    LeaderNote,
    LeaderNoteKind,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
    MediationSession,
    Performance,
    ReferralRoute,
    SessionResult,
)
from portal.services import DomainError, case_extras, case_records, cases, workflow
from portal.services.workflow import STEPS
from tests.factories import four_fixed, new_case

TODAY = date(2026, 3, 10)
K = CaseEventKind
S = CaseStatus


def _session_record(mediators) -> MediationSession:
    return MediationSession(
        held_at=datetime(2026, 3, 9, 2, 0, tzinfo=UTC),
        place="前李村调解室",
        content="双方陈述了各自意见，调解员释法说理。",
        result=SessionResult.CONTINUE,
        mediators=list(mediators),
    )


def perform(kind: CaseEventKind, case: Case, actor, county) -> None:
    """Take step `kind` with valid data."""
    s, t = db.session, TODAY
    mediator = county.mediators["前李调解员"]
    match kind:
        case K.ASSIGN:
            cases.assign(
                s,
                case,
                actor,
                organization=county.mj_village,
                mediators=[mediator],
                today=t,
                **four_fixed(case, mediator.name),
            )
        case K.START:
            cases.start(s, case, actor, today=t)
        case K.SESSION:
            case_records.record_session(s, case, actor, _session_record([mediator]), today=t)
        case K.SETTLE:
            agreement = Agreement(form=AgreementForm.WRITTEN, signed_on=t, terms="李四于3月底前疏通排水沟。")
            case_records.settle(s, case, actor, agreement, today=t)
        case K.FAIL:
            cases.fail(s, case, actor, reason="双方分歧过大", today=t)
        case K.REFER:
            cases.refer(
                s, case, actor, route=ReferralRoute.LITIGATION, stability_plan="村调委会每周走访一次", today=t
            )
        case K.FOLLOW_UP:
            visit = FollowUp(
                visited_on=t,
                visitor="前李调解员",
                person_visited="张三",
                performance=Performance.FULL,
                satisfaction=5,
            )
            case_records.follow_up(s, case, actor, visit, today=t)
        case K.ARCHIVE:
            cases.archive(s, case, actor, today=t)
        case K.PETITION:
            cases.record_petition(
                s, case, actor, level="county", note="当事人到县信访局反映补偿问题", today=t
            )
        case K.ESCALATE:
            cases.escalate(s, case, actor, to_org=county.mj, reason="涉及多村，提请镇调委会调解", today=t)
        case K.TRANSFER:
            cases.transfer(s, case, actor, to_org=county.ll, reason="纠纷发生地在柳林镇", today=t)
        case K.SUPERVISE:
            cases.supervise(s, case, actor, deadline=t + timedelta(days=7), note="请于一周内办结", today=t)
        case K.SUSPEND:
            cases.suspend(s, case, actor, reason="当事人住院治疗", today=t)
        case K.RESUME:
            cases.resume(s, case, actor, today=t)
        case K.EXTEND:
            cases.extend(
                s,
                case,
                actor,
                new_deadline=case.deadline + timedelta(days=10),
                reason="双方同意延期",
                today=t,
            )
        case K.VOID:
            cases.void(s, case, actor, reason="重复登记", today=t)
        case _:
            _perform_record_step(kind, case, actor, t)


def _perform_record_step(kind: CaseEventKind, case: Case, actor, t: date) -> None:
    """Take a step of the records beside the workflow (services.case_extras) with valid data."""
    s = db.session
    hearing = Hearing(
        held_at=datetime(2026, 3, 9, 3, 0, tzinfo=UTC),
        place="前李村调解室",
        presiding="前李调解员",
        parties_present="张三、李四",
        questions="排水沟疏通费用",
        outcome=HearingOutcome.CONSENSUS,
        summary="各方同意费用均摊",
    )
    charge = LeaderCharge(
        leader_name="张立新",
        leader_post="马集镇党委书记",
        level=LeaderLevel.TOWNSHIP,
        started_on=t,
        instructions="包案",
    )
    liaison = Liaison(
        channel=LiaisonChannel.COURT,
        direction=LiaisonDirection.OUT,
        partner="清河县人民法院",
        reason="诉前调解",
        sent_on=t,
    )
    if kind in (K.LEADER_NOTE, K.LEADER_END, K.LIAISON_FEEDBACK, K.RECORD_VOID):
        # The record the step is taken on, as an earlier step left it.
        for record in (charge, liaison, hearing):
            record.case = case
            s.add(record)
    match kind:
        case K.HEARING:
            case_extras.record_hearing(s, case, actor, hearing, today=t)
        case K.LEADER:
            case_extras.take_charge(s, case, actor, charge, today=t)
        case K.LEADER_NOTE:
            note = LeaderNote(kind=LeaderNoteKind.PROGRESS, noted_on=t, content="已走访双方")
            case_extras.add_note(s, case, actor, charge, note, today=t)
        case K.LEADER_END:
            case_extras.end_charge(s, case, actor, charge, ended_on=t, note="风险已化解", today=t)
        case K.LIAISON_OUT:
            case_extras.open_liaison(s, case, actor, liaison, today=t)
        case K.LIAISON_IN:
            case.source = CaseSource.COURT  # a case the court sent
            liaison.direction, liaison.sent_on, liaison.received_on = (
                LiaisonDirection.IN,
                None,
                case.accepted_on,
            )
            case_extras.open_liaison(s, case, actor, liaison, today=t)
        case K.LIAISON_FEEDBACK:
            case_extras.record_feedback(
                s,
                case,
                actor,
                liaison,
                feedback_on=t,
                outcome=LiaisonOutcome.RETURNED,
                feedback="退回",
                today=t,
            )
        case K.RECORD_VOID:
            case_extras.void_record(s, case, actor, hearing, reason="重复登记", today=t)
        case _:
            raise AssertionError(f"no data for step {kind}")


# The steps that bring a fresh case to each status.
PATHS: dict[CaseStatus, list[CaseEventKind]] = {
    S.REGISTERED: [],
    S.ASSIGNED: [K.ASSIGN],
    S.MEDIATING: [K.ASSIGN, K.START, K.SESSION],
    S.SETTLED: [K.ASSIGN, K.START, K.SESSION, K.SETTLE],
    S.FAILED: [K.ASSIGN, K.START, K.SESSION, K.FAIL],
    S.REFERRED: [K.ASSIGN, K.START, K.SESSION, K.FAIL, K.REFER],
    S.FOLLOWED_UP: [K.ASSIGN, K.START, K.SESSION, K.SETTLE, K.FOLLOW_UP],
    S.SUSPENDED: [K.ASSIGN, K.START, K.SUSPEND],
    S.CLOSED: [K.ASSIGN, K.START, K.SESSION, K.SETTLE, K.FOLLOW_UP, K.ARCHIVE],
    S.VOIDED: [K.VOID],
}
EXPECTED_STATUS = {
    K.ASSIGN: S.ASSIGNED,
    K.START: S.MEDIATING,
    K.SETTLE: S.SETTLED,
    K.FAIL: S.FAILED,
    K.REFER: S.REFERRED,
    K.ARCHIVE: S.CLOSED,
    K.ESCALATE: S.REGISTERED,
    K.TRANSFER: S.REGISTERED,
    K.SUSPEND: S.SUSPENDED,
    K.VOID: S.VOIDED,
}


def case_in(status: CaseStatus, county) -> Case:
    """Register a case at 前李村 and walk it to `status`."""
    actor = county.users["admin"]
    case = new_case(db.session, actor, county.mj_village, today=TODAY - timedelta(days=5))
    for kind in PATHS[status]:
        perform(kind, case, actor, county)
    assert case.status == status
    return case


def test_every_status_is_reachable():
    """The matrix below covers every status."""
    assert set(PATHS) == set(CaseStatus)


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("kind", list(STEPS))
def test_step_allowed_or_refused_by_status(county, status, kind):
    """A step is taken from the statuses the workflow allows, and refused from every other with no change."""
    case = case_in(status, county)
    actor = county.users["admin"]
    events, version = len(case.events), case.version
    if status in STEPS[kind].from_statuses:
        perform(kind, case, actor, county)
        expected = EXPECTED_STATUS.get(kind)
        if kind == K.RESUME:
            expected = S.MEDIATING
        elif kind == K.FOLLOW_UP and status == S.SETTLED:
            expected = S.FOLLOWED_UP
        assert case.status == (expected or status)
        assert case.events[-1].kind == kind
        assert len(case.events) == events + 1
    else:
        with pytest.raises(DomainError, match="不能办理"):
            perform(kind, case, actor, county)
        db.session.rollback()
        assert case.status == status
        assert case.version == version
        assert db.session.scalar(select(func.count()).where(CaseEvent.case_id == case.id)) == events


@pytest.mark.parametrize("username", ["evaluator", "clerk"])
def test_read_only_roles_take_no_step(county, username):
    """Evaluators and clerks read the ledger but cannot move a case."""
    case = case_in(S.MEDIATING, county)
    user = county.users[username]
    assert workflow.available_steps(case, user) == []
    with pytest.raises(DomainError, match="角色"):
        cases.start(db.session, case, user, today=TODAY)


def test_entry_cannot_supervise_but_admin_can(county):
    """督办 belongs to administrators."""
    case = case_in(S.MEDIATING, county)
    assert K.SUPERVISE not in workflow.available_steps(case, county.users["entry_a"])
    assert K.SUPERVISE in workflow.available_steps(case, county.users["admin_a"])


def test_out_of_scope_user_is_refused(county):
    """柳林's entry user cannot touch a case handled in 马集."""
    case = case_in(S.ASSIGNED, county)
    with pytest.raises(DomainError, match="管辖范围"):
        cases.start(db.session, case, county.users["entry_b"], today=TODAY)
    assert workflow.available_steps(case, county.users["entry_b"]) == []


def test_numbers_are_per_organisation_and_year(county):
    """Numbers count per organisation per year, in the official format."""
    actor = county.users["admin"]
    first = new_case(db.session, actor, county.mj, today=TODAY)
    second = new_case(db.session, actor, county.mj, today=TODAY)
    other = new_case(db.session, actor, county.ll, today=TODAY)
    last_year = new_case(db.session, actor, county.mj, today=TODAY, accepted_on=date(2025, 12, 31))
    assert first.number == "（2026）MJ人调字第1号"
    assert second.number == "（2026）MJ人调字第2号"
    assert other.number == "（2026）LL人调字第1号"
    assert last_year.number == "（2025）MJ人调字第1号"
    counter = db.session.get(CaseCounter, (county.mj.id, 2026))
    assert counter.last_value == 2


def test_rolled_back_registration_returns_its_number(county):
    """A registration that fails after numbering leaves no gap."""
    actor = county.users["admin"]
    new_case(db.session, actor, county.mj, today=TODAY)
    pending = Case(
        organization=county.mj,
        source="application",
        dispute_type=county_type(),
        summary="x",
        people_involved=2,
        parties=[],
        accepted_on=TODAY,
    )
    with pytest.raises(DomainError, match="当事人"):
        cases.register(db.session, pending, actor, today=TODAY)
    db.session.rollback()
    again = new_case(db.session, actor, county.mj, today=TODAY)
    assert again.number == "（2026）MJ人调字第2号"


def county_type():
    from portal.models import DisputeType

    return db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))


def test_registration_sets_deadline_group_flag_and_first_event(county):
    """受理登记 sets the 30-day deadline, the group flag for five or more people, and the first event."""
    case = new_case(db.session, county.users["entry_a"], county.mj, today=TODAY, people_involved=6)
    assert case.deadline == TODAY + timedelta(days=30)
    assert case.is_group
    assert case.status == S.REGISTERED
    assert [e.kind for e in case.events] == [K.REGISTER]
    assert case.events[0].details["number"] == case.number
    assert case.party_names == "张三、李四"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accepted_on": TODAY + timedelta(days=1)}, "受理日期不能晚于今天"),
        ({"parties": ()}, "至少登记一名当事人"),
        ({"people_involved": 1}, "涉及人数不能少于"),
        ({"amount": Decimal("-1")}, "涉及金额不能为负数"),
        ({"amount": Decimal("Infinity")}, "请输入有效的涉及金额"),
        ({"amount": Decimal("NaN")}, "请输入有效的涉及金额"),
        ({"amount": Decimal("1E+400")}, "涉及金额不能超过999,999,999,999.99元"),
        ({"amount": Decimal("0.001")}, "涉及金额最多两位小数"),
        ({"occurred_on": date(1, 1, 1)}, "纠纷发生日期不能早于1949年10月1日"),
        ({"accepted_on": date(1949, 9, 30)}, "受理日期不能早于1949年10月1日"),
    ],
)
def test_registration_refuses_bad_data(county, change, message):
    """Registration checks dates, parties, head count and amount."""
    with pytest.raises(DomainError, match=message):
        new_case(db.session, county.users["admin"], county.mj, today=TODAY, **change)


def test_entry_cannot_register_outside_subtree(county):
    """马集's entry user cannot register a case for 柳林."""
    with pytest.raises(DomainError, match="本单位及下级"):
        new_case(db.session, county.users["entry_a"], county.ll, today=TODAY)


def test_assign_checks_target_and_mediators(county):
    """Assignment stays in the subtree, and needs active mediators of it."""
    case = case_in(S.REGISTERED, county)
    actor = county.users["entry_a"]
    with pytest.raises(DomainError, match="下级调解组织"):
        cases.assign(
            db.session, case, actor, organization=county.ll, mediators=[], today=TODAY, **four_fixed(case)
        )
    with pytest.raises(DomainError, match="至少指定"):
        cases.assign(
            db.session, case, actor, organization=county.mj, mediators=[], today=TODAY, **four_fixed(case)
        )
    with pytest.raises(DomainError, match="管辖范围"):
        cases.assign(
            db.session,
            case,
            actor,
            organization=county.mj,
            mediators=[county.mediators["柳林调解员"]],
            today=TODAY,
            **four_fixed(case),
        )
    db.session.rollback()
    assert case.status == S.REGISTERED and case.mediators == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("responsible_person", "请填写责任人（定人）"),
        ("responsible_unit", "请填写责任单位（定责）"),
        ("deadline", "请填写办结时限（定时限）"),
        ("measures", "请填写化解措施（定措施）"),
    ],
)
def test_assign_requires_the_four_fixed(county, field, message):
    """定人, 定责, 定时限 and 定措施 are required by the service itself, whatever the caller sends."""
    case = case_in(S.REGISTERED, county)
    fixed = four_fixed(case) | {field: None if field == "deadline" else "  "}
    with pytest.raises(DomainError, match=message) as refused:
        cases.assign(
            db.session,
            case,
            county.users["admin"],
            organization=county.mj_village,
            mediators=[county.mediators["前李调解员"]],
            today=TODAY,
            **fixed,
        )
    assert refused.value.field == field
    db.session.rollback()
    assert case.status == S.REGISTERED and case.mediators == []


def test_assign_fixes_the_deadline_within_the_statutory_one(county):
    """定时限 may tighten the statutory 办结时限 (never later, never past); it becomes the deadline."""
    case = case_in(S.REGISTERED, county)
    statutory = case.deadline
    actor = county.users["admin"]

    def assign(deadline):
        cases.assign(
            db.session,
            case,
            actor,
            organization=county.mj_village,
            mediators=[county.mediators["前李调解员"]],
            today=TODAY,
            **(four_fixed(case) | {"deadline": deadline}),
        )

    for bad, message in (
        (statutory + timedelta(days=1), "不能晚于"),
        (TODAY - timedelta(days=1), "不能早于今天"),
        (case.accepted_on - timedelta(days=1), "不能早于受理日期"),
    ):
        with pytest.raises(DomainError, match=message):
            assign(bad)
        db.session.rollback()
    assign(TODAY + timedelta(days=7))
    assert case.status == S.ASSIGNED
    assert case.deadline == TODAY + timedelta(days=7)
    assert case.responsible_person == "前李调解员" and case.measures
    event = case.events[-1]
    assert event.details["responsible_person"] == "前李调解员"
    assert event.details["deadline"] == (TODAY + timedelta(days=7)).isoformat()


def test_correction_cannot_empty_the_four_fixed_of_an_assigned_case(county):
    """Once assigned, a correction may change the 四定 but not remove them."""
    case = case_in(S.ASSIGNED, county)
    case.measures = ""
    with pytest.raises(DomainError, match="化解措施"):
        cases.check_correction(case, county.users["admin"], today=TODAY)
    db.session.rollback()
    registered = case_in(S.REGISTERED, county)
    registered.responsible_person = None
    cases.check_correction(registered, county.users["admin"], today=TODAY)  # not fixed until assigned


def test_settle_needs_a_session_first(county):
    """No result without a record of the mediation."""
    case = case_in(S.ASSIGNED, county)
    cases.start(db.session, case, county.users["admin"], today=TODAY)
    with pytest.raises(DomainError, match="调解记录"):
        case_records.settle(
            db.session,
            case,
            county.users["admin"],
            Agreement(form=AgreementForm.ORAL, signed_on=TODAY, terms="口头约定"),
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("amount", "signed_on", "message"),
    [
        (Decimal("Infinity"), TODAY, "请输入有效的协议金额"),
        (Decimal("-5"), TODAY, "协议金额不能为负数"),
        (Decimal("12.345"), TODAY, "协议金额最多两位小数"),
        (Decimal("1200.50"), date(1900, 1, 1), "协议日期不能早于1949年10月1日"),
    ],
)
def test_settle_refuses_absurd_amounts_and_dates(county, amount, signed_on, message):
    """An agreement's amount is yuan in fen, finite and not negative; its date is not before 1949."""
    case = case_in(S.MEDIATING, county)
    case_records.record_session(
        db.session,
        case,
        county.users["admin"],
        _session_record([county.mediators["前李调解员"]]),
        today=TODAY,
    )
    agreement = Agreement(form=AgreementForm.WRITTEN, signed_on=signed_on, terms="约定", amount=amount)
    with pytest.raises(DomainError, match=message):
        case_records.settle(db.session, case, county.users["admin"], agreement, today=TODAY)


def test_full_performance_at_follow_up_marks_agreement_performed(county):
    """A follow-up finding the agreement carried out records it."""
    case = case_in(S.FOLLOWED_UP, county)
    assert case.agreement.performed
    assert case.agreement.performed_on == TODAY
    assert case.agreement.number == case.number


def test_escalation_moves_the_case_up_and_the_new_organisation_sees_it(county):
    """提级 hands the case to the township, which must assign it afresh."""
    case = case_in(S.MEDIATING, county)
    perform(K.ESCALATE, case, county.users["entry_a"], county)
    assert case.organization == county.mj
    assert case.status == S.REGISTERED
    assert case.mediators == []
    assert case.events[-1].details == {
        "from_org": "前李村人民调解委员会",
        "to_org": "马集镇人民调解委员会",
        "was": "调解中",
    }
    with pytest.raises(DomainError, match="上级"):
        cases.escalate(
            db.session, case, county.users["admin"], to_org=county.mj_village, reason="x", today=TODAY
        )


def test_transfer_gives_the_case_to_another_subtree(county):
    """移交 to 柳林: 柳林's users may now take steps, 马集's may not."""
    case = case_in(S.ASSIGNED, county)
    perform(K.TRANSFER, case, county.users["entry_a"], county)
    assert case.organization == county.ll
    assert K.ASSIGN in workflow.available_steps(case, county.users["entry_b"])
    assert workflow.available_steps(case, county.users["entry_a"]) == []


def test_resume_moves_the_deadline_by_the_days_suspended(county):
    """中止 time does not count against the deadline."""
    case = case_in(S.MEDIATING, county)
    actor = county.users["admin"]
    deadline = case.deadline
    cases.suspend(db.session, case, actor, reason="当事人外出务工", today=TODAY)
    cases.resume(db.session, case, actor, today=TODAY + timedelta(days=12))
    assert case.deadline == deadline + timedelta(days=12)
    assert case.status == S.MEDIATING
    assert case.events[-1].details["paused_days"] == 12


def test_extension_is_limited_and_needs_a_reason(county):
    """延期 moves the deadline forward, at most the configured days past the original."""
    case = case_in(S.MEDIATING, county)
    actor = county.users["admin"]
    original = case.deadline
    with pytest.raises(DomainError, match="延期理由"):
        cases.extend(
            db.session, case, actor, new_deadline=original + timedelta(days=5), reason=" ", today=TODAY
        )
    with pytest.raises(DomainError, match="最多只能延长至"):
        cases.extend(
            db.session, case, actor, new_deadline=original + timedelta(days=31), reason="同意", today=TODAY
        )
    with pytest.raises(DomainError, match="应晚于"):
        cases.extend(db.session, case, actor, new_deadline=original, reason="同意", today=TODAY)
    cases.extend(
        db.session, case, actor, new_deadline=original + timedelta(days=30), reason="双方同意", today=TODAY
    )
    assert case.deadline == original + timedelta(days=30)
    assert case.extension_reason == "双方同意"


def test_stale_version_is_refused(county):
    """A step based on an old version of the case is refused and changes nothing."""
    case = case_in(S.ASSIGNED, county)
    seen = case.version
    cases.supervise(
        db.session,
        case,
        county.users["admin"],
        deadline=TODAY,
        note="尽快办理",
        today=TODAY,
    )
    with pytest.raises(DomainError, match="已被他人更新"):
        cases.start(db.session, case, county.users["admin"], today=TODAY, expected_version=seen)
    db.session.rollback()
    assert case.status == S.ASSIGNED


def test_void_keeps_the_case_its_number_and_its_reason(county):
    """作废 never deletes: the case stays, with its number, reason and event; the audit log has it."""
    from portal.models import AuditEvent

    case = case_in(S.ASSIGNED, county)
    number = case.number
    cases.void(db.session, case, county.users["entry_a"], reason="重复登记", today=TODAY)
    db.session.expire_all()
    kept = db.session.get(Case, case.id)
    assert kept.status == S.VOIDED and kept.number == number and kept.void_reason == "重复登记"
    assert kept.events[-1].kind == K.VOID
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "dispute_case", AuditEvent.entity_id == str(case.id))
    ).all()
    assert any(e.changes.get("status") == ["assigned", "voided"] for e in audit)
    with pytest.raises(DomainError, match="请填写作废原因"):
        cases.void(db.session, case_in(S.REGISTERED, county), county.users["admin"], reason="", today=TODAY)


def test_session_dates_are_counted_in_beijing(county):
    """07:00 in Beijing on the acceptance day is 23:00 UTC the day before: still allowed."""
    case = case_in(S.MEDIATING, county)
    case.accepted_on = TODAY
    record = _session_record(list(case.mediators))
    record.held_at = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 2026-03-10 07:00 Beijing
    case_records.record_session(db.session, case, county.users["admin"], record, today=TODAY)
    assert case.events[-1].details["held_at"] == "2026-03-10 07:00"


def test_result_steps_wait_for_a_session_record(county):
    """调解成功/调解不成 are offered only once a session is recorded."""
    case = case_in(S.ASSIGNED, county)
    cases.start(db.session, case, county.users["admin"], today=TODAY)
    steps = workflow.available_steps(case, county.users["admin"])
    assert K.SESSION in steps and K.SETTLE not in steps and K.FAIL not in steps


def test_petition_is_recorded_on_closed_cases_without_touching_them(county):
    """越级上访 may be recorded after closing; it is not the handlers' activity and needs its facts."""
    case = case_in(S.CLOSED, county)
    touched = case.last_activity_on
    actor = county.users["entry_a"]
    with pytest.raises(DomainError, match="请写明上访时间"):
        cases.record_petition(
            db.session, case, actor, level="city", note=" ", today=TODAY + timedelta(days=3)
        )
    cases.record_petition(
        db.session, case, actor, level="city", note="5名当事人到市信访局反映", today=TODAY + timedelta(days=3)
    )
    assert case.status == S.CLOSED and case.last_activity_on == touched
    assert case.events[-1].kind == K.PETITION and case.events[-1].details == {"level": "市级"}
    voided = case_in(S.ASSIGNED, county)
    cases.void(db.session, voided, actor, reason="重复登记", today=TODAY)
    with pytest.raises(DomainError, match="不能办理「越级上访」"):
        cases.record_petition(db.session, voided, actor, level="county", note="x", today=TODAY)
