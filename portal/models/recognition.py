"""Rewards: the 以案定补 subsidy policy and the 调解能手 recognitions with their yearly criteria."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.assessment import Band
from portal.models.auth import User
from portal.models.base import Base, JSONType, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.case import Difficulty
from portal.models.org import Organization
from portal.models.people import Mediator

MONEY = Numeric(10, 2)


class SubsidyPolicy(TimestampMixin, VersionedMixin, Base):
    """以案定补 settings: the amount per difficulty tier and which cases are left out (one row)."""

    __tablename__ = "subsidy_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    simple_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(50))
    normal_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(100))
    hard_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(200))
    major_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(300))
    # 行政调解: cases handled by a 行政调解组织 are paid from another budget.
    exclude_administrative: Mapped[bool] = mapped_column(default=True, server_default="1")
    # 司法调解: cases handled by a 诉调对接中心 or referred by a court (委派调解) are paid by the court.
    exclude_judicial: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Several mediators on one case: split the amount equally (True) or pay each the whole amount.
    split_among_mediators: Mapped[bool] = mapped_column(default=True, server_default="1")
    notes: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return "以案定补标准"

    def amount_for(self, difficulty: Difficulty) -> Decimal:
        """Return the tier amount of a difficulty."""
        return {
            Difficulty.SIMPLE: self.simple_amount,
            Difficulty.NORMAL: self.normal_amount,
            Difficulty.HARD: self.hard_amount,
            Difficulty.MAJOR: self.major_amount,
        }[Difficulty(difficulty)]


class RecognitionCriteria(TimestampMixin, VersionedMixin, Base):
    """调解能手评选条件 of one year."""

    __tablename__ = "recognition_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(50), default="调解能手")
    min_cases: Mapped[int] = mapped_column(default=10)
    min_success_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(90))
    # Lowest band accepted in the year's finalised rounds; None: no assessment required.
    min_band: Mapped[Band | None] = mapped_column(enum_type(Band), default=Band.GOOD)
    require_clean_review: Mapped[bool] = mapped_column(default=True, server_default="1")
    min_training_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal(12))
    # Days of public notice (公示) at least.
    notice_days: Mapped[int] = mapped_column(default=5)
    # Certificate serial prefix, e.g. "QH能手" gives QH能手〔2026〕001号.
    serial_prefix: Mapped[str] = mapped_column(String(20), default="能手")
    notes: Mapped[str | None] = mapped_column(Text)

    def __str__(self) -> str:
        return f"{self.year}年度{self.title}评选条件"


class RecognitionStatus(LabeledEnum):
    """提名 → 公示 → 批准, or 撤销 with a reason."""

    NOMINATED = "nominated", "已提名"
    NOTICE = "notice", "公示中"
    APPROVED = "approved", "已批准"
    REVOKED = "revoked", "已撤销"


class Recognition(TimestampMixin, VersionedMixin, Base):
    """A 调解能手 nomination and, once approved, the honour with its certificate serial."""

    __tablename__ = "recognition"
    __table_args__ = (UniqueConstraint("year", "mediator_id", name="uq_recognition_year_mediator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(50))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator.id"), index=True)
    # The mediator's organisation when nominated: decides who sees the record.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[RecognitionStatus] = mapped_column(
        enum_type(RecognitionStatus), default=RecognitionStatus.NOMINATED, index=True
    )
    # The evidence per criterion as it stood when nominated (what the committee saw).
    evidence: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    nominated_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    notice_start: Mapped[date | None]
    notice_end: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    serial: Mapped[str | None] = mapped_column(String(40), unique=True)
    serial_seq: Mapped[int | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    mediator: Mapped[Mediator] = relationship()
    organization: Mapped[Organization] = relationship()
    nominated_by: Mapped[User | None] = relationship(foreign_keys=[nominated_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __str__(self) -> str:
        name = self.mediator.name if self.mediator else ""
        return f"{self.year}年度{self.title} {name}"
