"""责任倒查决定书: the decision of an accountability review, under the review's own 发文字号.

The number, the finding and the measures are fixed when the review is decided (`services.review_steps`),
so the document only prints them. It is a 公文 (GB/T 9704-2012, `templates/pdf/_gongwen.html`): the
reviewing organisation's masthead over the decision's number, 主送 the responsible parties, the
signature under the seal, and a 版记 copied (抄送) to the bodies over them (a mediator's committee, an
organisation's parent). An undecided review prints as a 草稿 (watermark, no serial, not
recorded) so that an investigation can be read on paper before the decision.
"""

from __future__ import annotations

from typing import Any

from portal import clock
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.review import AccountabilityReview, ResponsibleKind
from portal.pdf import Rendered, arabic_date, qr_data_url, render, seal_data_url
from portal.pdf.case_documents import mask_name
from portal.pdf.gongwen import superiors


def masked_name(review: AccountabilityReview) -> str | None:
    """Return who the decision concerns, for the verification page: people masked, organisations named."""
    names = [
        p.name if p.kind == ResponsibleKind.ORGANIZATION else mask_name(p.name) for p in review.responsible
    ]
    text = "、".join(names)
    return (text if len(text) <= 40 else text[:38] + "等") or None


def issue_fields(review: AccountabilityReview) -> dict[str, Any]:
    """Return the `documents.issue` arguments of a decision (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.REVIEW_DECISION,
        "subject_type": "review",
        "subject_id": review.id,
        "title": f"关于{review.title}的责任倒查决定",
        "number": review.number,
        "masked_name": masked_name(review),
        "organization": review.organization,
    }


def is_draft(review: AccountabilityReview) -> bool:
    """Return whether the decision prints as 草稿 (the review is not decided yet)."""
    return not review.is_decided


def paragraphs(text: str | None) -> list[str]:
    """Return a text's non-empty lines, each printed as its own paragraph."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def copied_to(review: AccountabilityReview) -> list[str]:
    """Return the 抄送 of the decision: the committee of each mediator, the parent of each organisation."""
    over = [
        p.mediator.organization
        if p.mediator is not None
        else (p.organization.parent if p.organization is not None else None)
        for p in review.responsible
    ]
    return superiors(review.organization, over, [p.name for p in review.responsible])


def review_decision(
    review: AccountabilityReview, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the 责任倒查决定书 of a review (a draft carries no serial and no number)."""
    draft = draft or is_draft(review)
    serial = None if draft else serial
    incident_time = clock.as_local(review.incident_at)
    parties = review.responsible
    return render(
        "review_decision.html",
        review=review,
        incident_time=f"{arabic_date(incident_time.date())}{incident_time.hour}时{incident_time.minute:02d}分",
        description=paragraphs(review.description),
        finding=paragraphs(review.finding),
        cases=[link.snapshot for link in review.linked],
        parties=parties,
        addressees="、".join(dict.fromkeys(p.name for p in parties)),
        opened_on=arabic_date(review.opened_on),
        deadline=arabic_date(review.rectification_deadline) if review.rectification_deadline else "",
        issued_on=arabic_date(review.decided_on or clock.today()),
        seal=seal_data_url(review.organization.seal_png),
        cc=copied_to(review),
        doc_serial=serial,
        qr=qr_data_url(serial) if serial else None,
        draft=draft,
        reprint=original,
        serial=None,
    )
