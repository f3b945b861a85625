"""Low-code form definitions (自定义表单): a draft per dispute type and its frozen published versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, JSONType, TimestampMixin, VersionedMixin, utcnow
from portal.models.dictionary import DisputeType

if TYPE_CHECKING:
    from portal.models.auth import User


class FormDefinition(TimestampMixin, VersionedMixin, Base):
    """The extra fields one dispute type needs: an editable draft and its published versions."""

    __tablename__ = "form_definition"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Immutable: files, exports and imports find the definition by it.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    # Sub-types without a definition of their own use their parent type's.
    dispute_type_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_type.id"), unique=True)
    # The working copy administrators edit: {"sections": [...]}; publishing freezes a copy of it.
    draft: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Whether the draft differs from the latest published version.
    draft_dirty: Mapped[bool] = mapped_column(default=True, server_default="1")
    archived: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The builder's undo steps since the last publish, newest last: [{"label": ..., "body": {...}}, ...]
    # (at most `services.formdefs.UNDO_STEPS`). The draft's own changes are audited; this copy is not.
    undo_stack: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)

    dispute_type: Mapped[DisputeType | None] = relationship()
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="definition", order_by="FormVersion.number", cascade="all"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def latest(self) -> FormVersion | None:
        """Return the newest published version, if any."""
        return self.versions[-1] if self.versions else None


class FormVersion(Base):
    """A published, frozen version of a form definition; cases keep the one they were entered with."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("definition_id", "number", name="uq_form_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    definition: Mapped[FormDefinition] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.title} 第{self.number}版"
