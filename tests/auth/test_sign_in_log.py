"""登录日志: every sign-in, sign-out, failed attempt, lockout and unlock, in a log of its own."""

from __future__ import annotations

import io

import pytest
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import AuditEvent, SignInEvent, SignInKind
from portal.models.audit import AuditAction
from tests.conftest import PASSWORD, make_app

BROWSER = "Mozilla/5.0 (Windows NT 10.0) Chrome/109.0"


def _log() -> list[SignInEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignInEvent).order_by(SignInEvent.id)))


def _login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"username": username, "password": password}, headers={"User-Agent": BROWSER}
    )


def test_sign_in_and_out_are_logged_with_address_and_browser(client, county):
    assert _login(client, "clerk").status_code == 302
    client.post("/logout", headers={"User-Agent": BROWSER})  # the session is bound to the browser
    signed_in, signed_out = _log()
    clerk = county.users["clerk"]
    assert (signed_in.kind, signed_in.username, signed_in.user_id) == (SignInKind.SIGN_IN, "clerk", clerk.id)
    assert signed_in.full_name == "文书甲" and signed_in.ip == "127.0.0.1"
    assert signed_in.user_agent == BROWSER
    assert (signed_out.kind, signed_out.user_id) == (SignInKind.SIGN_OUT, clerk.id)


def test_failures_say_why_in_the_log_only(client, county):
    """The form says the same to everybody; the log tells the administrator what happened."""
    _login(client, "Ghost_User", "x")
    _login(client, "entry_b", "wrong-pass1")
    unknown, wrong = _log()
    assert (unknown.kind, unknown.username, unknown.user_id) == (SignInKind.FAILED, "Ghost_User", None)
    assert unknown.detail == "用户名不存在"
    assert (wrong.kind, wrong.user_id, wrong.detail) == (
        SignInKind.FAILED,
        county.users["entry_b"].id,
        "密码错误（连续第 1 次）",
    )


def test_a_lockout_and_attempts_during_it_are_logged(client, county):
    for _ in range(5):
        _login(client, "entry_b", "wrong-pass1")
    _login(client, "entry_b")
    kinds = [(e.kind, e.detail) for e in _log()]
    assert kinds[4] == (SignInKind.FAILED, "密码错误（连续第 5 次）")
    assert kinds[5] == (SignInKind.LOCKED, "密码连续错误 5 次，锁定 15 分钟")
    assert kinds[6] == (SignInKind.FAILED, "账户锁定中（密码正确）")


def test_a_deactivated_account_is_logged(client, county):
    county.users["clerk"].active = False
    db.session.commit()
    _login(client, "clerk")
    [event] = _log()
    assert (event.kind, event.detail) == (SignInKind.FAILED, "账户已停用")


# --- the 登录日志 page ----------------------------------------------------------------------------


@pytest.fixture
def some_events(client, county):
    _login(client, "ghost_user", "x")
    _login(client, "entry_b", "wrong-pass1")
    _login(client, "entry_a")
    client.post("/logout", headers={"User-Agent": BROWSER})
    return _log()


def test_the_page_lists_filters_searches_and_exports(login_as, some_events):
    client = login_as("admin")
    page = client.get("/admin/sign_ins/").text
    assert "登录日志" in page and "ghost_user" in page and "马集录入员" in page
    assert "用户名不存在" in page and "密码错误（连续第 1 次）" in page
    failed = client.get("/admin/sign_ins/", query_string={"flt0_0": "failed"}).text
    assert "ghost_user" in failed and "马集录入员" not in failed
    found = client.get("/admin/sign_ins/", query_string={"search": "entry_a"}).text
    assert "entry_a" in found and "ghost_user" not in found
    export = client.get("/admin/sign_ins/export/xlsx/")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "事件", "用户名")
    assert any(row[1] == "登录失败" and row[2] == "ghost_user" for row in rows)
    # Exporting the log is itself recorded in the audit log.
    db.session.expire_all()
    [exported] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert exported.entity == "sign_in_event"


def test_the_log_is_read_only(login_as, some_events):
    client = login_as("admin")
    event = some_events[0]
    before = len(_log())
    assert client.get("/admin/sign_ins/new/").status_code == 302
    assert client.post("/admin/sign_ins/new/", data={"username": "forged"}).status_code == 302
    assert client.get(f"/admin/sign_ins/edit/?id={event.id}").status_code == 302
    client.post("/admin/sign_ins/delete/", data={"id": event.id})
    assert len(_log()) == before  # nothing forged, nothing deleted
    details = client.get(f"/admin/sign_ins/details/?id={event.id}").text
    assert "/admin/sign_ins/edit/" not in details and "/admin/sign_ins/delete/" not in details


@pytest.mark.parametrize("username", ["evaluator", "clerk", "entry_a"])
def test_the_log_is_for_administrators_only(login_as, username):
    client = login_as(username)
    assert client.get("/admin/sign_ins/").status_code == 403
    assert client.get("/admin/sign_ins/export/xlsx/").status_code == 403


def test_a_township_administrator_sees_its_own_accounts_only(login_as, some_events):
    """马集's administrator sees 马集's accounts, not 柳林's nor names that belong to nobody."""
    page = login_as("admin_a").get("/admin/sign_ins/").text
    assert "马集录入员" in page
    assert "柳林录入员" not in page and "ghost_user" not in page


def test_the_menu_offers_the_log_under_system_management(login_as):
    page = login_as("admin").get("/admin/").text
    system = page.split("系统管理", 1)[1]
    assert 'href="/admin/sign_ins/"' in system and "登录日志" in system


# --- the migration -----------------------------------------------------------------------------------


def test_migration_copies_the_old_sign_in_rows(tmp_path):
    """Sign-ins the audit log held before the sign-in log existed are copied into it; the audit
    log keeps its rows (append-only); the migration goes down again."""
    app = make_app(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    with app.app_context():
        upgrade(revision="0009")
        statements = [
            "INSERT INTO organization (id, path, name, code, level, kind, status) "
            "VALUES (1, '1/', '清河县司法局', 'QH', 'county', 'bureau', 'active')",
            "INSERT INTO user_account (id, username, full_name, password_hash, roles, organization_id) "
            "VALUES (7, 'clerk', '文书甲', 'x', 'clerk', 1)",
        ]
        old_rows = [
            ("login", "7", "文书甲", "clerk 登录"),
            ("login_failed", None, "系统", "未知用户名 ghost"),
            ("login_failed", "7", "系统", "clerk 登录失败"),
            ("logout", "7", "文书甲", "clerk 退出"),
            ("update", "7", "文书甲", "某项修改"),
        ]
        for statement in statements:
            db.session.execute(text(statement))
        for action, entity_id, actor, summary in old_rows:
            db.session.execute(
                text(
                    "INSERT INTO audit_event (at, actor_name, ip, action, entity, entity_id, summary, "
                    "changes) VALUES ('2026-01-02 08:00:00', :actor, '10.0.0.9', :action, 'user_account', "
                    ":entity_id, :summary, '{}')"
                ),
                {"actor": actor, "action": action, "entity_id": entity_id, "summary": summary},
            )
        db.session.commit()
        db.session.remove()
        upgrade()
        copied = db.session.execute(
            text("SELECT kind, username, user_id, full_name, ip FROM sign_in_event ORDER BY id")
        ).all()
        assert [tuple(row) for row in copied] == [
            ("sign_in", "clerk", 7, "文书甲", "10.0.0.9"),
            ("failed", "ghost", None, None, "10.0.0.9"),
            ("failed", "clerk", 7, "文书甲", "10.0.0.9"),
            ("sign_out", "clerk", 7, "文书甲", "10.0.0.9"),
        ]
        assert db.session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 5
        db.session.remove()  # end the reading transaction, which holds SQLite's lock
        downgrade(revision="0009")
        db.engine.dispose()
