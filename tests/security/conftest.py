"""Fixtures of the security suite: one app and one two-township world per test module.

Building the world (cases through the workflow, rounds, reviews, documents) costs a second or two, so
a module builds it once, inside a transaction that is rolled back when the module ends, and every test
runs inside a savepoint of that transaction, rolled back after the test: tests see the same world and
leave nothing behind. Requests go through `fresh_client` (a new app context per request, as a server
does), so a user's cached login never leaks into another client's request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.services import audit
from tests.auth.conftest import csrf_token_of, fresh_client
from tests.conftest import PASSWORD, _in_rolled_back_transaction, make_app
from tests.security.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def _module_world(database_url) -> Iterator[tuple[Flask, World]]:
    # The generator's teardown (rollback) runs when the loop resumes, after the module's tests.
    for app in _in_rolled_back_transaction(make_app(database_url)):
        with audit.acting_as(audit.Actor(None, "fixture")):
            world = build_world(db.session, ROOT)
        db.session.remove()
        yield app, world


@pytest.fixture
def world_app(_module_world) -> Iterator[Flask]:
    """The module's app; the test runs in a savepoint rolled back afterwards."""
    app, _world = _module_world
    connection = db._app_engines[app][None]
    savepoint = connection.begin_nested()
    try:
        yield app
    finally:
        db.session.remove()
        savepoint.rollback()


@pytest.fixture
def world(_module_world, world_app) -> World:
    """The ids of the module's world (see tests/security/world.py)."""
    return _module_world[1]


def signed_in(app: Flask, username: str | None) -> FlaskClient:
    """Return a fresh client signed in as `username` (anonymous for None), token included if CSRF is on."""
    client = fresh_client(app)
    if username is None:
        return client
    data = {"username": username, "password": PASSWORD}
    if app.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token_of(client.get("/login").text)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"sign-in of {username} failed"
    return client
