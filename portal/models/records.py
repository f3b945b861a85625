"""Records kept on a case: mediation sessions (调解工作记录本), agreements, follow-up visits; and 零报告."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.auth import User
from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.case import Case
from portal.models.org import Organization
from portal.models.people import Mediator


class SessionResult(LabeledEnum):
    """What a mediation session came to."""

    CONTINUE = "continue", "继续调解"
    AGREED = "agreed", "达成协议"
    NOT_AGREED = "not_agreed", "未达成协议"


class AgreementForm(LabeledEnum):
    """Written or oral agreement (人民调解法 第二十八条)."""

    WRITTEN = "written", "书面协议"
    ORAL = "oral", "口头协议"


class Performance(LabeledEnum):
    """How far an agreement has been carried out (履行情况)."""

    FULL = "full", "已全部履行"
    PARTIAL = "partial", "部分履行"
    NONE = "none", "未履行"
    NOT_DUE = "not_due", "履行期未到"


class FollowUpMethod(LabeledEnum):
    """How the visit was made."""

    VISIT = "visit", "上门回访"
    PHONE = "phone", "电话回访"
    INTERVIEW = "interview", "约谈回访"


class RemainingRisk(LabeledEnum):
    """Risk left after the dispute was handled."""

    NONE = "none", "已化解"
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


session_mediator = Table(
    "session_mediator",
    Base.metadata,
    Column("session_id", ForeignKey("mediation_session.id", ondelete="CASCADE"), primary_key=True),
    Column("mediator_id", ForeignKey("mediator.id"), primary_key=True),
)


class MediationSession(TimestampMixin, VersionedMixin, Base):
    """An entry of the 调解工作记录本: one sitting of a mediation."""

    __tablename__ = "mediation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200))
    participants: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    result: Mapped[SessionResult] = mapped_column(enum_type(SessionResult), default=SessionResult.CONTINUE)
    recorder: Mapped[str | None] = mapped_column(String(50))

    case: Mapped[Case] = relationship(back_populates="sessions")
    mediators: Mapped[list[Mediator]] = relationship(secondary=session_mediator)


class Agreement(TimestampMixin, VersionedMixin, Base):
    """The mediation agreement (人民调解协议) of a settled case, with its performance and 司法确认."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), unique=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    form: Mapped[AgreementForm] = mapped_column(enum_type(AgreementForm), default=AgreementForm.WRITTEN)
    signed_on: Mapped[date]
    terms: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    performance_manner: Mapped[str | None] = mapped_column(String(200))
    performance_deadline: Mapped[date | None]
    performed: Mapped[bool] = mapped_column(default=False)
    performed_on: Mapped[date | None]
    confirmation_court: Mapped[str | None] = mapped_column(String(100))
    confirmation_date: Mapped[date | None]
    confirmation_number: Mapped[str | None] = mapped_column(String(60))

    case: Mapped[Case] = relationship(back_populates="agreement")

    @property
    def judicially_confirmed(self) -> bool:
        """Return whether a court confirmed the agreement (司法确认)."""
        return bool(self.confirmation_number)


class FollowUp(TimestampMixin, Base):
    """A follow-up visit (回访) after a case was handled; satisfaction feeds 群众评议."""

    __tablename__ = "follow_up"
    __table_args__ = (CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    visited_on: Mapped[date]
    method: Mapped[FollowUpMethod] = mapped_column(enum_type(FollowUpMethod), default=FollowUpMethod.VISIT)
    visitor: Mapped[str] = mapped_column(String(50))
    person_visited: Mapped[str] = mapped_column(String(100))
    performance: Mapped[Performance] = mapped_column(enum_type(Performance))
    satisfaction: Mapped[int]
    remaining_risk: Mapped[RemainingRisk] = mapped_column(
        enum_type(RemainingRisk), default=RemainingRisk.NONE
    )
    notes: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="follow_ups")


class ZeroReport(TimestampMixin, Base):
    """零报告: an organisation states it found no disputes in a screening period."""

    __tablename__ = "zero_report"
    __table_args__ = (UniqueConstraint("organization_id", "period_start", name="uq_zero_report_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_on: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    reported_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.organization.name if self.organization else ''} {self.period_start:%Y年%m月} 零报告"
