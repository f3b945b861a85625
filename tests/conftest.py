"""Fixtures: one migrated database per test worker, each test inside a rolled-back transaction.

The schema is built with the real migrations (so they are exercised on every run), a small county
is committed once, and every test then runs in an outer transaction that is rolled back, so tests
see the same data and leave nothing behind, even when services call `commit()` (they commit to a
savepoint). Set DATABASE_URL=postgresql+psycopg://… to run the suite on PostgreSQL.

The clock: tests that depend on the office's date take the `frozen_clock` fixture (usually as
`@pytest.mark.usefixtures("frozen_clock")`), which runs them once at each instant of FROZEN_INSTANTS —
either side of Beijing's midnight (16:00 UTC), early Beijing morning, and Beijing's new year. To run
the whole suite at one instant, set PORTAL_TEST_FROZEN_AT (e.g. 2026-12-07T16:00:00Z): the clock starts
there for the session and again for every test, and ticks on.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.services import audit
from tests import factories

# The browser fixtures (live server, one Chromium, screenshots), shared by tests/browser and tests/e2e.
pytest_plugins = ("tests.live",)

PASSWORD = "Passw0rd2026"
# The office zone the tests run in: the default PORTAL_TIMEZONE (portal.clock).
BEIJING = ZoneInfo("Asia/Shanghai")

# Instants where a host's UTC (or local) calendar and Beijing's disagree, or the Beijing year turns.
FROZEN_INSTANTS = {
    "15:59Z": datetime(2026, 11, 30, 15, 59, tzinfo=UTC),  # 23:59 on 30 Nov in Beijing, the same day in UTC
    "16:00Z": datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # Beijing is on 1 December, UTC still on 30 November
    "23:59Z": datetime(2026, 11, 30, 23, 59, tzinfo=UTC),  # 07:59 on 1 Dec in Beijing, before office opens
    "new-year-15:59Z": datetime(2026, 12, 31, 15, 59, tzinfo=UTC),  # 23:59 on 31 Dec 2026 in Beijing
    "new-year-16:00Z": datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # 00:00 on 1 Jan 2027 in Beijing
}


def frozen_at() -> datetime | None:
    """Return the instant of PORTAL_TEST_FROZEN_AT (ISO 8601 with a zone), or None when unset."""
    raw = os.environ.get("PORTAL_TEST_FROZEN_AT")
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"PORTAL_TEST_FROZEN_AT={raw!r} needs a zone, e.g. 2026-12-07T16:00:00Z")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    # Collection and the session's fixtures (the migrated county) run an hour before the frozen instant,
    # so the rows every test writes at the instant are the newest, as they would be in real time.
    if (moment := frozen_at()) is not None:
        time_machine.travel(moment - timedelta(hours=1), tick=True).start()


@pytest.fixture(autouse=True)
def _start_at_the_frozen_instant() -> Iterator[None]:
    """With PORTAL_TEST_FROZEN_AT set, start every test at that instant (the clock ticks on)."""
    moment = frozen_at()
    if moment is None:
        yield
        return
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(params=list(FROZEN_INSTANTS.values()), ids=list(FROZEN_INSTANTS))
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """Run the test at each instant of FROZEN_INSTANTS; yields the instant (aware, UTC)."""
    with time_machine.travel(request.param, tick=True):
        yield request.param


def _database_url(tmp_root: Path, worker: str) -> str:
    """Return a fresh database URL for this worker: a PostgreSQL database or an SQLite file."""
    base = os.environ.get("DATABASE_URL")
    if not base or base.startswith("sqlite"):
        return f"sqlite:///{tmp_root / f'test_{worker}.sqlite3'}"
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def make_app(database_url: str, **overrides) -> Flask:
    """Create an app for tests; CSRF off unless asked for, rate limits off."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "PRINT_PROCESSES": 1,  # batches lay out in the test's process (test_print_pool.py: on a pool)
        # Attachments (content-addressed, so tests share them harmlessly) never land in the instance folder.
        "UPLOAD_FOLDER": str(Path(tempfile.gettempdir()) / "portal-test-uploads"),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    """Migrate a new database and commit the shared county into it."""
    url = _database_url(tmp_path_factory.getbasetemp(), re.sub(r"\W", "", worker_id))
    app = make_app(url)
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "fixture")):
            factories.build_county(db.session, PASSWORD)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


#: Apps shared by the tests of one worker, by database and configuration (see `shared_app`).
_SHARED_APPS: dict[tuple[str, tuple[tuple[str, str], ...]], Flask] = {}


def shared_app(database_url: str, **overrides) -> Flask:
    """Return this worker's app for the database and configuration, creating it once.

    `create_app` compiles some 1,100 URL rules (about 0.2 s); doing that for each of ~2,000 tests was a third
    of the suite's time. What a test may change on the app — its config and extensions — is put back after
    each test (`_in_rolled_back_transaction`). A test that adds URL rules cannot share an app (Flask refuses
    new rules once one has served a request): such a module overrides `app` with `fresh_app`.
    """
    key = (database_url, tuple(sorted((name, repr(value)) for name, value in overrides.items())))
    if key not in _SHARED_APPS:
        _SHARED_APPS[key] = make_app(database_url, **overrides)
    return _SHARED_APPS[key]


@pytest.fixture
def app(database_url) -> Iterator[Flask]:
    """An app whose session runs inside a transaction rolled back after the test."""
    yield from _in_rolled_back_transaction(shared_app(database_url))


@pytest.fixture
def fresh_app(database_url) -> Iterator[Flask]:
    """Like `app`, on an app of its own (for tests that add URL rules)."""
    yield from _in_rolled_back_transaction(make_app(database_url))


@pytest.fixture
def csrf_app(database_url) -> Iterator[Flask]:
    """Like `app`, with CSRF protection on as in production."""
    yield from _in_rolled_back_transaction(shared_app(database_url, WTF_CSRF_ENABLED=True))


def _in_rolled_back_transaction(app: Flask) -> Iterator[Flask]:
    config, extensions = dict(app.config), dict(app.extensions)
    try:
        yield from _rolled_back(app)
    finally:
        app.config.clear()
        app.config.update(config)
        app.extensions.clear()
        app.extensions.update(extensions)


def _rolled_back(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        # Route Flask-SQLAlchemy's default bind to this connection; commits become savepoints.
        engines = db._app_engines[app]
        engine = engines[None]
        engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield app
        finally:
            db.session.remove()
            engines[None] = engine
            outer.rollback()
            connection.close()
            engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    """A test client of `app`."""
    return app.test_client()


@pytest.fixture
def county(app) -> factories.County:
    """Handles on the shared county's organisations, users and people."""
    return factories.County.load(db.session)


class Auth:
    """Sign in and out through the real login page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        """Sign in and return the response."""
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        """Sign out."""
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> Auth:
    """Sign-in helper bound to `client`."""
    return Auth(client)


@pytest.fixture
def login_as(client, auth):
    """Return a function that signs in as one of the county's users and returns the client."""

    def _login(username: str) -> FlaskClient:
        response = auth.login(username)
        assert response.status_code == 302, f"login of {username} failed"
        return client

    return _login
