"""Choices from registers, cascading choices, attachments and pages in the form engine (no database)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.lowcode import choices, engine, query, render, schema, sources
from portal.lowcode.values import display

TODAY = "2026-12-07"
BODY = {
    "choices": {
        "category": [{"value": "traffic", "label": "交通"}, {"value": "labor", "label": "劳动"}],
        "subtype": [
            {"value": "rear", "label": "追尾", "parent": "traffic"},
            {"value": "wage", "label": "欠薪", "parent": "labor"},
            {"value": "other", "label": "其他"},
        ],
    },
    "sections": [
        {
            "title": "类别",
            "page": "基本情况",
            "fields": [
                {"key": "category", "label": "纠纷类别", "type": "select_one", "choices": "category"},
                {
                    "key": "subtype",
                    "label": "具体类型",
                    "type": "select_one",
                    "choices": "subtype",
                    "depends_on": "category",
                },
                {"key": "org", "label": "承办组织", "type": "select_one", "choices_from": "organizations"},
                {
                    "key": "mediator",
                    "label": "调解员",
                    "type": "select_one",
                    "choices_from": "mediators",
                    "depends_on": "org",
                    "required": True,
                },
            ],
        },
        {"title": "补充", "fields": [{"key": "note_text", "label": "备注", "type": "text"}]},
        {
            "title": "材料",
            "page": "证据材料",
            "fields": [
                {"key": "photos", "label": "现场照片", "type": "file", "max_files": 2, "accept": ["jpeg"]}
            ],
        },
    ],
}
REGISTERS = {
    "organizations": [{"value": "3", "label": "马集镇人民调解委员会"}, {"value": "4", "label": "柳林镇"}],
    "mediators": [
        {"value": "11", "label": "王调解（马集镇人民调解委员会）", "parent": "3"},
        {"value": "12", "label": "李调解（柳林镇）", "parent": "4"},
    ],
}
FILES = [{"value": "5", "label": "现场.jpg", "size": 2048, "type": "image/jpeg"}]


def _check(raw, keep=None, files=FILES):
    return choices.check(BODY, raw, TODAY, lambda name: REGISTERS.get(name, []), lambda key: files, keep)


def test_the_definition_lints_clean_and_splits_into_pages():
    assert schema.lint(BODY) == []
    pages = sources.pages(BODY)
    assert [(title, [s["title"] for s in parts]) for title, parts in pages] == [
        ("基本情况", ["类别", "补充"]),
        ("证据材料", ["材料"]),
    ]
    assert [t for t, _ in sources.pages({"sections": [{"title": "甲", "fields": []}]})] == [""]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choices_from": "judges"}, "数据来源“judges”无效"),
        ({"type": "select_multiple", "choices_from": "mediators"}, "只能用于单选字段"),
        ({"choices_from": "experts", "depends_on": "category"}, "没有上级"),
        ({"choices": "category", "depends_on": "nowhere"}, "上级字段“nowhere”不存在"),
        ({"choices": "category", "depends_on": "x"}, "上级字段不能是字段自身"),
        ({"type": "text", "accept": ["pdf"]}, "只有附件字段可以设置文件类型"),
        ({"type": "file", "accept": ["exe"]}, "文件类型须从"),
        ({"type": "file", "max_size": 500}, "文件大小上限"),
        ({"type": "file", "max_files": 0}, "文件个数上限"),
    ],
)
def test_lint_names_the_field_of_each_bad_key(change, message):
    field = {"key": "x", "label": "甲", "type": "select_one", **change}
    body = {
        "choices": BODY["choices"],
        "sections": [{"title": "一", "fields": [BODY["sections"][0]["fields"][0], field]}],
    }
    problems = schema.lint(body)
    assert any(p.key == "x" and message in p.message for p in problems), problems


def test_lint_refuses_files_in_repeat_groups_and_duplicate_pages():
    repeat = {
        "key": "rows",
        "label": "明细",
        "type": "repeat",
        "fields": [{"key": "scan", "label": "扫描件", "type": "file"}],
    }
    problems = schema.lint(
        {
            "sections": [
                {"title": "一", "page": "甲", "fields": [repeat]},
                {"title": "二", "page": "甲", "fields": [{"key": "t", "label": "t", "type": "text"}]},
            ]
        }
    )
    assert any(p.key == "scan" and "重复组内" in p.message for p in problems)
    assert any("分页标题“甲”重复" in p.message for p in problems)


def test_register_choice_keeps_id_and_label_and_refuses_others():
    outcome, _ = _check({"category": "traffic", "subtype": "rear", "org": "3", "mediator": "11"})
    assert outcome.ok, outcome.errors
    assert outcome.values["mediator"] == {"id": "11", "label": "王调解（马集镇人民调解委员会）"}
    # an id the user may not pick (another subtree, forged) is refused with a Chinese message
    outcome, _ = _check({"org": "3", "mediator": "99"})
    assert outcome.errors["mediator"] == "所选项不在可选范围内，请重新选择"


def test_cascade_pair_is_checked_on_the_server():
    wrong, _ = _check({"category": "labor", "subtype": "rear", "org": "3", "mediator": "12"})
    assert wrong.errors["subtype"] == "所选项不属于所选的“纠纷类别”，请重新选择"
    assert wrong.errors["mediator"] == "所选项不属于所选的“承办组织”，请重新选择"
    orphan, _ = _check({"subtype": "wage", "org": "3", "mediator": "11"})
    assert orphan.errors == {"subtype": "请先选择“纠纷类别”"}
    other, _ = _check({"subtype": "other", "org": "3", "mediator": "11"})  # no parent: goes with any
    assert other.ok, other.errors


def test_stored_answers_stay_valid_after_the_record_left_the_register():
    first, _ = _check({"org": "3", "mediator": "11", "photos": ["5"]})
    assert first.ok
    stored = first.values
    registers_now = {"organizations": REGISTERS["organizations"], "mediators": []}  # the mediator retired
    again, resolved = choices.check(
        BODY, stored, TODAY, lambda n: registers_now.get(n, []), lambda k: FILES, keep=stored
    )
    assert again.ok, again.errors
    assert again.values == stored
    assert {"value": "11", "label": "王调解（马集镇人民调解委员会）"} in schema.fields_by_key(resolved)[
        "mediator"
    ]["options"]
    # away from a request (case_checks): the stored shapes pass the plain engine unchanged
    plain = engine.check(BODY, stored, TODAY)
    assert plain.values == stored, plain.errors
    # but a bare id cannot be trusted without the register
    assert engine.check(BODY, {"org": "3"}, TODAY).errors["org"] == "请从列表中选择"


def test_files_must_be_ones_the_user_may_keep():
    outcome, _ = _check({"org": "3", "mediator": "11", "photos": ["5"]})
    assert outcome.values["photos"] == [{"id": 5, "name": "现场.jpg", "size": 2048, "type": "image/jpeg"}]
    forged, _ = _check({"org": "3", "mediator": "11", "photos": ["6"]})
    assert forged.errors["photos"] == "附件无效或已不可用，请重新上传"
    many = [{"value": str(i), "label": f"{i}.jpg"} for i in range(1, 4)]
    over, _ = _check({"org": "3", "mediator": "11", "photos": ["1", "2", "3"]}, files=many)
    assert over.errors["photos"] == "最多保留 2 个文件，请先移除多余的文件"
    assert choices.attachment_ids(outcome.values, BODY) == {"photos": [5]}


def test_display_and_typed_export_cells():
    fields = schema.fields_by_key(BODY)
    assert display(fields["mediator"], {"id": "11", "label": "王调解"}) == "王调解"
    assert display(fields["photos"], [{"id": 5, "name": "现场.jpg"}, {"id": 6, "name": "协议.pdf"}]) == (
        "现场.jpg、协议.pdf"
    )
    body = {
        "sections": [
            {
                "title": "一",
                "fields": [
                    {"key": "claim", "label": "索赔金额", "type": "money"},
                    {"key": "days", "label": "天数", "type": "integer"},
                    {"key": "on", "label": "日期", "type": "date"},
                    {"key": "at", "label": "时间", "type": "datetime"},
                    {
                        "key": "liability",
                        "label": "责任",
                        "type": "select_one",
                        "options": [{"value": "full", "label": "全部责任"}],
                    },
                ],
            }
        ]
    }
    answers = {"claim": 82000.5, "days": 3, "on": "2026-03-01", "at": "2026-03-01T09:30", "liability": "full"}
    cells = {key: render.export_cell(body, answers, key) for key in answers}
    assert cells["claim"] == Decimal("82000.50") and isinstance(cells["claim"], Decimal)
    assert cells["days"] == 3 and cells["on"] == date(2026, 3, 1)
    assert cells["at"] == datetime(2026, 3, 1, 9, 30) and cells["liability"] == "全部责任"


def test_answer_filter_takes_labels_across_forms_and_register_labels():
    other = {
        "sections": [
            {
                "title": "一",
                "fields": [
                    {
                        "key": "liability",
                        "label": "事故责任",
                        "type": "select_one",
                        "options": [
                            {"value": "all", "label": "全部责任"},
                            {"value": "part", "label": "部分责任"},
                        ],
                    }
                ],
            }
        ]
    }
    first = {
        "sections": [
            {
                "title": "一",
                "fields": [
                    {
                        "key": "liability",
                        "label": "事故责任",
                        "type": "select_one",
                        "options": [{"value": "full", "label": "全部责任"}],
                    },
                    {"key": "mediator", "label": "调解员", "type": "select_one", "choices_from": "mediators"},
                ],
            }
        ]
    }
    catalogue = query.Catalogue([first, other])
    [by_label] = query.parse("事故责任 = 全部责任", catalogue)
    assert (by_label.operator, by_label.value) == ("in", ("full", "all"))
    [negated] = query.parse("事故责任 != 全部责任", catalogue)
    assert (negated.operator, negated.value) == ("not in", ("full", "all"))
    [listed] = query.parse("事故责任 in (全部责任, 部分责任)", catalogue)
    assert listed.value == ("full", "all", "part")
    [person] = query.parse("调解员 = 王调解", catalogue)
    assert (person.family, person.operator, person.value) == ("ref", "=", "王调解")
    with pytest.raises(query.ConditionError, match="数据选项"):
        query.parse("调解员 > 3", catalogue)


def test_demo_answers_of_the_shipped_neighbour_form_keep_their_cascades():
    """forms/neighbour_dispute.yaml: each demo draw picks a city of its province, a detail of its category."""
    import random
    from pathlib import Path

    from portal.services import formdefs
    from portal.services.demo.answers import fake_answers

    path = Path(__file__).resolve().parents[2] / "forms" / "neighbour_dispute.yaml"
    data = formdefs.parse_file(path.read_text(encoding="utf-8"))
    body = {k: data[k] for k in ("description", "choices", "sections")}
    assert schema.lint(body) == [] and len(sources.pages(body)) == 2
    rng = random.Random(7)
    for _ in range(30):
        answers = fake_answers(body, rng, date(2026, 11, 24))
        assert choices.pair_errors(body, answers, set()) == {}
        assert "city" in answers and "detail" in answers
