"""Workflow steps in the audit log: each is logged as that step (受理登记, 分流交办, 督办, …), not 修改."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, CaseEventKind
from portal.models.audit import AuditAction
from portal.services import audit, cases
from tests.factories import new_case
from tests.services.test_case_workflow import TODAY, perform

K = CaseEventKind


def _events_of(case) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(
        AuditEvent.entity == "dispute_case", AuditEvent.entity_id == str(case.id)
    )
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def case(county):
    with audit.acting_as(audit.Actor(county.users["entry_a"].id, "马集录入员")):
        return new_case(db.session, county.users["entry_a"], county.mj, today=TODAY - timedelta(days=5))


def test_registration_is_logged_as_acceptance(case):
    """受理登记 is one 办理 entry of the case, with its values; no separate row for the event."""
    [entry] = _events_of(case)
    assert entry.action is AuditAction.STEP and entry.step == "受理登记"
    assert entry.operation == "受理登记"
    assert entry.summary.startswith("受理登记：")
    assert entry.changes["status"] == [None, "registered"]
    assert entry.changes["organization"] == [None, "马集镇人民调解委员会"]
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "case_event")).all() == []


def test_assignment_is_logged_as_that_step_with_its_details(case, county):
    """分流交办 carries the status change, the new organisation by name and the step's details."""
    perform(K.ASSIGN, case, county.users["entry_a"], county)
    entry = _events_of(case)[-1]
    assert (entry.action, entry.step) == (AuditAction.STEP, "分流交办")
    assert entry.changes["status"] == ["registered", "assigned"]
    assert entry.changes["organization"] == ["马集镇人民调解委员会", "前李村人民调解委员会"]
    assert entry.changes["mediators"] == [[], ["前李调解员"]]
    assert entry.changes["details"][1]["mediators"] == "前李调解员"


@pytest.mark.parametrize(
    ("steps", "label"),
    [
        ((K.ASSIGN, K.START), "开始调解"),
        ((K.ASSIGN, K.START, K.SESSION), "调解记录"),
        ((K.ASSIGN, K.START, K.SESSION, K.SETTLE), "调解成功"),
        ((K.ASSIGN, K.START, K.SESSION, K.FAIL), "调解不成"),
        ((K.ASSIGN, K.START, K.SESSION, K.SETTLE, K.FOLLOW_UP, K.ARCHIVE), "结案归档"),
        ((K.ASSIGN, K.SUSPEND), "中止"),
        ((K.ASSIGN, K.VOID), "作废"),
    ],
)
def test_each_step_is_logged_under_its_name(case, county, steps, label):
    for kind in steps:
        perform(kind, case, county.users["entry_a"], county)
    entry = _events_of(case)[-1]
    assert (entry.action, entry.step, entry.operation) == (AuditAction.STEP, label, label)
    assert [e.step for e in _events_of(case)] == ["受理登记", *(k.label for k in steps)]


def test_supervision_is_logged_as_dubān(case, county):
    """督办 by the county: the supervision deadline and note, under the step's name."""
    cases.supervise(
        db.session, case, county.users["admin"], deadline=TODAY, note="请于本周内办结", today=TODAY
    )
    entry = _events_of(case)[-1]
    assert (entry.action, entry.step) == (AuditAction.STEP, "督办")
    assert entry.changes["supervision_note"] == [None, "请于本周内办结"]
    assert entry.changes["note"] == [None, "请于本周内办结"]


def test_a_correction_is_a_plain_edit(case):
    """Correcting the registration details is not a step: 修改."""
    case.summary = "更正后的纠纷简要情况"
    db.session.commit()
    entry = _events_of(case)[-1]
    assert (entry.action, entry.step, entry.operation) == (AuditAction.UPDATE, None, "修改")


def test_a_step_saved_over_two_flushes_is_one_entry_of_that_step(case, county):
    """Changes flushed before and after the step's event row are one 办理 entry of the transaction."""
    from portal.services.workflow import record_event

    case.extension_reason = "需鉴定伤情"
    db.session.flush()
    record_event(db.session, case, county.users["admin"], K.EXTEND, note="延期一个月", today=TODAY)
    db.session.flush()
    case.deadline = TODAY + timedelta(days=30)
    db.session.commit()
    entry = _events_of(case)[-1]
    assert (entry.action, entry.step) == (AuditAction.STEP, "延期")
    assert entry.changes["extension_reason"] == [None, "需鉴定伤情"]
    assert entry.changes["note"] == [None, "延期一个月"]
    assert entry.changes["deadline"][1] == (TODAY + timedelta(days=30)).isoformat()
    assert len([e for e in _events_of(case) if e.step == "延期"]) == 1
    # The next transaction starts afresh.
    case.summary = "再次更正"
    db.session.commit()
    assert _events_of(case)[-1].action is AuditAction.UPDATE


def test_a_rolled_back_step_leaves_no_entry(case, county):
    from portal.services.workflow import record_event

    before = len(_events_of(case))
    record_event(db.session, case, county.users["admin"], K.EXTEND, note="延期", today=TODAY)
    db.session.flush()
    db.session.rollback()
    case.summary = "更正"
    db.session.commit()
    assert [e.action for e in _events_of(case)[before:]] == [AuditAction.UPDATE]


def test_steps_page_shows_the_step_and_filters_by_it(case, county, login_as):
    perform(K.ASSIGN, case, county.users["entry_a"], county)
    client = login_as("admin")
    page = client.get("/admin/audit/", query_string={"flt0_5": "分流交办"}).text
    assert "分流交办：" in page and "受理登记：" not in page
    entry = _events_of(case)[-1]
    details = client.get(f"/admin/audit/details/?id={entry.id}").text
    assert "<th>办理状态</th><td>受理登记</td><td>分流交办</td>" in details
    diff = details.split("变更内容")[1]
    assert "前李调解员" in diff and "前李村人民调解委员会" in diff
    assert "mediators" not in diff and "organization" not in diff and "status" not in diff
