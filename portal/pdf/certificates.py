"""荣誉证书 “调解能手”: one landscape page per approved recognition, with its serial and a QR code.

The certificate is issued by the body that approved the honour: the root of the recognition's
organisation tree, whose counter numbers the certificates (`services.recognition.approve`). Its seal and
the approval date (in Chinese numerals, 二〇二六年…) sit bottom right; the certificate serial (证书编号)
and the verification QR code of the issued copy sit bottom left.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.extensions import db
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.org import Organization
from portal.models.recognition import Recognition, RecognitionStatus
from portal.pdf import Rendered, chinese_date, qr_data_url, render, seal_data_url
from portal.pdf.case_documents import mask_name
from portal.services import DomainError


def issuer(recognition: Recognition) -> Organization:
    """Return the organisation that issues the certificate: the root of the recognition's tree."""
    root = db.session.get(Organization, recognition.organization.ancestor_ids[0])
    return root or recognition.organization


def masked_name(recognition: Recognition) -> str:
    """Return the honoured mediator's name as the verification page shows it (王*国)."""
    return mask_name(recognition.mediator.name)


def issue_fields(recognition: Recognition) -> dict[str, Any]:
    """Return the `documents.issue` arguments of a certificate (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.CERTIFICATE,
        "subject_type": "recognition",
        "subject_id": recognition.id,
        "title": f"{recognition.year}年度{recognition.title}荣誉证书",
        "number": recognition.serial,
        "masked_name": masked_name(recognition),
        "organization": issuer(recognition),
    }


def check_printable(recognition: Recognition) -> None:
    """Refuse a certificate for anything but an approved recognition."""
    if recognition.status != RecognitionStatus.APPROVED or not recognition.serial:
        raise DomainError(f"当前状态为「{recognition.status.label}」，只有已批准的荣誉才能打印证书")


def _page(recognition: Recognition, serial: str | None, original: IssuedDocument | None) -> dict[str, Any]:
    org = issuer(recognition)
    day = clock.local_date(recognition.decided_at) if recognition.decided_at else clock.today()
    return {
        "rec": recognition,
        "name": recognition.mediator.name,
        "org_name": org.name,
        "seal": seal_data_url(org.seal_png),
        "day": chinese_date(day),
        "serial": serial,
        "qr": qr_data_url(serial) if serial else None,
        "reprint": original,
    }


def certificate(
    recognition: Recognition, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the certificate of one approved recognition."""
    check_printable(recognition)
    return render(
        "certificate.html",
        pages=[_page(recognition, None if draft else serial, original)],
        draft=draft,
        reprint=None,
        serial=None,
    )


def _load_batch(recognitions: list[Recognition]) -> None:
    """Load a batch's recognitions, mediators and organisations in two queries.

    A batch job commits after every chunk (its progress), which expires what the session holds; each
    page would then reload its recognition, mediator and organisation one query at a time, in the
    process that feeds the layout workers (a tenth of a batch's time). Loaded here, the page's reads
    find them in the session's identity map.
    """
    ids = [identity[0] for r in recognitions if (identity := inspect(r).identity)]
    if not ids:
        return
    loaded = db.session.scalars(
        select(Recognition)
        .where(Recognition.id.in_(ids))
        .options(joinedload(Recognition.mediator), joinedload(Recognition.organization))
    ).all()
    org_ids = {r.organization_id for r in loaded}
    roots = {r.organization.ancestor_ids[0] for r in loaded if r.organization.ancestor_ids} - org_ids
    if roots:
        db.session.scalars(select(Organization).where(Organization.id.in_(roots))).all()


def certificate_batch(
    items: list[tuple[Recognition, str]], originals: Mapping[int, IssuedDocument] | None = None
) -> Rendered:
    """Render many certificates as one PDF in a single pass, one page each with its own serial.

    `originals` maps a recognition id to its first issue, so a certificate printed before says 补打.
    """
    originals = originals or {}
    _load_batch([recognition for recognition, _serial in items])
    for recognition, _serial in items:
        check_printable(recognition)
    return render(
        "certificate.html",
        pages=[_page(recognition, serial, originals.get(recognition.id)) for recognition, serial in items],
        draft=False,
        reprint=None,
        serial=None,
    )
