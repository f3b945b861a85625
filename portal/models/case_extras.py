"""Records kept beside a case's workflow: 听证 (hearings), 领导包案 (a leader in personal charge of a major
case, with the leader's 批示 and progress notes) and 三调联动 (诉调/警调/访调对接: the case referred to, or
received from, the court, the police or the petition office).

None of them moves the case's status: each is recorded through `services.case_extras`, which writes a
step of the case's history (流转记录, `CaseEvent`) with it, so the audit log shows the step on the case.
Nothing here is deleted: a record entered in error is voided with a reason (`voided_on`, `void_reason`);
a listener refuses deletes unless the case itself goes (tests remove whole cases).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.case import Case

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.people import Expert, Mediator


class HearingOutcome(LabeledEnum):
    """What a hearing came to (听证结果)."""

    CONSENSUS = "consensus", "各方达成一致意见"
    OPINION = "opinion", "形成听证意见"
    DIVIDED = "divided", "分歧较大，继续调解"


class LeaderLevel(LabeledEnum):
    """The level of the leader taking charge (包案领导层级)."""

    COUNTY = "county", "县级领导"
    TOWNSHIP = "township", "乡镇（街道）领导"


class LeaderNoteKind(LabeledEnum):
    """A 包案领导's instruction, or a report of progress to the leader."""

    INSTRUCTION = "instruction", "领导批示"
    PROGRESS = "progress", "进展情况"


class LiaisonChannel(LabeledEnum):
    """The partner of a 三调联动 referral."""

    COURT = "court", "诉调对接"
    POLICE = "police", "警调对接"
    PETITION = "petition", "访调对接"


class LiaisonDirection(LabeledEnum):
    """Whether the case went to the partner or came from it."""

    OUT = "out", "移出"
    IN = "in", "移入"


class LiaisonOutcome(LabeledEnum):
    """What came of a referral (对接结果), as fed back."""

    SETTLED = "settled", "调解成功"
    FAILED = "failed", "调解不成"
    RETURNED = "returned", "退回"


hearing_mediator = Table(
    "hearing_mediator",
    Base.metadata,
    Column("hearing_id", ForeignKey("hearing.id", ondelete="CASCADE"), primary_key=True),
    Column("mediator_id", ForeignKey("mediator.id"), primary_key=True, index=True),
)

hearing_expert = Table(
    "hearing_expert",
    Base.metadata,
    Column("hearing_id", ForeignKey("hearing.id", ondelete="CASCADE"), primary_key=True),
    Column("expert_id", ForeignKey("expert.id"), primary_key=True, index=True),
)


class VoidableMixin:
    """A record voided with a reason instead of being deleted."""

    voided_on: Mapped[date | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def is_void(self) -> bool:
        """Return whether the record was voided."""
        return self.voided_on is not None


class Hearing(VoidableMixin, TimestampMixin, VersionedMixin, Base):
    """A 听证 held on a case: when, where, who presided, who took part, what was heard, what came of it."""

    __tablename__ = "hearing"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200))
    presiding: Mapped[str] = mapped_column(String(50))
    parties_present: Mapped[str] = mapped_column(Text)
    representatives: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[str] = mapped_column(Text)
    outcome: Mapped[HearingOutcome] = mapped_column(enum_type(HearingOutcome))
    summary: Mapped[str] = mapped_column(Text)
    recorder: Mapped[str | None] = mapped_column(String(50))

    case: Mapped[Case] = relationship(back_populates="hearings")
    mediators: Mapped[list[Mediator]] = relationship(secondary=hearing_mediator)
    experts: Mapped[list[Expert]] = relationship(secondary=hearing_expert)

    def __str__(self) -> str:
        return f"听证（{self.place or ''}）"


class LeaderCharge(VoidableMixin, TimestampMixin, VersionedMixin, Base):
    """领导包案: a leader takes personal charge of a major case from `started_on` until `ended_on`."""

    __tablename__ = "leader_charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    # The leader: an account of the portal, or a name typed in; the post (职务) always.
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    leader_name: Mapped[str] = mapped_column(String(50))
    leader_post: Mapped[str] = mapped_column(String(100))
    level: Mapped[LeaderLevel] = mapped_column(enum_type(LeaderLevel))
    started_on: Mapped[date]
    instructions: Mapped[str] = mapped_column(Text)
    ended_on: Mapped[date | None]
    end_note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="leader_charges")
    leader: Mapped[User | None] = relationship()
    notes: Mapped[list[LeaderNote]] = relationship(
        back_populates="charge", order_by="LeaderNote.noted_on, LeaderNote.id", cascade="all"
    )

    def __str__(self) -> str:
        return f"{self.leader_name}（{self.leader_post}）"

    @property
    def is_active(self) -> bool:
        """Return whether the leader is in charge now."""
        return self.ended_on is None and self.voided_on is None


class LeaderNote(TimestampMixin, Base):
    """A 包案领导's 批示, or progress reported to the leader; kept as written."""

    __tablename__ = "leader_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("leader_charge.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LeaderNoteKind] = mapped_column(enum_type(LeaderNoteKind))
    noted_on: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(50))

    charge: Mapped[LeaderCharge] = relationship(back_populates="notes")

    def __str__(self) -> str:
        return f"{LeaderNoteKind.label_of(self.kind)}（{self.noted_on}）"


class Liaison(VoidableMixin, TimestampMixin, VersionedMixin, Base):
    """三调联动: the case referred to (移出) or received from (移入) the court, police or petition office.

    移出: `sent_on` is our 移送日期, `received_on` the partner's acceptance, the feedback theirs.
    移入: `sent_on` is the partner's 移送日期, `received_on` ours, the feedback what we told them.
    """

    __tablename__ = "liaison"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    channel: Mapped[LiaisonChannel] = mapped_column(enum_type(LiaisonChannel), index=True)
    direction: Mapped[LiaisonDirection] = mapped_column(enum_type(LiaisonDirection))
    partner: Mapped[str] = mapped_column(String(100))
    partner_contact: Mapped[str | None] = mapped_column(String(50))
    partner_reference: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date | None]
    received_on: Mapped[date | None]
    feedback_on: Mapped[date | None]
    outcome: Mapped[LiaisonOutcome | None] = mapped_column(enum_type(LiaisonOutcome))
    feedback: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="liaisons")

    def __str__(self) -> str:
        return f"{LiaisonChannel.label_of(self.channel)}（{LiaisonDirection.label_of(self.direction)}）"

    @property
    def started_on(self) -> date | None:
        """Return the day the referral began on our side: sent (移出) or received (移入)."""
        return self.sent_on if self.direction == LiaisonDirection.OUT else self.received_on


class ExtraDeleteError(Exception):
    """An attempt to delete a hearing, a 包案 record or a 三调联动 record."""


@event.listens_for(Session, "before_flush")
def _keep_case_extras(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deletes of these records (they are voided with a reason) unless their case goes too."""
    gone = {obj.id for obj in session.deleted if isinstance(obj, Case)}
    for obj in session.deleted:
        if isinstance(obj, Hearing | LeaderCharge | Liaison) and obj.case_id not in gone:
            raise ExtraDeleteError("听证、领导包案和三调联动记录不能删除，请以作废（注明理由）代替")
        if isinstance(obj, LeaderNote) and obj.charge is not None and obj.charge.case_id not in gone:
            raise ExtraDeleteError("包案批示和进展记录不能删除")
