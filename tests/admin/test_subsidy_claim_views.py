"""以案定补申报 pages: the flow through the pages, scope by id, stale forms, the 发放清单 xlsx and PDF."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.subsidy import ClaimStatus, SubsidyClaim
from portal.services import subsidy_claims
from portal.services.deadlines import local_today
from tests.assessment_ledger import settled
from tests.pdf.official_samples import flat, page_size_mm, text_of

PERIOD = "2025Q1"


def ledger(county):
    entry = county.users["entry_a"]
    settled(db.session, entry, county.mj, [county.mediators["马集调解员"]], date(2025, 1, 6))
    settled(db.session, entry, county.mj_village, [county.mediators["前李调解员"]], date(2025, 2, 3))
    settled(
        db.session, county.users["entry_b"], county.ll, [county.mediators["柳林调解员"]], date(2025, 2, 10)
    )


def as_user(client, auth, username):
    auth.logout()
    assert auth.login(username).status_code == 302
    return client


def current(claim_id: int) -> SubsidyClaim:
    db.session.expire_all()
    return db.session.get(SubsidyClaim, claim_id)


def test_the_whole_flow_through_the_pages(county, client, auth):
    """录入员 declares, 考评员 adjusts a line and reviews, 管理员 approves and pays; each page in Chinese."""
    ledger(county)
    as_user(client, auth, "entry_a")
    page = client.get(f"/admin/subsidy_claims/new/?organization={county.mj.id}&period={PERIOD}").text
    assert "拟申报 2 件" in page and "马集调解员" in page and "前李调解员" in page
    response = client.post(
        f"/admin/subsidy_claims/new/?organization={county.mj.id}&period={PERIOD}",
        data={"organization": county.mj.id, "period": PERIOD, "note": "一季度申报"},
    )
    assert response.status_code == 302
    claim = db.session.scalar(select(SubsidyClaim).where(SubsidyClaim.organization_id == county.mj.id))
    details = client.get(f"/admin/subsidy_claims/details/?id={claim.id}").text
    assert claim.number in details and "撤回" in details and "核定金额</a>" not in details

    as_user(client, auth, "evaluator")
    line = claim.lines[0]
    form = client.get(f"/admin/subsidy_claims/act/adjust/?id={claim.id}&line={line.id}").text
    assert "调整理由" in form and "核定金额（元）" in form
    response = client.post(
        f"/admin/subsidy_claims/act/adjust/?id={claim.id}&line={line.id}",
        data={"amount": "60", "reason": "卷宗不全", "lock_version": claim.version},
    )
    assert response.status_code == 302
    claim = current(claim.id)
    assert claim.total == 160 and claim.declared_total == 200
    response = client.post(
        f"/admin/subsidy_claims/act/review/?id={claim.id}",
        data={"note": "同意", "lock_version": claim.version},
    )
    assert response.status_code == 302 and current(claim.id).status == ClaimStatus.REVIEWED

    as_user(client, auth, "admin")
    assert "审批后补贴金额锁定" in client.get(f"/admin/subsidy_claims/act/approve/?id={claim.id}").text
    client.post(
        f"/admin/subsidy_claims/act/approve/?id={claim.id}", data={"lock_version": current(claim.id).version}
    )
    claim = current(claim.id)
    assert claim.status == ClaimStatus.APPROVED
    client.post(
        f"/admin/subsidy_claims/act/pay/?id={claim.id}",
        data={
            "paid_on": local_today().isoformat(),
            "payment_method": "bank",
            "voucher_number": "记-031",
            "lock_version": claim.version,
        },
    )
    claim = current(claim.id)
    assert claim.status == ClaimStatus.PAID and claim.voucher_number == "记-031"
    page = client.get(f"/admin/subsidy_claims/details/?id={claim.id}").text
    assert "已发放" in page and "金额已锁定" in page and "卷宗不全" in page
    # The locked claim offers no step, and a forged post changes nothing.
    response = client.post(
        f"/admin/subsidy_claims/act/return/?id={claim.id}",
        data={"reason": "x", "lock_version": claim.version},
    )
    assert response.status_code == 302 and current(claim.id).status == ClaimStatus.PAID
    listing = client.get(f"/admin/subsidy_claims/?flt0_0={PERIOD}&search=MJ").text
    assert claim.number in listing


def test_stale_form_and_other_subtree(county, client, auth):
    """A form on an old version is refused with the message; another township's claim answers 404."""
    ledger(county)
    mine = subsidy_claims.declare(
        db.session, county.users["entry_a"], county.mj, period=PERIOD, today=local_today()
    )
    theirs = subsidy_claims.declare(
        db.session, county.users["entry_b"], county.ll, period=PERIOD, today=local_today()
    )
    seen = mine.version
    subsidy_claims.adjust(
        db.session, mine, mine.lines[0], county.users["evaluator"], amount="1", reason="核减"
    )
    as_user(client, auth, "evaluator")
    response = client.post(
        f"/admin/subsidy_claims/act/review/?id={mine.id}", data={"lock_version": seen}, follow_redirects=True
    )
    assert "已被他人更新" in response.text and current(mine.id).status == ClaimStatus.DECLARED
    # A crafted post without the version is refused the same way, not taken blind.
    response = client.post(f"/admin/subsidy_claims/act/review/?id={mine.id}", data={}, follow_redirects=True)
    assert "已被他人更新" in response.text and current(mine.id).status == ClaimStatus.DECLARED
    as_user(client, auth, "admin_a")
    assert client.get(f"/admin/subsidy_claims/details/?id={theirs.id}").status_code == 404
    assert (
        client.post(f"/admin/subsidy_claims/act/withdraw/?id={theirs.id}", data={"reason": "x"}).status_code
        == 404
    )
    assert client.get(f"/admin/subsidy_claims/payment/?org={county.ll.id}&period={PERIOD}").status_code == 404
    assert client.get(f"/admin/subsidy_claims/new/?organization={county.ll.id}").status_code == 404
    assert client.get("/admin/subsidy_claims/payment/?period=garbage").status_code == 400
    assert theirs.number not in client.get("/admin/subsidy_claims/").text
    as_user(client, auth, "entry_a")
    client.post(
        f"/admin/subsidy_claims/act/withdraw/?id={mine.id}", data={"reason": "撤回", "lock_version": 1}
    )
    assert current(mine.id).status == ClaimStatus.DECLARED  # the version moved on with the adjustment
    assert client.get("/admin/subsidy_claims/payment/").status_code == 403  # the list is the county's


def test_payment_list_xlsx_and_pdf(county, client, auth):
    """The 发放清单 exports with its title and 合计, prints as an issued document, and a reprint is 补打."""
    ledger(county)
    claim = subsidy_claims.declare(
        db.session, county.users["entry_a"], county.mj, period=PERIOD, today=local_today()
    )
    subsidy_claims.review(db.session, claim, county.users["evaluator"])
    subsidy_claims.approve(db.session, claim, county.users["admin"])
    as_user(client, auth, "clerk")
    url = f"?org={county.mj.id}&period={PERIOD}"
    page = client.get(f"/admin/subsidy_claims/payment/{url}").text
    assert "马集镇人民调解委员会2025年第一季度" in page and "200.00" in page
    book = load_workbook(BytesIO(client.get(f"/admin/subsidy_claims/payment/xlsx/{url}").data))
    assert book["发放清单"]["A1"].value.endswith("补贴发放清单") and book["发放清单"]["F7"].value == 200.0
    response = client.post(f"/admin/subsidy_claims/payment/pdf/{url}")
    assert response.mimetype == "application/pdf"
    words = flat(response.data)
    for expected in (
        "人民调解“以案定补”补贴发放清单",
        "马集调解员",
        "前李调解员",
        "合计",
        "贰佰元整",
        "制表：文书甲",
        "审核",
        "审批",
        "核验码",
    ):
        assert expected in words, expected
    assert page_size_mm(response.data) == (297, 210)
    issued = db.session.scalars(
        select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.SUBSIDY_PAYMENT)
    ).all()
    assert len(issued) == 1 and issued[0].subject_id == county.mj.id
    second = client.post(f"/admin/subsidy_claims/payment/pdf/{url}")
    again = db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id.desc())).first()
    assert again.reprint_of_id == issued[0].id and "补打" in text_of(second.data)
