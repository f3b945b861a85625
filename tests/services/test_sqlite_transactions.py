"""The embedded SQLite database under concurrent use: a background writer never breaks a request.

Page views read in deferred transactions; anything that writes begins IMMEDIATE (extensions.py).
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

import pytest
from sqlalchemy import event, text

from portal.extensions import db, mark_reading_request, start_writing
from portal.models import AuditAction, AuditEvent
from tests.conftest import make_app


def test_a_request_that_reads_then_writes_waits_for_a_concurrent_writer(tmp_path):
    """A transaction reads, another connection writes meanwhile (a print job's progress), the first writes.

    With deferred transactions the first write failed at once with "database is locked" (the job page
    showed 500); with IMMEDIATE ones the second writer waits its turn and both land, in order.
    """
    app = make_app(f"sqlite:///{tmp_path / 'embedded.sqlite3'}")
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, who TEXT)"))
        errors: list[Exception] = []

        def job_progress() -> None:
            try:
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO events (who) VALUES ('job')"))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        with engine.connect() as request, request.begin():
            request.execute(text("SELECT count(*) FROM events")).scalar_one()
            writer = threading.Thread(target=job_progress)
            writer.start()
            writer.join(0.5)  # IMMEDIATE: still waiting for the request's transaction
            request.execute(text("INSERT INTO events (who) VALUES ('request')"))
        writer.join(10)
        with engine.connect() as conn:
            order = conn.execute(text("SELECT who FROM events ORDER BY id")).scalars().all()
        engine.dispose()
    assert errors == [] and order == ["request", "job"]


@pytest.mark.parametrize(
    ("method", "declared", "begin"),
    [
        ("GET", False, "BEGIN"),  # a page view reads side by side with others
        ("GET", True, "BEGIN IMMEDIATE"),  # …until it says it writes (an export's audit record)
        ("POST", False, "BEGIN IMMEDIATE"),  # a form post writes
        (None, False, "BEGIN IMMEDIATE"),  # outside a request: the job thread, workers, commands
    ],
)
def test_transactions_that_will_write_take_the_lock_first(tmp_path, method, declared, begin):
    app = make_app(f"sqlite:///{tmp_path / 'embedded.sqlite3'}")
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        context = app.test_request_context(method=method) if method else nullcontext()
        with context:
            if method:
                mark_reading_request()
            if declared:
                start_writing()
            statements.clear()
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
        db.engine.dispose()
    assert statements[0] == begin


def test_a_page_view_that_writes_without_saying_so_is_refused_in_tests(app):
    """GET views must call start_writing() before writing (else on SQLite the write may fail at once)."""
    with app.test_request_context("/admin/x/", method="GET"):
        mark_reading_request()
        db.session.add(AuditEvent(action=AuditAction.EXPORT, entity="x", summary="导出"))
        with pytest.raises(RuntimeError, match="GET /admin/x/ writes without start_writing"):
            db.session.flush()
        db.session.rollback()
        start_writing()
        db.session.add(AuditEvent(action=AuditAction.EXPORT, entity="x", summary="导出"))
        db.session.flush()
