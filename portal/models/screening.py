"""矛盾纠纷排查: plans (排查计划), records (排查记录) and what a screening found (排查发现).

A township screens every half month and a county every month (`services.screening_rhythm`). A plan
says who screens what, when and under whose responsibility; a record says which organisation
screened which villages, who went, when, and what was found. Each finding becomes a case (登记为案件,
through `services.cases`) or is found to be no dispute; a record that found nothing is 无纠纷 and
files the 零报告 of the villages it covered. Nothing here is deleted: plans are cancelled and records
voided with a reason.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, String, Table, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.case import RiskLevel
from portal.models.dictionary import DisputeType
from portal.models.org import Organization

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.case import Case
    from portal.models.people import Mediator
    from portal.models.zero_report import ZeroReport


class ScreeningKind(LabeledEnum):
    """How a screening is organised (排查方式)."""

    CONCENTRATED = "concentrated", "集中排查"
    SPECIAL = "special", "专项排查"
    ROLLING = "rolling", "滚动排查"


class PlanStatus(LabeledEnum):
    """Where a plan stands."""

    ACTIVE = "active", "进行中"
    COMPLETED = "completed", "已完成"
    CANCELLED = "cancelled", "已撤销"


class RecordResult(LabeledEnum):
    """What a screening came to (排查结果)."""

    FOUND = "found", "发现矛盾纠纷"
    NONE = "none", "无纠纷"


class FindingStatus(LabeledEnum):
    """What became of a finding."""

    PENDING = "pending", "待处理"
    REGISTERED = "registered", "已登记案件"
    DISMISSED = "dismissed", "经核实不构成纠纷"


class ScreeningPlan(TimestampMixin, VersionedMixin, Base):
    """排查计划: an organisation's screening for a period, its kind and theme, and who answers for it."""

    __tablename__ = "screening_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 组织单位: the office running the screening; its subtree files the records.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ScreeningKind] = mapped_column(enum_type(ScreeningKind), index=True)
    # 排查主题 of a 专项排查 (节前, 婚恋家庭, 土地承包 …).
    theme: Mapped[str | None] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(index=True)
    period_end: Mapped[date] = mapped_column(index=True)
    leader: Mapped[str | None] = mapped_column(String(50))
    responsible_person: Mapped[str] = mapped_column(String(50))
    requirements: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus), default=PlanStatus.ACTIVE, index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    # Read-only: a record names its plan (`ScreeningRecord.plan`); the plan lists them.
    records: Mapped[list[ScreeningRecord]] = relationship(
        viewonly=True, order_by="ScreeningRecord.screened_on, ScreeningRecord.id"
    )

    def __str__(self) -> str:
        return self.title or "（新排查计划）"


screening_record_area = Table(
    "screening_record_area",
    Base.metadata,
    Column("record_id", ForeignKey("screening_record.id"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True, index=True),
)

screening_record_mediator = Table(
    "screening_record_mediator",
    Base.metadata,
    Column("record_id", ForeignKey("screening_record.id"), primary_key=True),
    Column("mediator_id", ForeignKey("mediator.id"), primary_key=True, index=True),
)

screening_record_user = Table(
    "screening_record_user",
    Base.metadata,
    Column("record_id", ForeignKey("screening_record.id"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id"), primary_key=True, index=True),
)

screening_record_zero_report = Table(
    "screening_record_zero_report",
    Base.metadata,
    Column("record_id", ForeignKey("screening_record.id"), primary_key=True),
    Column("zero_report_id", ForeignKey("zero_report.id"), primary_key=True, index=True),
)


class ScreeningRecord(TimestampMixin, VersionedMixin, Base):
    """排查记录: one screening by one organisation: where, who, when, and what it found."""

    __tablename__ = "screening_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("screening_plan.id"), index=True)
    # 排查单位.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[ScreeningKind] = mapped_column(enum_type(ScreeningKind), index=True)
    theme: Mapped[str | None] = mapped_column(String(100))
    screened_on: Mapped[date] = mapped_column(index=True)
    ended_on: Mapped[date | None]
    # The half month the screening counts for (1st or 16th), from `screened_on`.
    period_start: Mapped[date] = mapped_column(index=True)
    # 排查范围 and 重点 in words (the villages are in `areas`).
    scope_note: Mapped[str | None] = mapped_column(String(500))
    other_screeners: Mapped[str | None] = mapped_column(String(200))
    households: Mapped[int | None]
    situation: Mapped[str] = mapped_column(Text)
    result: Mapped[RecordResult] = mapped_column(enum_type(RecordResult), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_on: Mapped[date | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[ScreeningPlan | None] = relationship()
    organization: Mapped[Organization] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    areas: Mapped[list[Organization]] = relationship(
        secondary=screening_record_area, order_by="Organization.path"
    )
    mediators: Mapped[list[Mediator]] = relationship(secondary=screening_record_mediator)
    screeners: Mapped[list[User]] = relationship(secondary=screening_record_user)
    zero_reports: Mapped[list[ZeroReport]] = relationship(secondary=screening_record_zero_report)
    findings: Mapped[list[ScreeningFinding]] = relationship(
        back_populates="record", order_by="ScreeningFinding.seq", cascade="save-update, merge"
    )

    def __str__(self) -> str:
        name = self.organization.name if self.organization else ""
        return f"{name} {self.screened_on:%Y-%m-%d} {self.kind.label if self.kind else '排查'}"

    @property
    def is_void(self) -> bool:
        """Return whether the record has been voided."""
        return self.voided_on is not None

    @property
    def screener_names(self) -> str:
        """Return everyone who screened, roster first: 张三、李四、王五."""
        names = [m.name for m in self.mediators] + [u.full_name for u in self.screeners]
        if self.other_screeners:
            names.append(self.other_screeners)
        return "、".join(dict.fromkeys(names))


class ScreeningFinding(TimestampMixin, VersionedMixin, Base):
    """排查发现: a dispute a screening came upon; it becomes a case or is found to be none."""

    __tablename__ = "screening_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("screening_record.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)
    summary: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    parties: Mapped[str | None] = mapped_column(String(200))
    people_involved: Mapped[int] = mapped_column(default=2)
    dispute_type_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_type.id"))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_type(RiskLevel), default=RiskLevel.LOW)
    occurred_on: Mapped[date | None]
    status: Mapped[FindingStatus] = mapped_column(
        enum_type(FindingStatus), default=FindingStatus.PENDING, index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_case.id"), unique=True)
    handled_on: Mapped[date | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)

    record: Mapped[ScreeningRecord] = relationship(back_populates="findings")
    dispute_type: Mapped[DisputeType | None] = relationship()
    case: Mapped[Case | None] = relationship()
    handled_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        text = (self.summary or "").replace("\n", " ")
        return f"排查发现{self.seq}：{text[:30]}"


class LedgerDeleteError(Exception):
    """An attempt to delete a row of the screening or meeting ledgers."""


#: Classes whose rows are never deleted (filled in by `portal.models.meeting` too).
UNDELETABLE: list[type] = [ScreeningPlan, ScreeningRecord, ScreeningFinding]


@event.listens_for(Session, "before_flush")
def _keep_screening_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deletes: plans are cancelled, records voided, findings dismissed, each with a reason."""
    kinds = tuple(UNDELETABLE)
    for obj in session.deleted:
        if isinstance(obj, kinds):
            raise LedgerDeleteError("排查与会议台账不能删除，请以撤销或作废（注明理由）代替")
