"""数据导入 (services/imports): every problem reported, all or nothing, each kind, numbering, scope."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, inspect, select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    Base,
    Case,
    CaseCounter,
    Expert,
    Mediator,
    Organization,
    Training,
)
from portal.services import DomainError, audit, case_checks, imports
from portal.services.imports import core, workbooks
from portal.validators import make_credit_code, make_id_number
from tests.factories import REGION, new_case


def xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write a workbook with the given sheets (first row: headers) and return its path."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def person_id(seq: int, gender: str = "male", born: date = date(1980, 1, 2)) -> str:
    return make_id_number(REGION, born, seq, gender)


def context(username: str, county: Any) -> imports.Context:
    return imports.Context(db.session, county.users[username], clock.today())


def run(county: Any, username: str, kind: str, path: Path, dry: bool = False) -> imports.Report:
    user = county.users[username]
    with audit.acting_as(audit.Actor(user.id, user.full_name)):
        action = imports.check if dry else imports.run
        return action(context(username, county), imports.kind_named(kind), path, path.name)


def table_counts() -> dict[str, int]:
    """Count the rows of every table, so a test can show that nothing at all changed."""
    present = set(inspect(db.session.connection()).get_table_names())
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name in present
    }


MEDIATOR_HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "所属组织",
    "职务",
    "聘任日期",
    "任期届满",
    "备注",
]


def test_a_file_with_every_kind_of_error_reports_them_all_and_changes_nothing(county, tmp_path):
    """Ten kinds of problems, each reported on its sheet, row and column in Chinese; no table changes."""
    taken = county.mediators["马集调解员"].id_number
    good = person_id(21)
    path = xlsx(
        tmp_path / "bad.xlsx",
        {
            "调解员": [
                [*MEDIATOR_HEADERS, "籍贯"],  # an unknown column
                [
                    "甲",
                    "男",
                    good[:-1] + ("0" if good[-1] != "0" else "1"),
                    "13800000001",
                    "MJ",
                    "",
                    "",
                    "",
                    "",
                ],
                ["乙", "男", person_id(22), "12345", "MJ", "", "", "", ""],
                ["丙", "男", person_id(23), "13800000003", "火星调委会", "", "", "", ""],
                ["丁", "男", person_id(24), "13800000004", "MJ", "", "", "", ""],
                ["丁二", "男", person_id(24), "13800000005", "MJ", "", "", "", ""],
                ["戊", "男", taken, "13800000006", "MJ", "", "", "", ""],
                [None, "男", person_id(25), "13800000007", "MJ", "", "", "", ""],
                ["己", "男", person_id(26), "13800000008", "MJ", "", "去年春天", "", ""],
                ["庚", "男", person_id(27), "13800000009", "MJ", "", date(1900, 1, 1), "", ""],
                ["辛", "男", person_id(28), "13800000010", "MJ", "组长", "", "", ""],
                ["壬" * 51, "男", person_id(29), "13800000011", "MJ", "", "", "", ""],
                ["癸", "男", person_id(30), "13800000012", "MJ", "", "", "", "备注_x0007_响铃"],
            ],
            "培训记录": [
                ["身份证号", "培训日期", "级别", "学时", "培训内容"],
                [person_id(31), "2024-01-01", "县级", 4, "人民调解法"],
            ],
        },
    )
    before = table_counts()
    report = run(county, "admin", "mediators", path)
    db.session.expire_all()
    assert table_counts() == before
    assert not report.imported and report.created == {}
    found = {(p.sheet, p.row, p.column): p.message for p in report.problems}
    expected = {
        ("调解员", 1, "籍贯"): "不是本模板的列",
        ("调解员", 2, "身份证号"): "校验位不正确",
        ("调解员", 3, "联系电话"): "有效的手机号或固定电话",
        ("调解员", 4, "所属组织"): "找不到组织",
        ("调解员", 6, "身份证号"): "与第5行重复",
        ("调解员", 7, "身份证号"): "系统中已有",
        ("调解员", 8, "姓名"): "必填",
        ("调解员", 9, "聘任日期"): "不是日期",
        ("调解员", 10, "聘任日期"): "不能早于1949年10月1日",
        ("调解员", 11, "职务"): "不是可选值",
        ("调解员", 12, "姓名"): "不能超过50个字",
        ("调解员", 13, "备注"): "控制字符",
        ("培训记录", 2, "身份证号"): "都没有这个身份证号",
    }
    for where, words in expected.items():
        assert words in found.get(where, ""), (where, found.get(where))
    # A dry run of the same file says the same, in sheet, row and column order.
    dry = run(county, "admin", "mediators", path, dry=True)
    assert dry.problems == report.problems


def test_a_failure_half_way_rolls_everything_back(county, tmp_path, monkeypatch):
    """An error after some batches were inserted leaves no row behind, audit rows included."""
    rows = [[f"人员{i}", "男", person_id(40 + i), f"1380000{i:04d}", "MJ"] for i in range(5)]
    path = xlsx(tmp_path / "m.xlsx", {"调解员": [MEDIATOR_HEADERS[:5], *rows]})
    kind = imports.kind_named("mediators")
    monkeypatch.setattr(type(kind), "batch_size", 2)
    flushed = []

    def fail_on_third_batch(self, ctx, state, sheet, objects):
        flushed.append(len(objects))
        if len(flushed) == 3:
            raise DomainError("模拟写入中断")

    monkeypatch.setattr(type(kind), "after_flush", fail_on_third_batch)
    before = table_counts()
    report = run(county, "admin", "mediators", path)
    db.session.expire_all()
    assert flushed == [2, 2, 1]
    assert table_counts() == before
    assert not report.imported and "已全部撤销" in report.problems[0].message


def test_organisations_import_builds_the_tree(county, tmp_path):
    """Parents before children, by 简称, name or path; levels and credit codes checked; audited row by row."""
    credit = make_credit_code(REGION, "00000077")
    header = [c.header for c in imports.kind_named("organisations").sheets[0].columns if c.parse]
    blank = dict.fromkeys(header, None)

    def row(**values: Any) -> list[Any]:
        return list({**blank, **values}.values())

    path = xlsx(
        tmp_path / "o.xlsx",
        {
            "调解组织": [
                header,
                row(组织名称="清河县司法局", **{"简称（案号用）": "QH"}, 层级="区/县", 组织类别="协调中心"),
                row(
                    组织名称="城关镇人民调解委员会",
                    **{"简称（案号用）": "CG", "所属上级": "QH"},
                    层级="乡镇/街道",
                    组织类别="人民调解委员会",
                    统一社会信用代码=credit,
                    备案日期="2019-03-01",
                ),
                row(
                    组织名称="东关村人民调解委员会",
                    **{"简称（案号用）": "CGDG", "所属上级": "清河县司法局 › 城关镇人民调解委员会"},
                    层级="村/社区",
                    组织类别="人民调解委员会",
                    联系电话="0530-1234567",
                ),
            ]
        },
    )
    report = run(county, "admin", "organisations", path)
    assert report.imported, report.problems
    assert report.created == {"调解组织": 2} and "本单位" in report.notes[0]
    village = db.session.scalar(select(Organization).where(Organization.code == "CGDG"))
    township = village.parent
    assert township.code == "CG" and township.parent_id == county.root.id
    assert village.path == f"{township.path}{village.id}/" and township.credit_code == credit
    audited = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity == "organization", AuditEvent.entity_id.in_([str(village.id), str(township.id)])
        )
    ).all()
    assert audited == [AuditAction.CREATE, AuditAction.CREATE]

    # A village cannot hold a township, and a later parent is not yet known.
    bad = xlsx(
        tmp_path / "o2.xlsx",
        {
            "调解组织": [
                header,
                row(
                    组织名称="某镇",
                    **{"简称（案号用）": "X1", "所属上级": "CGDG"},
                    层级="乡镇/街道",
                    组织类别="人民调解委员会",
                ),
                row(
                    组织名称="某村",
                    **{"简称（案号用）": "X2", "所属上级": "X3"},
                    层级="村/社区",
                    组织类别="人民调解委员会",
                ),
                row(
                    组织名称="某村二",
                    **{"简称（案号用）": "X3", "所属上级": "CG"},
                    层级="村/社区",
                    组织类别="人民调解委员会",
                    统一社会信用代码=credit,
                ),
            ]
        },
    )
    messages = {
        (p.row, p.column): p.message for p in run(county, "admin", "organisations", bad, dry=True).problems
    }
    assert "不能隶属于" in messages[(2, "所属上级")]
    assert "写在其下级之前" in messages[(3, "所属上级")]
    assert "系统中已有统一社会信用代码" in messages[(4, "统一社会信用代码")]


def test_mediators_import_with_trainings_and_experts(county, tmp_path):
    """A clean roster with a training sheet (new and existing mediators) and an expert pool import."""
    existing = county.mediators["前李调解员"]
    path = xlsx(
        tmp_path / "m.xlsx",
        {
            "调解员": [
                [
                    "姓名",
                    "性别",
                    "身份证号",
                    "联系电话",
                    "所属组织",
                    "擅长纠纷类型",
                    "人员背景",
                    "状态",
                    "培训学时",
                ],
                [
                    "张新",
                    "男",
                    person_id(61),
                    "13800006161",
                    "MJQL",
                    "邻里纠纷、婚姻纠纷",
                    "老党员、律师",
                    "",
                    99,
                ],
                ["李新", "女", person_id(62, "female"), "", "马集镇人民调解委员会", "", "", "离任", ""],
            ],
            "培训记录": [
                ["身份证号", "姓名", "培训日期", "级别", "学时", "培训内容", "主办单位"],
                [person_id(61), "张新", date(2024, 5, 1), "县级", 4.5, "人民调解法", "县司法局"],
                [existing.id_number, "前李调解员", "2024/06/01", "市级", "8", "矛盾纠纷排查", None],
            ],
        },
    )
    report = run(county, "admin", "调解员", path)
    assert report.imported, report.problems
    assert report.created == {"调解员": 2, "培训记录": 2}
    new = db.session.scalar(select(Mediator).where(Mediator.name == "张新"))
    assert new.birth_date == date(1980, 1, 2) and new.background_tags == ["老党员", "律师"]
    assert sorted(t.name for t in new.specialties) == ["婚姻纠纷", "邻里纠纷"]
    assert [(t.hours, t.topic) for t in new.trainings] == [(4.5, "人民调解法")]
    retired = db.session.scalar(select(Mediator).where(Mediator.name == "李新"))
    assert retired.left_on == clock.today()  # as the form: a retired mediator left today unless told
    assert db.session.scalar(select(func.count()).where(Training.mediator_id == existing.id)) == 1
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.IMPORT))
    assert summary.summary == "导入调解员名册：调解员2、培训记录2" and summary.changes["file"] == [
        None,
        "m.xlsx",
    ]
    created = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == AuditAction.CREATE,
            AuditEvent.entity.in_(["mediator", "training"]),
            AuditEvent.actor_id == county.users["admin"].id,
        )
    )
    assert created == 4

    experts = xlsx(
        tmp_path / "e.xlsx",
        {
            "特邀专家": [
                ["姓名", "性别", "身份证号", "专业领域", "工作单位", "管理单位", "入库日期"],
                ["周律师", "女", person_id(63, "female"), "律师", "清河律师事务所", "QH", "2023-01-05"],
                ["吴医生", "男", None, "医生", "县医院", "QH", None],
            ]
        },
    )
    report = run(county, "admin", "experts", experts)
    assert report.imported and report.created == {"特邀专家": 2}
    assert db.session.scalar(select(Expert).where(Expert.name == "吴医生")).id_number is None


CASE_BASE = {
    "受理组织": "MJ",
    "纠纷类型": "邻里纠纷",
    "受理日期": date(2024, 3, 1),
    "纠纷简要情况": "宅前排水沟堵塞，邻里争执",
    "申请人": "张三",
    "申请人性别": "男",
    "申请人证件号码": make_id_number(REGION, date(1980, 5, 2), 51, "male"),
    "被申请人": "李四",
    "承办调解员": "马集调解员",
    "调解日期": date(2024, 3, 5),
    "调解情况": "当面协商，双方同意疏通水沟",
    "调解结果": "调解成功",
    "协议日期": date(2024, 3, 5),
    "协议内容": "李四三日内疏通排水沟",
    "协议金额（元）": 1200.5,
    "回访日期": date(2024, 4, 1),
    "履行情况": "已全部履行",
    "满意度": 5,
    "结案日期": date(2024, 4, 2),
}
FAILED = {
    "调解结果": "调解不成",
    "协议日期": None,
    "协议内容": None,
    "协议金额（元）": None,
    "回访日期": None,
    "履行情况": None,
    "满意度": None,
    "调解不成原因": "双方分歧过大",
    "引导途径": "引导诉讼",
    "稳控方案": "每周走访，防止矛盾激化",
}


def case_file(path: Path, *rows: dict[str, Any]) -> Path:
    headers = [c.header for c in imports.kind_named("cases").sheets[0].columns]
    return xlsx(
        path, {"历史案件": [headers, *([{**CASE_BASE, **row}.get(h) for h in headers] for row in rows)]}
    )


def test_historical_cases_pass_the_ledger_checks_and_keep_numbering(county, tmp_path):
    """Numbers kept or issued after the highest, counters left gapless; each case passes case_checks."""
    path = case_file(
        tmp_path / "c.xlsx",
        {"案号": "（2024）MJ人调字第1号"},
        {"案号": "(2024)MJ人调字第2号", **FAILED},
        {},
        {
            "受理日期": date(2023, 6, 1),
            "调解日期": date(2023, 6, 2),
            "协议日期": date(2023, 6, 2),
            "结案日期": None,
        },
    )
    report = run(county, "entry_a", "cases", path)
    assert report.imported, report.problems
    numbers = {
        c.number: c for c in db.session.scalars(select(Case).where(Case.organization_id == county.mj.id))
    }
    assert set(numbers) == {
        "（2024）MJ人调字第1号",
        "（2024）MJ人调字第2号",
        "（2024）MJ人调字第3号",
        "（2023）MJ人调字第1号",
    }
    assert numbers["（2024）MJ人调字第2号"].status.label == "结案归档"
    assert numbers["（2023）MJ人调字第1号"].status.label == "已回访"
    today = clock.today()
    for case in numbers.values():
        assert case_checks.problems(case, today) == [], case.number
        # 办结日期 as the workflow sets it: the agreement's date, or the day mediation failed.
        held = clock.local_date(case.sessions[-1].held_at)
        concluded = case.agreement.signed_on if case.agreement else held
        assert case.concluded_on is not None and case.concluded_on == concluded, case.number
    counters = dict(
        db.session.execute(
            select(CaseCounter.year, CaseCounter.last_value).where(
                CaseCounter.organization_id == county.mj.id
            )
        ).all()
    )
    assert counters[2024] == 3 and counters[2023] == 1
    # The next registration of 2024 continues the series; a number already used or leaving a gap is refused.
    bad = case_file(
        tmp_path / "c2.xlsx",
        {"案号": "（2024）MJ人调字第3号"},
        {"案号": "（2024）MJ人调字第6号"},
        {"案号": "（2024）LL人调字第7号"},
        {"案号": "（2023）MJ人调字第2号"},
        {"申请人证件号码": "371525198005021234", "调解日期": date(2024, 2, 1), "结案日期": None},
        {"调解结果": "调解不成"},
    )
    problems = {(p.row, p.column): p.message for p in run(county, "entry_a", "cases", bad, dry=True).problems}
    assert "系统中已有案号" in problems[(2, "案号")]
    assert "第4号、第5号在系统和本文件中都没有" in problems[(3, "案号")]
    assert "不是受理组织" in problems[(4, "案号")]
    assert "年度（2023）与受理日期的年度（2024）不一致" in problems[(5, "案号")]
    assert "校验位不正确" in problems[(6, "申请人证件号码")]
    assert "调解时间不能早于受理日期" in problems[(6, "调解日期")]
    assert "不应填写此项" in problems[(7, "协议日期")] and "必填" in problems[(7, "引导途径")]


def test_scope_and_roles(county, tmp_path):
    """A township imports into its own subtree only; registers are for administrators."""
    cases = case_file(tmp_path / "c.xlsx", {"受理组织": "LL", "承办调解员": "柳林调解员"})
    problems = run(county, "entry_a", "cases", cases, dry=True).problems
    assert [(p.column, "不在本单位管辖范围内" in p.message) for p in problems] == [
        ("受理组织", True),
        ("承办调解员", False),
    ]
    roster = xlsx(
        tmp_path / "m.xlsx",
        {"调解员": [MEDIATOR_HEADERS[:5], ["外镇人", "男", person_id(70), "", "LL"]]},
    )
    assert "不在本单位管辖范围内" in run(county, "admin_a", "mediators", roster, dry=True).problems[0].message
    with pytest.raises(DomainError, match="您的角色不能导入调解员名册"):
        run(county, "entry_a", "mediators", roster, dry=True)


def test_templates_carry_headers_instructions_and_lists(county, tmp_path):
    """Each template: Chinese headers, a 填写说明 sheet with 必填, lists for enums; blank, it has no rows."""
    for kind in imports.KINDS.values():
        path = tmp_path / f"{kind.key}.xlsx"
        path.write_bytes(workbooks.template(kind, db.session, county.users["admin"]))
        book = load_workbook(path)
        for spec in kind.sheets:
            assert [c.value for c in book[spec.name][1]] == [c.header for c in spec.columns]
            assert book[spec.name].data_validations.dataValidation
        help_rows = [[c.value for c in row] for row in book["填写说明"].iter_rows(values_only=False)]
        assert any(row[2:3] == ["必填"] for row in help_rows)
        assert book["选项"].sheet_state == "hidden"
        report = run(county, "admin", kind.key, path, dry=True)
        assert [p.message for p in report.problems] == ["文件中没有数据行"]


def test_not_a_workbook_is_a_message(county, tmp_path):
    """Garbage, an old .xls, or a zip without a workbook: one Chinese message, nothing read."""
    for name, data in (
        ("a.xlsx", b"name,phone\n"),
        ("b.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
        ("c.xlsx", b"PK\x03\x04broken"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        problems = run(county, "admin", "experts", path, dry=True).problems
        assert len(problems) == 1 and ("xlsx" in problems[0].message), problems


def test_report_round_trips_through_json_and_xlsx(tmp_path):
    """The stored report reads back equal; its xlsx quotes formula-like values."""
    report = core.Report("experts", "特邀专家库", "e.xlsx", {"特邀专家": 2})
    report.problems.append(core.Problem("特邀专家", 2, "姓名", "必填，不能为空", "=HYPERLINK(1)"))
    assert core.Report.from_dict(report.to_dict()) == report
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbooks.report_workbook(report))
    rows = list(load_workbook(path)["问题清单"].iter_rows(values_only=True))
    assert rows[1] == ("特邀专家", 2, "姓名", "必填，不能为空", "'=HYPERLINK(1)")


def test_case_registered_after_an_import_gets_the_next_number(county, tmp_path):
    """The workflow's numbering goes on after imported numbers of the current year."""
    year = clock.today().year
    accepted = clock.today() - timedelta(days=3)
    path = case_file(
        tmp_path / "c.xlsx",
        {
            "受理日期": accepted,
            "调解日期": accepted,
            "协议日期": accepted,
            "回访日期": None,
            "履行情况": None,
            "满意度": None,
            "结案日期": None,
            "案号": f"（{accepted.year}）MJ人调字第1号",
        },
    )
    assert run(county, "admin", "cases", path).imported
    case = new_case(db.session, county.users["entry_a"], county.mj, today=clock.today())
    expected = 2 if accepted.year == year else 1
    assert case.number == f"（{year}）MJ人调字第{expected}号"
