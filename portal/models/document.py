"""Issued documents (文书): every official PDF the portal hands out, so it can be verified later."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, LabeledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.org import Organization


class DocumentKind(LabeledEnum):
    """The kinds of official document."""

    AGREEMENT = "agreement", "人民调解协议书"
    ACCEPTANCE = "acceptance", "人民调解受理登记表"
    EVALUATION = "evaluation", "考评结果通知书"
    ROUND_SUMMARY = "round_summary", "考评结果汇总表"
    REVIEW_DECISION = "review_decision", "责任倒查决定书"
    CERTIFICATE = "certificate", "荣誉证书"
    ANALYSIS_REPORT = "analysis_report", "矛盾纠纷分析研判报告"
    CIRCULAR = "circular", "矛盾纠纷情况通报"
    SUBSIDY_PAYMENT = "subsidy_payment", "以案定补补贴发放清单"


class IssuedDocument(Base):
    """One issued PDF: what, about whom, its verification serial, its hash, who issued it and when.

    A reprint (补打) is its own row pointing at the original, with its own hash (the date printed on it
    differs); revoking the subject (e.g. a recognition) marks its documents revoked.
    """

    __tablename__ = "issued_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind))
    # The record the document is about, e.g. ("recognition", 12).
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    # The document's own number where it has one (文号, 证书编号, 案件编号).
    number: Mapped[str | None] = mapped_column(String(80))
    # What the verification page may show of the person concerned: a masked name only.
    masked_name: Mapped[str | None] = mapped_column(String(40))
    # The verification code printed on the document and encoded in its QR code; not guessable.
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int]
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_by_name: Mapped[str] = mapped_column(String(50))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reprint_of_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    issued_by: Mapped[User | None] = relationship()
    reprint_of: Mapped[IssuedDocument | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return f"{self.kind.label} {self.number or self.serial}"

    @property
    def is_reprint(self) -> bool:
        return self.reprint_of_id is not None
