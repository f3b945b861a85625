"""Flask extensions, created unbound and initialised in `create_app`."""

import logging
import time

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
log = logging.getLogger(__name__)


#: Requests with these methods only read, unless the view calls `start_writing` first.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


#: Set on a request's environ (request-scoped: tests share one app context, hence `g`, across requests).
READING = "portal.db_reading"


def mark_reading_request() -> None:
    """`before_request`, registered first: a page view (GET) reads only, until it calls `start_writing`."""
    request.environ[READING] = request.method in READING_METHODS


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave like a real transactional database for the embedded mode.

    pysqlite defers BEGIN and breaks SAVEPOINT handling; SQLAlchemy's documented recipe takes over
    transaction control. Foreign keys are enforced and WAL lets readers proceed during a write.

    A transaction that reads and then writes fails at once with "database is locked" if another
    connection committed in between (the busy timeout does not cover that case), so transactions that
    will write begin IMMEDIATE: they take the write lock first, waiting up to the busy timeout for it.
    Those are form posts, GET views after `start_writing`, and everything outside a dispatched request
    (the print job thread, RQ workers, commands). Page views begin deferred and read side by side.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN" if _reading() else "BEGIN IMMEDIATE")


#: Connection failures that waiting does not cure: the settings are wrong, not the server away.
PERMANENT_CONNECT_ERRORS = ("authentication", "does not exist", "pg_hba.conf", "role ")


def retry_connects(engine: Engine, seconds: float) -> None:
    """On PostgreSQL, keep trying to open a connection for up to `seconds` while the server is away.

    A restart or a failover refuses connections for a few seconds ("the database system is shutting down",
    "starting up", connection refused). A request that needs a new connection then waits and carries on,
    instead of failing: only the requests whose connection the restart cut off fail (503, `errors.py`).
    Wrong credentials or a missing database fail at once.
    """
    if engine.dialect.name != "postgresql" or seconds <= 0:
        return

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, connection_record, cargs, cparams):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as error:
                if time.monotonic() >= deadline or any(w in str(error) for w in PERMANENT_CONNECT_ERRORS):
                    raise
                log.warning("database refuses connections (%s); trying again", str(error).strip()[:120])
                time.sleep(0.5)


def _reading() -> bool:
    """Return whether this is a page view that has not said it writes (see `mark_reading_request`)."""
    return has_request_context() and request.environ.get(READING, False)


def _guard_reading_requests(session, flush_context, instances) -> None:
    """Refuse (TESTING) or log a write from a page view that did not call `start_writing` first."""
    if (session.new or session.dirty or session.deleted) and _reading():
        message = f"{request.method} {request.path} writes without start_writing()"
        if current_app.testing:
            raise RuntimeError(message)
        log.warning(message)


def start_writing() -> None:
    """Say that this GET view writes next (an audit record, an issued document, a reaped job); commits.

    Ends the view's read transaction, so its writes run in a new one that, on SQLite, takes the write
    lock first (`configure_sqlite`). Call it after the reads whose results the writes do not depend on
    (an export builds its file first), before the first write.
    """
    request.environ[READING] = False
    db.session.commit()


event.listen(Session, "before_flush", _guard_reading_requests)


#: The bind of the read replica that serves report and dashboard reads (REPORTS_DATABASE_URL).
REPORTS_BIND = "reports"


def reports_session() -> Session:
    """Return the session for the figures of the dashboard and reports: reads only.

    With REPORTS_DATABASE_URL set (a PostgreSQL streaming replica), a session on the replica, one per
    request, so the heavy aggregate queries leave the primary to the clerks' writes; its figures may lag
    the primary by the replication delay (seconds). Without it, the app's own session. Nothing may be
    written through it: a hot standby refuses writes.
    """
    if REPORTS_BIND not in (current_app.config.get("SQLALCHEMY_BINDS") or {}):
        return db.session
    if "reports_session" not in g:
        g.reports_session = Session(bind=db.engines[REPORTS_BIND], autoflush=False)
    return g.reports_session


def init_sessions(app: Flask) -> None:
    """Close the request's sessions when the app context ends; call after `db.init_app`.

    Closing rolls back what a page view read, on its connection: if the database dropped that connection
    meanwhile (a restart), the rollback fails. The response is ready by then, so the failure is logged and
    the broken session discarded, instead of turning a page that was served into a 500 (Flask-SQLAlchemy's
    own teardown, which runs after this one, then finds nothing to close).
    """

    @app.teardown_appcontext
    def _close_sessions(exc: BaseException | None) -> None:
        replica = g.pop("reports_session", None)
        if replica is not None:
            _quietly(replica.close)
        if not _quietly(db.session.remove):
            db.session.registry.clear()


def _quietly(close) -> bool:
    """Run a session's close; log and return False if the database connection was lost."""
    try:
        close()
    except SQLAlchemyError:
        log.warning("closing a database session failed (connection lost)", exc_info=True)
        return False
    return True
