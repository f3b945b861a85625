"""Security headers (portal/headers.py), and pages that satisfy their Content-Security-Policy.

The browser check is tests/browser/test_csp_browser.py; here every main page is parsed for what the
policy would refuse: inline scripts, on…= handler attributes, style= attributes, <style> elements,
and javascript: links other than Flask-Admin's inert tabs (which static/js/portal.js keeps from
being followed).
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.headers import CONTENT_SECURITY_POLICY
from portal.models import DisputeType, PrintJob
from portal.models.print_job import PrintJobKind
from portal.services import formdefs
from tests.factories import new_case


def _policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


def test_a_page_carries_the_policy_and_the_other_headers(client):
    response = client.get("/login")
    assert response.status_code == 200  # plain HTTP is served, not redirected to HTTPS
    policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_no_unsafe_source_in_the_policy():
    for directive, sources in CONTENT_SECURITY_POLICY.items():
        assert "unsafe" not in sources and "*" not in sources, directive


@pytest.mark.parametrize(
    "kwargs",
    [{"base_url": "https://portal.example"}, {"headers": {"X-Forwarded-Proto": "https"}}],
    ids=["https", "behind-proxy"],
)
def test_hsts_only_over_https(client, kwargs):
    response = client.get("/login", **kwargs)
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000"  # one year, no includeSubDomains: other office hosts may be HTTP


def test_the_session_cookie_stays_as_configured(app, client):
    """Talisman would force the Secure flag; an office on plain HTTP could then not sign in."""
    client.get("/login")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = client.post("/login", data={"username": "admin", "password": "Passw0rd2026"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_headers_on_error_pages_and_static_files(client):
    assert client.get("/no-such-page").headers["X-Frame-Options"] == "DENY"
    with client.get("/static/js/portal.js") as static:
        assert static.status_code == 200 and static.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in static.headers


def test_a_pdf_has_no_page_policy_but_the_other_headers(app):
    """The browser's PDF viewer is a page of its own; the portal's policy would break it."""
    from flask import Response

    with app.test_request_context("/admin/documents/1.pdf"):
        response = app.process_response(Response(b"%PDF-1.7", mimetype="application/pdf"))
    assert response.mimetype == "application/pdf"
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- pages that satisfy the policy -------------------------------------------------------------------


class PolicyScanner(HTMLParser):
    """Collect what a strict script-src/style-src would refuse in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self._in_inline_script = True
        href = (names.get("href") or "").strip().lower()
        if href.startswith("javascript:") and href != "javascript:void(0)":
            self.problems.append(f"<{tag} href={href!r}>")

    def handle_data(self, data):
        if self._in_inline_script:
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")
            self._in_inline_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def scan(html: str) -> list[str]:
    scanner = PolicyScanner()
    scanner.feed(html)
    return scanner.problems


def test_the_scanner_finds_what_the_policy_refuses():
    page = (
        '<script>alert(1)</script><a onclick="x()">a</a><div style="color:red"></div><style>p{}</style>'
        '<a href="javascript:alert(1)">b</a>'
    )
    assert len(scan(page)) == 5
    assert scan('<script src="/a.js"></script><script type="application/json">{"a": 1}</script>') == []


@pytest.fixture
def pages(county):
    """The main pages of an administrator, with a case, a form draft and a running print job."""
    case = new_case(db.session, county.users["entry_a"], county.mj, today=date(2026, 3, 2))
    kind = db.session.scalar(select(DisputeType).where(DisputeType.code == "14"))
    draft = formdefs.create(db.session, "csp_test", "物业纠纷", kind)
    job = PrintJob(
        kind=PrintJobKind.CERTIFICATES,
        title="2025年度调解能手证书",
        organization=county.root,
        requested_by_name="系统管理员",
        total=4,
    )
    db.session.add(job)
    db.session.commit()
    return [
        "/admin/",
        "/admin/cases/",
        "/admin/cases/?flt0_0=1&search=张",
        "/admin/cases/new/",
        f"/admin/cases/edit/?id={case.id}",
        f"/admin/cases/details/?id={case.id}",
        "/admin/mediators/new/",
        "/admin/users/",
        "/admin/audit/",
        "/admin/form_definitions/",
        f"/admin/form_definitions/details/?id={draft.id}",
        f"/admin/form_definitions/field/?id={draft.id}",
        f"/admin/form_definitions/preview/?id={draft.id}",
        "/admin/print_jobs/",
        f"/admin/print_jobs/details/?id={job.id}",
        "/admin/sign_ins/",
        "/password",
        "/admin/assessment_rounds/",
        "/admin/recognitions/",
        "/verify/",
    ]


def test_main_pages_have_no_inline_script_handler_or_style(login_as, client, pages):
    assert scan(client.get("/login").text) == []
    client = login_as("admin")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert scan(response.text) == [], url
    missing = client.get("/admin/cases/details/?id=999999")
    assert missing.status_code == 404 and scan(missing.text) == []


def test_the_print_job_page_polls_from_a_script_file(login_as, pages):
    page = login_as("admin").get(next(url for url in pages if "print_jobs/details" in url)).text
    assert 'src="/static/js/print_job.js"' in page and 'data-progress-url="' in page
    assert 'data-percent="0"' in page


def test_flask_admin_widgets_are_bound_from_the_script_file(login_as):
    """The overridden Flask-Admin macros carry data-* attributes that static/js/portal.js binds."""
    client = login_as("admin")
    assert 'data-batch-action="unlock"' in client.get("/admin/users/").text
    assert 'data-inline-add="trainings"' in client.get("/admin/mediators/new/").text
    assert 'data-inline-add="parties"' in client.get("/admin/cases/new/").text
