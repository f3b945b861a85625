"""Clients for the auth tests that give every request its own app context, as a real server does.

The `app` fixtures keep one app context pushed for the whole test, and Flask reuses it for each
request, so `g` would outlive a request: Flask-Login's cached `g._login_user` and Flask-WTF's cached
`g.csrf_token` would then leak from one request (or client) into the next and hide session bugs.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import County

CSRF_FIELD = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)


def csrf_token_of(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1) or match.group(2)


def sign_in_with_token(client: FlaskClient, username: str) -> None:
    """Sign in through the real login form, token included (for the CSRF-protected app)."""
    token = csrf_token_of(client.get("/login").text)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in a new app context (a fresh `g`)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def fresh_client(app: Flask) -> FlaskClient:
    """Return a test client of `app` with a fresh app context per request."""
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def client(app) -> FlaskClient:
    """A test client of `app`, one app context per request."""
    return fresh_client(app)


@pytest.fixture
def csrf_client(csrf_app) -> FlaskClient:
    """A test client of the CSRF-protected app, one app context per request."""
    return fresh_client(csrf_app)


@pytest.fixture
def csrf_county(csrf_app) -> County:
    """The shared county, loaded in the CSRF app's session (conftest's `county` belongs to `app`)."""
    return County.load(db.session)
