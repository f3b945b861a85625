"""Case numbers under real concurrency: several users register at the same moment (PostgreSQL).

This test commits for real from several threads, each with its own connection, so it cannot run
inside the usual rolled-back transaction; it builds its own organisation and removes everything
it wrote afterwards.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Case,
    CaseCounter,
    CaseEvent,
    DisputeType,
    Organization,
    OrgKind,
    OrgLevel,
    User,
)
from portal.models.tally import CaseStatusTally, CaseTypeTally
from portal.services import DomainError, cases
from tests.conftest import make_app
from tests.factories import person

TODAY = date(2026, 4, 1)
THREADS = 4
PER_THREAD = 5


def _case(org: Organization, dispute_type: DisputeType, n: int) -> Case:
    return Case(
        organization=org,
        source="application",
        dispute_type=dispute_type,
        summary=f"并发登记测试{n}",
        people_involved=2,
        accepted_on=TODAY,
        parties=[person(f"当事人{n}", seq=n % 40 + 1)],
    )


@pytest.fixture
def shared_app(database_url):
    """An app on the worker's database with no wrapping transaction: commits are real."""
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrency needs PostgreSQL's row locks; SQLite serialises whole transactions")
    app = make_app(database_url)
    with app.app_context():
        root = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        org = Organization(
            name="并发测试调委会", code="BFCS", level=OrgLevel.TOWNSHIP, kind=OrgKind.COMMITTEE, parent=root
        )
        db.session.add(org)
        db.session.commit()
        audit_before = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        app.config["TEST_ORG_ID"] = org.id
    yield app
    with app.app_context():
        org_id = app.config["TEST_ORG_ID"]
        case_ids = select(Case.id).where(Case.numbering_organization_id == org_id)
        db.session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
        db.session.execute(delete(Case).where(Case.numbering_organization_id == org_id))
        db.session.execute(delete(CaseCounter).where(CaseCounter.organization_id == org_id))
        # The dashboard's summary rows of these cases (bulk deletes do not pass the tally hook).
        for tally in (CaseStatusTally, CaseTypeTally):
            db.session.execute(delete(tally).where(tally.organization_id == org_id))
        db.session.execute(delete(Organization).where(Organization.id == org_id))
        db.session.execute(delete(AuditEvent).where(AuditEvent.id > audit_before))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_simultaneous_registrations_get_unique_gapless_numbers(shared_app):
    """Four users register five cases each at once, while a fifth registration fails mid-way."""
    org_id = shared_app.config["TEST_ORG_ID"]
    start = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def register(worker: int) -> None:
        with shared_app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == "admin"))
                org = db.session.get(Organization, org_id)
                dispute_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))
                start.wait()
                for i in range(PER_THREAD):
                    case = _case(org, dispute_type, worker * 100 + i)
                    cases.prepare_registration(db.session, case, actor, today=TODAY)
                    time.sleep(0.02)  # hold the counter's row lock so the others queue behind it
                    db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    def register_and_fail() -> None:
        with shared_app.app_context():
            actor = db.session.scalar(select(User).where(User.username == "admin"))
            org = db.session.get(Organization, org_id)
            dispute_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))
            start.wait()
            case = _case(org, dispute_type, 999)
            cases.prepare_registration(db.session, case, actor, today=TODAY)
            time.sleep(0.05)
            db.session.rollback()  # e.g. the browser went away: the number must go back
            db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(THREADS - 1)]
    threads.append(threading.Thread(target=register_and_fail))
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    with shared_app.app_context():
        rows = db.session.execute(
            select(Case.seq, Case.number).where(Case.numbering_organization_id == org_id).order_by(Case.seq)
        ).all()
        expected = (THREADS - 1) * PER_THREAD
        assert [seq for seq, _ in rows] == list(range(1, expected + 1))
        assert len({number for _, number in rows}) == expected
        assert rows[0].number == "（2026）BFCS人调字第1号"
        assert db.session.get(CaseCounter, (org_id, 2026)).last_value == expected
        db.session.remove()


def test_a_refused_registration_takes_no_number(shared_app):
    """Validation happens before numbering: a refused case consumes nothing."""
    with shared_app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "admin"))
        org = db.session.get(Organization, shared_app.config["TEST_ORG_ID"])
        case = _case(org, db.session.scalar(select(DisputeType).where(DisputeType.code == "02")), 1)
        case.parties = []
        with pytest.raises(DomainError):
            cases.register(db.session, case, actor, today=TODAY)
        db.session.rollback()
        assert db.session.get(CaseCounter, (org.id, 2026)) is None
        db.session.remove()
