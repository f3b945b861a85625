"""Issuing official documents: serials, hashes, reprints (补打), revocation and verification."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.models.audit import AuditAction
from portal.models.auth import User
from portal.models.base import utcnow
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.org import Organization
from portal.services import audit


class Rendered(Protocol):
    """What `issue` needs of a rendered document (`portal.pdf.Rendered` is one): its bytes and page count."""

    pdf: bytes
    pages: int


def new_serial() -> str:
    """Return a verification code such as `K7QM-3XD2-PW9A-H4TC`: 80 random bits, no 0/O/1/I confusion."""
    text = base64.b32encode(secrets.token_bytes(10)).decode()  # A–Z and 2–7
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def original_of(
    session: Session, kind: DocumentKind, subject_type: str, subject_id: int
) -> IssuedDocument | None:
    """Return the first issue of a document about this subject, if it was issued before."""
    return session.scalar(
        select(IssuedDocument)
        .where(
            IssuedDocument.kind == kind,
            IssuedDocument.subject_type == subject_type,
            IssuedDocument.subject_id == subject_id,
            IssuedDocument.reprint_of_id.is_(None),
        )
        .order_by(IssuedDocument.id)
    )


def issue(
    session: Session,
    *,
    kind: DocumentKind,
    subject_type: str,
    subject_id: int,
    title: str,
    number: str | None,
    masked_name: str | None,
    organization: Organization,
    actor: User,
    render: Callable[[str, IssuedDocument | None], Rendered],
) -> tuple[IssuedDocument, bytes]:
    """Render and record a document; a second print of the same subject is a 补打 of the first. Commits.

    `render(serial, original)` gets the new verification serial (printed and QR-encoded on the document)
    and the original issue when this is a reprint, so it can mark the copy 补打.
    """
    original = original_of(session, kind, subject_type, subject_id)
    serial = new_serial()
    rendered = render(serial, original)
    document = IssuedDocument(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        title=title[:200],
        number=number,
        masked_name=masked_name,
        serial=serial,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        pages=rendered.pages,
        organization=organization,
        issued_by=actor,
        issued_by_name=actor.full_name,
        reprint_of=original,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        AuditAction.EXPORT,
        "issued_document",
        document.id,
        f"{'补打' if original else '出具'}{kind.label}：{number or title}",
        serial=[None, serial],
        sha256=[None, document.sha256],
    )
    session.commit()
    return document, rendered.pdf


def revoke(
    session: Session, subject_type: str, subject_id: int, reason: str, at: datetime | None = None
) -> int:
    """Mark every document about a subject revoked (the verification page then says so); no commit."""
    result = session.execute(
        update(IssuedDocument)
        .where(
            IssuedDocument.subject_type == subject_type,
            IssuedDocument.subject_id == subject_id,
            IssuedDocument.revoked_at.is_(None),
        )
        .values(revoked_at=at or utcnow(), revoked_reason=reason)
    )
    return result.rowcount or 0


def find(session: Session, serial: str) -> IssuedDocument | None:
    """Return the document with this verification serial (case and spacing forgiven)."""
    compact = "".join(ch for ch in (serial or "").upper() if ch.isalnum())[:16]
    if len(compact) != 16:
        return None
    return session.scalar(
        select(IssuedDocument).where(
            IssuedDocument.serial == "-".join(compact[i : i + 4] for i in range(0, 16, 4))
        )
    )


def sha256_of(data: bytes) -> str:
    """Return the hex SHA-256 of a PDF, as recorded."""
    return hashlib.sha256(data).hexdigest()
