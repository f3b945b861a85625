"""Round trip: registers imported, exported by an administrator, imported into a fresh database: the same.

The export headers are the templates' headers, and an administrator's export carries whole ID and phone
numbers (other roles' exports are masked and cannot be imported: `cells.id_number` refuses a masked one).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Base, DisputeType, Expert, Mediator, Organization, OrgKind, OrgLevel, User
from portal.services import audit, imports
from portal.validators import make_credit_code, make_id_number
from tests.conftest import make_app
from tests.factories import REGION

REGISTERS = (("organisations", "organizations"), ("mediators", "mediators"), ("experts", "experts"))


def sheet(path: Path, title: str, rows: list[list[Any]]) -> Path:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def load(kind: str, path: Path, user: User) -> imports.Report:
    with audit.acting_as(audit.Actor(user.id, user.full_name)):
        context = imports.Context(db.session, user, clock.today())
        report = imports.run(context, imports.kind_named(kind), path, path.name)
    assert report.imported, report.problems
    return report


def snapshot() -> dict[str, set[tuple[Any, ...]]]:
    """The registers as comparable values (references by 简称 and names, not ids); the root left out."""
    codes = dict(db.session.execute(select(Organization.id, Organization.code)).all())
    orgs = {
        (o.code, o.name, codes.get(o.parent_id), o.level, o.kind, o.industry, o.status, o.credit_code)
        + (
            o.filing_number,
            o.filing_date,
            o.established_on,
            o.address,
            o.contact_person,
            o.contact_phone,
            o.notes,
        )
        for o in db.session.scalars(select(Organization).where(Organization.parent_id.is_not(None)))
    }
    mediators = {
        (
            m.id_number,
            m.name,
            m.gender,
            m.ethnicity,
            m.birth_date,
            m.phone,
            codes[m.organization_id],
            m.position,
        )
        + (m.employment, m.political_status, m.education, tuple(m.background_tags or ()), m.grade)
        + (
            tuple(sorted(t.name for t in m.specialties)),
            m.appointed_on,
            m.term_ends_on,
            m.status,
            m.left_on,
            m.notes,
        )
        for m in db.session.scalars(select(Mediator))
    }
    experts = {
        (e.name, e.gender, e.id_number, e.phone, e.profession, e.title, e.employer, e.availability)
        + (
            tuple(sorted(t.name for t in e.specialties)),
            codes[e.organization_id],
            e.joined_on,
            e.status,
            e.notes,
        )
        for e in db.session.scalars(select(Expert))
    }
    return {"organisations": orgs, "mediators": mediators, "experts": experts}


def test_admin_export_imports_into_a_fresh_database(county, login_as, tmp_path):
    """Import, export from the register lists, import the exports elsewhere: the same records."""
    admin = county.users["admin"]
    org_headers = [c.header for c in imports.kind_named("organisations").sheets[0].columns]
    org_row = dict.fromkeys(org_headers)
    township = {
        **org_row,
        "组织名称": "城关镇人民调解委员会",
        "简称（案号用）": "CG",
        "所属上级": "QH",
        "层级": "乡镇/街道",
        "组织类别": "人民调解委员会",
        "统一社会信用代码": make_credit_code(REGION, "00000088"),
        "备案号": "清司备〔2019〕3号",
        "备案日期": date(2019, 3, 1),
        "地址": "城关镇政府院内",
        "联系人": "赵主任",
        "联系电话": "0530-6123456",
        "备注": "- 首批规范化调委会",
    }
    industry = {
        **org_row,
        "组织名称": "县医疗纠纷人民调解委员会",
        "简称（案号用）": "YL",
        "所属上级": "QH",
        "层级": "区/县",
        "组织类别": "行业性专业性调委会",
        "行业领域": "医疗",
        "成立日期": "2016-05-20",
    }
    load(
        "organisations",
        sheet(tmp_path / "o.xlsx", "调解组织", [org_headers, [*township.values()], [*industry.values()]]),
        admin,
    )
    load(
        "mediators",
        sheet(
            tmp_path / "m.xlsx",
            "调解员",
            [
                [
                    "姓名",
                    "性别",
                    "民族",
                    "身份证号",
                    "联系电话",
                    "所属组织",
                    "职务",
                    "专兼职",
                    "政治面貌",
                    "学历",
                ]
                + ["人员背景", "擅长纠纷类型", "等级", "聘任日期", "任期届满", "状态", "离任日期", "备注"],
                [
                    "城关甲",
                    "男",
                    "回族",
                    make_id_number(REGION, date(1972, 8, 9), 31, "male"),
                    "13905301234",
                    "CG",
                ]
                + [
                    "主任",
                    "专职",
                    "中共党员",
                    "本科",
                    "老党员、退休干警",
                    "邻里纠纷、医疗纠纷",
                    "一级",
                    "2018-01-01",
                ]
                + ["2027-12-31", "在职", None, "多行\n备注"],
                [
                    "医调乙",
                    "女",
                    None,
                    make_id_number(REGION, date(1985, 2, 3), 32, "female"),
                    "0530-6999888",
                    "YL",
                ]
                + [None, None, None, None, None, None, None, "2020-06-01", None, "离任", "2024-06-30", None],
            ],
        ),
        admin,
    )
    load(
        "experts",
        sheet(
            tmp_path / "e.xlsx",
            "特邀专家",
            [
                ["姓名", "性别", "身份证号", "联系电话", "专业领域", "职称/资格", "工作单位", "擅长纠纷类型"]
                + ["可参与时间", "管理单位", "入库日期", "状态", "备注"],
                [
                    "孙律师",
                    "女",
                    make_id_number(REGION, date(1979, 4, 5), 33, "female"),
                    "13700001111",
                    "律师",
                ]
                + ["一级律师", "清河律师事务所", "合同纠纷", "周末", "QH", "2022-09-01", "在库", None],
            ],
        ),
        admin,
    )
    before = snapshot()

    client = login_as("admin")
    exported = {}
    for kind, endpoint in REGISTERS:
        response = client.get(f"/admin/{endpoint}/export/xlsx/")
        assert response.status_code == 200
        path = tmp_path / f"export_{kind}.xlsx"
        path.write_bytes(response.data)
        header = [c.value for c in next(load_workbook(path).worksheets[0].iter_rows(max_row=1))]
        assert header == [c.header for c in imports.kind_named(kind).sheets[0].columns], kind
        exported[kind] = path

    fresh = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with fresh.app_context():
        # The schema the migrations build (`flask db check` keeps them equal), without replaying them all.
        Base.metadata.create_all(db.engine)
        with audit.acting_as(audit.Actor(None, "fixture")):
            root = Organization(
                name="清河县司法局", code="QH", level=OrgLevel.COUNTY, kind=OrgKind.COORDINATION_CENTRE
            )
            user = User(username="admin", full_name="系统管理员", organization=root)
            user.roles = ["admin"]
            user.set_password("Passw0rd2026")
            # The dictionary comes with the migrations; the registers name three of its types.
            types = [
                DisputeType(code=code, name=name) for code, name in (("02", "邻里纠纷"), ("04", "合同纠纷"))
            ]
            db.session.add_all([root, user, *types, DisputeType(code="12", name="医疗纠纷")])
            db.session.commit()
        for kind, _endpoint in REGISTERS:
            load(kind, exported[kind], user)
        after = snapshot()
        db.session.remove()
        db.engine.dispose()
    assert after == before
    assert len(before["mediators"]) == 6 and len(before["organisations"]) == 6

    client.post("/logout")
    masked = login_as("entry_a").get("/admin/mediators/export/xlsx/")
    masked_path = tmp_path / "masked.xlsx"
    masked_path.write_bytes(masked.data)
    report = imports.check(
        imports.Context(db.session, admin, clock.today()), imports.kind_named("mediators"), masked_path
    )
    assert {p.message for p in report.problems if p.column == "身份证号"} == {
        "身份证号已脱敏（含*），不能导入；请使用完整的身份证号"
    }
