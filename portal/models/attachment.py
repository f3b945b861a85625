"""附件: the files attached to a case through a form's file field (photos, scanned IDs, signed 协议).

The bytes live outside the database, under `UPLOAD_FOLDER`, named by their sha256 (never by what
the uploader called them); this table holds what the portal knows of each upload. A file uploaded with
a form not yet saved is 待提交 and belongs to its uploader only; saving the case makes it 有效 on that
case and field; unticking it (or the case dropping the field) makes it 已移除 — the row and the file
stay, for the record. Nothing here is deleted (a listener refuses it unless the case itself goes).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.auth import User
from portal.models.base import Base, LabeledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.case import Case


class AttachmentStatus(LabeledEnum):
    """Where an upload stands."""

    PENDING = "pending", "待提交"
    ACTIVE = "active", "有效"
    REMOVED = "removed", "已移除"


class Attachment(Base):
    """One uploaded file: its case and field, name, type, size, content hash, uploader and fate."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_case_field", "case_id", "field_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_case.id"))
    field_key: Mapped[str] = mapped_column(String(40))
    # The name shown and offered on download: the uploaded name's last part, cleaned (never a path).
    name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[AttachmentStatus] = mapped_column(
        enum_type(AttachmentStatus), default=AttachmentStatus.PENDING
    )
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[Case | None] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])

    def __str__(self) -> str:
        return self.name


class AttachmentDeleteError(Exception):
    """An attempt to delete an attachment's record."""


@event.listens_for(Session, "before_flush")
def _keep_attachments(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deleting attachments (they are removed from the case, and kept) unless their case goes."""
    from portal.models.case import Case

    gone = {obj.id for obj in session.deleted if isinstance(obj, Case)}
    for obj in session.deleted:
        if isinstance(obj, Attachment) and (obj.case_id is None or obj.case_id not in gone):
            raise AttachmentDeleteError("附件不能删除，只能从案件中移除（原文件留档）")
