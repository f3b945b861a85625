"""Clients for the auth tests that give every request its own app context, as a real server does.

The `app` fixtures keep one app context pushed for the whole test, and Flask reuses it for each
request, so `g` would outlive a request: Flask-Login's cached `g._login_user` and Flask-WTF's cached
`g.csrf_token` would then leak from one request (or client) into the next and hide session bugs.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.factories import County


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
