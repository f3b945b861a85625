"""数据导入 page: upload → dry-run report → confirm, CSRF on; corrupt files; a kept file is its owner's."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.admin.imports.views import upload_store
from portal.extensions import db
from portal.models import Expert, User
from tests.auth.conftest import csrf_token_of, fresh_client, sign_in_with_token

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(*rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "特邀专家"
    sheet.append(["姓名", "性别", "专业领域", "管理单位"])
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_store_of(app):
    with app.test_request_context():
        return upload_store()


def county_admin_id() -> int:
    return db.session.scalar(select(User.id).where(User.username == "admin"))


@pytest.fixture
def import_dir(csrf_app, tmp_path, monkeypatch) -> Path:
    monkeypatch.setitem(csrf_app.config, "IMPORT_DIR", str(tmp_path))
    return tmp_path


def test_upload_report_confirm_with_csrf(csrf_app, import_dir):
    """Upload, read the report, fix the file, confirm: the stored file is imported, then removed."""
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "admin")
    page = client.get("/admin/imports/")
    assert page.status_code == 200 and "下载模板" in page.text
    template = client.get("/admin/imports/template/experts/")
    assert template.mimetype == XLSX
    assert [c.value for c in load_workbook(BytesIO(template.data))["特邀专家"][1]][:2] == ["姓名", "性别"]
    token = csrf_token_of(page.text)

    # Without the CSRF token the upload is refused.
    refused = client.post(
        "/admin/imports/", data={"kind": "experts", "file": (BytesIO(workbook()), "e.xlsx")}
    )
    assert refused.status_code == 400

    bad = client.post(
        "/admin/imports/",
        data={
            "csrf_token": token,
            "kind": "experts",
            "file": (BytesIO(workbook(["张", "未知", "律师", "QH"])), "e.xlsx"),
        },
    )
    assert bad.status_code == 302
    report = client.get(bad.headers["Location"])
    assert "发现 1 个问题" in report.text and "不是可选值" in report.text
    assert "import-confirm" not in report.text
    listing = client.get(bad.headers["Location"] + "xlsx/")
    assert listing.mimetype == XLSX and "不是可选值" in str(
        list(load_workbook(BytesIO(listing.data))["问题清单"].values)
    )

    good = client.post(
        "/admin/imports/",
        data={
            "csrf_token": token,
            "kind": "experts",
            "file": (BytesIO(workbook(["张律师", "男", "律师", "QH"])), "e.xlsx"),
        },
    )
    location = good.headers["Location"]
    page = client.get(location)
    assert "检查通过" in page.text
    before = db.session.scalar(select(func.count()).select_from(Expert))
    confirm_url = location.replace("/report/", "/confirm/")
    # The box must be ticked, and the token given.
    assert client.post(confirm_url, data={"confirm": "y"}).status_code == 400
    client.post(confirm_url, data={"csrf_token": csrf_token_of(page.text)})
    assert db.session.scalar(select(func.count()).select_from(Expert)) == before
    # While one confirmation imports the file, a second one (a double click) finds it taken.
    store = upload_store_of(csrf_app)
    upload = store.get(location.rstrip("/").rsplit("/", 1)[-1], county_admin_id())
    assert upload is not None and store.claim(upload) is not None
    twice = client.post(confirm_url, data={"csrf_token": csrf_token_of(page.text), "confirm": "y"})
    assert twice.status_code == 302 and db.session.scalar(select(func.count()).select_from(Expert)) == before
    store.release(upload)
    done = client.post(confirm_url, data={"csrf_token": csrf_token_of(page.text), "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/experts/")
    assert db.session.scalar(select(func.count()).select_from(Expert)) == before + 1
    stored = location.rstrip("/").rsplit("/", 1)[-1]
    assert not any(path.name.startswith(stored) for path in import_dir.iterdir())
    assert client.get(location).status_code == 404  # used once, then gone


def test_corrupt_or_foreign_files_and_other_users(csrf_app, import_dir):
    """Not an xlsx: a message on the page; a report is its uploader's only; entry users import cases only."""
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "admin")
    token = csrf_token_of(client.get("/admin/imports/").text)
    for name, data in (("e.xlsx", b"not a workbook"), ("e.csv", b"a,b\n")):
        page = client.post(
            "/admin/imports/", data={"csrf_token": token, "kind": "experts", "file": (BytesIO(data), name)}
        )
        assert page.status_code == 200
        assert "xlsx" in page.text and "alert" in page.text
    assert list(import_dir.iterdir()) == []
    uploaded = client.post(
        "/admin/imports/",
        data={
            "csrf_token": token,
            "kind": "experts",
            "file": (BytesIO(workbook(["某", "男", "律师", "QH"])), "e.xlsx"),
        },
    )
    location = uploaded.headers["Location"]

    other = fresh_client(csrf_app)
    sign_in_with_token(other, "entry_a")
    assert other.get(location).status_code == 404
    page = other.get("/admin/imports/").text
    assert "/admin/imports/template/cases/" in page and "/template/experts/" not in page
    assert other.get("/admin/imports/template/experts/").status_code == 404
    assert other.get("/admin/imports/report/../../etc/").status_code == 404
