"""CSRF on every state-changing route: with protection on, as in production, every POST, PUT, PATCH or
DELETE route of the URL map refuses a request without the session's token, or with another session's
token, with the Chinese 400 page, and changes nothing.

The routes are read from `app.url_map` (classified or not, so a new route is covered before anyone
classifies it), with the form a real page would send (tests/security/routes.py), so that only the missing
token stops it. tests/auth/test_csrf.py shows that the same requests go through with the token.
That page views (GET) change nothing is checked by the authorisation matrix and the XSS crawl, which
hash every row of the database before and after their sweeps.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.auth.conftest import csrf_token_of, fresh_client
from tests.security import fingerprint
from tests.security.conftest import signed_in
from tests.security.routes import build_path, methods, spec_of

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def protected(world_app, monkeypatch):
    """The module's app with CSRF protection on."""
    monkeypatch.setitem(world_app.config, "WTF_CSRF_ENABLED", True)
    return world_app


def _refusals(app, client, world, token: str | None, who: str) -> list[str]:
    ids = {**world.shared, **world.own, "honour_year": world.honour_year}
    failures = []
    rows = fingerprint.counts(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec = spec_of(rule.endpoint)
        path = build_path(rule, spec)
        if spec and spec.query:
            path += "?" + urlencode(spec.query(ids), doseq=True)
        data = dict(spec.form(ids)) if spec and spec.form else {"id": "1"}
        if token is not None:
            data["csrf_token"] = token
        for method in sorted(methods(rule) & STATE_CHANGING):
            response = client.open(path, method=method, data=data)
            if response.status_code != 400 or "请刷新页面后重新提交" not in response.text:
                failures.append(
                    f"{who} {method} {path}: {response.status_code}, expected the Chinese CSRF 400"
                )
            if (now := fingerprint.counts(app)) != rows:
                failures.append(f"{who} {method} {path}: changed rows without a valid token")
                rows = now
    return failures


def test_every_state_changing_route_refuses_a_request_without_the_token(protected, world):
    before = fingerprint.snapshot(protected)
    admin = signed_in(protected, "admin")
    stranger = fresh_client(protected)
    foreign_token = csrf_token_of(stranger.get("/login").text)  # valid, but of another session
    failures = _refusals(protected, admin, world, None, "admin without a token")
    failures += _refusals(protected, admin, world, foreign_token, "admin with another session's token")
    failures += _refusals(protected, fresh_client(protected), world, None, "anonymous without a token")
    changed = fingerprint.changed(before, fingerprint.snapshot(protected))
    # Only the sign-in of the admin above wrote (its sign-in log row and last sign-in time).
    assert set(changed) <= {"sign_in_event", "user_account"}, changed
    assert not failures, f"{len(failures)} state-changing requests were not refused:\n" + "\n".join(failures)


def test_the_sweep_reaches_the_state_changing_routes(protected):
    """The URL map has the POST routes the sweep is about (a broken enumeration would pass vacuously)."""
    posts = {r.endpoint for r in protected.url_map.iter_rules() if methods(r) & STATE_CHANGING}
    assert {"auth.logout", "cases.act", "cases.print_document", "mediators.action_view"} <= posts
    assert len(posts) > 60
