"""The builder pages: add, edit, move and remove fields, preview, publish, files, escaping and access."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.lowcode import builder
from portal.models import DisputeType, FormDefinition
from portal.services import formdefs

XSS = "<script>alert(1)</script>"


@pytest.fixture
def draft(county):
    """An unpublished definition for 物业纠纷."""
    kind = db.session.scalar(select(DisputeType).where(DisputeType.code == "14"))
    return formdefs.create(db.session, "property_test", "物业纠纷", kind)


def _field(client, draft, **data):
    data.setdefault("lock_version", draft.version)
    data.setdefault("required_mode", "no")
    data.setdefault("type", "text")
    data.setdefault("section", "0")
    return client.post(f"/admin/form_definitions/field/?id={draft.id}", data=data)


def test_build_preview_and_publish_without_json(county, login_as, draft):
    """An administrator adds fields through forms, previews with a server check and publishes."""
    client = login_as("admin")
    assert (
        _field(
            client, draft, key="fee_owed", label="欠缴物业费", type="money", required_mode="yes"
        ).status_code
        == 302
    )
    db.session.refresh(draft)
    assert (
        _field(
            client,
            draft,
            key="months",
            label="欠缴月数",
            type="integer",
            min="1",
            relevant="${fee_owed} > 0",
            constraint=". <= 120",
            constraint_message="月数不超过120",
        ).status_code
        == 302
    )
    db.session.refresh(draft)
    response = _field(client, draft, key="bad", label="坏条件", relevant="${fee_owed} >")
    assert "字段未保存" in response.text and "显示条件无法解析" in response.text
    db.session.refresh(draft)
    assert [f["key"] for f in draft.draft["sections"][0]["fields"]] == ["fee_owed", "months"]
    assert draft.draft["sections"][0]["fields"][1]["min"] == 1

    page = client.get(f"/admin/form_definitions/details/?id={draft.id}").text
    assert "欠缴物业费" in page and "发布第1版…" in page
    preview = client.post(
        f"/admin/form_definitions/preview/?id={draft.id}",
        data={"answers.fee_owed": "300", "answers.months": "200"},
    ).text
    assert "月数不超过120" in preview
    assert (
        client.post(
            f"/admin/form_definitions/publish/?id={draft.id}",
            data={"lock_version": draft.version, "note": "首版"},
        ).status_code
        == 302
    )
    db.session.refresh(draft)
    assert draft.latest.number == 1 and not draft.draft_dirty


def test_move_and_remove(county, login_as, draft):
    """Fields move up and down and are removed after confirmation (a POST)."""
    body = builder.add_field(draft.draft, {"key": "a", "label": "甲", "type": "text"})
    body = builder.add_field(body, {"key": "b", "label": "乙", "type": "text"})
    formdefs.save_draft(db.session, draft, body, None)
    client = login_as("admin")
    client.post(
        f"/admin/form_definitions/op/?id={draft.id}",
        data={"op": "down", "key": "a", "lock_version": draft.version},
    )
    db.session.refresh(draft)
    assert [f["key"] for f in draft.draft["sections"][0]["fields"]] == ["b", "a"]
    client.post(
        f"/admin/form_definitions/op/?id={draft.id}",
        data={"op": "remove", "key": "b", "lock_version": draft.version},
    )
    db.session.refresh(draft)
    assert [f["key"] for f in draft.draft["sections"][0]["fields"]] == ["a"]
    stale = client.post(
        f"/admin/form_definitions/op/?id={draft.id}",
        data={"op": "up", "key": "a", "lock_version": 1},
        follow_redirects=True,
    )
    assert "已被他人修改" in stale.text


def test_labels_are_text_everywhere(county, login_as, draft):
    """A label like <script> is escaped in the builder, the form, the case page and the export."""
    body = builder.add_field(draft.draft, {"key": "x", "label": XSS, "type": "text", "help": XSS})
    formdefs.save_draft(db.session, draft, body, None)
    formdefs.publish(db.session, draft, None)
    client = login_as("admin")
    for path in (
        f"/admin/form_definitions/details/?id={draft.id}",
        f"/admin/form_definitions/preview/?id={draft.id}",
        f"/admin/cases/answers/?dispute_type={draft.dispute_type_id}",
    ):
        text = client.get(path).text
        assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
    from tests.admin.test_case_views import registration

    entry = login_as("entry_a")
    data = registration(county, dispute_type=draft.dispute_type_id, **{"answers.x": XSS})
    assert entry.post("/admin/cases/new/", data=data).status_code == 302
    case_id = db.session.scalar(select(db.func.max(db.text("id"))).select_from(db.text("dispute_case")))
    page = entry.get(f"/admin/cases/details/?id={case_id}").text
    assert XSS not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2
    # The export is a spreadsheet: the label and the answer are cell text, exactly as typed.
    view = next(v for v in entry.application.extensions["admin"][0]._views if v.endpoint == "cases")
    index = next(i for i, f in enumerate(view._filters) if f.name == "纠纷类型")
    arg = view.get_filter_arg(index, view._filters[index])
    data = login_as("admin").get(f"/admin/cases/export/xlsx/?flt0_{arg}={draft.dispute_type_id}").data
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    assert XSS in header
    assert sheet.cell(row=2, column=header.index(XSS) + 1).value == XSS


def test_upload_and_download(county, login_as, draft):
    """A definition file goes out and comes back in through the pages."""
    body = builder.add_field(draft.draft, {"key": "a", "label": "甲", "type": "text"})
    formdefs.save_draft(db.session, draft, body, None)
    client = login_as("admin")
    text = client.get(f"/admin/form_definitions/download/?id={draft.id}").data.decode()
    assert "key: property_test" in text and "label: 甲" in text
    text = text.replace("property_test", "property_copy").replace("dispute_type: '14'", "dispute_type: null")
    response = client.post(
        "/admin/form_definitions/upload/",
        data={"file": (io.BytesIO(text.encode()), "copy.yaml"), "publish": "publish"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    copy = db.session.scalar(select(FormDefinition).where(FormDefinition.key == "property_copy"))
    assert copy.latest.number == 1
    bad = client.post(
        "/admin/form_definitions/upload/",
        data={
            "file": (
                io.BytesIO(
                    b"key: k\ntitle: t\nsections: [{title: s, fields: [{key: A, label: x, type: nope}]}]"
                ),
                "b.yaml",
            ),
            "publish": "draft",
        },
        content_type="multipart/form-data",
    )
    assert "字段标识须以小写字母开头" in bad.text


@pytest.mark.parametrize("user", ["evaluator", "clerk", "entry_a"])
def test_only_admins_reach_the_builder(county, login_as, draft, user):
    """Every builder page refuses other roles."""
    client = login_as(user)
    for path in (f"field/?id={draft.id}", f"preview/?id={draft.id}", f"download/?id={draft.id}", "upload/"):
        assert client.get(f"/admin/form_definitions/{path}").status_code == 403, path
    assert (
        client.post(
            f"/admin/form_definitions/op/?id={draft.id}", data={"op": "remove", "key": "x"}
        ).status_code
        == 403
    )


#: Nine lines, each a list of ten of the one before: a billion items in a few hundred bytes.
LAUGHS = "sections:\n  - &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  - &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, "文件嵌套层次过深"),
        ("key: k\ntitle: t\nsections: " + "[" * 500 + "]" * 500, "文件嵌套层次过深"),
        ("key: k\ntitle: t\nsections: &s [*s]", "文件嵌套层次过深"),
        ("key: k\ntitle: t\n" + LAUGHS, "文件内容过多"),
    ],
)
def test_a_deep_or_exploding_definition_file_is_refused_in_chinese(county, login_as, text, message):
    """A file nested past the parser's recursion, pointing at itself, or a YAML 'billion laughs' (a few
    hundred bytes that stand for a billion items) is refused with a message before anything walks it."""
    client = login_as("admin")
    response = client.post(
        "/admin/form_definitions/upload/",
        data={"file": (io.BytesIO(text.encode()), "deep.yaml"), "publish": "draft"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and message in response.text
    assert db.session.scalar(select(FormDefinition).where(FormDefinition.key == "k")) is None
