"""Register forms: Chinese validation errors next to the field, retire instead of delete, locking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal import clock
from portal.extensions import db
from portal.models import Mediator, MediatorStatus, Organization, OrgStatus
from portal.validators import make_id_number

VALID_ID = make_id_number("371525", date(1980, 5, 17), 12, "male")


def mediator_form(org_id: int, **overrides) -> dict:
    data = {
        "organization": org_id,
        "name": "张建国",
        "gender": "male",
        "id_number": VALID_ID,
        "phone": "13805310001",
        "ethnicity": "汉族",
        "position": "mediator",
        "employment": "part_time",
        "status": "active",
    }
    data.update(overrides)
    return data


def test_create_mediator_fills_birth_date_from_id(login_as, county):
    """A valid mediator is saved, with the birth date taken from the ID number."""
    response = login_as("entry_a").post("/admin/mediators/new/", data=mediator_form(county.mj.id))
    assert response.status_code == 302
    saved = db.session.query(Mediator).filter_by(name="张建国").one()
    assert saved.birth_date == date(1980, 5, 17)
    assert saved.organization_id == county.mj.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id_number": VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")}, "身份证号校验位不正确"),
        ({"id_number": "37152519800230123X"}, "出生日期无效"),
        ({"gender": "female"}, "性别"),
        ({"phone": "12345"}, "请输入有效的手机号"),
        ({"birth_date": "1981-01-01"}, "出生日期与身份证号中的出生日期不一致"),
        ({"appointed_on": "2020-01-01", "term_ends_on": "2019-01-01"}, "应晚于"),
        ({"name": ""}, "请填写姓名"),
    ],
)
def test_invalid_mediator_shows_chinese_error_and_saves_nothing(login_as, county, overrides, message):
    """Each bad field is reported in Chinese beside the field, and no row is written."""
    response = login_as("admin").post("/admin/mediators/new/", data=mediator_form(county.mj.id, **overrides))
    assert response.status_code == 200
    assert message in response.text
    assert (
        "invalid-feedback" in response.text or "has-error" in response.text or "is-invalid" in response.text
    )
    assert db.session.query(Mediator).filter_by(organization_id=county.mj.id, name="张建国").count() == 0


@pytest.mark.usefixtures("frozen_clock")
def test_dates_count_in_the_offices_days(login_as, county):
    """Appointed today (Beijing) is fine, tomorrow is not; 18 today is an adult, 18 tomorrow is not."""
    client, today = login_as("admin"), clock.today()

    def post(**overrides):
        return client.post("/admin/mediators/new/", data=mediator_form(county.mj.id, **overrides))

    tomorrow = post(appointed_on=(today + timedelta(days=1)).isoformat())
    assert tomorrow.status_code == 200 and "日期不能晚于今天" in tomorrow.text
    turns_18_tomorrow = today.replace(year=today.year - 18) + timedelta(days=1)
    minor = post(id_number=make_id_number("371525", turns_18_tomorrow, 13, "male"))
    assert minor.status_code == 200 and "人民调解员应为成年公民" in minor.text
    turns_18_today = today.replace(year=today.year - 18)
    adult = post(
        id_number=make_id_number("371525", turns_18_today, 13, "male"), appointed_on=today.isoformat()
    )
    assert adult.status_code == 302, adult.text
    saved = db.session.query(Mediator).filter_by(name="张建国").one()
    assert saved.birth_date == turns_18_today and saved.appointed_on == today


def test_duplicate_id_number_is_refused(login_as, county):
    """The roster holds each person once."""
    existing = county.mediators["柳林调解员"]
    response = login_as("admin").post(
        "/admin/mediators/new/", data=mediator_form(county.mj.id, id_number=existing.id_number, gender="male")
    )
    assert response.status_code == 200
    assert db.session.query(Mediator).filter_by(id_number=existing.id_number).count() == 1


def test_organisation_credit_code_is_checked(login_as, county):
    """A bad 统一社会信用代码 is refused with a Chinese message."""
    response = login_as("admin").post(
        "/admin/organizations/new/",
        data={
            "parent": county.mj.id,
            "name": "新村调委会",
            "code": "XC",
            "level": "village",
            "kind": "committee",
            "status": "normal",
            "credit_code": "91350100M000100Y44",
            "sort_order": 0,
        },
    )
    assert response.status_code == 200
    assert "统一社会信用代码校验位不正确" in response.text
    assert db.session.query(Organization).filter_by(code="XC").count() == 0


def test_registers_offer_no_delete(login_as, county):
    """Delete is not offered; a forged delete is refused and the mediator stays."""
    client = login_as("admin")
    person = county.mediators["马集调解员"]
    assert "删除" not in client.get("/admin/mediators/").text
    client.post("/admin/mediators/delete/", data={"id": person.id})
    client.post("/admin/mediators/action/", data={"action": "delete", "rowid": [str(person.id)]})
    db.session.expire_all()
    assert db.session.get(Mediator, person.id) is not None


@pytest.mark.usefixtures("frozen_clock")
def test_retire_keeps_the_mediator(login_as, county):
    """离任 sets the status and date; the row and its history stay."""
    person = county.mediators["马集调解员"]
    login_as("admin").post("/admin/mediators/action/", data={"action": "retire", "rowid": [str(person.id)]})
    db.session.expire_all()
    retired = db.session.get(Mediator, person.id)
    assert retired.status == MediatorStatus.RETIRED
    assert retired.left_on == clock.today()


def test_stale_edit_is_refused(login_as, county):
    """Two clerks open the same record; the second save, based on the old version, is refused."""
    client = login_as("admin")
    person = county.mediators["马集调解员"]
    seen = person.version
    first = client.post(
        f"/admin/mediators/edit/?id={person.id}",
        data=mediator_form(
            county.mj.id,
            name="第一次修改",
            id_number=person.id_number,
            lock_version=seen,
            birth_date=person.birth_date.isoformat(),
        ),
    )
    assert first.status_code == 302
    second = client.post(
        f"/admin/mediators/edit/?id={person.id}",
        data=mediator_form(
            county.mj.id,
            name="第二次修改",
            id_number=person.id_number,
            lock_version=seen,
            birth_date=person.birth_date.isoformat(),
        ),
    )
    assert second.status_code == 200
    assert "该记录已被他人修改" in second.text
    assert "第二次修改" in second.text  # the user's input is kept in the form
    db.session.expire_all()
    assert db.session.get(Mediator, person.id).name == "第一次修改"


def test_revoking_an_organisation_with_active_members_is_refused(login_as, county):
    """An organisation with active mediators cannot be revoked until they leave."""
    client = login_as("admin")
    response = client.post(
        "/admin/organizations/action/",
        data={"action": "revoke", "rowid": [str(county.mj_village.id)]},
        follow_redirects=True,
    )
    assert "在职调解员" in response.text
    db.session.expire_all()
    assert db.session.get(Organization, county.mj_village.id).status == OrgStatus.NORMAL


def test_trainings_are_edited_inline(login_as, county):
    """A training entered in the mediator form is stored with the mediator."""
    person = county.mediators["马集调解员"]
    data = mediator_form(
        county.mj.id,
        id_number=person.id_number,
        name=person.name,
        lock_version=person.version,
        birth_date=person.birth_date.isoformat(),
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
    response = login_as("admin").post(f"/admin/mediators/edit/?id={person.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    trainings = db.session.get(Mediator, person.id).trainings
    assert [t.topic for t in trainings] == ["人民调解法实务"]
