"""Batch printing (批量打印): a background job that renders many official documents into one PDF."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.models.base import Base, JSONType, LabeledEnum, enum_type, utcnow

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.org import Organization


class PrintJobKind(LabeledEnum):
    """What a job prints."""

    CERTIFICATES = "certificates", "调解能手荣誉证书"
    EVALUATIONS = "evaluations", "考评结果通知书"
    AGREEMENTS = "agreements", "人民调解协议书"


class PrintJobStatus(LabeledEnum):
    """排队中 → 生成中 → 已完成, or 失败 (with the reason) or 已取消, either of which may be retried."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


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
    parts: Mapped[list[PrintJobPart]] = relationship(
        back_populates="job", order_by="PrintJobPart.first", cascade="all, delete-orphan"
    )

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
        """Return whether the job stopped (done, failed or cancelled): nothing runs it."""
        return self.status in (PrintJobStatus.DONE, PrintJobStatus.FAILED, PrintJobStatus.CANCELLED)

    @property
    def retryable(self) -> bool:
        """Return whether 重试 may take the job up again (it failed or was cancelled)."""
        return self.status in (PrintJobStatus.FAILED, PrintJobStatus.CANCELLED)

    @property
    def cancellable(self) -> bool:
        """Return whether 取消 may stop the job (it waits or runs)."""
        return self.status in (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)

    @property
    def skipped(self) -> list[dict[str, Any]]:
        """Return the documents left out, in order: {"id", "name", "message"} each (the reason in Chinese)."""
        return [item for part in self.parts for item in part.skipped]


class PrintJobPart(Base):
    """A finished stretch of a job: positions [first, first + count) of its list, laid out and written.

    Parts are the job's checkpoints: a job that fails or is cancelled keeps them, and 重试 lays out only
    the positions no part covers. A part records which subjects it printed with which serial (the serial
    is on the page, so a retry reuses it) and which it left out and why. The job issues the documents
    (`IssuedDocument`) once, when the last part is written; then the parts' PDFs are dropped (the job
    holds the joined file) and their lists stay, for the job page.
    """

    __tablename__ = "print_job_part"
    __table_args__ = (UniqueConstraint("job_id", "first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("print_job.id", ondelete="CASCADE"), index=True)
    first: Mapped[int]
    count: Mapped[int]
    # [[subject id, serial or null (a draft)], …] in print order.
    printed: Mapped[list[list[Any]]] = mapped_column(JSONType, default=list)
    # [{"id": …, "name": "柳林调解员", "message": "…"}, …]
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pages: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    job: Mapped[PrintJob] = relationship(back_populates="parts")
