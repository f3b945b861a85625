"""以案定补补贴发放清单: the payees of a quarter's approved claims, on paper with 制表/审核/审批 lines.

The list prints what the claims hold (the amounts allowed at 审核, locked at 审批), never a
recomputation. It is a 草稿 (watermark, no serial, not recorded, only audited) while a claim of the
quarter in the organisation's subtree still waits for 审核 or 审批, or when nothing is approved yet.
Otherwise each print is issued and recorded (`services.documents.issue`): its subject is the
organisation (`subject_id`) and the quarter with a digest of the claims' versions (`subject_type`,
`subsidy_payment:2026Q4:<digest>`), so printing the same contents again is a 补打 of the first issue,
and a list whose claims changed since (a claim paid, another approved) is a new document.
"""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.models.document import DocumentKind, IssuedDocument
from portal.pdf import Rendered, arabic_date, qr_data_url, render
from portal.services.subsidy_payments import PaymentList, amount_in_words

SUBJECT = "subsidy_payment"


def subject_type(plist: PaymentList) -> str:
    """Return the recorded subject of a list: the quarter and a digest of its claims' versions."""
    return f"{SUBJECT}:{plist.period}:{plist.fingerprint}"


def issue_fields(plist: PaymentList) -> dict[str, Any]:
    """Return the `documents.issue` arguments of a 发放清单 (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.SUBSIDY_PAYMENT,
        "subject_type": subject_type(plist),
        "subject_id": plist.organization.id,
        "title": plist.title,
        "number": None,
        "masked_name": None,
        "organization": plist.organization,
    }


def is_draft(plist: PaymentList) -> bool:
    """Return whether the list prints as 草稿 (a claim still under way, or nothing approved)."""
    return plist.is_draft


def money(value: Any) -> str:
    """Return an amount as printed: 1,250.00."""
    return f"{value:,.2f}"


def payment_list(
    plist: PaymentList,
    *,
    prepared_by: str,
    serial: str | None,
    original: IssuedDocument | None,
    draft: bool = False,
) -> Rendered:
    """Render the quarter's 以案定补补贴发放清单 (a draft carries no serial)."""
    draft = draft or is_draft(plist)
    serial = None if draft else serial
    return render(
        "subsidy_payment.html",
        plist=plist,
        span=f"{arabic_date(plist.start)}至{arabic_date(plist.end)}",
        capital=amount_in_words(plist.total),
        money=money,
        prepared_by=prepared_by,
        issued_on=arabic_date(clock.today()),
        doc_serial=serial,
        qr=qr_data_url(serial) if serial else None,
        draft=draft,
        reprint=original,
        serial=None,
    )
