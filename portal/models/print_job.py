"""Batch printing (批量打印): a background job that renders many official documents into one PDF."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.models.base import Base, JSONType, LabeledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.org import Organization


class PrintJobKind(LabeledEnum):
    """What a job prints."""

    CERTIFICATES = "certificates", "荣誉证书（年度全部）"
    EVALUATIONS = "evaluations", "考评结果通知书（批次全部）"


class PrintJobStatus(LabeledEnum):
    """排队中 → 生成中 → 已完成, or 失败 with the reason."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class PrintJob(Base):
    """One batch print: what, for whom, how far it got, and the resulting PDF.

    The PDF is kept in the database rather than under instance/: RQ workers on other hosts write it
    and any web host serves it, with nothing shared but the database. It is deferred, so lists and
    the progress endpoint never load it.
    """

    __tablename__ = "print_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PrintJobKind] = mapped_column(enum_type(PrintJobKind))
    title: Mapped[str] = mapped_column(String(200))
    # {"year": 2025, "ids": [...]} or {"round_id": 7, "ids": [...]}: exactly what was confirmed.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Scope: the subtree the printed records come from (who may see and download the job).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_by_name: Mapped[str] = mapped_column(String(50))
    status: Mapped[PrintJobStatus] = mapped_column(
        enum_type(PrintJobStatus), default=PrintJobStatus.QUEUED, index=True
    )
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # Why it failed, in Chinese, as shown to the clerk.
    error: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_size: Mapped[int | None]
    pages: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()
    requested_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        """Return the progress in whole percent (100 once done)."""
        if self.status == PrintJobStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (PrintJobStatus.DONE, PrintJobStatus.FAILED)
