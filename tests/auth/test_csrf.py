"""CSRF: every state-changing POST needs the session's token, and admin forms carry exactly one."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Mediator
from tests.admin.test_registers import mediator_form
from tests.auth.conftest import csrf_token_of, fresh_client
from tests.conftest import PASSWORD


@pytest.fixture
def signed_in(csrf_client):
    """A client signed in as the county admin through the real, token-bearing login form."""
    token = csrf_token_of(csrf_client.get("/login").text)
    response = csrf_client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return csrf_client


def test_login_without_token_is_refused(csrf_client):
    """A sign-in POST without the token gets the Chinese CSRF error page and no session."""
    response = csrf_client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text and "请刷新页面后重新提交" in response.text
    assert csrf_client.get("/admin/").status_code == 302


def test_login_with_forged_token_is_refused(csrf_client):
    """A made-up token is no better than none."""
    csrf_client.get("/login")
    response = csrf_client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged.token.value"}
    )
    assert response.status_code == 400
    assert csrf_client.get("/admin/").status_code == 302


def test_token_of_another_session_is_refused(csrf_app, csrf_client):
    """A token taken from someone else's session does not work in this one."""
    other = fresh_client(csrf_app)
    stolen = csrf_token_of(other.get("/login").text)
    csrf_client.get("/login")
    response = csrf_client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 400


def test_admin_create_without_token_is_refused(signed_in, csrf_county):
    """A create POST without the token is refused and writes nothing."""
    response = signed_in.post("/admin/mediators/new/", data=mediator_form(csrf_county.mj.id))
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert db.session.query(Mediator).filter_by(name="张建国").count() == 0


def test_admin_create_with_token_succeeds(signed_in, csrf_county):
    """The same POST with the token of the create form saves the mediator."""
    token = csrf_token_of(signed_in.get("/admin/mediators/new/").text)
    response = signed_in.post(
        "/admin/mediators/new/", data={**mediator_form(csrf_county.mj.id), "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.query(Mediator).filter_by(name="张建国").count() == 1


def test_admin_form_has_a_single_token_field(signed_in, csrf_county):
    """The edit form, inline trainings included, carries one CSRF field, not one per sub-form."""
    person = csrf_county.mediators["马集调解员"]
    html = signed_in.get(f"/admin/mediators/edit/?id={person.id}").text
    form = re.search(r'<form[^>]*class="admin-form".*?</form>', html, re.S).group(0)
    assert len(re.findall(r'name="csrf_token"', form)) == 1
    assert "-csrf_token" not in html  # no prefixed token of an inline sub-form, nor in its template


def test_inline_subforms_need_no_token_of_their_own(signed_in, csrf_county):
    """An edit POST with inline trainings and the one page token is saved."""
    person = csrf_county.mediators["马集调解员"]
    token = csrf_token_of(signed_in.get(f"/admin/mediators/edit/?id={person.id}").text)
    data = mediator_form(
        csrf_county.mj.id,
        id_number=person.id_number,
        name=person.name,
        lock_version=person.version,
        birth_date=person.birth_date.isoformat(),
        csrf_token=token,
    )
    data.update(
        {
            "trainings-0-held_on": "2025-06-01",
            "trainings-0-level": "county",
            "trainings-0-hours": "8",
            "trainings-0-topic": "人民调解法实务",
            "trainings-0-organizer": "清河县司法局",
        }
    )
    response = signed_in.post(f"/admin/mediators/edit/?id={person.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert [t.topic for t in db.session.get(Mediator, person.id).trainings] == ["人民调解法实务"]


def test_admin_action_without_token_is_refused(signed_in, csrf_county):
    """A bulk action POST without the token changes nothing."""
    person = csrf_county.mediators["马集调解员"]
    response = signed_in.post(
        "/admin/mediators/action/", data={"action": "retire", "rowid": [str(person.id)]}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Mediator, person.id).status.value == "active"


def test_password_change_without_token_is_refused(signed_in):
    """The password form is protected too."""
    response = signed_in.post(
        "/password", data={"current": PASSWORD, "new": "Neues2026pw", "confirm": "Neues2026pw"}
    )
    assert response.status_code == 400


def test_logout_without_token_is_refused(signed_in):
    """A cross-site POST /logout cannot sign the user out."""
    response = signed_in.post("/logout")
    assert response.status_code == 400
    assert signed_in.get("/admin/").status_code == 200


def test_logout_with_token_signs_out(signed_in):
    """POST /logout with the page's token signs the user out."""
    token = csrf_token_of(signed_in.get("/admin/").text)
    response = signed_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert signed_in.get("/admin/").status_code == 302


def test_case_step_needs_the_token(signed_in, csrf_county):
    """A workflow step posted without the token is refused; with the page's token it goes through."""
    from portal.models import CaseStatus
    from portal.services.deadlines import local_today
    from tests.factories import new_case

    case = new_case(db.session, csrf_county.users["admin"], csrf_county.mj, today=local_today())
    url = f"/admin/cases/act/suspend/?id={case.id}"
    response = signed_in.post(url, data={"reason": "当事人外出", "lock_version": case.version})
    assert response.status_code == 400
    db.session.expire_all()
    assert case.status == CaseStatus.REGISTERED
    token = csrf_token_of(signed_in.get(url).text)
    response = signed_in.post(
        url, data={"reason": "当事人外出", "lock_version": case.version, "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status == CaseStatus.SUSPENDED
