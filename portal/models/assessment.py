"""Performance assessment (调解工作绩效考评): templates with criteria, rounds, per-evaluator scores.

A template (考评方案) is a list of criteria with maximum points; a round (考评批次) applies one template
to a set of targets for a period. Auto criteria are computed from the ledger into `CriterionResult`
rows with the evidence (the cases counted); manual criteria are scored by several evaluators
(`ManualScore`) and averaged. A finalised round is locked; only a recorded reopen
(`RoundEvent`) unlocks it. Rules live in `services.scoring`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.auth import User
from portal.models.base import (
    Base,
    JSONType,
    LabeledEnum,
    TimestampMixin,
    VersionedMixin,
    enum_type,
    utcnow,
)
from portal.models.org import Organization
from portal.models.people import Mediator

POINTS = Numeric(7, 2)


class TargetKind(LabeledEnum):
    """Who a template assesses."""

    MEDIATOR = "mediator", "调解员"
    ORGANIZATION = "organization", "调解组织"


class CriterionKind(LabeledEnum):
    """Where a criterion's score comes from."""

    AUTO = "auto", "自动计算"
    MANUAL = "manual", "人工评分"


class Indicator(LabeledEnum):
    """A figure computed from the ledger for a target and a period (see `services.scoring`)."""

    CASES_HANDLED = "cases_handled", "受理案件数"
    SUCCESS_RATE = "success_rate", "调解成功率（%）"
    ON_TIME_RATE = "on_time_rate", "按期办结率（%）"
    SATISFACTION = "satisfaction", "回访满意度（群众评议，1–5分）"
    OVERDUE_COUNT = "overdue_count", "超期案件数"
    RED_CARD_COUNT = "red_card_count", "红牌案件数"
    PETITION_COUNT = "petition_count", "越级上访案件数"
    REVIEW_DEDUCTIONS = "review_deductions", "责任倒查扣分"
    SCREENING_RATE = "screening_rate", "排查完成率（%）"
    ASSIGNMENT_ON_TIME_RATE = "assignment_on_time", "交办事项按期办结率（%）"
    SATISFACTION_RATE = "satisfaction_rate", "群众满意率（%）"


class ScoringRule(LabeledEnum):
    """How a figure becomes points."""

    #: 0 points at `low`, full points at `high`, linear in between (low > high: smaller is better).
    LINEAR = "linear", "区间线性计分"
    #: Full points less `per_item` for each item counted, the deduction capped at `cap`.
    DEDUCTION = "deduction", "逐项扣分"
    #: Points entered by evaluators, 0 to the maximum.
    MANUAL = "manual", "评委打分"


class Band(LabeledEnum):
    """Result band (考评等次)."""

    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class PeriodKind(LabeledEnum):
    """Length of an assessment period."""

    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class RoundStatus(LabeledEnum):
    """A round is scored while open and locked once finalised."""

    OPEN = "open", "评分中"
    FINAL = "final", "已定稿"


class RoundEventKind(LabeledEnum):
    """What happened to a round (批次记录)."""

    OPEN = "open", "开启批次"
    COMPUTE = "compute", "计算自动指标"
    FINALISE = "finalise", "定稿"
    REOPEN = "reopen", "重新开启"


class AssessmentTemplate(TimestampMixin, VersionedMixin, Base):
    """考评方案: criteria with maximum points and the cut-offs of the bands."""

    __tablename__ = "assessment_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    target_kind: Mapped[TargetKind] = mapped_column(enum_type(TargetKind))
    description: Mapped[str | None] = mapped_column(Text)
    # Cut-offs (inclusive lower bounds); below `pass_min` is 不合格.
    excellent_min: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(90))
    good_min: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(80))
    pass_min: Mapped[Decimal] = mapped_column(POINTS, default=Decimal(60))
    active: Mapped[bool] = mapped_column(default=True, server_default="1")

    criteria: Mapped[list[AssessmentCriterion]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="AssessmentCriterion.sort_order, AssessmentCriterion.id",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def max_total(self) -> Decimal:
        """Return the sum of the criteria's maximum points."""
        return sum((c.max_points or Decimal(0) for c in self.criteria), Decimal(0))

    def band_for(self, total: Decimal) -> Band:
        """Return the band of a total."""
        if total >= self.excellent_min:
            return Band.EXCELLENT
        if total >= self.good_min:
            return Band.GOOD
        if total >= self.pass_min:
            return Band.PASS
        return Band.FAIL


class AssessmentCriterion(Base):
    """One line of a template (考评项目) and its scoring rule."""

    __tablename__ = "assessment_criterion"
    __table_args__ = (CheckConstraint("max_points > 0", name="max_points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_template.id", ondelete="CASCADE"), index=True
    )
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[CriterionKind] = mapped_column(enum_type(CriterionKind))
    indicator: Mapped[Indicator | None] = mapped_column(enum_type(Indicator))
    rule: Mapped[ScoringRule] = mapped_column(enum_type(ScoringRule))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    low: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    high: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    per_item: Mapped[Decimal | None] = mapped_column(POINTS)
    cap: Mapped[Decimal | None] = mapped_column(POINTS)
    # Points given when there is nothing to measure (no cases, no visits); empty means 0.
    no_data_points: Mapped[Decimal | None] = mapped_column(POINTS)
    # 评分标准 as read out in the meeting.
    standard: Mapped[str | None] = mapped_column(Text)

    template: Mapped[AssessmentTemplate] = relationship(back_populates="criteria")

    def __str__(self) -> str:
        return f"{self.name}（{self.max_points}分）"


class AssessmentRound(TimestampMixin, VersionedMixin, Base):
    """考评批次: a template applied to targets for a period; locked once finalised."""

    __tablename__ = "assessment_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    template_id: Mapped[int] = mapped_column(ForeignKey("assessment_template.id"), index=True)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_type(PeriodKind))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # The opening evaluator's organisation: the round, its targets and its readers lie in its subtree.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[RoundStatus] = mapped_column(enum_type(RoundStatus), default=RoundStatus.OPEN, index=True)
    computed_on: Mapped[date | None]
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 发文字号 of the round's 考评结果通知书 (`清司考〔2026〕3号`), given at the first 定稿 from the
    # `DocumentCounter` of the tree's root and the year; kept through a reopen, never reused.
    number_year: Mapped[int | None]
    number_seq: Mapped[int | None]
    number: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)

    template: Mapped[AssessmentTemplate] = relationship()
    organization: Mapped[Organization] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Assessment.id"
    )
    events: Mapped[list[RoundEvent]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundEvent.at, RoundEvent.id"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def is_final(self) -> bool:
        """Return whether the round is locked."""
        return self.status == RoundStatus.FINAL


class Assessment(TimestampMixin, VersionedMixin, Base):
    """One target's assessment in a round: its total, rank and band."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("round_id", "mediator_id", "target_organization_id", name="uq_assessment_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediator.id"), index=True)
    # The organisation assessed (organisation templates), or the mediator's organisation (scope).
    target_organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    total: Mapped[Decimal | None] = mapped_column(POINTS)
    rank: Mapped[int | None]
    band: Mapped[Band | None] = mapped_column(enum_type(Band))

    round: Mapped[AssessmentRound] = relationship(back_populates="assessments")
    mediator: Mapped[Mediator | None] = relationship()
    target_organization: Mapped[Organization] = relationship()
    results: Mapped[list[CriterionResult]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    scores: Mapped[list[ManualScore]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.target_name

    @property
    def target_name(self) -> str:
        """Return the name of the mediator or organisation assessed."""
        if self.mediator is not None:
            return f"{self.mediator.name}（{self.target_organization.name}）"
        return self.target_organization.name


class CriterionResult(Base):
    """The figure and points of one criterion for one assessment, with the evidence behind them."""

    __tablename__ = "criterion_result"
    __table_args__ = (UniqueConstraint("assessment_id", "criterion_id", name="uq_criterion_result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("assessment_criterion.id"), index=True)
    # The measured figure (auto) or the evaluators' average (manual); None when nothing to measure.
    value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    points: Mapped[Decimal | None] = mapped_column(POINTS)
    # How the figure was reached, in words ("成功12件 ÷ 办结15件").
    explanation: Mapped[str | None] = mapped_column(Text)
    # {"case_ids": [...]} or {"deductions": [{review, title, points, reason}]}.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    assessment: Mapped[Assessment] = relationship(back_populates="results")
    criterion: Mapped[AssessmentCriterion] = relationship()


class ManualScore(TimestampMixin, Base):
    """One evaluator's points for one manual criterion of one assessment."""

    __tablename__ = "manual_score"
    __table_args__ = (
        UniqueConstraint("assessment_id", "criterion_id", "evaluator_id", name="uq_manual_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("assessment_criterion.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    points: Mapped[Decimal] = mapped_column(POINTS)
    comment: Mapped[str | None] = mapped_column(String(500))

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
    criterion: Mapped[AssessmentCriterion] = relationship()
    evaluator: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.evaluator.full_name if self.evaluator else ''}：{self.points}分"


class RoundEvent(Base):
    """A step in a round's life (开启, 计算, 定稿, 重新开启) with who, when and why."""

    __tablename__ = "round_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoundEventKind] = mapped_column(enum_type(RoundEventKind))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str | None] = mapped_column(Text)

    round: Mapped[AssessmentRound] = relationship(back_populates="events")

    def __str__(self) -> str:
        return f"{self.kind.label} {self.actor_name}"
