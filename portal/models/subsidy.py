"""以案定补申报: a quarter's subsidy claim of an organisation, its lines, and its steps.

A claim (申报单) is made from the computed sheet (`services.subsidies.compute_sheet`) of the
organisation's subtree for one quarter: one `SubsidyClaimCase` per case, one `SubsidyClaimLine` per
mediator sharing it, with the amounts frozen as declared. It moves 申报 → 审核 → 审批 → 发放 through
`services.subsidy_claims` only; each step is a `SubsidyClaimEvent`. From 审批 on, the amounts are
locked: a listener below refuses any change to them, and nothing here is ever deleted.

No double pay: a case is held by at most one claim that is not withdrawn. The partial unique index
`uq_subsidy_claim_case_live` (case_id where not released) enforces it in the database; withdrawing a
claim releases its cases, so that a corrected claim may take them again.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.base import Base, JSONType, LabeledEnum, TimestampMixin, VersionedMixin, enum_type, utcnow
from portal.models.case import Difficulty
from portal.models.org import Organization

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.case import Case
    from portal.models.people import Mediator

#: Amounts in yuan, to the fen (docs/architecture.md §5).
AMOUNT = Numeric(14, 2)


class ClaimStatus(LabeledEnum):
    """申报 → 审核 → 审批 → 发放; 撤回 ends a claim before 审核."""

    DECLARED = "declared", "已申报"
    REVIEWED = "reviewed", "已审核"
    APPROVED = "approved", "已审批"
    PAID = "paid", "已发放"
    WITHDRAWN = "withdrawn", "已撤回"


#: Statuses whose amounts are locked (approved, then paid).
LOCKED_STATUSES = frozenset({ClaimStatus.APPROVED, ClaimStatus.PAID})


class ClaimEventKind(LabeledEnum):
    """A step in a claim's history."""

    DECLARE = "declare", "申报"
    ADJUST = "adjust", "核定金额"
    RETURN = "return", "退回"
    RESUBMIT = "resubmit", "重新报送"
    WITHDRAW = "withdraw", "撤回"
    REVIEW = "review", "审核"
    APPROVE = "approve", "审批"
    PAY = "pay", "发放"


class PaymentMethod(LabeledEnum):
    """How the subsidy was paid (发放方式)."""

    BANK = "bank", "银行转账"
    SALARY_CARD = "salary_card", "打卡发放（工资卡）"
    CASH = "cash", "现金"
    OTHER = "other", "其他"


class SubsidyClaim(TimestampMixin, VersionedMixin, Base):
    """以案定补申报单 of one organisation and quarter; every step bumps its version."""

    __tablename__ = "subsidy_claim"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "seq", name="uq_subsidy_claim_number_parts"),
        # One claim in force per organisation and quarter (a withdrawn one makes room for its correction).
        Index(
            "uq_subsidy_claim_live_period",
            "organization_id",
            "period",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 申报单位: the claim covers the settled cases of this organisation's subtree.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # The quarter, as `2026Q4`, with its bounds (agreements signed from start to end count).
    period: Mapped[str] = mapped_column(String(7), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    # 申报单号 `<code>补申〔2026〕N号`, gapless per organisation and year of declaration.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    status: Mapped[ClaimStatus] = mapped_column(
        enum_type(ClaimStatus), default=ClaimStatus.DECLARED, index=True
    )
    # The sum as declared (frozen) and as it stands after 审核 (locked from 审批).
    declared_total: Mapped[Decimal] = mapped_column(AMOUNT)
    total: Mapped[Decimal] = mapped_column(AMOUNT)
    note: Mapped[str | None] = mapped_column(Text)
    declared_on: Mapped[date] = mapped_column(index=True)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set while a claim sent back (退回) waits for its organisation; cleared when it is sent again.
    return_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[date | None] = mapped_column(index=True)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(enum_type(PaymentMethod))
    voucher_number: Mapped[str | None] = mapped_column(String(60))
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    declared_by: Mapped[User | None] = relationship(foreign_keys=[declared_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    cases: Mapped[list[SubsidyClaimCase]] = relationship(
        back_populates="claim", order_by="SubsidyClaimCase.id", cascade="save-update, merge"
    )
    lines: Mapped[list[SubsidyClaimLine]] = relationship(
        back_populates="claim", order_by="SubsidyClaimLine.id", cascade="save-update, merge"
    )
    events: Mapped[list[SubsidyClaimEvent]] = relationship(
        back_populates="claim",
        order_by="SubsidyClaimEvent.at, SubsidyClaimEvent.id",
        cascade="save-update, merge",
    )

    def __str__(self) -> str:
        return self.number or "（新申报单）"

    @property
    def is_locked(self) -> bool:
        """Return whether the amounts are locked (approved or paid)."""
        return self.status in LOCKED_STATUSES

    @property
    def is_returned(self) -> bool:
        """Return whether the claim was sent back and waits for its organisation."""
        return self.status == ClaimStatus.DECLARED and bool(self.return_reason)


class SubsidyClaimCase(Base):
    """A case on a claim, as it stood when declared; `released` once the claim is withdrawn."""

    __tablename__ = "subsidy_claim_case"
    __table_args__ = (
        UniqueConstraint("claim_id", "case_id", name="uq_subsidy_claim_case_claim_id_case_id"),
        # No double pay: a case is held by one claim in force at most.
        Index(
            "uq_subsidy_claim_case_live",
            "case_id",
            unique=True,
            sqlite_where=text("released = 0"),
            postgresql_where=text("NOT released"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claim.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id"), index=True)
    # Frozen at 申报: the number, the handling organisation, the tier and the day the agreement was signed.
    case_number: Mapped[str] = mapped_column(String(60))
    organization_name: Mapped[str] = mapped_column(String(100))
    difficulty: Mapped[Difficulty] = mapped_column(enum_type(Difficulty))
    tier_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    signed_on: Mapped[date]
    released: Mapped[bool] = mapped_column(default=False, server_default="0")

    claim: Mapped[SubsidyClaim] = relationship(back_populates="cases")
    case: Mapped[Case] = relationship()
    lines: Mapped[list[SubsidyClaimLine]] = relationship(
        back_populates="claim_case", order_by="SubsidyClaimLine.id", viewonly=True
    )

    def __str__(self) -> str:
        return self.case_number


class SubsidyClaimLine(Base):
    """One mediator's share of one case: the amount declared (frozen) and the amount allowed."""

    __tablename__ = "subsidy_claim_line"
    __table_args__ = (
        UniqueConstraint("claim_case_id", "mediator_id", name="uq_subsidy_claim_line_claim_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claim.id"), index=True)
    claim_case_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claim_case.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator.id"), index=True)
    # Frozen at 申报: the mediator's name and organisation, and how many shared the case.
    mediator_name: Mapped[str] = mapped_column(String(50))
    mediator_org_name: Mapped[str] = mapped_column(String(100))
    sharers: Mapped[int]
    declared_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    adjust_reason: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[SubsidyClaim] = relationship(back_populates="lines")
    claim_case: Mapped[SubsidyClaimCase] = relationship(back_populates="lines")
    mediator: Mapped[Mediator] = relationship()

    def __str__(self) -> str:
        number = self.claim_case.case_number if self.claim_case else ""
        return f"{number} {self.mediator_name}"

    @property
    def adjusted(self) -> bool:
        """Return whether the allowed amount differs from the declared one."""
        return self.amount != self.declared_amount


class SubsidyClaimEvent(Base):
    """One step of a claim's history: who did what, when, from which status to which."""

    __tablename__ = "subsidy_claim_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("subsidy_claim.id"), index=True)
    kind: Mapped[ClaimEventKind] = mapped_column(enum_type(ClaimEventKind))
    from_status: Mapped[ClaimStatus | None] = mapped_column(enum_type(ClaimStatus))
    to_status: Mapped[ClaimStatus | None] = mapped_column(enum_type(ClaimStatus))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    claim: Mapped[SubsidyClaim] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class LockedClaimError(Exception):
    """A delete of a claim record, or a change to amounts locked by 审批."""


#: Columns of an approved claim's lines and cases that may never change again.
_LINE_LOCKED = ("amount", "declared_amount", "mediator_id", "claim_case_id", "claim_id")
_CASE_LOCKED = ("case_id", "tier_amount", "claim_id", "released")


def _changed(obj: Any, keys: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _committed_status(claim: SubsidyClaim | None) -> ClaimStatus | None:
    """Return the claim's status as last stored (a step moving it this flush does not unlock it)."""
    if claim is None:
        return None
    history = inspect(claim).attrs["status"].history
    return (history.deleted or history.unchanged or [claim.status])[0]


@event.listens_for(Session, "before_flush")
def _keep_claims_intact(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deletes of claim records, changes to steps, and changes to amounts locked by 审批."""
    for obj in session.deleted:
        if isinstance(obj, SubsidyClaim | SubsidyClaimCase | SubsidyClaimLine | SubsidyClaimEvent):
            raise LockedClaimError("以案定补申报记录不能删除")
    for obj in session.dirty:
        if isinstance(obj, SubsidyClaimEvent) and inspect(obj).modified:
            raise LockedClaimError("以案定补申报的办理记录不能修改")
        if isinstance(obj, SubsidyClaimLine) and _changed(obj, _LINE_LOCKED):
            if _committed_status(obj.claim) in LOCKED_STATUSES:
                raise LockedClaimError("申报单已审批，补贴金额已锁定，不能修改")
        elif isinstance(obj, SubsidyClaimCase) and _changed(obj, _CASE_LOCKED):
            if _committed_status(obj.claim) in LOCKED_STATUSES:
                raise LockedClaimError("申报单已审批，计补案件已锁定，不能修改")
        elif isinstance(obj, SubsidyClaim) and _changed(obj, ("total", "declared_total", "organization_id")):
            if _committed_status(obj) in LOCKED_STATUSES:
                raise LockedClaimError("申报单已审批，补贴金额已锁定，不能修改")
