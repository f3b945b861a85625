"""Sign-in, lockout, safe redirects, sign-out and password change through the real pages."""

from __future__ import annotations

import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import SignInEvent, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "Neues2026pw"


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one()


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _alerts(html: str) -> str:
    """Return the text of the flashed messages on a page."""
    return " ".join(re.findall(r'<div class="alert[^"]*" role="alert">([^<]*)</div>', html))


def _feedback_after(field: str, html: str) -> str:
    """Return the error text rendered right after the input named `field`."""
    match = re.search(rf'<input[^>]*name="{field}"[^>]*>\s*<div class="invalid-feedback">([^<]*)</div>', html)
    return match.group(1) if match else ""


def test_login_page_is_chinese_with_csrf_token(csrf_app):
    """The sign-in page asks, in Chinese, for username and password and carries a CSRF token."""
    page = csrf_app.test_client().get("/login")
    assert page.status_code == 200
    html = page.text
    assert 'lang="zh-CN"' in html
    assert "用户名" in html and "密码" in html and "登 录" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert re.search(r'<input[^>]*name="csrf_token"[^>]*type="hidden"[^>]*value="[^"]+"', html) or re.search(
        r'<input[^>]*type="hidden"[^>]*name="csrf_token"[^>]*value="[^"]+"', html
    )


def test_successful_login_redirects_to_dashboard(client, auth):
    """Right credentials lead to the dashboard."""
    response = auth.login("admin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert _signed_in(client)


def test_username_is_case_insensitive(client, auth):
    """'Admin' signs in the account 'admin'."""
    assert auth.login("Admin").status_code == 302
    assert _signed_in(client)


REFUSED = (
    "用户名或密码错误。连续输错 5 次的账户将锁定 15 分钟，锁定期间无法登录；忘记密码或需解锁请联系管理员"
)


def test_wrong_password_shows_the_generic_message_only(client, auth, county):
    """A wrong password is answered with the generic message, without the tries left (which only an
    existing account has: the count told an attacker which names are real)."""
    response = auth.login("entry_a", "wrong-password1")
    assert response.status_code == 200
    assert _alerts(response.text) == REFUSED
    assert _user("entry_a").failed_logins == 1
    assert not _signed_in(client)


def test_unknown_user_gets_the_same_generic_message(client, auth):
    """An unknown username gets the same message as a wrong password and no session."""
    response = auth.login("nobody_here", PASSWORD)
    assert response.status_code == 200
    assert _alerts(response.text) == REFUSED
    assert not _signed_in(client)


def _page_for(auth, username: str, password: str) -> str:
    """The page answering a refused sign-in, with the typed name (echoed in the form) blanked."""
    response = auth.login(username, password)
    assert response.status_code == 200
    return response.text.replace(f'value="{username}"', 'value="…"')


def test_unknown_user_wrong_password_and_locked_account_get_the_same_page(auth):
    """Byte for byte the same answer: unknown name, known name with a wrong password, and a locked
    account even with its right password (otherwise a guesser could go on through the lock)."""
    unknown = _page_for(auth, "nobody_here", "wrong-password1")
    assert _page_for(auth, "entry_b", "wrong-password1") == unknown
    for _ in range(4):
        auth.login("entry_b", "wrong-password1")
    assert _user("entry_b").locked_until is not None
    assert _page_for(auth, "entry_b", PASSWORD) == unknown
    assert _page_for(auth, "entry_b", "wrong-password1") == unknown


def test_unknown_user_takes_as_long_as_a_wrong_password(app, auth):
    """An unknown name costs a password hash too: the answer's timing does not tell names apart.

    Without it an unknown name is answered in a few milliseconds and a known one after a full
    scrypt check, ten times longer or more. The median of nine paired tries; the bound is generous
    for a busy test machine.
    """

    def seconds(username: str) -> float:
        start = time.perf_counter()
        auth.login(username, "wrong-password1")
        elapsed = time.perf_counter() - start
        db.session.rollback()
        return elapsed

    app.config["LOGIN_MAX_FAILURES"] = 100  # the known account does not lock during the measurement
    auth.login("nobody_here", "x")  # warm up: the dummy hash is made once
    # Known and unknown alternate, so a burst of load on the other test worker hits both alike.
    ratios = [seconds("nobody_here") / seconds("evaluator") for _ in range(9)]
    # Without the dummy hash the ratio is about 0.05; with it, about 1.
    assert statistics.median(ratios) > 0.3, ratios


def test_a_control_character_in_the_name_is_dropped_before_it_reaches_the_database(auth):
    """A NUL pasted into the name is dropped (PostgreSQL refuses NUL in text: the sign-in was a 500)."""
    response = auth.login("nobody\x00_here", "wrong-password1")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.text
    assert db.session.scalar(select(SignInEvent.username).order_by(SignInEvent.id.desc())) == "nobody_here"


def test_successful_login_resets_failure_count(auth, county):
    """A successful sign-in clears earlier failures and records the time."""
    auth.login("entry_a", "wrong-password1")
    auth.login("entry_a", "wrong-password2")
    assert auth.login("entry_a").status_code == 302
    user = _user("entry_a")
    assert user.failed_logins == 0
    assert user.last_login_at is not None


def test_account_locks_after_max_failures(app, client, auth):
    """The fifth wrong password locks the account; then even the right one is refused."""
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    for tries in (1, 2, 3, 4):
        assert _alerts(auth.login("entry_a", "wrong-password1").text) == REFUSED
        assert _user("entry_a").failed_logins == tries
    fifth = auth.login("entry_a", "wrong-password1")
    assert fifth.status_code == 200
    assert _alerts(fifth.text) == REFUSED
    assert _user("entry_a").locked_until is not None
    refused = auth.login("entry_a", PASSWORD)
    assert refused.status_code == 200
    assert _alerts(refused.text) == REFUSED
    assert not _signed_in(client)


def test_lock_expires_after_lock_minutes(client, auth):
    """Sixteen minutes after the lock the right password works again."""
    for _ in range(5):
        auth.login("entry_a", "wrong-password1")
    assert auth.login("entry_a").status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        response = auth.login("entry_a")
        assert response.status_code == 302
        # Checked inside the travel: the session cookie is signed with the travelled clock.
        assert _signed_in(client)
    user = _user("entry_a")
    assert user.locked_until is None and user.failed_logins == 0


def test_lock_in_the_past_does_not_block(client, auth):
    """A lock whose time has passed is ignored."""
    user = _user("entry_b")
    user.locked_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert auth.login("entry_b").status_code == 302
    assert _signed_in(client)


def test_inactive_user_cannot_log_in(client, auth):
    """A deactivated account is refused with the right password."""
    user = _user("clerk")
    user.active = False
    db.session.commit()
    response = auth.login("clerk")
    assert response.status_code == 200
    assert _alerts(response.text) == "该账户已停用，请联系管理员"
    assert not _signed_in(client)


def test_deactivated_user_loses_open_session(client, auth):
    """Deactivating a signed-in user ends their session on the next request."""
    assert auth.login("clerk").status_code == 302
    user = _user("clerk")
    user.active = False
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_next_local_path_is_followed(client):
    """`next` pointing to a page of this site is honoured."""
    response = client.post("/login?next=/admin/mediators/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/mediators/"


@pytest.mark.parametrize(
    "target", ["http://evil.example/", "//evil.example", "https://evil.example/admin/", "javascript:alert(1)"]
)
def test_next_external_url_is_ignored(client, target):
    """`next` pointing elsewhere sends the user to the dashboard instead (no open redirect)."""
    response = client.post(
        "/login", query_string={"next": target}, data={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_next_with_backslash_stays_on_site(client):
    """`/\\evil.example`, which browsers read as `//evil.example`, never reaches the Location as such."""
    response = client.post(
        "/login", query_string={"next": "/\\evil.example"}, data={"username": "admin", "password": PASSWORD}
    )
    location = response.headers["Location"]
    assert not location.startswith(("//", "/\\", "http"))


def test_signed_in_user_visiting_login_is_redirected_safely(client, auth):
    """A signed-in user opening /login?next=<external> goes to the dashboard."""
    auth.login("admin")
    response = client.get("/login", query_string={"next": "http://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_anonymous_visit_keeps_next_for_login(client):
    """An anonymous visitor of a page is sent to /login with the page as `next`, and back after."""
    response = client.get("/admin/mediators/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    back = client.post(response.headers["Location"], data={"username": "admin", "password": PASSWORD})
    assert back.headers["Location"] == "/admin/mediators/"


def test_logout_is_post_only(client, auth):
    """GET /logout is refused and leaves the user signed in."""
    auth.login("admin")
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)


def test_logout_ends_the_session(client, auth):
    """After signing out, /admin/ sends the visitor to /login."""
    auth.login("admin")
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    after = client.get("/admin/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")


def test_password_page_needs_login(client):
    """The password page is closed to anonymous visitors."""
    response = client.get("/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_wrong_current(client, auth):
    """A wrong current password is reported beside that field, and nothing changes."""
    auth.login("entry_a")
    old_hash = _user("entry_a").password_hash
    response = client.post(
        "/password", data={"current": "not-it-123", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert _feedback_after("current", response.text) == "当前密码不正确"
    assert _user("entry_a").password_hash == old_hash


@pytest.mark.parametrize(
    ("new", "message"),
    [("abc", "密码至少 8 位"), ("abcdefghij", "密码须同时包含字母和数字")],
)
def test_password_change_weak_password(client, auth, new, message):
    """A weak new password is refused with a Chinese message beside the field."""
    auth.login("entry_a")
    old_hash = _user("entry_a").password_hash
    response = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 200
    assert _feedback_after("new", response.text) == message
    assert _user("entry_a").password_hash == old_hash


def test_password_change_same_as_current(client, auth):
    """The new password must differ from the current one."""
    auth.login("entry_a")
    response = client.post("/password", data={"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 200
    assert _feedback_after("new", response.text) == "新密码不能与当前密码相同"


def test_password_change_mismatch(client, auth):
    """A confirmation that differs from the new password is refused."""
    auth.login("entry_a")
    old_hash = _user("entry_a").password_hash
    response = client.post(
        "/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert _feedback_after("confirm", response.text) == "两次输入的新密码不一致"
    assert _user("entry_a").password_hash == old_hash


def test_password_change_success(client, auth):
    """After a change the new password signs in and the old one does not."""
    auth.login("entry_a")
    response = client.post(
        "/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert _user("entry_a").password_changed_at is not None
    auth.logout()
    refused = auth.login("entry_a", PASSWORD)
    assert refused.status_code == 200 and "用户名或密码错误" in refused.text
    assert auth.login("entry_a", NEW_PASSWORD).status_code == 302
    assert _signed_in(client)


def test_passwords_are_stored_hashed(client, auth):
    """The database holds a salted werkzeug hash, never the password itself."""
    auth.login("entry_a")
    client.post("/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    users = db.session.query(User).all()
    hashes = {u.password_hash for u in users}
    assert len(hashes) == len(users)  # salted: equal passwords, different hashes
    for user in users:
        assert user.password_hash not in (PASSWORD, NEW_PASSWORD)
        assert PASSWORD not in user.password_hash and NEW_PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
