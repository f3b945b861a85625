"""Summary tables of the ledger for the dashboard (工作台): case counts by organisation and month.

Each row counts the cases sharing one key; `services.tally` keeps the rows current in the transaction
that changes a case and can recount them from the ledger. They are derived data: `tally.rebuild`
recreates them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, enum_type
from portal.models.case import CaseStatus


class CaseStatusTally(Base):
    """Cases by handling organisation, month of acceptance, status, outcome and timeliness."""

    __tablename__ = "case_status_tally"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    #: The first day of the month the cases were accepted in.
    month: Mapped[date] = mapped_column(primary_key=True)
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), primary_key=True)
    #: "success" (an agreement), "failed" (a failure reason) or "" (neither yet).
    outcome: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: "on_time" (办结日期 on or before the 办结时限), "late", or "" (not concluded).
    timeliness: Mapped[str] = mapped_column(String(10), primary_key=True)
    cases: Mapped[int]


class CaseTypeTally(Base):
    """Cases that are not voided, by handling organisation, month of acceptance and dispute type."""

    __tablename__ = "case_type_tally"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    dispute_type_id: Mapped[int] = mapped_column(ForeignKey("dispute_type.id"), primary_key=True)
    cases: Mapped[int]
