"""Flask commands: create-user and seed-demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Expert, Mediator, Organization, OrgKind, OrgLevel, User
from portal.models.audit import AuditAction, AuditEvent
from portal.models.auth import Role
from portal.services.demo.seed import DEMO_PASSWORD, seed_demo
from portal.validators import id_number_error, phone_error
from tests.conftest import make_app

README = Path(__file__).resolve().parents[1] / "README.md"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _create_user(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["create-user", *args])


def test_create_user(app, county):
    """A user is created in the named organisation with every --role given and a hashed password."""
    result = _create_user(
        app,
        "wang.wu",
        "--name",
        "王五",
        "--org",
        "MJ",
        "--role",
        "clerk",
        "--role",
        "entry",
        "--password",
        "Start2026pw",
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 wang.wu" in result.output
    user = db.session.scalars(select(User).filter_by(username="wang.wu")).one()
    assert user.full_name == "王五"
    assert user.organization_id == county.mj.id
    assert user.roles == {Role.CLERK, Role.ENTRY}
    assert user.active
    assert user.password_hash != "Start2026pw" and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password("Start2026pw")


def test_create_user_is_audited_as_the_command_line(app):
    """The new account's audit event names the command line as actor."""
    result = _create_user(
        app, "zhao.liu", "--name", "赵六", "--org", "QH", "--role", "admin", "--password", "Start2026pw"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).filter_by(username="zhao.liu")).one()
    event = db.session.scalars(
        select(AuditEvent).filter_by(entity="user_account", entity_id=str(user.id), action=AuditAction.CREATE)
    ).one()
    assert event.actor_name == "命令行" and event.actor_id is None
    assert event.changes["password_hash"] == ["***", "***"]


def test_create_user_unknown_org(app):
    """An unknown organisation code fails with a Chinese message and creates nothing."""
    before = _count(User)
    result = _create_user(
        app, "nobody1", "--name", "无名", "--org", "NOPE", "--role", "entry", "--password", "Start2026pw"
    )
    assert result.exit_code != 0
    assert "找不到简称为 NOPE 的组织" in result.output
    assert _count(User) == before


@pytest.mark.parametrize(
    ("password", "message"), [("abc", "密码至少 8 位"), ("abcdefgh", "密码须同时包含字母和数字")]
)
def test_create_user_weak_password(app, password, message):
    """A weak password is refused with the reason."""
    result = _create_user(
        app, "weak.user", "--name", "弱密码", "--org", "LL", "--role", "entry", "--password", password
    )
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalars(select(User).filter_by(username="weak.user")).first() is None


@pytest.mark.parametrize("username", ["admin", "ADMIN"])
def test_create_user_duplicate_username(app, username):
    """An existing username, in any case, is refused and the existing account is untouched."""
    existing = db.session.scalars(select(User).filter_by(username="admin")).one()
    old_hash = existing.password_hash
    result = _create_user(
        app, username, "--name", "冒名", "--org", "LL", "--role", "admin", "--password", "Start2026pw"
    )
    assert result.exit_code != 0
    assert "已存在" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(func.lower(User.username) == "admin")) == 1
    assert existing.password_hash == old_hash and existing.full_name == "系统管理员"


def test_create_user_unknown_role(app):
    """Only the four roles are accepted."""
    result = _create_user(
        app, "root.user", "--name", "超级", "--org", "QH", "--role", "superuser", "--password", "Start2026pw"
    )
    assert result.exit_code != 0
    assert db.session.scalars(select(User).filter_by(username="root.user")).first() is None


def test_seed_demo_if_empty_skips_a_populated_database(app):
    """`seed-demo --if-empty` on a database with organisations says so and adds nothing."""
    counts = (_count(Organization), _count(Mediator), _count(User))
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty", "--scale", "0.05"])
    assert result.exit_code == 0, result.output
    assert "数据库已有数据，跳过演示数据。" in result.output
    assert (_count(Organization), _count(Mediator), _count(User)) == counts


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Flask]:
    """A fresh, migrated database holding a thin demo county, in an app context.

    Scale 0.2, not less: rosters are rounded per organisation, so 0.05 would seed no mediators at all.
    """
    path = tmp_path_factory.mktemp("demo") / "seed.sqlite3"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        summary = seed_demo(db.session, seed=7, scale=0.2)
        assert summary["accounts"] == 5  # admin, evaluator, evaluator2, clerk, entry
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _demo_root() -> Organization:
    return db.session.scalars(select(Organization).filter_by(parent_id=None)).one()


def _under_root(**criteria):
    root = _demo_root()
    query = select(Organization).filter_by(**criteria).where(Organization.path.startswith(root.path))
    return list(db.session.scalars(query))


def test_demo_county_has_its_townships_and_villages(demo):
    """The demo county has about 12 townships (a 司法所 and a 调委会 each) and 140-170 villages."""
    root = _demo_root()
    assert root.level is OrgLevel.COUNTY and root.name.endswith("司法局")
    committees = _under_root(level=OrgLevel.TOWNSHIP, kind=OrgKind.COMMITTEE)
    offices = _under_root(level=OrgLevel.TOWNSHIP, kind=OrgKind.JUSTICE_OFFICE)
    assert 10 <= len(committees) <= 14
    assert len(offices) == len(committees)
    villages = _under_root(level=OrgLevel.VILLAGE, kind=OrgKind.COMMITTEE)
    assert 140 <= len(villages) <= 170
    assert all(v.name.endswith(("村人民调解委员会", "社区人民调解委员会")) for v in villages)
    assert len(_under_root(kind=OrgKind.INDUSTRY_COMMITTEE)) >= 3
    assert all(o.industry is not None for o in _under_root(kind=OrgKind.INDUSTRY_COMMITTEE))


def test_demo_codes_are_unique_and_paths_consistent(demo):
    """Every organisation has its own code and a path that extends its parent's."""
    orgs = list(db.session.scalars(select(Organization)))
    assert len({o.code for o in orgs}) == len(orgs)
    by_id = {o.id: o for o in orgs}
    for org in orgs:
        expected = f"{by_id[org.parent_id].path}{org.id}/" if org.parent_id else f"/{org.id}/"
        assert org.path == expected


def test_demo_people_have_valid_ids_and_phones(demo):
    """Every mediator's and expert's 身份证号 matches their gender, and every phone is valid."""
    mediators = list(db.session.scalars(select(Mediator)))
    experts = list(db.session.scalars(select(Expert)))
    assert mediators and experts
    for person in [*mediators, *experts]:
        if person.id_number:
            assert id_number_error(person.id_number, person.gender.value) is None, person.id_number
        if person.phone:
            assert phone_error(person.phone) is None, person.phone
    assert len({m.id_number for m in mediators}) == len(mediators)


def test_demo_accounts(demo):
    """The demo accounts exist with their roles and the demo password; entry sits in a township.

    A second evaluator lets a demo round show two evaluators' scores.
    """
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert {name: u.roles for name, u in users.items()} == {
        "admin": {Role.ADMIN},
        "evaluator": {Role.EVALUATOR},
        "evaluator2": {Role.EVALUATOR},
        "clerk": {Role.CLERK},
        "entry": {Role.ENTRY},
    }
    root = _demo_root()
    for name in ("admin", "evaluator", "clerk"):
        assert users[name].organization_id == root.id
    assert users["entry"].organization.level is OrgLevel.TOWNSHIP
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())


def test_demo_password_is_in_the_readme():
    """The README tells newcomers the demo password, in backticks on a line about the password."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert any(
        f"`{DEMO_PASSWORD}`" in line and re.search("密码|password", line, re.IGNORECASE) for line in lines
    )
