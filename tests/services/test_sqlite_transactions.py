"""The embedded SQLite database under concurrent use: a background writer never breaks a request."""

from __future__ import annotations

import threading

from sqlalchemy import text

from portal.extensions import db
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
