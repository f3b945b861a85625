"""One definition and one table of expected results, checked by the server's engine and in the browser.

`tests/lowcode/test_engine_v2.py` runs every row through `expr.evaluate` / `engine.check`;
`tests/browser/test_lowcode_v2_browser.py` runs the same rows through static/lowcode/engine.js, the
expressions directly and the scenarios by typing them into the form's preview page. Both compare with
the same expected values written here, so the two engines cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TODAY = "2026-11-24"

#: (expression, values, expected). `groups` maps the repeat fields to their group (`rows`).
GROUPS = {"level": "rows", "cost": "rows", "who": "rows"}
ROWS = [
    {"who": "张三", "level": "serious", "cost": 5000},
    {"who": "李四", "level": "slight", "cost": 1200.5},
    {"who": "王五", "level": "serious", "cost": None},
    {"who": "赵六", "level": "disabled", "cost": 300},
]
EXPRESSIONS: list[tuple[str, dict[str, Any], Any]] = [
    # if(cond, a, b): only the chosen branch counts
    ("if(${n} > 3, 'big', 'small')", {"n": 5}, "big"),
    ("if(${n} > 3, 'big', 'small')", {"n": None}, "small"),
    ("if(${b}, ${n} * 2, 0)", {"b": True, "n": 4}, 8),
    ("if(${b}, ${n} / 0, -1)", {"b": False, "n": 4}, -1),
    ("if(${n} >= 100000, '重大', if(${n} >= 10000, '较大', '一般'))", {"n": 20000}, "较大"),
    ("if(empty(${s}), null, length(${s}))", {"s": ""}, None),
    # count-if / sum-if over a repeat group, the condition inside each row
    ("count-if(${rows}, ${level} = 'serious')", {"rows": ROWS}, 2),
    ("count-if(${rows}, ${level} in ('serious', 'disabled') and ${cost} > 100)", {"rows": ROWS}, 2),
    ("count-if(${level}, ${level} != 'slight')", {"rows": ROWS}, 3),
    ("count-if(${rows}, ${cost} > ${limit})", {"rows": ROWS, "limit": 1000}, 2),
    ("count_if(${rows}, true)", {"rows": ROWS}, 4),
    ("count-if(${rows}, ${level} = 'serious')", {"rows": []}, 0),
    ("count-if(${rows}, ${level} = 'serious')", {}, 0),
    ("sum-if(${cost}, ${level} = 'serious')", {"rows": ROWS}, 5000),
    ("sum-if(${cost}, ${level} != 'serious')", {"rows": ROWS}, 1500.5),
    ("sum_if(${cost}, length(${who}) = 2)", {"rows": ROWS}, 6500.5),
    ("sum-if(${cost}, ${level} = 'none')", {"rows": ROWS}, 0),
    (
        "sum(${cost}) - sum-if(${cost}, ${level} = 'slight')",
        {"rows": ROWS, "cost": [5000, 1200.5, None, 300]},
        5300,
    ),
    # in / not in on lists and on multiple choices
    ("${a} in ('x', 'y')", {"a": "y"}, True),
    ("${a} not in ('x', 'y')", {"a": "y"}, False),
    ("${a} not in ('x', 'y')", {"a": None}, True),
    ("'b' in ${m}", {"m": ["a", "b"]}, True),
    ("'c' not in ${m}", {"m": ["a", "b"]}, True),
    ("${n} in (1, 2, 3)", {"n": 2.0}, True),
    # string length (code points)
    ("length(${s})", {"s": "鲁RA12345"}, 8),
    ("length(${s})", {"s": "𠮷野家"}, 3),
    ("length(${s}) = 0", {"s": None}, True),
    # date differences in days
    ("days(${a}, ${b})", {"a": "2026-01-01", "b": "2026-03-01"}, 59),
    ("days(${a}, ${b})", {"a": "2026-03-01", "b": "2026-01-01"}, -59),
    ("days(${a}, today())", {"a": "2026-11-01T08:30"}, 23),
    ("days(${a}, ${b}) > 30", {"a": "2026-10-01", "b": None}, False),
    ("days(${a}, ${b})", {"a": "2024-02-28", "b": "2024-03-01"}, 2),
]


@dataclass(frozen=True)
class Scenario:
    """Raw answers as typed, and what the engine makes of them: stored values, hidden paths, errors."""

    name: str
    raw: dict[str, Any]
    values: dict[str, Any]
    hidden: set[str]
    errors: dict[str, str] = field(default_factory=dict)


LIABILITY = [
    {"value": "full", "label": "全部责任"},
    {"value": "main", "label": "主要责任"},
    {"value": "equal", "label": "同等责任"},
    {"value": "none", "label": "无责任"},
]
LEVELS = [
    {"value": "slight", "label": "轻微伤"},
    {"value": "serious", "label": "重伤"},
    {"value": "disabled", "label": "构成伤残"},
]

#: A traffic-accident form using every feature of version 2: a section shown by a condition, hidden
#: calculated flags that other rules read (one per row, one for the form), if/count-if/sum-if, in/not in,
#: length and days.
BODY: dict[str, Any] = {
    "choices": {"liability": LIABILITY, "levels": LEVELS},
    "sections": [
        {
            "title": "事故情况",
            "fields": [
                {
                    "key": "accident_date",
                    "label": "事故日期",
                    "type": "date",
                    "required": True,
                    "constraint": ". <= today()",
                    "constraint_message": "事故日期不能晚于今天",
                },
                {
                    "key": "report_date",
                    "label": "报案日期",
                    "type": "date",
                    "constraint": "empty(${accident_date}) or days(${accident_date}, .) >= 0",
                    "constraint_message": "报案日期不能早于事故日期",
                },
                {
                    "key": "late",
                    "label": "逾期报案",
                    "type": "boolean",
                    "calculate": "days(${accident_date}, ${report_date}) > 30",
                    "hidden": True,
                },
                {
                    "key": "late_reason",
                    "label": "逾期报案原因",
                    "type": "textarea",
                    "relevant": "${late}",
                    "required": True,
                },
                {"key": "injured", "label": "是否有人受伤", "type": "boolean", "required": True},
                {"key": "liability", "label": "对方责任", "type": "select_one", "choices": "liability"},
                {
                    "key": "insurer",
                    "label": "对方保险公司",
                    "type": "text",
                    "relevant": "${liability} not in ('none', 'full')",
                },
                {"key": "contact_phone", "label": "联系电话", "type": "phone"},
                {
                    "key": "plate",
                    "label": "对方车辆号牌",
                    "type": "text",
                    "constraint": "length(.) in (7, 8)",
                    "constraint_message": "号牌应为 7 位（新能源车 8 位）",
                },
            ],
        },
        {
            "title": "受伤人员",
            "relevant": "${injured} = true",
            "fields": [
                {
                    "key": "victims",
                    "label": "伤者",
                    "type": "repeat",
                    "required": True,
                    "max": 5,
                    "fields": [
                        {"key": "victim_name", "label": "姓名", "type": "text", "required": True},
                        {
                            "key": "level",
                            "label": "伤情",
                            "type": "select_one",
                            "choices": "levels",
                            "required": True,
                        },
                        {"key": "cost", "label": "医疗费", "type": "money"},
                        {"key": "victim_id", "label": "身份证号", "type": "id_number"},
                        {
                            "key": "is_serious",
                            "label": "重伤及以上",
                            "type": "boolean",
                            "calculate": "${level} in ('serious', 'disabled')",
                            "hidden": True,
                        },
                    ],
                },
                {
                    "key": "serious_count",
                    "label": "重伤及以上人数",
                    "type": "integer",
                    "calculate": "count-if(${victims}, ${is_serious})",
                },
                {
                    "key": "serious_cost",
                    "label": "重伤及以上医疗费",
                    "type": "money",
                    "calculate": "sum-if(${cost}, ${level} != 'slight')",
                },
            ],
        },
        {
            "title": "赔偿",
            "fields": [
                {
                    "key": "claim",
                    "label": "索赔金额",
                    "type": "money",
                    "required": True,
                    "constraint": ". >= sum(${cost})",
                    "constraint_message": "索赔金额不能少于医疗费合计",
                },
                {
                    "key": "band",
                    "label": "金额档次",
                    "type": "text",
                    "calculate": "if(${claim} >= 100000, '重大', if(${claim} >= 10000, '较大', '一般'))",
                },
                {
                    "key": "major",
                    "label": "重大纠纷",
                    "type": "boolean",
                    "calculate": "${serious_count} > 0 or ${claim} >= 100000",
                    "hidden": True,
                },
                {
                    "key": "leader_note",
                    "label": "领导包案意见",
                    "type": "textarea",
                    "relevant": "${major}",
                    "required": True,
                },
            ],
        },
    ],
}

SECTION_ONE = {"victims", "serious_count", "serious_cost"}

SCENARIOS = [
    Scenario(
        "nothing typed: the required answers are missing, the injury section stays hidden",
        raw={},
        values={"late": False, "band": "一般", "major": False},
        hidden={"late_reason", "leader_note"} | SECTION_ONE,
        errors={"accident_date": "请填写此项", "injured": "请填写此项", "claim": "请填写此项"},
    ),
    Scenario(
        "a complete answer: counts and sums over the rows, a late report, a major dispute",
        raw={
            "accident_date": "2026-10-01",
            "report_date": "2026-11-20",
            "late_reason": "伤者住院，家属未及时报案",
            "injured": "1",
            "liability": "main",
            "insurer": "中国人民财产保险股份有限公司清河支公司",
            "plate": "鲁RA12345",
            "contact_phone": "１３８ 0013 8000",
            "victims": [
                {
                    "victim_name": "张三",
                    "level": "serious",
                    "cost": "5000",
                    "victim_id": "37172919620819301x",
                },
                {"victim_name": "李四", "level": "slight", "cost": "1200.50"},
            ],
            "claim": "20000",
            "leader_note": "由镇分管领导包案，每周调度一次",
        },
        values={
            "accident_date": "2026-10-01",
            "report_date": "2026-11-20",
            "late": True,
            "late_reason": "伤者住院，家属未及时报案",
            "injured": True,
            "liability": "main",
            "insurer": "中国人民财产保险股份有限公司清河支公司",
            "plate": "鲁RA12345",
            "contact_phone": "13800138000",
            "victims": [
                {
                    "victim_name": "张三",
                    "level": "serious",
                    "cost": 5000,
                    "victim_id": "37172919620819301X",
                    "is_serious": True,
                },
                {"victim_name": "李四", "level": "slight", "cost": 1200.5, "is_serious": False},
            ],
            "serious_count": 1,
            "serious_cost": 5000,
            "claim": 20000,
            "band": "较大",
            "major": True,
            "leader_note": "由镇分管领导包案，每周调度一次",
        },
        hidden=set(),
    ),
    Scenario(
        "every rule refuses something: order of dates, length, a row's required name, the sum",
        raw={
            "accident_date": "2026-10-01",
            "report_date": "2026-09-30",
            "injured": "1",
            "liability": "none",
            "plate": "鲁A1",
            "contact_phone": "(0530)5211234转8",
            "victims": [
                {"victim_name": "", "level": "disabled", "cost": "3000", "victim_id": "37172919621319003X"}
            ],
            "claim": "1000",
        },
        values={
            "accident_date": "2026-10-01",
            "report_date": "2026-09-30",
            "late": False,
            "injured": True,
            "liability": "none",
            "plate": "鲁A1",
            "contact_phone": "0530-5211234-8",
            "victims": [{"level": "disabled", "cost": 3000, "is_serious": True}],
            "serious_count": 1,
            "serious_cost": 3000,
            "claim": 1000,
            "band": "一般",
            "major": True,
        },
        hidden={"late_reason", "insurer"},
        errors={
            "report_date": "报案日期不能早于事故日期",
            "plate": "号牌应为 7 位（新能源车 8 位）",
            "victims.0.victim_name": "请填写此项",
            "victims.0.victim_id": "身份证号中的出生日期无效",
            "claim": "索赔金额不能少于医疗费合计",
            "leader_note": "请填写此项",
        },
    ),
    Scenario(
        "no one injured: the rows typed before are hidden with their section and not stored",
        raw={
            "accident_date": "2026-10-01",
            "report_date": "2026-10-02",
            "injured": "0",
            "liability": "full",
            "insurer": "不应保存",
            "victims": [{"victim_name": "张三", "level": "serious", "cost": "5000"}],
            "claim": "150000",
        },
        values={
            "accident_date": "2026-10-01",
            "report_date": "2026-10-02",
            "late": False,
            "injured": False,
            "liability": "full",
            "claim": 150000,
            "band": "重大",
            "major": True,
        },
        hidden={"late_reason", "insurer"} | SECTION_ONE,
        errors={"leader_note": "请填写此项"},
    ),
    Scenario(
        "wrong formats: an amount in less than fen, a date ahead, a row without its required choice",
        raw={
            "accident_date": "2030-01-01",
            "injured": "1",
            "contact_phone": "12345",
            "victims": [{"victim_name": "李四", "cost": "-5", "victim_id": "371729196208193010"}],
            "claim": "12.345",
        },
        values={
            "accident_date": "2030-01-01",
            "late": False,
            "injured": True,
            "victims": [{"victim_name": "李四", "is_serious": False}],
            "serious_count": 0,
            "serious_cost": 0,
            "band": "一般",
            "major": False,
        },
        hidden={"late_reason", "leader_note"},
        errors={
            "accident_date": "事故日期不能晚于今天",
            "victims.0.level": "请填写此项",
            "victims.0.cost": "金额不能为负数",
            "victims.0.victim_id": "身份证号校验位不正确，请核对",
            "contact_phone": "请输入有效的手机号或固定电话号码",
            "claim": "金额最多两位小数（分）",
        },
    ),
]


def normalized(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values without empty row cells, numbers as floats: how both engines' results are compared."""

    def one(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        return float(value)

    result: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = [
                {k: one(v) for k, v in row.items() if v is not None and not k.startswith("_")}
                for row in value
            ]
        elif isinstance(value, list):
            value = [one(v) for v in value]
        result[key] = one(value)
    return result
