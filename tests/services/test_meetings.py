"""研判会议 and 交办督办: minutes, a decision handed out, followed up until done; sides, warnings, figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    Assignment,
    AssignmentEventKind,
    AssignmentStatus,
    AuditEvent,
    Meeting,
    MeetingKind,
)
from portal.models.assessment import Indicator
from portal.models.meeting import FrozenEventError
from portal.services import DomainError, assignments, meetings
from portal.services.deadlines import Colour, DeadlineRules
from portal.services.indicators import Ledger
from tests.factories import new_case

K = AssignmentEventKind
HELD = date(2026, 3, 5)


def minutes(actor, org, *, held_on=HELD, decisions="", case_numbers=None, today=HELD, **fields):
    """Record a 月排查分析例会 of `org` through the service."""
    meeting = Meeting(
        organization=org,
        kind=MeetingKind.MONTHLY,
        held_on=held_on,
        place="县司法局三楼会议室",
        host="张局长",
        content="通报上月排查情况，研判重点纠纷。",
        external_attendees=fields.pop("external_attendees", "县公安局治安大队李某"),
        **fields,
    )
    return meetings.record_meeting(
        db.session, meeting, actor, today=today, decisions=decisions, case_numbers=case_numbers
    )


def test_minutes_hand_out_work_that_is_followed_up_until_done(county):
    admin, entry_a = county.users["admin"], county.users["entry_a"]
    case = new_case(db.session, entry_a, county.mj, today=date(2026, 3, 1))
    meeting = minutes(
        admin,
        county.root,
        decisions="马集镇牵头化解宅基地纠纷\n柳林镇开展节前排查",
        case_numbers=case.number,
        attendee_experts=[county.experts["县专家"]],
    )
    assert meeting.title == "清河县司法局2026年3月矛盾纠纷排查分析例会"
    assert [d.seq for d in meeting.decisions] == [1, 2] and meeting.cases == [case]
    assert "县专家（特邀专家）" in meeting.attendee_names
    first = meeting.decisions[0]
    item = assignments.assign(
        db.session,
        first,
        admin,
        organization=county.mj,
        owner_person="马集镇司法所所长",
        content=None,
        deadline=HELD + timedelta(days=10),
        today=HELD,
    )
    assert (
        item.number == "QH交办〔2026〕1号"
        and item.content == first.content
        and item.status == AssignmentStatus.OPEN
    )
    # The township reports and completes; only the county reminds, escalates, extends.
    assert assignments.available_steps(item, entry_a) == [K.PROGRESS, K.COMPLETE]
    with pytest.raises(DomainError, match="交办单位"):
        assignments.take_step(db.session, item, entry_a, K.REMIND, note="请抓紧", today=HELD)
    with pytest.raises(DomainError, match="承办单位"):
        assignments.take_step(db.session, item, county.users["entry_b"], K.PROGRESS, note="x", today=HELD)
    version = item.version
    assignments.take_step(db.session, item, admin, K.REMIND, note="请于周五前报送进展", today=HELD)
    assert item.version > version and item.reminders == 1
    with pytest.raises(DomainError, match="他人更新"):
        assignments.take_step(
            db.session, item, entry_a, K.PROGRESS, note="x", today=HELD, expected_version=version
        )
    assignments.take_step(db.session, item, admin, K.ESCALATE, note="列为县级挂牌督办", today=HELD)
    with pytest.raises(DomainError, match="不能早于"):
        assignments.take_step(db.session, item, admin, K.EXTEND, note="延期", deadline=HELD, today=HELD)
    assignments.take_step(
        db.session, item, admin, K.EXTEND, note="需等待测绘", deadline=HELD + timedelta(20), today=HELD
    )
    assignments.take_step(db.session, item, entry_a, K.PROGRESS, note="已组织双方现场勘界", today=HELD)
    assignments.take_step(
        db.session, item, entry_a, K.COMPLETE, result="双方签订协议，纠纷化解", completed_on=HELD, today=HELD
    )
    assert item.status == AssignmentStatus.DONE and item.deadline == HELD + timedelta(20)
    assert [e.kind for e in item.events] == [K.ASSIGN, K.REMIND, K.ESCALATE, K.EXTEND, K.PROGRESS, K.COMPLETE]
    assert assignments.available_steps(item, admin) == []
    steps = db.session.scalars(
        select(AuditEvent.step).where(AuditEvent.entity == "assignment", AuditEvent.entity_id == str(item.id))
    ).all()
    assert steps == ["交办", "催办", "挂牌督办", "延期", "报告进展", "办结"]
    item.events[0].note = "改写"
    with pytest.raises(FrozenEventError):
        db.session.flush()
    db.session.rollback()
    # Minutes with open items cannot be voided; a decision handed out cannot be withdrawn.
    second = assignments.assign(
        db.session,
        meeting.decisions[1],
        admin,
        organization=county.ll,
        owner_person="柳林镇司法所",
        content="开展节前专项排查",
        deadline=HELD + timedelta(days=5),
        today=HELD,
    )
    with pytest.raises(DomainError, match="不能作废"):
        meetings.void_meeting(db.session, meeting, admin, reason="误录", today=HELD)
    with pytest.raises(DomainError, match="已交办"):
        meetings.withdraw_decision(db.session, meeting.decisions[1], admin, reason="x", today=HELD)
    assignments.take_step(db.session, second, admin, K.CANCEL, note="并入全县专项行动", today=HELD)
    meetings.void_meeting(db.session, meeting, admin, reason="重复录入", today=HELD)
    assert meeting.is_void


def test_who_may_record_what(county):
    entry_a, entry_b = county.users["entry_a"], county.users["entry_b"]
    with pytest.raises(DomainError, match="只能记录本单位"):
        minutes(entry_a, county.ll)
    db.session.rollback()
    ll_case = new_case(db.session, entry_b, county.ll, today=date(2026, 3, 1))
    with pytest.raises(DomainError, match="未找到"):
        minutes(entry_a, county.mj, case_numbers=ll_case.number)
    db.session.rollback()
    with pytest.raises(DomainError, match="调解员柳林调解员"):
        minutes(entry_a, county.mj, attendee_mediators=[county.mediators["柳林调解员"]])
    db.session.rollback()
    with pytest.raises(DomainError, match="参会"):
        minutes(entry_a, county.mj, external_attendees=None)
    db.session.rollback()
    # The county's people and experts may attend a township's meeting.
    meeting = minutes(
        entry_a,
        county.mj,
        attendee_users=[county.users["admin"]],
        attendee_experts=[county.experts["县专家"]],
    )
    with pytest.raises(DomainError, match="承办单位应为"):
        assignments.assign(
            db.session,
            meetings.add_decision(db.session, meeting, entry_a, content="移交柳林"),
            entry_a,
            organization=county.ll,
            owner_person="x",
            content="x",
            deadline=HELD,
            today=HELD,
        )
    evaluator = county.users["evaluator"]
    with pytest.raises(DomainError, match="角色"):
        meetings.add_decision(db.session, meeting, evaluator, content="x")


@pytest.mark.usefixtures("frozen_clock")
def test_warning_colours_agree_in_python_and_sql(county):
    """Overdue is red, due within CASE_WARN_DAYS (or 挂牌督办) yellow, else blue, at every instant."""
    today = clock.today()
    admin = county.users["admin"]
    meeting = minutes(admin, county.root, held_on=today, today=today, decisions="\n".join("甲乙丙丁戊"))
    rules = DeadlineRules()
    cases = [(0, False), (rules.warn_days, False), (rules.warn_days + 1, False), (rules.warn_days + 1, True)]
    items = []
    for decision, (days, escalate) in zip(meeting.decisions, cases, strict=False):
        item = assignments.assign(
            db.session,
            decision,
            admin,
            organization=county.mj,
            owner_person="所长",
            content=None,
            deadline=today + timedelta(days=days),
            today=today,
        )
        if escalate:
            assignments.take_step(db.session, item, admin, K.ESCALATE, note="挂牌", today=today)
        items.append(item)
    overdue = items[0]
    expected = [Colour.YELLOW, Colour.YELLOW, Colour.BLUE, Colour.YELLOW]
    assert [assignments.assess(i, today, rules).colour for i in items] == expected
    assert assignments.assess(overdue, today + timedelta(days=1), rules).reasons == ("已逾期1天",)
    for day in (today, today + timedelta(days=1)):
        for colour in Colour:
            found = db.session.scalars(
                select(Assignment.id).where(assignments.colour_clause(colour, day, rules))
            )
            assert set(found) == {i.id for i in items if assignments.assess(i, day, rules).colour == colour}
    assert assignments.counts(db.session, county.users["entry_a"], today + timedelta(days=1), rules) == {
        "assignments_open": 4,
        "assignments_overdue": 1,
        "assignments_due_soon": 3,
    }
    assert assignments.counts(db.session, county.users["entry_b"], today, rules)["assignments_open"] == 0


def test_the_on_time_rate_of_assignments(county):
    admin, entry_a = county.users["admin"], county.users["entry_a"]
    meeting = minutes(admin, county.root, decisions="一\n二\n三\n四")
    items = [
        assignments.assign(
            db.session,
            d,
            admin,
            organization=county.mj_village,
            owner_person="主任",
            content=None,
            deadline=HELD + timedelta(days=5),
            today=HELD,
        )
        for d in meeting.decisions
    ]
    done = {0: HELD + timedelta(days=5), 1: HELD + timedelta(days=8)}  # on time, late
    for index, day in done.items():
        assignments.take_step(
            db.session, items[index], entry_a, K.COMPLETE, result="已办结", completed_on=day, today=day
        )
    assignments.take_step(db.session, items[3], admin, K.CANCEL, note="不再需要", today=HELD)
    ledger = Ledger(
        db.session, county.root, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 31), DeadlineRules()
    )
    measure = ledger.measure(Indicator.ASSIGNMENT_ON_TIME_RATE, county.mj)
    # On time 1; late: one done late, one still open past its deadline; the cancelled one is left out.
    assert measure.value == Decimal("33.33")
    assert items[1].number in measure.explanation and items[2].number in measure.explanation
    assert ledger.measure(Indicator.ASSIGNMENT_ON_TIME_RATE, county.ll).value is None
