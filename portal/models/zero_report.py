"""零报告: an organisation's statement that it found no disputes in a screening period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.auth import User
from portal.models.base import Base, TimestampMixin
from portal.models.org import Organization


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
