"""分析研判: the analyst's notes on one organisation's period, and the 情况通报 issued from it.

The figures of a report are computed from the ledger whenever it is shown (`services.analysis`); what
is stored is what people add: the analyst's judgement of the period, and the number of the circular
once one was issued, so a reprint keeps it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.org import Organization

if TYPE_CHECKING:
    from portal.models.auth import User


class PeriodKind(LabeledEnum):
    """The rhythm of 分析研判: the county monthly, a township every half month."""

    MONTH = "month", "月度"
    HALF = "half", "半月"


class AnalysisReport(TimestampMixin, VersionedMixin, Base):
    """The notes of one organisation's 分析研判 for one period, and its 情况通报 number."""

    __tablename__ = "analysis_report"
    __table_args__ = (
        UniqueConstraint("organization_id", "period_kind", "period_start", name="uq_analysis_report_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_type(PeriodKind))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # 研判意见, in three parts as the monthly meeting discusses them.
    situation: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    suggestions: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 情况通报: `<org code>矛调通〔2026〕3号`, fixed at its first issue (a reprint keeps it).
    circular_year: Mapped[int | None]
    circular_seq: Mapped[int | None]
    circular_number: Mapped[str | None] = mapped_column(String(80))

    organization: Mapped[Organization] = relationship()
    updated_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.organization.name if self.organization else ''} {self.period_start}至{self.period_end}"

    @property
    def has_notes(self) -> bool:
        """Return whether the analyst wrote anything."""
        return any((self.situation, self.risks, self.suggestions))
