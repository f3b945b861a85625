"""The dashboard's summary tables equal a recount of the ledger after every kind of change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import CaseEventKind, CaseStatus, DisputeType
from portal.services import tally
from tests.factories import new_case
from tests.services.test_case_workflow import TODAY, perform

K = CaseEventKind


def matches_recount() -> dict:
    """Assert the stored tables equal a recount; return the stored status table."""
    connection = db.session.connection()
    stored = tally.stored(connection)
    assert stored == tally.recount(connection)
    return stored["case_status_tally"]


def walk(case, county, *kinds: CaseEventKind) -> None:
    for kind in kinds:
        perform(kind, case, county.users["admin"], county)
        matches_recount()


def test_tables_follow_steps_moves_voiding_and_corrections(county):
    admin = county.users["admin"]
    assert matches_recount() == {}
    settled = new_case(db.session, admin, county.mj_village, today=TODAY - timedelta(days=40))
    walk(settled, county, K.ASSIGN, K.START, K.SESSION, K.SETTLE, K.FOLLOW_UP, K.ARCHIVE)
    # Accepted 40 days ago with a 30-day deadline: concluded late, by its agreement's date.
    assert settled.concluded_on == TODAY and settled.concluded_on > settled.deadline
    key = (county.mj_village.id, settled.accepted_on.replace(day=1), "closed", tally.SUCCESS, tally.LATE)
    assert matches_recount()[key] == 1

    failed = new_case(db.session, admin, county.mj_village, today=TODAY - timedelta(days=5))
    walk(failed, county, K.ASSIGN, K.START, K.SESSION, K.FAIL, K.REFER)
    assert failed.concluded_on == TODAY
    key = (county.mj_village.id, failed.accepted_on.replace(day=1), "referred", tally.FAILED, tally.ON_TIME)
    assert matches_recount()[key] == 1

    moved = new_case(db.session, admin, county.mj_village, today=TODAY - timedelta(days=5))
    walk(moved, county, K.ASSIGN, K.SUSPEND, K.RESUME, K.EXTEND, K.ESCALATE, K.TRANSFER)
    assert moved.organization == county.ll
    walk(moved, county, K.VOID)
    # A voided case keeps its status row but leaves the type table.
    types = tally.stored(db.session.connection())["case_type_tally"]
    assert sum(n for (org_id, *_), n in types.items() if org_id == county.ll.id) == 0

    # A correction of the acceptance date and the type moves the case between rows.
    other_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "04"))
    failed.accepted_on = failed.accepted_on - timedelta(days=40)
    failed.dispute_type = other_type
    db.session.flush()
    matches_recount()
    # A case deleted outright (only ever by maintenance) leaves the tables too.
    db.session.delete(settled)
    db.session.flush()
    assert all(key[2] != "closed" for key in matches_recount())


def test_rolled_back_changes_leave_the_tables_as_they_were(county):
    admin = county.users["admin"]
    case = new_case(db.session, admin, county.mj, today=TODAY - timedelta(days=3))
    before = matches_recount()
    savepoint = db.session.begin_nested()
    case.status = CaseStatus.VOIDED
    case.organization = county.ll
    db.session.flush()
    assert matches_recount() != before
    savepoint.rollback()
    assert matches_recount() == before


def test_rebuild_recounts_rows_written_below_the_orm(county):
    admin = county.users["admin"]
    new_case(db.session, admin, county.mj, today=TODAY)
    connection = db.session.connection()
    connection.exec_driver_sql("DELETE FROM case_status_tally")
    assert tally.stored(connection) != tally.recount(connection)
    tally.rebuild(connection)
    matches_recount()
