"""Organisation seals (公章) for documents, and the print log (文书出具记录)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, DocumentKind
from portal.pdf import Rendered
from portal.services import documents, seals
from tests.pdf.test_case_documents import seal_png


def _png(size=(300, 300), mode="RGBA", fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 0, 0, 255) if mode == "RGBA" else (200, 0, 0)).save(out, fmt)
    return out.getvalue()


def _edit(client, org, **extra):
    data = {
        "parent": org.parent_id,
        "name": org.name,
        "code": org.code,
        "level": org.level.value,
        "kind": org.kind.value,
        "status": org.status.value,
        "sort_order": 0,
        "lock_version": org.version,
        **extra,
    }
    return client.post(
        f"/admin/organizations/edit/?id={org.id}", data=data, content_type="multipart/form-data"
    )


def test_admin_uploads_previews_and_removes_a_seal(login_as, county):
    """A squarish PNG is stored, shown on the details page, audited as bytes, and can be removed."""
    client = login_as("admin")
    seal = seal_png("马集镇人民调解委员会")
    response = _edit(client, county.mj, seal_upload=(io.BytesIO(seal), "seal.png"))
    assert response.status_code == 302, response.text
    db.session.refresh(county.mj)
    assert county.mj.seal_png == seal
    page = client.get(f"/admin/organizations/details/?id={county.mj.id}").text
    assert 'class="org-seal-preview" src="data:image/png;base64,' in page
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "organization").order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["seal_png"][1] == f"<{len(seal)} bytes>"
    # An edit without a new file keeps the seal; ticking 删除 removes it.
    assert _edit(client, county.mj).status_code == 302
    db.session.refresh(county.mj)
    assert county.mj.seal_png == seal
    assert _edit(client, county.mj, seal_remove="y").status_code == 302
    db.session.refresh(county.mj)
    assert county.mj.seal_png is None
    assert "未上传" in client.get(f"/admin/organizations/details/?id={county.mj.id}").text


def test_bad_seal_images_are_refused_with_reasons(login_as, county, monkeypatch):
    """Not a PNG, too big, not square, broken: refused in Chinese; an opaque PNG is taken with advice."""
    monkeypatch.setattr(seals, "MAX_BYTES", 64 * 1024)  # small bodies: the test client spools big ones
    client = login_as("admin")
    cases = {
        "须为 PNG 格式": _png(mode="RGB", fmt="JPEG"),
        "接近正方形": _png(size=(600, 300)),
        "无法读取": _png()[:60],
        "边长应在": _png(size=(100, 100)),
        "不能超过": b"\x89PNG\r\n\x1a\n" + b"0" * (64 * 1024),
    }
    for message, data in cases.items():
        response = _edit(client, county.mj, seal_upload=(io.BytesIO(data), "seal.png"))
        assert response.status_code == 200 and message in response.text, message
        db.session.refresh(county.mj)
        assert county.mj.seal_png is None
    response = _edit(client, county.mj, seal_upload=(io.BytesIO(_png(mode="RGB")), "seal.png"))
    assert response.status_code == 302
    assert "透明背景" in client.get(response.headers["Location"]).text


def test_only_admins_change_seals(login_as, county):
    """Clerks read organisations but cannot upload a seal."""
    response = _edit(login_as("clerk"), county.mj, seal_upload=(io.BytesIO(_png()), "seal.png"))
    assert response.status_code in (302, 403)
    db.session.refresh(county.mj)
    assert county.mj.seal_png is None


def _issue(org, user, number, *, subject_id=1):
    document, _ = documents.issue(
        db.session,
        kind=DocumentKind.ACCEPTANCE,
        subject_type="case",
        subject_id=subject_id,
        title=f"人民调解受理登记表（{number}）",
        number=number,
        masked_name="禤*强",
        organization=org,
        actor=user,
        render=lambda serial, original: Rendered(b"%PDF-1.7 " + serial.encode(), 1, []),
    )
    return document


def test_print_log_is_scoped_searchable_and_filterable(login_as, county, client):
    """The county clerk sees every issue; 马集's admin only 马集's; search by serial; filter 补打."""
    mj = _issue(county.mj, county.users["clerk"], "（2026）MJ人调字第7号", subject_id=7)
    mj_again = _issue(county.mj, county.users["clerk"], "（2026）MJ人调字第7号", subject_id=7)
    ll = _issue(county.ll, county.users["clerk"], "（2026）LL人调字第3号", subject_id=8)
    clerk = login_as("clerk")
    page = clerk.get("/admin/issued_documents/").text
    assert all(d.serial in page for d in (mj, mj_again, ll)) and "补打" in page
    assert f'href="/verify/{mj.serial}"' in page
    found = clerk.get("/admin/issued_documents/", query_string={"search": ll.serial}).text
    assert ll.serial in found and mj.serial not in found
    reprints = clerk.get("/admin/issued_documents/", query_string={"flt0_1": "1"}).text
    assert mj_again.serial in reprints and mj.serial not in reprints and ll.serial not in reprints
    documents.revoke(db.session, "case", 8, "案件作废")
    db.session.commit()
    revoked = clerk.get("/admin/issued_documents/", query_string={"flt0_2": "1"}).text
    assert ll.serial in revoked and mj.serial not in revoked
    assert clerk.get(f"/admin/issued_documents/edit/?id={mj.id}").status_code in (302, 403)
    client.post("/logout")
    local = login_as("admin_a").get("/admin/issued_documents/").text
    assert mj.serial in local and ll.serial not in local
    assert login_as("admin_a").get(f"/admin/issued_documents/details/?id={ll.id}").status_code == 404
