"""审计日志: every change is recorded with who, where and a before/after diff; the log is read-only."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE

from portal.admin.system import logs
from portal.extensions import db
from portal.models import AuditEvent, Expert, Gender, Mediator, SignInEvent, SignInKind, User
from portal.models.audit import AuditAction
from portal.services import audit
from tests.admin.test_registers import mediator_form
from tests.conftest import PASSWORD


def _events(**criteria) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).filter_by(**criteria).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def _create_mediator(client, county, **overrides) -> Mediator:
    response = client.post("/admin/mediators/new/", data=mediator_form(county.mj.id, **overrides))
    assert response.status_code == 302
    return db.session.scalars(select(Mediator).filter_by(name=overrides.get("name", "张建国"))).one()


def test_admin_create_is_recorded(login_as, county):
    """Creating a mediator writes a create event with actor, IP and the new values."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    [event] = _events(entity="mediator", action=AuditAction.CREATE, entity_id=str(person.id))
    admin = county.users["admin"]
    assert event.entity_id == str(person.id)
    assert event.actor_id == admin.id
    assert event.actor_name == admin.full_name == "系统管理员"
    assert event.ip == "127.0.0.1"
    assert event.at is not None
    assert event.changes["name"] == [None, "张建国"]
    assert event.changes["gender"] == [None, "male"]
    assert "version" not in event.changes and "updated_at" not in event.changes


def test_admin_edit_records_only_changed_fields(login_as, county):
    """An edit writes an update event whose diff holds exactly the changed fields."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    data = mediator_form(
        county.mj.id,
        name="张建民",
        phone="13905310002",
        lock_version=person.version,
        birth_date=person.birth_date.isoformat(),
    )
    response = client.post(f"/admin/mediators/edit/?id={person.id}", data=data)
    assert response.status_code == 302
    [event] = _events(entity="mediator", action=AuditAction.UPDATE, entity_id=str(person.id))
    assert event.changes == {"name": ["张建国", "张建民"], "phone": ["13805310001", "13905310002"]}
    assert event.actor_id == county.users["admin"].id


def test_create_records_the_organisation(login_as, county):
    """The create event says which organisation the new mediator belongs to."""
    person = _create_mediator(login_as("admin"), county)
    [event] = _events(entity="mediator", action=AuditAction.CREATE, entity_id=str(person.id))
    assert event.changes.get("organization_id") == [None, county.mj.id]


def test_moving_a_mediator_to_another_organisation_is_recorded(login_as, county):
    """Moving a mediator to a village committee writes an update with the old and new organisation."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    data = mediator_form(
        county.mj_village.id, lock_version=person.version, birth_date=person.birth_date.isoformat()
    )
    assert client.post(f"/admin/mediators/edit/?id={person.id}", data=data).status_code == 302
    db.session.expire_all()
    assert person.organization_id == county.mj_village.id  # the move itself was saved
    events = _events(entity="mediator", action=AuditAction.UPDATE, entity_id=str(person.id))
    assert [e.changes for e in events] == [
        {
            "organization_id": [county.mj.id, county.mj_village.id],
            "organization": ["马集镇人民调解委员会", "前李村人民调解委员会"],
        }
    ]


def test_moving_a_user_to_another_organisation_is_recorded(login_as, county):
    """Moving an account up to the county (widening what it sees) is in the log."""
    user = county.users["entry_b"]
    response = login_as("admin").post(
        f"/admin/users/edit/?id={user.id}",
        data={
            "username": "entry_b",
            "full_name": user.full_name,
            "organization": county.root.id,
            "roles": ["entry"],
            "active": "y",
            "lock_version": user.version,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert user.organization_id == county.root.id
    [event] = _events(entity="user_account", action=AuditAction.UPDATE, entity_id=str(user.id))
    assert event.changes["organization_id"] == [county.ll.id, county.root.id]
    assert event.changes["organization"] == [county.ll.name, county.root.name]


def test_trainings_created_with_their_mediator_name_the_mediator(login_as, county):
    """A training entered in the new-mediator form is logged with the mediator it belongs to."""
    training = {
        "trainings-0-held_on": "2025-06-01",
        "trainings-0-level": "county",
        "trainings-0-hours": "8",
        "trainings-0-topic": "人民调解法实务",
        "trainings-0-organizer": "清河县司法局",
    }
    person = _create_mediator(login_as("admin"), county, **training)
    [saved] = person.trainings
    [event] = _events(entity="training", action=AuditAction.CREATE, entity_id=str(saved.id))
    assert event.changes["topic"] == [None, "人民调解法实务"]
    assert event.changes.get("mediator_id") == [None, person.id]


def test_saving_unchanged_form_records_nothing(login_as, county):
    """Saving an edit form without changes writes no update event."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    data = mediator_form(county.mj.id, lock_version=person.version, birth_date=person.birth_date.isoformat())
    assert client.post(f"/admin/mediators/edit/?id={person.id}", data=data).status_code == 302
    assert _events(entity="mediator", action=AuditAction.UPDATE, entity_id=str(person.id)) == []


def test_password_change_is_recorded_without_the_secret(client, auth, county):
    """A password change is logged as ***, never as text or hash."""
    new = "Neues2026pw"
    auth.login("entry_a")
    response = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    user = county.users["entry_a"]
    db.session.refresh(user)
    updates = _events(entity="user_account", entity_id=str(user.id), action=AuditAction.UPDATE)
    [event] = [e for e in updates if "password_hash" in e.changes]
    assert event.changes["password_hash"] == ["***", "***"]
    assert event.actor_id == user.id
    everything = json.dumps([(e.summary, e.changes) for e in _events()], ensure_ascii=False)
    assert new not in everything and PASSWORD not in everything
    assert user.password_hash not in everything
    assert user.password_hash.split("$")[-1] not in everything


def test_admin_password_reset_is_redacted(login_as, county):
    """Setting a password through the user admin is logged as *** too."""
    client = login_as("admin")
    user = county.users["entry_b"]
    response = client.post(
        f"/admin/users/edit/?id={user.id}",
        data={
            "username": "entry_b",
            "full_name": user.full_name,
            "organization": county.ll.id,
            "roles": ["entry"],
            "active": "y",
            "new_password": "Reset2026pw",
            "lock_version": user.version,
        },
    )
    assert response.status_code == 302
    [event] = [
        e for e in _events(entity="user_account", action=AuditAction.UPDATE) if "password_hash" in e.changes
    ]
    assert event.changes["password_hash"] == ["***", "***"]
    assert "Reset2026pw" not in json.dumps(event.changes)


def test_signing_in_and_out_writes_nothing_to_the_audit_log(client, auth, login_as, county):
    """Sign-ins, failures, a lockout and a sign-out are in the sign-in log, not the audit log: no
    登录 rows, and no 修改 of the account's bookkeeping (last sign-in, failures, lock)."""
    before = len(_events())
    auth.login("clerk", "wrong-pass1")
    auth.login("ghost_user", "wrong-pass1")
    for _ in range(5):
        auth.login("entry_b", "wrong-pass1")
    login_as("clerk")
    auth.logout()
    assert _events()[before:] == []


@pytest.fixture
def logged_event(login_as, county) -> AuditEvent:
    """An audit event, with the admin signed in on the client."""
    _record("mediator", "某项修改", county.users["entry_a"])
    login_as("admin")
    return _events(action=AuditAction.UPDATE)[-1]


def test_audit_view_offers_no_create(client, logged_event):
    """/admin/audit/new/ redirects, for GET and POST, and adds no row."""
    before = len(_events())
    assert client.get("/admin/audit/new/").status_code == 302
    response = client.post(
        "/admin/audit/new/", data={"entity": "forged", "summary": "伪造", "actor_name": "x"}
    )
    assert response.status_code == 302
    assert _events(entity="forged") == []
    assert len(_events()) == before


def test_audit_view_offers_no_edit(client, logged_event):
    """/admin/audit/edit/ redirects, and a forged POST changes nothing."""
    original = (logged_event.entity, logged_event.summary, logged_event.actor_name)
    assert client.get(f"/admin/audit/edit/?id={logged_event.id}").status_code == 302
    response = client.post(
        f"/admin/audit/edit/?id={logged_event.id}",
        data={"entity": "forged", "summary": "伪造", "actor_name": "x", "action": "delete"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(AuditEvent, logged_event.id)
    assert (row.entity, row.summary, row.actor_name) == original


def test_audit_view_offers_no_delete(client, logged_event):
    """A forged delete POST, plain or as an action, leaves the row."""
    client.post("/admin/audit/delete/", data={"id": logged_event.id})
    client.post("/admin/audit/action/", data={"action": "delete", "rowid": [str(logged_event.id)]})
    db.session.expire_all()
    assert db.session.get(AuditEvent, logged_event.id) is not None


def test_audit_pages_show_no_write_controls(client, logged_event):
    """Neither the list nor the details offer create, edit or delete."""
    listing = client.get("/admin/audit/").text
    details = client.get(f"/admin/audit/details/?id={logged_event.id}").text
    for page in (listing, details):
        assert "/admin/audit/new/" not in page
        assert "/admin/audit/edit/" not in page
        assert "/admin/audit/delete/" not in page


@pytest.mark.parametrize("username", ["evaluator", "clerk", "entry_a"])
def test_audit_is_closed_to_non_admins(login_as, username):
    """Only administrators open the audit log."""
    client = login_as(username)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/details/?id=1").status_code == 403
    assert client.get("/admin/audit/export/xlsx/").status_code == 403


def _record(entity: str, summary: str, actor: User | None = None) -> None:
    who = audit.Actor(actor.id, actor.full_name) if actor else audit.Actor(None, "测试")
    with audit.acting_as(who):
        audit.record(db.session, AuditAction.UPDATE, entity, None, summary)
    db.session.commit()


def test_audit_list_filters_by_entity(login_as, county):
    """The 对象类型 filter (flt0_0) lists only events of that entity."""
    _record("mediator", "调解员事件甲")
    _record("expert", "专家事件乙")
    client = login_as("admin")
    page = client.get("/admin/audit/").text
    assert "调解员事件甲" in page and "专家事件乙" in page
    filtered = client.get("/admin/audit/", query_string={"flt0_0": "mediator"}).text
    assert "调解员事件甲" in filtered
    assert "专家事件乙" not in filtered


def test_audit_list_filters_by_user(login_as, county):
    """The 操作人 filter (flt0_3) lists only that user's events."""
    _record("mediator", "考评员做的事", county.users["evaluator"])
    _record("mediator", "文书做的事", county.users["clerk"])
    client = login_as("admin")
    filtered = client.get("/admin/audit/", query_string={"flt0_3": "考评员甲"}).text
    assert "考评员做的事" in filtered
    assert "文书做的事" not in filtered


def test_audit_details_show_the_diff(login_as, county):
    """The details page shows before and after of each changed field."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    [event] = _events(entity="mediator", action=AuditAction.CREATE, entity_id=str(person.id))
    details = client.get(f"/admin/audit/details/?id={event.id}").text
    assert "<th>姓名</th><td>—</td><td>张建国</td>" in details


def test_township_admin_sees_only_its_users_events(login_as, county):
    """A township administrator's log holds what its subtree's users did, not the other township's."""
    _record("mediator", "马集录入员做的事", county.users["entry_a"])
    _record("mediator", "柳林录入员做的事", county.users["entry_b"])
    page = login_as("admin_a").get("/admin/audit/").text
    assert "马集录入员做的事" in page
    assert "柳林录入员做的事" not in page


def test_acting_as_names_the_actor_outside_requests(app, county):
    """A change made through db.session in CLI context is attributed to the named actor."""
    with audit.acting_as(audit.Actor(None, "命令行导入")):
        expert = Expert(name="导入专家", gender=Gender.FEMALE, profession="会计师", organization=county.root)
        db.session.add(expert)
        db.session.commit()
    [event] = _events(entity="expert", action=AuditAction.CREATE, entity_id=str(expert.id))
    assert event.entity_id == str(expert.id)
    assert event.actor_name == "命令行导入"
    assert event.actor_id is None and event.ip is None
    assert event.changes["name"] == [None, "导入专家"]


def test_changes_without_actor_are_attributed_to_the_system(app, county):
    """Outside a request and without acting_as, the actor is 系统."""
    mediator = county.mediators["后王调解员"]
    mediator.notes = "夜间批处理"
    db.session.commit()
    [event] = _events(entity="mediator", action=AuditAction.UPDATE)
    assert event.actor_name == "系统" and event.actor_id is None
    assert event.changes == {"notes": [None, "夜间批处理"]}


def test_delete_is_recorded_with_the_old_values(app, county):
    """Deleting a row keeps its last values in the log."""
    expert = county.experts["柳林专家"]
    expert_id = expert.id
    with audit.acting_as(audit.Actor(None, "测试")):
        db.session.delete(expert)
        db.session.commit()
    [event] = _events(entity="expert", action=AuditAction.DELETE)
    assert event.entity_id == str(expert_id)
    assert event.changes["name"] == ["柳林专家", None]


# --- entries in the words of the pages ---------------------------------------------------------------


def test_details_name_fields_references_and_codes_in_chinese(login_as, county):
    """A move shows 所属组织 with the organisations' names, a code its Chinese name, never ids or keys."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    data = mediator_form(
        county.mj_village.id, lock_version=person.version, birth_date=person.birth_date.isoformat()
    )
    assert client.post(f"/admin/mediators/edit/?id={person.id}", data=data).status_code == 302
    [moved] = _events(entity="mediator", action=AuditAction.UPDATE, entity_id=str(person.id))
    details = client.get(f"/admin/audit/details/?id={moved.id}").text
    assert "<th>所属组织</th><td>马集镇人民调解委员会</td><td>前李村人民调解委员会</td>" in details
    assert "organization" not in details.split("变更内容")[1]
    [created] = _events(entity="mediator", action=AuditAction.CREATE, entity_id=str(person.id))
    details = client.get(f"/admin/audit/details/?id={created.id}").text
    assert "<th>性别</th><td>—</td><td>男</td>" in details
    listing = client.get("/admin/audit/", query_string={"flt0_0": "mediator"}).text
    assert "调解员" in listing and ">mediator<" not in listing.replace(" ", "").replace("\n", "")


def test_export_writes_labels_and_names(login_as, county):
    """The xlsx export of the log reads like the details page."""
    client = login_as("admin")
    person = _create_mediator(client, county)
    data = mediator_form(
        county.mj_village.id, lock_version=person.version, birth_date=person.birth_date.isoformat()
    )
    client.post(f"/admin/mediators/edit/?id={person.id}", data=data)
    response = client.get("/admin/audit/export/xlsx/", query_string={"flt0_0": "mediator"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "所属组织：马集镇人民调解委员会 → 前李村人民调解委员会" in cells
    assert "调解员" in cells and "修改" in cells
    assert not any("organization_id" in c for c in cells)


def test_every_audited_field_and_table_has_a_chinese_name(app):
    """No entry can fall back to a column name: every column and reference of every audited table
    has a label (the views' column_labels, or logs.MORE_LABELS), and every table a name."""
    labels = app.extensions[logs.LABELS_KEY]
    missing = []
    for table, mapper in logs.mappers_by_table().items():
        if table not in logs.ENTITY_LABELS:
            missing.append(table)
        ignored = audit.IGNORED | audit.IGNORED_BY_TABLE.get(table, set())
        keys = [a.key for a in mapper.column_attrs if a.key not in ignored]
        keys += [r.key for r in mapper.relationships if r.direction is MANYTOONE or r.secondary is not None]
        missing += [f"{table}.{key}" for key in keys if not logs.field_label(table, key, labels)]
    assert missing == []


def test_unlocking_is_audited_and_in_the_sign_in_log(login_as, auth, county):
    """The lock itself is sign-in bookkeeping; an administrator lifting it is a change, in both logs."""
    for _ in range(5):
        auth.login("entry_b", "wrong-pass1")
    user = county.users["entry_b"]
    db.session.refresh(user)
    assert user.locked_until is not None
    client = login_as("admin")
    response = client.post("/admin/users/action/", data={"action": "unlock", "rowid": [str(user.id)]})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locked_until is None
    [event] = _events(entity="user_account", entity_id=str(user.id), action=AuditAction.UPDATE)
    assert event.summary.startswith("解除登录锁定") and event.actor_name == "系统管理员"
    assert event.changes["locked_until"][1] is None
    unlocked = db.session.scalars(select(SignInEvent).where(SignInEvent.kind == SignInKind.UNLOCKED)).one()
    assert unlocked.user_id == user.id and "系统管理员" in unlocked.detail
