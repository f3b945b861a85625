"""The ledger's 附加信息条件 filter on stored answers of every field type, by label or key (SQLite and PG).

The yes/no case is the reported defect: `injured = true` built `<`/`>` comparisons on booleans and gave
a 500; a comparison a type does not take is now a Chinese message above the unfiltered list.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import DisputeType
from portal.services import formdefs
from portal.services.deadlines import local_today
from tests.factories import new_case
from tests.lowcode.test_answer_query import BODY

TRAFFIC = "13"
ANSWERS = {
    "a": {
        "plate": "鲁P12345",
        "injured": True,
        "injured_count": 3,
        "claim": 12000.5,
        "occurred": "2026-01-10",
        "reported_at": "2026-01-10T09:30",
        "liability": "main",
        "issues": ["medical", "car"],
        "driver_phone": "13900001111",
        "witnesses": [{"witness_name": "张三"}],
    },
    "b": {
        "plate": "鲁A00001",
        "injured": False,
        "claim": 800,
        "occurred": "2026-02-01",
        "reported_at": "2026-02-01T23:59",
        "liability": "equal",
        "issues": ["medical"],
        "witnesses": [],
    },
}


@pytest.fixture
def ledger(county):
    """Two traffic cases with answers (a, b) and one case of another type without any (c)."""
    traffic = db.session.scalar(select(DisputeType).where(DisputeType.code == TRAFFIC))
    definition = formdefs.create(db.session, "filter_test", "道路交通事故", traffic)
    formdefs.save_draft(db.session, definition, BODY, None)
    version = formdefs.publish(db.session, definition, county.users["admin"], "首版")
    numbers = {}
    for name, answers in ANSWERS.items():
        case = new_case(db.session, county.users["admin"], county.mj, today=local_today(), type_code=TRAFFIC)
        formdefs.attach_answers(case, version, answers)
        numbers[name] = case.number
    numbers["c"] = new_case(db.session, county.users["admin"], county.ll, today=local_today()).number
    db.session.commit()
    return numbers


def _filter_arg(client) -> str:
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "cases")
    index = next(i for i, f in enumerate(view._filters) if f.name == "附加信息条件")
    return f"flt0_{view.get_filter_arg(index, view._filters[index])}"


@pytest.fixture
def listed(login_as, ledger):
    """Return the cases (a, b, c) the ledger lists under a condition, and the page."""
    client = login_as("admin")
    arg = _filter_arg(client)

    def _listed(condition: str) -> tuple[set[str], str]:
        response = client.get("/admin/cases/", query_string={arg: condition})
        assert response.status_code == 200
        return {name for name, number in ledger.items() if number in response.text}, response.text

    return _listed


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("injured = true", {"a"}),  # the reported 500
        ("是否有人受伤 = 是", {"a"}),
        ("是否有人受伤 = 否", {"b"}),
        ("${injured} != true", {"b"}),
        ("受伤人数 >= 3", {"a"}),
        ("受伤人数 < 3", set()),
        ("受伤人数 为空", {"b", "c"}),
        ("索赔金额 > 1,000", {"a"}),
        ("claim <= 800", {"b"}),
        ("事故日期 < 2026-01-15", {"a"}),
        ("事故日期 >= 2026/2/1", {"b"}),
        ("报警时间 = 2026-01-10", {"a"}),
        ("报警时间 <= 2026-02-01", {"a", "b"}),
        ("报警时间 < 2026-02-01", {"a"}),
        ("报警时间 > '2026-02-01 12:00'", {"b"}),
        ("责任认定 = 主要责任", {"a"}),
        ("liability = 'equal'", {"b"}),
        ("liability in (main, 同等责任)", {"a", "b"}),
        ("责任认定 != 主要责任", {"b"}),
        ("争议事项 = 车辆损失", {"a"}),
        ("issues = medical", {"a", "b"}),
        ("issues != car", {"b"}),
        ("车牌号 包含 鲁P", {"a"}),
        ("plate = '鲁A00001'", {"b"}),
        ("驾驶人电话 已填写", {"a"}),
        ("证人 已填写", {"a"}),
        ("证人 为空", {"b", "c"}),
        ("受伤人数 >= 3 and 是否有人受伤 = 是", {"a"}),
        ("受伤人数 >= 3 并且 索赔金额 < 100", set()),
    ],
)
def test_each_field_type_filters_by_its_operators(listed, condition, expected):
    found, page = listed(condition)
    assert "附加信息条件无效" not in page
    assert found == expected


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("injured > true", "“是否有人受伤”是“是/否”字段，只能用 =、!=、已填写、为空 筛选"),
        ("受伤人数 >= abc", "“受伤人数”是数字，请与数字比较"),
        ("liability > main", "“责任认定”是“单选”字段，只能用"),
        ("责任认定 = 全部责任", "“责任认定”没有选项“全部责任”"),
        ("驾驶人电话 >= '139'", "只能按“已填写/未填写”筛选"),
        ("姓名 = 张三", "是重复组“证人”里的字段"),
        ("nosuch = 1", "附加信息中没有字段“nosuch”"),
    ],
)
def test_a_condition_that_cannot_apply_is_a_message_not_a_crash_nor_an_empty_list(listed, condition, message):
    found, page = listed(condition)
    assert "附加信息条件无效：" in page and message in page
    assert found == {"a", "b", "c"}  # the filter is not applied: nothing is silently hidden
