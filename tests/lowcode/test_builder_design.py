"""The builder for a non-programmer: conditions from menus, generated keys, drag and drop, undo, choice
lists, a second language, the publish confirmation with its diff, and the 表单设计 menu entry."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.lowcode import builder, engine, expr, schema
from portal.models import AuditEvent, DisputeType, FormDefinition
from portal.services import DomainError, formdefs

Rule = builder.Rule

BODY = {
    "choices": {"责任划分": [{"value": "full", "label": "全部责任"}, {"value": "main", "label": "主要责任"}]},
    "sections": [
        {
            "title": "基本情况",
            "fields": [
                {"key": "injured", "label": "是否有人受伤", "type": "boolean"},
                {"key": "count", "label": "受伤人数", "type": "integer"},
                {"key": "happened", "label": "事发日期", "type": "date"},
                {"key": "liability", "label": "责任", "type": "select_one", "choices": "责任划分"},
                {
                    "key": "losses",
                    "label": "损失",
                    "type": "select_multiple",
                    "options": [{"value": "car", "label": "车辆"}, {"value": "o'k", "label": "其他"}],
                },
                {"key": "note_text", "label": "备注", "type": "text"},
            ],
        }
    ],
}


@pytest.fixture
def draft(county):
    """An unpublished definition for 物业纠纷 holding BODY."""
    kind = db.session.scalar(select(DisputeType).where(DisputeType.code == "14"))
    definition = formdefs.create(db.session, "design_test", "物业纠纷", kind)
    formdefs.save_draft(db.session, definition, BODY, None)
    return definition


# --- conditions without typing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text", "holds", "fails"),
    [
        (Rule("injured", "eq", ["true"]), "${injured} = true", {"injured": True}, {"injured": False}),
        (Rule("count", "gt", ["2"]), "${count} > 2", {"count": 3}, {"count": 2}),
        (Rule("count", "le", ["2.50"]), "${count} <= 2.5", {"count": 2}, {"count": 3}),
        (
            Rule("happened", "lt", ["2026-01-01"]),
            "${happened} < '2026-01-01'",
            {"happened": "2025-12-31"},
            {"happened": "2026-01-01"},
        ),
        (
            Rule("liability", "ne", ["full"]),
            "${liability} != 'full'",
            {"liability": "main"},
            {"liability": "full"},
        ),
        (
            Rule("liability", "in", ["full", "main"]),
            "${liability} in ('full', 'main')",
            {"liability": "main"},
            {"liability": None},
        ),
        (
            Rule("losses", "contains", ["o'k"]),
            "selected(${losses}, 'o\\'k')",
            {"losses": ["o'k"]},
            {"losses": ["car"]},
        ),
        (
            Rule("losses", "not_contains", ["car"]),
            "not selected(${losses}, 'car')",
            {"losses": []},
            {"losses": ["car"]},
        ),
        (
            Rule("note_text", "not_in", ["甲、乙"]),
            "${note_text} not in ('甲', '乙')",
            {"note_text": "丙"},
            {"note_text": "乙"},
        ),
        (Rule("note_text", "empty", []), "empty(${note_text})", {"note_text": ""}, {"note_text": "有"}),
        (Rule("note_text", "filled", []), "not empty(${note_text})", {"note_text": "有"}, {}),
    ],
)
def test_rules_become_the_engines_expressions(rule, text, holds, fails):
    """Each operator writes the engine's syntax, which holds and fails as meant and reads back as rows."""
    written = builder.condition_text(BODY, [rule])
    assert written == text
    tree = expr.parse(written)
    assert expr.evaluate(tree, expr.Context(holds)) is True
    assert expr.evaluate(tree, expr.Context(fails)) is False
    join, back = builder.condition_rules(BODY, written)  # the rows read back write the same text
    assert join == "and" and [(r.field, r.op) for r in back] == [(rule.field, rule.op)]
    assert builder.condition_text(BODY, back, join) == written


def test_rules_are_joined_and_described_in_chinese():
    """Rows joined by 或者 give one expression; the builder shows it in words, with option labels."""
    rules = [Rule("injured", "eq", ["true"]), Rule("liability", "in", ["full", "main"])]
    text = builder.condition_text(BODY, rules, "or")
    assert text == "${injured} = true or ${liability} in ('full', 'main')"
    assert builder.describe(BODY, text) == "“是否有人受伤”等于“是” 或者 “责任”是“全部责任”或“主要责任”之一"
    assert builder.condition_rules(BODY, "${count} + 1 > 2") is None  # beyond the rows: the advanced editor
    assert builder.describe(BODY, "(${count} > 1 and ${injured}) or ${count} > 5") is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("liability", "eq", ["none"]), "“none”不是该字段的选项"),
        (Rule("count", "eq", ["三"]), "不是有效的数字"),
        (Rule("happened", "eq", ["2026-02-30"]), "日期须写成 YYYY-MM-DD"),
        (Rule("losses", "eq", ["car"]), "多选字段不能使用该比较方式"),
        (Rule("injured", "gt", ["true"]), "是/否字段不能使用该比较方式"),
        (Rule("count", "eq", [""]), "请选择或填写比较的值"),
        (Rule("missing", "eq", ["1"]), "不存在或不能作为条件"),
    ],
)
def test_rules_that_do_not_fit_their_field_are_refused(rule, message):
    """A value that is not an option, a number, a date, or an operator the type lacks: a Chinese message."""
    with pytest.raises(builder.BuildError, match=message):
        builder.condition_text(BODY, [rule])


def test_operators_suit_the_type():
    """Choice fields compare with their options, dates read 早于/晚于, yes/no fields only 等于."""
    assert [c for c, _ in builder.operators_for("boolean")] == ["eq", "empty", "filled"]
    assert dict(builder.operators_for("date"))["lt"] == "早于"
    assert "contains" in dict(builder.operators_for("select_multiple"))
    assert "in" in dict(builder.operators_for("select_one")) and "gt" not in dict(
        builder.operators_for("text")
    )
    assert builder.operators_for("repeat") == []


# --- keys, moves, choice lists, second language -----------------------------------------------------


def test_keys_are_generated_from_labels():
    """ASCII words become the key; Chinese labels get field_N; used and earlier keys are never reused."""
    assert builder.generate_key(BODY, "Insurance company") == "insurance_company"
    assert builder.generate_key(BODY, "保险公司") == "field_1"
    assert builder.generate_key(BODY, "保险公司", taken={"field_1"}) == "field_2"
    assert builder.generate_key(BODY, "count") == "count_1"
    assert expr.KEY_RE.match(builder.generate_key(BODY, "9 lives " * 10))


def test_drag_and_drop_moves():
    """A field moves before another, to a section's end, and a repeat's child stays in its group."""
    body = builder.add_section(BODY, "其他")
    body = builder.move_field_to(body, "note_text", 0, "injured")
    assert [f["key"] for f in body["sections"][0]["fields"]][:2] == ["note_text", "injured"]
    body = builder.move_field_to(body, "count", 1)
    assert [f["key"] for f in body["sections"][1]["fields"]] == ["count"]
    body = builder.add_field(body, {"key": "people", "label": "人员", "type": "repeat", "fields": []}, 1)
    body = builder.add_field(body, {"key": "name", "label": "姓名", "type": "text"}, group="people")
    body = builder.add_field(body, {"key": "age", "label": "年龄", "type": "integer"}, group="people")
    body = builder.move_field_to(body, "age", 1, "name")
    assert [f["key"] for f in builder.find(body, "people")["fields"]] == ["age", "name"]
    with pytest.raises(builder.BuildError, match="只能在本组内移动"):
        builder.move_field_to(body, "age", 0, "injured")
    with pytest.raises(builder.BuildError, match="只能在本组内移动"):
        builder.move_field_to(body, "injured", 0, "age")


def test_choice_lists_are_kept_renamed_and_protected():
    """A named list is added, renamed with its fields following, and cannot be removed while used."""
    body = builder.set_choice_list(BODY, "损失类型", builder.options_from_text("车辆|Vehicle\nhouse=房屋"))
    assert body["choices"]["损失类型"] == [
        {"value": "车辆", "label": "车辆", "label2": "Vehicle"},
        {"value": "house", "label": "房屋"},
    ]
    assert builder.options_to_text(body["choices"]["损失类型"]) == "车辆|Vehicle\nhouse=房屋"
    body = builder.set_choice_list(body, "责任", BODY["choices"]["责任划分"], old="责任划分")
    assert builder.find(body, "liability")["choices"] == "责任" and "责任划分" not in body["choices"]
    with pytest.raises(builder.BuildError, match="正被字段“责任”使用"):
        builder.remove_choice_list(body, "责任")
    with pytest.raises(builder.BuildError, match="已存在"):
        builder.set_choice_list(body, "责任", [{"value": "a", "label": "a"}])
    with pytest.raises(builder.BuildError, match="选项值重复"):
        builder.set_choice_list(body, "新", [{"value": "a", "label": "a"}, {"value": "a", "label": "b"}])
    assert "损失类型" not in builder.remove_choice_list(body, "损失类型")["choices"]
    assert schema.lint(body) == []


def test_second_language_labels_are_linted_and_rendered(app):
    """label2 on fields and options is checked, and the renderer shows it after the Chinese label."""
    body = builder.set_language2(BODY, "English")
    body = builder.update_field(
        body, "injured", {"label": "是否有人受伤", "label2": "Anyone injured?", "type": "boolean"}
    )
    body["choices"]["责任划分"][0]["label2"] = "Full liability"
    assert schema.lint(body) == [] and body["language2"] == "English"
    with app.test_request_context():
        from portal.lowcode import render

        html = str(render.section(body, engine.defaults(body), {}, "2026-12-07"))
    assert '<span class="lowcode-label2">Anyone injured?</span>' in html
    assert "全部责任 / Full liability" in html
    bad = builder.update_field(body, "count", {"label": "受伤人数", "label2": "x" * 101, "type": "integer"})
    assert any("第二语言标签" in p.message for p in schema.lint(bad))
    assert "language2" not in builder.set_language2(body, " ")


# --- undo and publishing ----------------------------------------------------------------------------


def test_undo_steps_back_until_publish(county, draft):
    """Each named edit can be undone, at most the last 20; a stale page is refused; publishing clears them."""
    body = draft.draft
    for number in range(22):
        body = builder.add_field(body, {"key": f"x{number}", "label": f"字段{number}", "type": "text"})
        formdefs.save_draft(db.session, draft, body, draft.version, step=f"已添加字段“字段{number}”")
    assert len(draft.undo_stack) == formdefs.UNDO_STEPS == 20
    assert formdefs.undo_label(draft) == "已添加字段“字段21”"
    with pytest.raises(DomainError, match="已被他人修改"):
        formdefs.undo(db.session, draft, draft.version - 1)
    audited = select(AuditEvent).where(
        AuditEvent.entity == "form_definition", AuditEvent.entity_id == str(draft.id)
    )
    before = len(db.session.scalars(audited).all())
    assert formdefs.undo(db.session, draft, draft.version) == "已添加字段“字段21”"
    [*_, last] = db.session.scalars(audited.order_by(AuditEvent.id)).all()
    assert len(db.session.scalars(audited).all()) == before + 1  # the undo is a change like any other
    assert "draft" in last.changes and "undo_stack" not in last.changes
    assert "x21" not in schema.fields_by_key(draft.draft) and "x20" in schema.fields_by_key(draft.draft)
    formdefs.publish(db.session, draft, None)
    assert draft.undo_stack is None and formdefs.undo_label(draft) is None
    with pytest.raises(DomainError, match="没有可以撤销的修改"):
        formdefs.undo(db.session, draft, draft.version)


def test_changes_name_choice_lists_and_language(county, draft):
    """The publish diff says which options a list gained or lost and the second language."""
    formdefs.publish(db.session, draft, None)
    body = builder.set_choice_list(
        draft.draft,
        "责任划分",
        [{"value": "full", "label": "全部责任"}, {"value": "none", "label": "无责任"}],
        old="责任划分",
    )
    body = builder.set_language2(
        builder.set_choice_list(body, "损失", [{"value": "a", "label": "甲"}]), "藏文"
    )
    formdefs.save_draft(db.session, draft, body, None)
    changes = formdefs.draft_changes(draft)
    assert "选项列表“责任划分”：新增“无责任”，删除“主要责任”" in changes
    assert "新增选项列表“损失”（1 个选项）" in changes
    assert "第二语言由“无”改为“藏文”" in changes


# --- the pages --------------------------------------------------------------------------------------


def _post_field(client, draft, **data):
    data.setdefault("lock_version", draft.version)
    data.setdefault("required_mode", "no")
    data.setdefault("relevant_mode", "always")
    data.setdefault("section", "0")
    return client.post(f"/admin/form_definitions/field/?id={draft.id}", data=data)


def test_a_condition_from_menus_is_saved_as_an_expression(county, login_as, draft):
    """The posted rows become the field's expression; a key is generated; bad rows keep the page."""
    client = login_as("admin")
    response = _post_field(
        client,
        draft,
        label="赔偿金额",
        label2="Compensation",
        type="money",
        required_mode="yes",
        relevant_mode="rules",
        relevant_join="and",
        **{
            "rule-0-field": "injured",
            "rule-0-op": "eq",
            "rule-0-value": "true",
            "rule-1-field": "liability",
            "rule-1-op": "in",
        },
        **{"rule-1-value": ["full", "main"]},
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    field = builder.find(draft.draft, "field_1")
    assert field["relevant"] == "${injured} = true and ${liability} in ('full', 'main')"
    assert field["label2"] == "Compensation" and field["required"] is True
    assert formdefs.undo_label(draft) == "保存字段“赔偿金额”"
    page = client.get(f"/admin/form_definitions/details/?id={draft.id}").text
    assert "显示条件：“是否有人受伤”等于“是” 并且 “责任”是“全部责任”或“主要责任”之一" in page
    edit = client.get(f"/admin/form_definitions/field/?id={draft.id}&key=field_1").text
    assert '"op": "in"' in edit and 'value="rules" checked' in edit

    refused = _post_field(
        client,
        draft,
        label="其他",
        type="text",
        relevant_mode="rules",
        **{"rule-0-field": "liability", "rule-0-op": "eq", "rule-0-value": "nobody"},
    )
    assert refused.status_code == 200 and "“nobody”不是该字段的选项" in refused.text
    db.session.refresh(draft)
    assert "field_2" not in schema.fields_by_key(draft.draft)


def test_drag_undo_choices_language_and_publish_pages(county, login_as, draft):
    """move_to, undo, a choice list, the second language, and publishing after the diff page."""
    client = login_as("admin")
    op = f"/admin/form_definitions/op/?id={draft.id}"
    client.post(
        op,
        data={
            "op": "move_to",
            "key": "note_text",
            "section": "0",
            "before": "injured",
            "lock_version": draft.version,
        },
    )
    db.session.refresh(draft)
    assert schema.sections(draft.draft)[0]["fields"][0]["key"] == "note_text"
    page = client.get(f"/admin/form_definitions/details/?id={draft.id}").text
    assert "撤销" in page and "已移动字段 note_text" in page and "builder-phone" in page
    client.post(op, data={"op": "undo", "lock_version": draft.version})
    db.session.refresh(draft)
    assert schema.sections(draft.draft)[0]["fields"][0]["key"] == "injured"

    response = client.post(
        f"/admin/form_definitions/choices/?id={draft.id}",
        data={"lock_version": draft.version, "name": "调解方式", "options": "现场调解|On site\n电话调解"},
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.draft["choices"]["调解方式"][0] == {
        "value": "现场调解",
        "label": "现场调解",
        "label2": "On site",
    }
    client.post(
        f"/admin/form_definitions/language/?id={draft.id}",
        data={"lock_version": draft.version, "language2": "English"},
    )
    db.session.refresh(draft)
    assert draft.draft["language2"] == "English"
    stale = client.post(op, data={"op": "undo", "lock_version": draft.version - 1}, follow_redirects=True)
    assert "已被他人修改" in stale.text

    confirm = client.get(f"/admin/form_definitions/publish/?id={draft.id}").text
    assert "首次发布：表单共 6 个字段" in confirm and "确认发布" in confirm
    client.post(
        f"/admin/form_definitions/publish/?id={draft.id}",
        data={"lock_version": draft.version, "note": "首版"},
    )
    db.session.refresh(draft)
    assert draft.latest.number == 1 and draft.undo_stack is None
    body = builder.remove_field(draft.draft, "note_text")
    formdefs.save_draft(db.session, draft, body, None, step="删除")
    confirm = client.get(f"/admin/form_definitions/publish/?id={draft.id}").text
    assert "与现行第1版相比" in confirm and "删除字段“备注”（note_text）" in confirm


def test_publishing_a_bad_draft_is_refused_in_chinese(county, login_as, draft):
    """The confirmation page lists the problems and the POST refuses, naming the field."""
    body = builder.add_field(draft.draft, {"key": "bad", "label": "坏", "type": "select_one"})
    formdefs.save_draft(db.session, draft, body, None)
    client = login_as("admin")
    page = client.get(f"/admin/form_definitions/publish/?id={draft.id}").text
    assert "不能发布" in page and "单选、多选字段必须设置选项" in page and "确认发布" not in page
    refused = client.post(
        f"/admin/form_definitions/publish/?id={draft.id}",
        data={"lock_version": draft.version},
        follow_redirects=True,
    )
    assert "表单有以下问题，未发布：" in refused.text and "bad" in refused.text
    assert refused.text.count("单选、多选字段必须设置选项") == 2  # the refusal and the builder's list
    db.session.refresh(draft)
    assert draft.latest is None


def test_the_design_menu_lists_types_and_starts_forms(county, login_as, draft):
    """表单设计 lists every dispute type with its form; a type without one gets one; townships are refused."""
    client = login_as("admin")
    page = client.get("/admin/form_design/").text
    assert "表单设计" in page and "物业纠纷" in page and "设计表单" in page and "尚未发布" in page
    free = db.session.scalar(
        select(DisputeType)
        .where(
            DisputeType.parent_id.is_(None),
            DisputeType.id.not_in(
                select(FormDefinition.dispute_type_id).where(FormDefinition.dispute_type_id.is_not(None))
            ),
        )
        .limit(1)
    )
    response = client.post("/admin/form_design/create/", data={"type": free.id})
    created = db.session.scalar(select(FormDefinition).where(FormDefinition.dispute_type_id == free.id))
    assert response.status_code == 302 and response.location.endswith(
        f"/admin/form_definitions/details/?id={created.id}"
    )
    assert created.title == free.name and expr.KEY_RE.match(created.key)
    again = client.post("/admin/form_design/create/", data={"type": free.id}, follow_redirects=True)
    assert "已有表单" in again.text
    assert client.post("/admin/form_design/create/", data={"type": "abc"}).status_code == 404


@pytest.mark.parametrize("user", ["admin_a", "evaluator", "entry_a"])
def test_the_design_menu_is_closed_to_others(county, login_as, user):
    """A township's administrator and the other roles get the Chinese 403 (the catalogue is the county's)."""
    client = login_as(user)
    kind = db.session.scalar(select(DisputeType).where(DisputeType.code == "14"))
    assert client.get("/admin/form_design/").status_code == 403
    assert client.post("/admin/form_design/create/", data={"type": kind.id}).status_code == 403
    assert db.session.scalar(select(FormDefinition).where(FormDefinition.dispute_type_id == kind.id)) is None


def test_the_demo_leaves_a_draft_half_built(county):
    """The demo's 民间借贷纠纷 has unpublished builder steps: a choice list and two conditional fields."""
    from pathlib import Path

    from portal.services.demo.form_draft import draft_in_progress

    forms = Path(__file__).resolve().parents[2] / "forms" / "private_lending.yaml"
    [(definition, version)] = formdefs.load_path(db.session, forms, None)
    assert draft_in_progress(db.session) and not draft_in_progress(db.session)
    assert definition.draft_dirty and schema.lint(definition.draft) == []
    assert len(definition.undo_stack) == 4 and formdefs.undo_label(definition) == "保存字段“还款方式”"
    changes = formdefs.draft_changes(definition)
    assert "新增字段“已还款金额”（repaid_amount，金额（元））" in changes
    assert "新增选项列表“还款方式”（4 个选项）" in changes
    assert builder.describe(definition.draft, builder.find(definition.draft, "repay_method")["relevant"]) == (
        "“是否已部分还款”等于“是”"
    )


def test_a_section_is_shown_by_a_condition_from_menus(county, login_as, draft):
    """A section's condition is picked from rows over the other sections' fields, and read back in words."""
    body = builder.add_section(draft.draft, "受伤情况")
    body = builder.add_field(body, {"key": "hospital", "label": "就诊医院", "type": "text"}, 1)
    formdefs.save_draft(db.session, draft, body, None)
    client = login_as("admin")
    page = client.get(f"/admin/form_definitions/section/?id={draft.id}&section=1").text
    assert '"key": "injured"' in page and '"key": "hospital"' not in page  # its own fields are not offered
    response = client.post(
        f"/admin/form_definitions/section/?id={draft.id}&section=1",
        data={
            "lock_version": draft.version,
            "relevant_mode": "rules",
            "rule-0-field": "injured",
            "rule-0-op": "eq",
            "rule-0-value": "true",
        },
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    assert schema.sections(draft.draft)[1]["relevant"] == "${injured} = true"
    assert (
        "显示条件：“是否有人受伤”等于“是”"
        in client.get(f"/admin/form_definitions/details/?id={draft.id}").text
    )
    assert formdefs.undo_label(draft) == "保存分组“受伤情况”的显示条件"
    client.post(
        f"/admin/form_definitions/section/?id={draft.id}&section=1",
        data={"lock_version": draft.version, "relevant_mode": "always"},
    )
    db.session.refresh(draft)
    assert "relevant" not in schema.sections(draft.draft)[1]
    assert client.get(f"/admin/form_definitions/section/?id={draft.id}&section=9").status_code == 404
    assert client.get(f"/admin/form_definitions/section/?id={draft.id}&section=x").status_code == 404
