"""以案定补补贴发放清单 (PDF): a long list repeats its header on every page, keeps its rows whole, ends
with the 合计 and the 制表/审核/审批 lines; hostile text stays text; a pending claim makes it a 草稿."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from portal.extensions import db
from portal.pdf import subsidy_documents
from portal.services import subsidy_claims, subsidy_payments
from portal.services.deadlines import local_today
from tests.assessment_ledger import settled
from tests.pdf.official_samples import fetched_only_our_own, save_sample

PERIOD = "2025Q1"


def test_a_long_list_repeats_its_header_and_keeps_rows_whole(app, county):
    entry = county.users["entry_a"]
    settled(db.session, entry, county.mj, [county.mediators["马集调解员"]], date(2025, 1, 6))
    claim = subsidy_claims.declare(db.session, entry, county.mj, period=PERIOD, today=local_today())
    subsidy_claims.review(db.session, claim, county.users["evaluator"])
    subsidy_claims.approve(db.session, claim, county.users["admin"])
    plist = subsidy_payments.payment_list(db.session, county.users["clerk"], county.root, PERIOD)
    assert not plist.is_draft
    hostile = '<img src="http://127.0.0.1:9/x">调解员'
    rows = [
        replace(
            plist.rows[0], mediator_name=f"第{n:02d}号{hostile if n == 7 else '调解员'}", amount=Decimal(50)
        )
        for n in range(1, 61)
    ]
    long_list = replace(plist, rows=rows)
    with app.test_request_context():
        rendered = subsidy_documents.payment_list(
            long_list, prepared_by="文书甲", serial="ABCD-EFGH-JKLM-NPQR", original=None
        )
    assert fetched_only_our_own(rendered.requested)
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(rendered.pdf)).pages]
    assert len(pages) >= 2
    for text in pages:
        assert "申报单位" in text and "领款人签字" in text and "发放情况" in text  # the header on every page
    found = [n for n in range(1, 61) for text in pages if f"第{n:02d}号" in text]
    assert found == list(range(1, 61))  # each row on exactly one page, in order
    for text in pages:  # and whole: each name on a page has its amount on that page
        assert len(re.findall(r"第\d\d号", text)) == text.count("50.00")
    last = "".join(pages[-1].split())
    assert "合计" in last and "3,000.00" in last and "叁仟元整" in last
    assert "制表：文书甲" in last and "审核：" in last and "审批：" in last
    assert "127.0.0.1" in "".join(pages)  # the tag printed as text (and nothing fetched, above)
    save_sample(rendered.pdf, "subsidy_payment")


def test_a_pending_claim_makes_the_list_a_draft(app, county):
    entry = county.users["entry_a"]
    settled(db.session, entry, county.mj, [county.mediators["马集调解员"]], date(2025, 1, 6))
    subsidy_claims.declare(db.session, entry, county.mj, period=PERIOD, today=local_today())
    plist = subsidy_payments.payment_list(db.session, county.users["clerk"], county.root, PERIOD)
    assert plist.is_draft and subsidy_documents.is_draft(plist)
    fields = subsidy_documents.issue_fields(plist)
    assert fields["subject_type"].startswith("subsidy_payment:2025Q1:") and len(fields["subject_type"]) <= 40
    assert fields["subject_id"] == county.root.id and fields["title"].endswith("补贴发放清单")
