"""Attachments and register choices on the case form: upload, scope, download, audit, garbage uploads."""

from __future__ import annotations

import hashlib
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.admin.ledger.columns import DisputeTypeFilter
from portal.extensions import db
from portal.models import Attachment, AttachmentStatus, AuditAction, AuditEvent, Case, DisputeType
from portal.models.attachment import AttachmentDeleteError
from portal.models.people import Mediator
from portal.services import attachments, formdefs
from tests.admin.test_case_views import registration

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200
PDF = b"%PDF-1.7\n" + b"0" * 300
BODY = {
    "sections": [
        {
            "title": "调解材料",
            "fields": [
                {
                    "key": "mediator_pick",
                    "label": "主持调解员",
                    "type": "select_one",
                    "choices_from": "mediators",
                },
                {"key": "repair_fee", "label": "维修费用", "type": "money"},
                {
                    "key": "scan",
                    "label": "协议扫描件",
                    "type": "file",
                    "accept": ["pdf", "jpeg"],
                    "max_size": 0.1,
                    "max_files": 2,
                },
            ],
        }
    ]
}


@pytest.fixture
def form(county, app, tmp_path):
    """A published form with a register choice and a file field for 邻里纠纷 (02); uploads under tmp_path."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    kind = db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))
    definition = formdefs.create(db.session, "neighbour_files", "邻里纠纷材料", kind)
    formdefs.save_draft(db.session, definition, BODY, None)
    formdefs.publish(db.session, definition, county.users["admin"], "首版")
    return definition


def _mediator(name: str) -> Mediator:
    return db.session.scalar(select(Mediator).where(Mediator.name == name))


def _register(client, county, **answers):
    data = registration(county, **answers)
    return client.post("/admin/cases/new/", data=data, content_type="multipart/form-data")


def _latest() -> Case:
    return db.session.scalar(select(Case).order_by(Case.id.desc()))


def test_upload_register_choice_download_in_scope_and_audit(county, login_as, form, app, client, auth):
    own = _mediator("马集调解员")
    client = login_as("entry_a")
    response = _register(
        client,
        county,
        **{"answers.mediator_pick": str(own.id), "answers.scan": (io.BytesIO(PDF), "调解协议书.pdf")},
    )
    assert response.status_code == 302, response.text
    case = _latest()
    assert case.answers["mediator_pick"] == {"id": str(own.id), "label": "马集调解员（马集镇人民调解委员会）"}
    [kept] = case.answers["scan"]
    attachment = db.session.get(Attachment, kept["id"])
    assert (attachment.case_id, attachment.status, attachment.name) == (
        case.id,
        AttachmentStatus.ACTIVE,
        "调解协议书.pdf",
    )
    stored = attachments.path_for(app.config["UPLOAD_FOLDER"], hashlib.sha256(PDF).hexdigest())
    assert stored.read_bytes() == PDF and attachment.sha256 == stored.name
    created = db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "attachment", AuditEvent.action == AuditAction.CREATE)
    )
    assert created is not None and created.entity_id == str(attachment.id)
    # the case page shows the file, and its own township downloads it (audited)
    assert "调解协议书.pdf" in client.get(f"/admin/cases/details/?id={case.id}").text
    url = f"/admin/cases/attachment/?id={attachment.id}"
    download = client.get(url)
    body = download.get_data()
    download.close()
    assert download.status_code == 200 and body == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    logged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "attachment", AuditEvent.action == AuditAction.EXPORT)
    ).all()
    assert [e.summary for e in logged] == [f"下载附件：调解协议书.pdf（{case.number}）"]
    # another township: 404 as for a missing file, and nothing audited
    auth.logout()
    other = login_as("entry_b")
    assert other.get(url).status_code == 404
    assert other.get("/admin/cases/attachment/?id=999999").status_code == 404
    auth.logout()
    county_copy = login_as("admin").get(url)
    county_copy.close()
    assert county_copy.status_code == 200  # the county reaches every township


def test_forged_register_choice_from_another_subtree_is_refused(county, login_as, form):
    client = login_as("entry_a")
    foreign = _mediator("柳林调解员")
    response = _register(client, county, **{"answers.mediator_pick": str(foreign.id)})
    assert response.status_code == 200
    assert "所选项不在可选范围内，请重新选择" in response.text
    assert "柳林调解员" not in response.text  # the select lists only the user's subtree


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not an image", "照片.jpg", "内容不是允许的类型"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 50, "照片.png", "内容不是允许的类型"),  # png not accepted here
        (JPEG, "照片.pdf", "扩展名与内容不符"),
        (b"%PDF-" + b"0" * 110 * 1024, "大文件.pdf", "过大"),
        (b"", "空.pdf", "空文件"),
        (PDF, "../../etc/passwd.pdf", "不能包含路径"),
        (PDF, "..\\..\\boot.pdf", "不能包含路径"),
    ],
)
def test_garbage_uploads_get_chinese_errors(county, login_as, form, app, content, name, message):
    client = login_as("entry_a")
    before = db.session.scalar(select(Case.id).order_by(Case.id.desc()))
    response = _register(client, county, **{"answers.scan": (io.BytesIO(content), name)})
    assert response.status_code == 200
    assert message in response.text
    assert db.session.scalar(select(Case.id).order_by(Case.id.desc())) == before
    assert db.session.scalar(select(Attachment.id)) is None


def test_a_refused_form_keeps_its_upload_and_only_its_uploader_may_use_it(county, login_as, form, auth):
    client = login_as("entry_a")
    response = _register(
        client,
        county,
        summary="",  # the form is refused for another reason
        **{"answers.scan": (io.BytesIO(JPEG), "现场.jpg")},
    )
    assert response.status_code == 200
    pending = db.session.scalar(select(Attachment))
    assert pending.status == AttachmentStatus.PENDING and pending.case_id is None
    assert f'name="answers.scan" value="{pending.id}" checked' in response.text
    own = client.get(f"/admin/cases/attachment/?id={pending.id}")
    own.close()
    assert own.status_code == 200  # its uploader
    auth.logout()
    other = login_as("admin_a")
    # another user cannot download it nor attach it to a case of their own
    assert other.get(f"/admin/cases/attachment/?id={pending.id}").status_code == 404
    stolen = _register(other, county, **{"answers.scan": str(pending.id)})
    assert "附件无效或已不可用，请重新上传" in stolen.text
    auth.logout()
    client = login_as("entry_a")
    assert _register(client, county, **{"answers.scan": str(pending.id)}).status_code == 302
    db.session.refresh(pending)
    assert pending.status == AttachmentStatus.ACTIVE and pending.case_id == _latest().id


def test_unticked_files_are_removed_from_the_case_but_kept(county, login_as, form):
    client = login_as("entry_a")
    assert _register(client, county, **{"answers.scan": (io.BytesIO(PDF), "协议.pdf")}).status_code == 302
    case = _latest()
    [kept] = case.answers["scan"]
    data = registration(county, lock_version=case.version)
    data.update(
        {"parties-0-id": case.parties[0].id, "parties-1-id": case.parties[1].id, "parties-1-id_number": ""}
    )
    data["answers.scan"] = (io.BytesIO(JPEG), "新照片.jpg")  # the old one unticked, a new one uploaded
    response = client.post(f"/admin/cases/edit/?id={case.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    db.session.expire_all()
    old = db.session.get(Attachment, kept["id"])
    assert old.status == AttachmentStatus.REMOVED and old.removed_by is not None and old.case_id == case.id
    assert [a["name"] for a in case.answers["scan"]] == ["新照片.jpg"]
    kept_copy = client.get(f"/admin/cases/attachment/?id={old.id}")
    kept_copy.close()
    assert kept_copy.status_code == 200  # kept for the record
    db.session.delete(old)
    with pytest.raises(AttachmentDeleteError):
        db.session.flush()
    db.session.rollback()


def test_ledger_filters_by_a_register_label_and_exports_money_as_numbers(county, login_as, form):
    client = login_as("entry_a")
    own, village = _mediator("马集调解员"), _mediator("前李调解员")
    for person, summary, fee in ((own, "甲案院墙滴水", "1200.5"), (village, "乙案屋檐排水", "80")):
        answers = {"answers.mediator_pick": str(person.id), "answers.repair_fee": fee}
        assert _register(client, county, summary=summary, **answers).status_code == 302
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "cases")
    index = next(i for i, f in enumerate(view._filters) if f.name == "附加信息条件")
    key = next(k for k, (i, _f) in view._filter_args.items() if i == index)
    page = client.get("/admin/cases/", query_string={f"flt0_{key}": "主持调解员 = 马集调解员"}).text
    assert "甲案院墙滴水" in page and "乙案屋檐排水" not in page
    page = client.get("/admin/cases/", query_string={f"flt0_{key}": "主持调解员 != 马集调解员"}).text
    assert "甲案院墙滴水" not in page and "乙案屋檐排水" in page
    page = client.get("/admin/cases/", query_string={f"flt0_{key}": "主持调解员 包含 前李"}).text
    assert "甲案院墙滴水" not in page and "乙案屋檐排水" in page
    kind = db.session.scalar(select(DisputeType.id).where(DisputeType.code == "02"))
    by_type = next(k for k, (_i, f) in view._filter_args.items() if isinstance(f, DisputeTypeFilter))
    export = client.get(f"/admin/cases/export/xlsx/?flt0_{by_type}={kind}")
    sheet = load_workbook(io.BytesIO(export.data)).active
    header = [c.value for c in sheet[1]]
    fees = {
        row[header.index("纠纷简要情况")]: row[header.index("维修费用")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert fees["甲案院墙滴水"] == 1200.5 and fees["乙案屋檐排水"] == 80  # numbers, not "1,200.50 元"
    assert "马集调解员（马集镇人民调解委员会）" in [
        row[header.index("主持调解员")] for row in sheet.iter_rows(min_row=2, values_only=True)
    ]


def test_a_paged_form_without_javascript_shows_every_page_with_step_anchors(app):
    """Every page is in the HTML (the script only hides the others); the steps are plain anchors."""
    from portal.lowcode import render

    body = {
        "sections": [
            {"title": "甲", "page": "基本情况", "fields": [{"key": "a", "label": "字段一", "type": "text"}]},
            {"title": "乙", "page": "证据材料", "fields": [{"key": "b", "label": "字段二", "type": "text"}]},
        ]
    }
    with app.test_request_context():
        html = str(render.section(body, {}, {}, "2026-12-07"))
    assert 'href="#lowcode-page-1"' in html and 'href="#lowcode-page-2"' in html
    assert 'id="lowcode-page-2"' in html and "字段一" in html and "字段二" in html
    assert "第 2 步：证据材料" in html and 'class="lowcode-pager d-none"' in html
    single = {"sections": [body["sections"][0]]}
    with app.test_request_context():
        assert "lowcode-steps" not in str(render.section(single, {}, {}, "2026-12-07"))


def test_a_file_changed_on_disk_is_not_served(county, login_as, form, app):
    """The bytes must still match the recorded sha256 and be a PDF/JPEG/PNG: else 404 and the log says why."""
    client = login_as("entry_a")
    assert _register(client, county, **{"answers.scan": (io.BytesIO(PDF), "协议.pdf")}).status_code == 302
    [kept] = _latest().answers["scan"]
    found = db.session.get(Attachment, kept["id"])
    path = attachments.path_for(app.config["UPLOAD_FOLDER"], found.sha256)
    path.write_bytes(b"<html><script>alert(1)</script></html>")
    assert client.get(f"/admin/cases/attachment/?id={found.id}").status_code == 404
    assert (
        attachments.download_name(Attachment(id=3, name='a"\r\nX-Evil: 1/..\\b.pdf')) == "aX-Evil: 1..b.pdf"
    )
