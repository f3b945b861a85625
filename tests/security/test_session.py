"""Sign-in throttling and lockout, the session and remember-me cookies, and the security headers.

Already covered elsewhere, and not repeated here: the lockout's rules and messages, the same answer for
unknown and locked accounts and its timing (tests/auth/test_login.py); the policy and headers of a page,
HSTS over https only, and the scan of the main pages for what the policy refuses (tests/test_headers.py);
that a real browser loads the pages without a CSP violation (tests/browser/test_csp_browser.py). Here:
the Flask-Limiter throttle of the sign-in and verification pages, the lock holding against a guesser
who changes address, the cookie flags over http and https, and the headers on every kind of answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import pytest
from flask import Flask

from portal import clock
from portal.config import Config
from portal.extensions import db, limiter
from portal.headers import CONTENT_SECURITY_POLICY
from portal.models import PrintJob, User
from portal.models.print_job import PrintJobKind, PrintJobStatus
from tests.auth.conftest import fresh_client
from tests.conftest import PASSWORD, _in_rolled_back_transaction, make_app
from tests.factories import County
from tests.security.conftest import signed_in


def _cookies(response) -> dict[str, SimpleCookie]:
    """Return the Set-Cookie headers of a response by cookie name."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = header
    return found


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


@pytest.fixture
def app_with(database_url, monkeypatch) -> Iterator:
    """Return a function that builds an app with some settings, rolled back after the test.

    This module builds no shared world: each test makes the one app it needs (an SQLite database takes
    one writer at a time). The rate limiter is one object for every app of the process: its switch is
    put back afterwards.
    """
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    opened = []

    def build(**settings) -> Flask:
        transaction = _in_rolled_back_transaction(make_app(database_url, **settings))
        opened.append(transaction)
        return next(transaction)

    yield build
    for transaction in reversed(opened):
        next(transaction, None)


def _sign_in(client, remember: bool = False, **kwargs):
    data = {"username": "entry_a", "password": PASSWORD, **({"remember": "y"} if remember else {})}
    return client.post("/login", data=data, **kwargs)


def test_cookies_over_plain_http_are_http_only_and_same_site(app_with):
    """An intranet portal on plain http: HttpOnly and SameSite=Lax, not Secure (or it could not sign in)."""
    app = app_with()
    response = _sign_in(fresh_client(app), remember=True)
    assert response.status_code == 302
    cookies = _cookies(response)
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert {"httponly", "samesite"} <= flags and "secure" not in flags, (name, cookies[name])
        assert "samesite=lax" in cookies[name].lower().replace(" ", "")
    # 在此电脑上保持登录 lasts a week, not a year.
    expires = parsedate_to_datetime(SimpleCookie(cookies["remember_token"])["remember_token"]["expires"])
    assert expires - clock.utcnow() <= timedelta(days=7, minutes=5)
    # Without 保持登录 there is no remember-me cookie, and the session cookie ends with the browser.
    plain = _cookies(_sign_in(fresh_client(app)))
    assert "remember_token" not in plain and "expires" not in _flags(plain["session"])


def test_cookies_are_secure_when_the_portal_is_served_over_https(app_with):
    """Regression: PREFERRED_URL_SCHEME=https left SESSION_COOKIE_SECURE off, so the session cookie was
    also sent over plain http (to a mistyped http:// address, or a downgrade on the path)."""
    app = app_with(PREFERRED_URL_SCHEME="https")
    response = _sign_in(fresh_client(app), remember=True, base_url="https://portal.example")
    assert response.status_code == 302
    for name, header in _cookies(response).items():
        assert {"secure", "httponly", "samesite"} <= _flags(header), (name, header)


def test_https_in_the_environment_makes_the_cookies_secure(monkeypatch, tmp_path):
    """PREFERRED_URL_SCHEME=https in the environment (docs/deploy.md) is enough; plain http stays as is."""
    monkeypatch.setenv("SECRET_KEY", "x")
    assert Config.load(str(tmp_path))["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    app = make_app("sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True


def test_sign_in_is_throttled_per_address(app_with):
    """Flask-Limiter: past LOGIN_RATE_LIMIT sign-in posts a minute from one address get the Chinese 429
    with Retry-After; other addresses, and opening the page, are not held back."""
    app = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = fresh_client(app)
    guess = {"username": "entry_a", "password": "wrong-guess-1"}
    assert [client.post("/login", data=guess).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post("/login", data=guess)
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.text and int(refused.headers["Retry-After"]) > 0
    assert client.get("/login").status_code == 200
    elsewhere = fresh_client(app).post("/login", data=guess, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert elsewhere.status_code == 200


def test_the_public_verification_page_is_throttled(app_with):
    app = app_with(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="2 per minute")
    client = fresh_client(app)
    assert [client.get(f"/verify/GUESS{n}").status_code for n in range(2)] == [404, 404]
    assert client.get("/verify/GUESS3").status_code == 429


def test_the_lock_holds_against_a_guesser_who_changes_address(app_with):
    """The lockout counts failures per account: five guesses from five addresses lock it, and the right
    password from a sixth is refused like a wrong one."""
    app = app_with()
    for n in range(5):
        guess = {"username": "clerk", "password": f"wrong-guess-{n}"}
        fresh_client(app).post("/login", data=guess, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="clerk").one().locked_until is not None
    owner = fresh_client(app).post(
        "/login", data={"username": "clerk", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert owner.status_code == 200 and "用户名或密码错误" in owner.text


def _policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


def test_every_kind_of_answer_carries_the_security_headers(app_with):
    """A page, the sign-in page, an error page, a redirect, JSON, a download and a PDF: framing forbidden,
    no sniffing, a referrer policy; the page policy on everything but the PDF viewer."""
    app = app_with()
    county = County.load(db.session)
    job = PrintJob(
        kind=PrintJobKind.CERTIFICATES,
        title="证书",
        organization=county.root,
        requested_by_name="系统管理员",
        status=PrintJobStatus.DONE,
        pdf=b"%PDF-1.4\n%%EOF\n",
    )
    db.session.add(job)
    db.session.commit()
    admin = signed_in(app, "admin")
    answers = {
        "page": admin.get("/admin/cases/"),
        "sign-in": fresh_client(app).get("/login"),
        "404": admin.get("/admin/cases/details/?id=999999"),
        "403": signed_in(app, "entry_a").get("/admin/users/"),
        "redirect": fresh_client(app).get("/admin/"),
        "json": admin.get(f"/admin/print_jobs/progress/?id={job.id}"),
        "xlsx": admin.get("/admin/mediators/export/xlsx/"),
        "pdf": admin.get(f"/admin/print_jobs/download/?id={job.id}"),
    }
    for kind, response in answers.items():
        assert response.headers["X-Frame-Options"] == "DENY", kind
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", kind
        if kind != "pdf":
            policy = _policy(response.headers["Content-Security-Policy"])
            assert policy == CONTENT_SECURITY_POLICY, kind
    assert answers["pdf"].mimetype == "application/pdf"
    assert "Content-Security-Policy" not in answers["pdf"].headers
    assert answers["xlsx"].headers["Content-Disposition"].startswith("attachment")
