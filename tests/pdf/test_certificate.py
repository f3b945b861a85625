"""荣誉证书 “调解能手”: landscape page, text, glyphs, serial and QR, verification, revocation and scope."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.recognition import Recognition, RecognitionStatus
from portal.pdf import certificates
from portal.pdf.coverage import missing_glyphs
from portal.services import DomainError, documents, recognition
from tests.pdf.official_samples import fetched_only_our_own, flat, page_size_mm, save_sample, seal_png


def approved(county, name: str, mediator_key: str, seq: int) -> Recognition:
    """Return an approved 2026 recognition of a (renamed) mediator, as `recognition.approve` leaves it."""
    person = county.mediators[mediator_key]
    person.name = name
    rec = Recognition(
        year=2026,
        title="调解能手",
        mediator=person,
        organization=person.organization,
        status=RecognitionStatus.APPROVED,
        nominated_on=date(2026, 11, 2),
        decided_at=datetime(2026, 11, 24, 2, tzinfo=UTC),
        decided_by=county.users["evaluator"],
        serial=f"能手〔2026〕{seq:03d}号",
        serial_seq=seq,
        evidence=[],
    )
    db.session.add(rec)
    db.session.commit()
    return rec


@pytest.fixture
def honour(county):
    county.root.seal_png = seal_png(county.root.name)
    return approved(county, "王建国", "马集调解员", 1)


def issued_count() -> int:
    return db.session.scalar(select(func.count(IssuedDocument.id)))


def test_certificate_page_text_glyphs_and_qr(app, county, honour):
    """One landscape A4 page: 荣誉证书, the citation, the issuer, the date with 〇, serial and QR code."""
    with app.test_request_context():
        document, pdf = documents.issue(
            db.session,
            **certificates.issue_fields(honour),
            actor=county.users["clerk"],
            render=lambda serial, original: certificates.certificate(
                honour, serial=serial, original=original
            ),
        )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and page_size_mm(pdf) == (297, 210)
    text = flat(pdf)
    for expected in (
        "荣誉证书",
        "王建国同志：",
        "在2026年度人民调解工作中成绩突出，被评为“调解能手”。",
        "特发此证，以资鼓励。",
        "清河县司法局",
        "二〇二六年十一月二十四日",
        "能手〔2026〕001号",
        document.serial,
    ):
        assert expected in text, expected
    assert missing_glyphs(pdf) == set()
    images = [name for page in reader.pages for name in page.images]
    assert len(images) == 2  # the seal and the QR code (both PNG, lifted out of the markup and fetched back)
    assert document.kind == DocumentKind.CERTIFICATE and document.number == "能手〔2026〕001号"
    assert document.organization == county.root and document.sha256 == documents.sha256_of(pdf)
    save_sample(pdf, "certificate")


def test_batch_is_one_render_one_page_each_with_rare_characters(app, county, honour):
    """A batch is one PDF, one page per certificate, each with its own serial; 禤赟 and 〇 are covered."""
    other = approved(county, "禤赟", "柳林调解员", 2)
    with app.test_request_context():
        result = certificates.certificate_batch(
            [(honour, "AAAA-BBBB-CCCC-DDDD"), (other, "EEEE-FFFF-GGGG-HHHH")]
        )
    reader = PdfReader(io.BytesIO(result.pdf))
    pages = [page.extract_text() for page in reader.pages]
    assert result.pages == 2 and "AAAA-BBBB" in pages[0] and "EEEE-FFFF" in pages[1] and "禤赟" in pages[1]
    assert missing_glyphs(result.pdf) == set()
    assert fetched_only_our_own(result.requested)


def test_only_approved_recognitions_print(app, county, honour, login_as):
    """A nomination has no certificate: the builder refuses and the page says why."""
    honour.status = RecognitionStatus.NOTICE
    db.session.commit()
    with app.test_request_context(), pytest.raises(DomainError):
        certificates.certificate(honour, serial=None, original=None)
    response = login_as("clerk").post(f"/admin/recognitions/print/certificate/?id={honour.id}")
    assert response.status_code == 302 and issued_count() == 0


def test_print_verify_then_revoke(app, county, honour, client, login_as):
    """Printed from the page, /verify says genuine with a masked name; after revocation it says revoked."""
    staff = login_as("clerk")
    assert "打印证书" in staff.get(f"/admin/recognitions/details/?id={honour.id}").text
    response = staff.post(f"/admin/recognitions/print/certificate/?id={honour.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert (
        response.headers["Content-Disposition"].startswith("inline")
        and "certificate_" in response.headers["Content-Disposition"]
    )
    document = db.session.scalars(select(IssuedDocument)).one()
    assert document.serial in flat(response.data) and document.sha256 == documents.sha256_of(response.data)
    staff.post("/logout")
    page = client.get(f"/verify/{document.serial}")
    assert page.status_code == 200 and "核验通过" in page.text and "王*国" in page.text
    assert "王建国" not in page.text
    recognition.revoke(db.session, honour, county.users["evaluator"], reason="经查推荐材料不实")
    page = client.get(f"/verify/{document.serial}")
    assert "该文书已撤销" in page.text


def test_recognition_outside_the_subtree_is_404(app, county, login_as):
    """马集镇's admin cannot print a certificate of 柳林镇."""
    other = approved(county, "李四海", "柳林调解员", 3)
    url = f"/admin/recognitions/print/certificate/?id={other.id}"
    assert login_as("admin_a").post(url).status_code == 404
