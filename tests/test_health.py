"""Deployment: the health probes, the connection pool settings and the proxy setting."""

from __future__ import annotations

import pytest
from flask import request, request_started
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal.config import Config, engine_options
from portal.extensions import db
from tests.conftest import make_app


def test_health_probes_answer_anonymous_callers_with_json(client, app, monkeypatch):
    """/healthz and /readyz need no sign-in, say nothing secret and are not cached."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {"database": "ok", "redis": "not configured"}}
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_answers_503_when_the_database_or_redis_is_down(client, app, monkeypatch):
    """A host whose database or Redis does not answer leaves the pool; the answer names no address."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.delitem(app.extensions, "health_redis", raising=False)

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused to 10.0.0.5"))

    monkeypatch.setattr(db.session, "execute", refuse)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "unavailable"},
    }
    assert b"10.0.0.5" not in answer.data and b"127.0.0.1" not in answer.data


def test_engine_options_pool_and_pre_ping_on_postgresql_only():
    """Every connection is pinged before use; a server database gets the sized, recycled pool."""
    conf = {key: getattr(Config, key) for key in dir(Config) if key.startswith("DB_")}
    assert engine_options({**conf, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite3"}) == {
        "pool_pre_ping": True
    }
    options = engine_options(
        {**conf, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db", "DB_POOL_SIZE": 7}
    )
    assert options["pool_pre_ping"] is True and options["pool_size"] == 7
    assert (
        options["pool_recycle"] == Config.DB_POOL_RECYCLE and options["connect_args"]["connect_timeout"] > 0
    )


def test_proxy_fix_trusts_the_configured_proxy(database_url):
    """With PROXY_FIX=1 the client's address and scheme come from the proxy's headers."""
    app = make_app(database_url, PROXY_FIX=1)
    seen = {}

    def note(sender, **extra):
        seen.update(addr=request.remote_addr, scheme=request.scheme)

    with request_started.connected_to(note, app), app.test_client() as client:
        client.get("/healthz", headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "10.1.2.3", "scheme": "https"}


def test_reports_session_reads_from_the_replica_when_configured(database_url):
    """With a reports bind (REPORTS_DATABASE_URL) the figures' session is bound to it; without, db.session."""
    from portal.extensions import reports_session

    app = make_app(database_url, SQLALCHEMY_BINDS={"reports": database_url})
    with app.test_request_context():
        session = reports_session()
        assert session is not db.session and session.get_bind() is db.engines["reports"]
        assert reports_session() is session  # one per request
    plain = make_app(database_url)
    with plain.test_request_context():
        assert reports_session() is db.session


def test_dashboard_figures_come_from_the_reports_session(login_as, monkeypatch):
    """The 工作台 reads its figures through reports_session, so a replica serves them when configured."""
    import portal.admin.dashboard as board

    calls = []
    monkeypatch.setattr(board, "reports_session", lambda: calls.append(1) or db.session)
    assert login_as("admin").get("/admin/").status_code == 200
    assert calls


def _connection_refused(*args, **kwargs):
    raise OperationalError(None, None, Exception('connection to server at "10.0.0.5" failed: shutting down'))


def test_a_database_that_does_not_answer_is_a_chinese_503(login_as, monkeypatch):
    """While the database restarts, a page whose connection fails says so in Chinese with Retry-After (the
    page is rendered without touching the database, whose failure also stops loading the signed-in user)
    and names no server."""
    from portal.services import search

    client = login_as("admin")
    monkeypatch.setattr(search, "term_clauses", _connection_refused)
    answer = client.get("/admin/cases/?search=张三")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    body = answer.get_data(as_text=True)
    assert "数据库暂时无法连接" in body and "10.0.0.5" not in body and "psycopg" not in body


def test_a_connection_lost_after_the_page_was_served_does_not_fail_the_page(app, monkeypatch):
    """Closing a request's session on a connection the server dropped logs the failure and discards the
    session, instead of raising out of the teardown (which made gunicorn answer its own 500)."""
    calls = []

    def remove_once_failing():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    with app.app_context():
        monkeypatch.setattr(db.session, "remove", remove_once_failing)
        db.session.execute(text("SELECT 1"))
    assert calls  # the teardown tried, failed quietly, and the context closed


def test_a_refused_connection_is_tried_again_while_the_server_restarts(monkeypatch):
    """A refused connection is tried again every half second until the deadline; wrong credentials are not."""
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from portal.extensions import retry_connects

    engine = create_engine("postgresql+psycopg://portal@127.0.0.1:1/portal", poolclass=NullPool)
    retry_connects(engine, 1.2)
    tries = []
    answers = iter(
        [psycopg.OperationalError("the database system is starting up")] * 2
        + [psycopg.OperationalError('password authentication failed for user "portal"')]
    )

    def connect(*args, **kwargs):
        tries.append(1)
        raise next(answers)

    monkeypatch.setattr(engine.dialect, "connect", connect)
    with pytest.raises(OperationalError, match="password authentication failed"):
        engine.connect()
    assert len(tries) == 3  # two waits for the restart, then the permanent error at once
