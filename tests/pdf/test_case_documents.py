"""Case documents: 人民调解协议书 and 人民调解受理登记表 — content, glyphs, layout, records, safety, scope.

With SAMPLES=1, `test_write_samples` also renders both to docs/samples/*.png for reviewers.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Agreement,
    AuditAction,
    AuditEvent,
    DisputeType,
    DocumentKind,
    Gender,
    MediationSession,
    Party,
    PartyKind,
    PartyRole,
)
from portal.models.case import AgreementForm, CaseStatus, SessionResult
from portal.models.document import IssuedDocument
from portal.pdf import arabic_date, case_documents
from portal.pdf.coverage import embedded_fonts, font_files, missing_glyphs, pdf_text
from portal.pdf.fetcher import PortalFetcher
from portal.services import DomainError, case_records, cases, formdefs
from portal.services.deadlines import local_today
from portal.validators import make_credit_code, make_id_number
from tests.auth.conftest import csrf_token_of, fresh_client, sign_in_with_token
from tests.conftest import BEIJING
from tests.factories import REGION, County, four_fixed, new_case

HOSTILE = '<img src="file:///etc/passwd"> <link href="http://127.0.0.1:9/x"> <style>p{background:url(http://127.0.0.1:9/y)}</style>'
MM = 72 / 25.4  # PDF points per millimetre
FORM = {
    "sections": [
        {
            "title": "宅基地情况",
            "fields": [
                {"key": "plot_no", "label": "宅基地证号", "type": "text"},
                {"key": "area", "label": "争议面积（平方米）", "type": "decimal"},
                {
                    "key": "witnesses",
                    "label": "在场证人",
                    "type": "repeat",
                    "fields": [
                        {"key": "witness_name", "label": "姓名", "type": "text"},
                        {"key": "witness_phone", "label": "联系电话", "type": "phone"},
                    ],
                },
            ],
        }
    ]
}
ANSWERS = {
    "plot_no": "清集用〔1998〕第〇〇三一号",
    "area": 12.5,
    "witnesses": [{"witness_name": "邝燊", "witness_phone": "13900001234"}],
}


def seal_png(name: str, size: int = 400) -> bytes:
    """Draw a round red seal (公章) with the organisation's name along the rim and a star, as a PNG."""
    path, index = next((p, i) for p, i in font_files() if "Sans" in p and "Bold" in p)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (215, 0, 15, 255)
    draw.ellipse((6, 6, size - 6, size - 6), outline=red, width=size // 28)
    centre, radius = size / 2, size * 0.34
    star = [
        (
            centre + (size * 0.15 if k % 2 == 0 else size * 0.06) * math.sin(math.pi * k / 5),
            centre - (size * 0.15 if k % 2 == 0 else size * 0.06) * math.cos(math.pi * k / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    font = ImageFont.truetype(path, size // 9, index=index)
    spread = min(240.0, 22.0 * len(name))
    for i, ch in enumerate(name):
        angle = -spread / 2 + spread * i / max(len(name) - 1, 1)
        glyph = Image.new("RGBA", (size // 8, size // 8), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size // 16, size // 16), ch, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(math.radians(angle)) - glyph.width / 2
        y = centre - radius * math.cos(math.radians(angle)) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def settled_case(county):
    """A settled 马集 case with rare-character parties, a unit, form answers (v1) and a written agreement."""
    today = local_today()
    accepted = today - timedelta(days=12)
    actor = county.users["entry_a"]
    dispute_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))
    definition = formdefs.create(db.session, "homestead_test", "宅基地纠纷", dispute_type)
    formdefs.save_draft(db.session, definition, FORM, None)
    version = formdefs.publish(db.session, definition, county.users["admin"], "首版")
    case = new_case(
        db.session,
        actor,
        county.mj,
        today=accepted,
        accepted_on=accepted,
        parties=("禤国强", "李赟", "王堃"),
        summary="禤国强与李赟、王堃因宅基地界址发生争执，双方各执一词，曾发生推搡。",
        claims="禤国强要求拆除越界围墙并赔偿损失",
        amount=Decimal("8000"),
        place="马集镇前李村",
    )
    applicant = case.parties[0]
    applicant.address, applicant.ethnicity, applicant.occupation = "清河县马集镇前李村18号", "汉族", "农民"
    case.parties[2].gender = Gender.FEMALE
    case.parties[2].id_number = make_id_number(
        REGION, accepted.replace(year=accepted.year - 41), 77, "female"
    )
    case.parties.append(cases_party_unit("清河县燊达物流有限公司", make_credit_code(REGION, "MA3C7XKQ")))
    formdefs.attach_answers(case, version, ANSWERS)
    db.session.commit()
    mediator = county.mediators["马集调解员"]
    cases.assign(
        db.session,
        case,
        actor,
        organization=county.mj,
        mediators=[mediator],
        today=accepted,
        **four_fixed(case, mediator.name),
    )
    cases.start(db.session, case, actor, today=accepted)
    sitting = MediationSession(
        held_at=datetime.combine(accepted + timedelta(days=3), time(10), BEIJING),
        place="前李村调解室",
        content="听取双方陈述，实地查看界址",
        result=SessionResult.AGREED,
        mediators=[mediator],
    )
    case_records.record_session(db.session, case, actor, sitting, today=today)
    agreement = Agreement(
        form=AgreementForm.WRITTEN,
        signed_on=today - timedelta(days=2),
        terms="一、王堃于本协议签订之日起十日内自行拆除越界围墙（约二米）。\n二、李赟一次性赔偿禤国强损失人民币伍仟元整。",
        amount=Decimal("5000"),
        performance_manner="现金支付，村委会见证",
        performance_deadline=today + timedelta(days=8),
    )
    case_records.settle(db.session, case, actor, agreement, today=today)
    return case


def cases_party_unit(name: str, credit_code: str):
    """Return an organisation party (a third party to the dispute)."""
    return Party(
        name=name,
        role=PartyRole.THIRD,
        kind=PartyKind.ORGANIZATION,
        credit_code=credit_code,
        legal_representative="邝燊",
        address="清河县马集镇工业园3号",
        sort_order=9,
    )


def _issue(case, kind, user):
    return case_documents.issue(db.session, case, kind, user)


def _bboxes(pdf: bytes, tmp_path: Path) -> list[tuple[int, float, float, float, float, str]]:
    """Return (page, xmin, ymin, xmax, ymax, text) in mm of every word, as pdftotext lays it out."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext") or "pdftotext", "-bbox-layout", str(source), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words, page = [], 0
    for line in html.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line
        )
        if found:
            x0, y0, x1, y1 = (float(v) / MM for v in found.groups()[:4])
            words.append((page, x0, y0, x1, y1, found.group(5)))
    return words


# --- content ---------------------------------------------------------------------------------------


def test_agreement_says_what_article_29_asks(app, county, settled_case):
    """Parties (full ID, for 司法确认), facts, terms, performance, answers with their version, copies."""
    with app.test_request_context():
        document, pdf = _issue(settled_case, DocumentKind.AGREEMENT, county.users["clerk"])
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)
    for expected in (
        "人民调解协议书",
        settled_case.number,
        "申请人：禤国强，男",
        "汉族，农民",
        "住清河县马集镇前李村18号",
        "被申请人：李赟",
        "王堃，女",
        "清河县燊达物流有限公司，统一社会信用代码",
        "法定代表人邝燊",
        "纠纷的主要事实、争议事项",
        "因宅基地界址发生争执",
        "王堃于本协议签订之日起十日内自行拆除越界围墙",
        "人民币伍仟元整",
        "履行方式：现金支付，村委会见证",
        "附加信息（宅基地纠纷表第1版）",
        "清集用〔1998〕第〇〇三一号",
        "邝燊",
        "本协议一式5份，当事人各执一份，人民调解委员会留存一份",
        f"马集镇人民调解委员会{arabic_date(settled_case.agreement.signed_on)}",
        "马集调解员",
        document.serial,
    ):
        assert expected in flat, expected
    for party in settled_case.parties:
        if party.id_number:
            assert f"身份证号{party.id_number}" in flat, party.name
    assert "********" not in flat.split("纠纷的主要事实")[0]
    assert "13900001234" not in flat and "139****1234" in flat  # the form's answers stay masked
    assert document.kind == DocumentKind.AGREEMENT and document.number == settled_case.number
    assert document.masked_name.startswith("禤*强、李*、王*")


def test_acceptance_form_has_the_register_fields(app, county, settled_case):
    """The 受理登记表 prints the case as registered, its answers with their version and signature lines."""
    with app.test_request_context():
        _document, pdf = _issue(settled_case, DocumentKind.ACCEPTANCE, county.users["entry_a"])
    flat = re.sub(r"\s+", "", pdf_text(pdf))
    for expected in (
        "人民调解受理登记表",
        settled_case.number,
        "当事人申请",
        "禤国强",
        "李赟",
        "王堃",
        "纠纷简要情况",
        "禤国强要求拆除越界围墙并赔偿损失",
        "8000.00元",
        "承办调解员马集调解员",
        "四定",
        "定人：责任人马集调解员",
        "定措施：走访双方当事人了解诉求",
        "附加信息（宅基地纠纷表第1版）",
        "宅基地证号清集用〔1998〕第〇〇三一号",
        "登记人（签字）马集录入员",
        "受理人（签字）",
    ):
        assert expected in flat, expected


def test_acceptance_form_masks_the_id_numbers(app, county, settled_case):
    """The 受理登记表 stays in the committee's file: its ID numbers are masked."""
    with app.test_request_context():
        _document, pdf = _issue(settled_case, DocumentKind.ACCEPTANCE, county.users["clerk"])
    flat = re.sub(r"\s+", "", pdf_text(pdf))
    full_id = settled_case.parties[0].id_number
    assert full_id not in flat and f"{full_id[:6]}********{full_id[-4:]}" in flat
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "dispute_case")).all()
    assert not [a for a in audited if "完整身份证号" in a.summary]


def test_printing_the_agreement_with_full_ids_is_audited(app, county, settled_case, login_as):
    """Printing the 协议书 (full ID) writes an audit row naming the document, the case and the user."""
    client = login_as("clerk")
    response = client.post(f"/admin/cases/print/agreement/?id={settled_case.id}")
    assert response.status_code == 200
    flat = re.sub(r"\s+", "", pdf_text(response.data))
    assert settled_case.parties[0].id_number in flat
    issued = db.session.scalar(select(IssuedDocument))
    row = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity == "dispute_case",
            AuditEvent.entity_id == str(settled_case.id),
            AuditEvent.summary.contains("完整身份证号"),
        )
    )
    assert row is not None
    assert row.action == AuditAction.EXPORT and row.actor_name == "文书甲"
    assert row.actor_id == county.users["clerk"].id
    assert "人民调解协议书" in row.summary and settled_case.number in row.summary
    assert row.changes["serial"] == [None, issued.serial]
    preview = client.post(f"/admin/cases/print/agreement/?id={settled_case.id}&preview=1")
    assert settled_case.parties[0].id_number in re.sub(r"\s+", "", pdf_text(preview.data))
    drafts = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.summary.contains("人民调解协议书（草稿）（含当事人完整身份证号）")
        )
    ).all()
    assert len(drafts) == 1


def test_full_id_agreement_is_out_of_reach_outside_the_subtree(app, county, settled_case, login_as, client):
    """柳林's entry user gets 404 for 马集's 协议书; an evaluator (no print right) 403; nothing audited."""
    url = f"/admin/cases/print/agreement/?id={settled_case.id}"
    assert login_as("entry_b").post(url).status_code == 404
    client.post("/logout")
    assert login_as("evaluator").post(url).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.summary.contains("完整身份证号"))).all()
    with pytest.raises(DomainError, match="不能出具"):
        case_documents.issue(db.session, settled_case, DocumentKind.AGREEMENT, county.users["entry_b"])


def test_every_glyph_is_covered_and_no_fallback_font_is_used(app, county, settled_case):
    """Rare surnames (禤赟堃燊), 〇, full-width punctuation: all drawn by the Noto CJK fonts."""
    with app.test_request_context():
        for kind in (DocumentKind.AGREEMENT, DocumentKind.ACCEPTANCE):
            _document, pdf = _issue(settled_case, kind, county.users["clerk"])
            text = pdf_text(pdf)
            assert {"禤", "赟", "堃", "燊", "〇", "，", "。", "〔", "（", "："} <= set(text)
            assert missing_glyphs(pdf) == set()
            assert all("CJK" in name for name in embedded_fonts(pdf)), embedded_fonts(pdf)
    assert missing_glyphs("𠀀禤") == {"𠀀"}  # the check does find a gap


def test_page_is_a4_and_text_stays_in_the_gbt9704_block(app, county, settled_case, tmp_path):
    """A4; text within x 28–184 mm, y 37–262 mm, except the page number and verification line below."""
    with app.test_request_context():
        for kind in (DocumentKind.AGREEMENT, DocumentKind.ACCEPTANCE):
            _document, pdf = _issue(settled_case, kind, county.users["clerk"])
            for page in PdfReader(io.BytesIO(pdf)).pages:
                width, height = (float(v) / MM for v in page.mediabox[2:])
                assert round(width) == 210 and round(height) == 297
            words = _bboxes(pdf, tmp_path)
            body = [w for w in words if w[4] <= 262.5]
            below = [w for w in words if w[4] > 262.5]
            assert body and all(28 - 0.5 <= w[1] and w[3] <= 184 + 0.5 and w[2] >= 37 - 0.5 for w in body), [
                w for w in body if not (28 - 0.5 <= w[1] and w[3] <= 184 + 0.5 and w[2] >= 37 - 0.5)
            ]
            # Below the block only the footer: the page number (centred) and the verification line (left).
            footer = "".join(w[5] for w in below)
            assert all(w[5] in ("—", "-") or w[5].isdigit() or w[3] < 100 for w in below), below
            assert "核验码" in footer and _document.serial in footer


# --- records -----------------------------------------------------------------------------------------


def test_print_is_recorded_and_a_second_print_is_a_reprint(app, county, settled_case, login_as):
    """The route returns the PDF inline; sha256 and serial are recorded; the second print says 补打."""
    client = login_as("clerk")
    url = f"/admin/cases/print/agreement/?id={settled_case.id}"
    first = client.post(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.headers["Content-Disposition"].startswith("inline; filename=")
    assert first.headers["Content-Disposition"].isascii()
    rows = db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id)).all()
    assert len(rows) == 1 and rows[0].sha256 == case_documents.documents.sha256_of(first.data)
    assert rows[0].serial in pdf_text(first.data) and rows[0].issued_by == county.users["clerk"]
    assert "补打" not in pdf_text(first.data)
    second = client.post(url)
    again = db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id.desc())).first()
    assert again.reprint_of == rows[0] and again.serial != rows[0].serial
    assert "补打" in pdf_text(second.data)
    assert client.get(f"/verify/{again.serial}").text.count("补打件") == 1


def test_preview_is_a_draft_and_is_not_recorded(app, county, settled_case, login_as):
    """`preview=1` prints 草稿 with no serial and records nothing."""
    response = login_as("entry_a").post(f"/admin/cases/print/acceptance/?id={settled_case.id}&preview=1")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "草" in text and "核验码" not in text
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0


# --- safety ------------------------------------------------------------------------------------------


def test_hostile_text_prints_literally_and_fetches_nothing(app, county, settled_case, monkeypatch):
    """HTML and CSS url() in the summary, a party name and the terms are text; only print.css is fetched."""
    asked: list[str] = []
    original_fetch = PortalFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original_fetch(self, url, headers)

    monkeypatch.setattr(PortalFetcher, "fetch", spy)
    settled_case.summary = "摘要" + HOSTILE
    settled_case.parties[0].name = "禤" + HOSTILE[:40]
    settled_case.agreement.terms = "条款" + HOSTILE
    db.session.flush()
    with app.test_request_context():
        for kind in (DocumentKind.AGREEMENT, DocumentKind.ACCEPTANCE):
            _document, pdf = _issue(settled_case, kind, county.users["clerk"])
            flat = re.sub(r"\s+", "", pdf_text(pdf))
            assert (
                'src="file:///etc/passwd"' in flat
                and "127.0.0.1:9/x" in flat
                and "url(http://127.0.0.1:9/y)" in flat
            )
    # The print stylesheet is parsed once per thread, so it may or may not be fetched in this test.
    ours = ("data:", "portal:inline/", "portal:static/pdf/print.css")
    assert all(u.startswith(ours) for u in asked), asked
    assert not any("127.0.0.1" in u or u.startswith("file:") for u in asked)


# --- rules and scope -------------------------------------------------------------------------------


def test_case_without_agreement_has_no_agreement_print(app, county, login_as):
    """No agreement: no button, the route refuses with a message, the builder raises DomainError."""
    case = new_case(db.session, county.users["entry_a"], county.mj, today=local_today())
    with pytest.raises(DomainError, match="尚未达成调解协议"):
        case_documents.agreement(case, serial=None, original=None)
    client = login_as("entry_a")
    page = client.get(f"/admin/cases/details/?id={case.id}")
    assert "打印受理登记表" in page.text and "打印调解协议书" not in page.text
    response = client.post(f"/admin/cases/print/agreement/?id={case.id}")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0
    assert client.post(f"/admin/cases/print/acceptance/?id={case.id}").mimetype == "application/pdf"


def test_oral_agreement_and_voided_case_print_nothing(app, county, settled_case):
    """An oral agreement has no 协议书 (art. 28); a voided case has no documents."""
    settled_case.agreement.form = AgreementForm.ORAL
    assert not case_documents.printable(settled_case, DocumentKind.AGREEMENT)
    settled_case.agreement.form = AgreementForm.WRITTEN
    assert case_documents.printable(settled_case, DocumentKind.AGREEMENT)
    settled_case.status = CaseStatus.VOIDED
    with pytest.raises(DomainError, match="已作废"):
        case_documents.check_printable(settled_case, DocumentKind.ACCEPTANCE)


def test_scope_roles_and_anonymous(app, county, login_as, client):
    """马集's entry user cannot print a 柳林 case by its id (404); evaluators cannot; anonymous → login."""
    ll_case = new_case(db.session, county.users["entry_b"], county.ll, today=local_today())
    url = f"/admin/cases/print/acceptance/?id={ll_case.id}"
    assert client.post(url).status_code == 302 and "/login" in client.post(url).headers["Location"]
    assert login_as("entry_a").post(url).status_code == 404
    assert client.post("/admin/cases/print/other/?id=1").status_code == 404
    client.post("/logout")
    evaluator = login_as("evaluator")
    assert evaluator.post(url).status_code == 403
    assert "打印受理登记表" not in evaluator.get(f"/admin/cases/details/?id={ll_case.id}").text
    client.post("/logout")
    assert login_as("entry_b").post(url).mimetype == "application/pdf"
    with pytest.raises(DomainError):
        case_documents.issue(db.session, ll_case, DocumentKind.ACCEPTANCE, county.users["entry_a"])


# --- samples -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("SAMPLES"), reason="set SAMPLES=1 to write docs/samples/*.png")
def test_write_samples(app, county, settled_case, tmp_path):
    """Render both documents with a seal to docs/samples/ (pdftoppm -r 80, pages side by side)."""
    county.mj.seal_png = seal_png("马集镇人民调解委员会")
    db.session.flush()
    samples = Path(app.root_path).parent / "docs" / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    with app.test_request_context():
        for kind, name in ((DocumentKind.AGREEMENT, "agreement"), (DocumentKind.ACCEPTANCE, "acceptance")):
            _document, pdf = _issue(settled_case, kind, county.users["clerk"])
            source = tmp_path / f"{name}.pdf"
            source.write_bytes(pdf)
            subprocess.run(  # noqa: S603
                [
                    shutil.which("pdftoppm") or "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    str(source),
                    str(tmp_path / name),
                ],
                check=True,
            )
            # Pages side by side in one picture, so the signature block on a later page shows too.
            pages = [Image.open(p) for p in sorted(tmp_path.glob(f"{name}-*.png"))]
            sheet = Image.new(
                "RGB", (sum(p.width for p in pages) + 12 * (len(pages) - 1), pages[0].height), "#888"
            )
            for i, page in enumerate(pages):
                sheet.paste(page, (i * (page.width + 12), 0))
            sheet.save(samples / f"{name}.png", optimize=True)


def test_voiding_a_case_revokes_its_documents(app, county, login_as, client):
    """作废 marks the case's issued documents revoked; /verify then says so."""
    case = new_case(db.session, county.users["entry_a"], county.mj, today=local_today())
    with app.test_request_context():
        document, _pdf = _issue(case, DocumentKind.ACCEPTANCE, county.users["entry_a"])
    assert "核验通过" in client.get(f"/verify/{document.serial}").text
    cases.void(db.session, case, county.users["admin"], reason="重复登记", today=local_today())
    assert "该文书已撤销" in client.get(f"/verify/{document.serial}").text
    assert document.revoked_reason == "案件已作废：重复登记"


def test_printing_is_a_post_with_the_csrf_token(csrf_app):
    """Printing issues a document (or audits a 草稿), so another site must not trigger it: GET is not
    allowed, and a POST without the session's token is refused before anything is recorded."""
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "clerk")
    county = County.load(db.session)
    case = new_case(db.session, county.users["entry_a"], county.mj, today=local_today())
    db.session.commit()
    page = client.get(f"/admin/cases/details/?id={case.id}").text
    form = r'<form method="post" action="[^"]+/print/acceptance/[^"]*"[^>]*>\s*<input[^>]+csrf_token'
    assert re.search(form, page), "the case page prints through a form carrying the CSRF token"
    url = f"/admin/cases/print/acceptance/?id={case.id}"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0
    response = client.post(url, data={"csrf_token": csrf_token_of(page)})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
