"""研判会议 and 交办督办: minutes of the 月排查分析例会 and 联席会议, their decisions, and the items
(交办事项) a decision hands to an organisation with an owner and a deadline, followed up (督办) until done.

An item belongs to two organisations: the one that assigned it (交办单位, the meeting's) and the one
that carries it out (承办单位). Both subtrees see it; see `services.assignments` for who may do what.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
from portal.models.screening import UNDELETABLE

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.case import Case
    from portal.models.people import Expert, Mediator


class MeetingKind(LabeledEnum):
    """Kind of meeting."""

    MONTHLY = "monthly", "月排查分析例会"
    JOINT = "joint", "联席会议"


class AssignmentStatus(LabeledEnum):
    """Where a 交办事项 stands."""

    OPEN = "open", "办理中"
    DONE = "done", "已办结"
    CANCELLED = "cancelled", "已撤销"


class AssignmentEventKind(LabeledEnum):
    """A step in an item's history (督办记录)."""

    ASSIGN = "assign", "交办"
    PROGRESS = "progress", "报告进展"
    REMIND = "remind", "催办"
    ESCALATE = "escalate", "挂牌督办"
    EXTEND = "extend", "延期"
    COMPLETE = "complete", "办结"
    CANCEL = "cancel", "撤销交办"


def _people(name: str, column: str, target: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column("meeting_id", ForeignKey("meeting.id"), primary_key=True),
        Column(column, ForeignKey(f"{target}.id"), primary_key=True, index=True),
    )


meeting_organization = _people("meeting_organization", "organization_id", "organization")
meeting_user = _people("meeting_user", "user_id", "user_account")
meeting_mediator = _people("meeting_mediator", "mediator_id", "mediator")
meeting_expert = _people("meeting_expert", "expert_id", "expert")
meeting_case = _people("meeting_case", "case_id", "dispute_case")


class Meeting(TimestampMixin, VersionedMixin, Base):
    """Minutes of a 月排查分析例会 or 联席会议."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 召开单位.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(50))
    recorder: Mapped[str | None] = mapped_column(String(50))
    # 其他参会人员: people outside the portal (派出所, 信访办 …), as written in the minutes.
    external_attendees: Mapped[str | None] = mapped_column(Text)
    # 会议内容: the situation reported and the analysis (研判情况).
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_on: Mapped[date | None]
    void_reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    attendee_organizations: Mapped[list[Organization]] = relationship(
        secondary=meeting_organization, order_by="Organization.path"
    )
    attendee_users: Mapped[list[User]] = relationship(secondary=meeting_user)
    attendee_mediators: Mapped[list[Mediator]] = relationship(secondary=meeting_mediator)
    attendee_experts: Mapped[list[Expert]] = relationship(secondary=meeting_expert)
    cases: Mapped[list[Case]] = relationship(secondary=meeting_case, order_by="Case.accepted_on")
    decisions: Mapped[list[MeetingDecision]] = relationship(
        back_populates="meeting", order_by="MeetingDecision.seq", cascade="save-update, merge"
    )

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}" if self.held_on else self.title or "（新会议）"

    @property
    def is_void(self) -> bool:
        """Return whether the minutes have been voided."""
        return self.voided_on is not None

    @property
    def attendee_names(self) -> str:
        """Return everyone who attended, as the minutes list them."""
        names = [o.name for o in self.attendee_organizations]
        names += [u.full_name for u in self.attendee_users]
        names += [m.name for m in self.attendee_mediators]
        names += [f"{e.name}（特邀专家）" for e in self.attendee_experts]
        if self.external_attendees:
            names.append(self.external_attendees.replace("\n", "、"))
        return "、".join(dict.fromkeys(names))


class MeetingDecision(TimestampMixin, Base):
    """议定事项: one decision of a meeting; it may hand work to an organisation (交办)."""

    __tablename__ = "meeting_decision"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_meeting_decision_meeting_id_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    seq: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_case.id"), index=True)
    withdrawn_on: Mapped[date | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    case: Mapped[Case | None] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="decision", order_by="Assignment.id")

    def __str__(self) -> str:
        text = (self.content or "").replace("\n", " ")
        return f"议定事项{self.seq}：{text[:40]}"


class Assignment(TimestampMixin, VersionedMixin, Base):
    """交办事项: work a meeting decided, given to an organisation and a person with a deadline (督办)."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("meeting_decision.id"), index=True)
    # 交办文号 `<code>交办〔2026〕3号`, gapless per assigning organisation and year.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    # 交办单位 (the meeting's organisation) and 承办单位.
    assigning_organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    owner_person: Mapped[str] = mapped_column(String(50))
    content: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_case.id"), index=True)
    assigned_on: Mapped[date] = mapped_column(index=True)
    deadline: Mapped[date] = mapped_column(index=True)
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_type(AssignmentStatus), default=AssignmentStatus.OPEN, index=True
    )
    escalated_on: Mapped[date | None]
    reminders: Mapped[int] = mapped_column(default=0, server_default="0")
    last_progress_on: Mapped[date | None]
    completed_on: Mapped[date | None] = mapped_column(index=True)
    result: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    decision: Mapped[MeetingDecision] = relationship(back_populates="assignments")
    assigning_organization: Mapped[Organization] = relationship(foreign_keys=[assigning_organization_id])
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    case: Mapped[Case | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    events: Mapped[list[AssignmentEvent]] = relationship(
        back_populates="assignment",
        order_by="AssignmentEvent.at, AssignmentEvent.id",
        cascade="save-update, merge",
    )

    def __str__(self) -> str:
        text = (self.content or "").replace("\n", " ")
        return f"{self.number} {text[:30]}" if self.number else "（新交办事项）"

    @property
    def is_open(self) -> bool:
        """Return whether the item is still being worked on."""
        return self.status == AssignmentStatus.OPEN


class AssignmentEvent(Base):
    """One step of an item's 督办 history: who did what, when, with what note (never changed)."""

    __tablename__ = "assignment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    kind: Mapped[AssignmentEventKind] = mapped_column(enum_type(AssignmentEventKind))
    from_status: Mapped[AssignmentStatus | None] = mapped_column(enum_type(AssignmentStatus))
    to_status: Mapped[AssignmentStatus | None] = mapped_column(enum_type(AssignmentStatus))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    assignment: Mapped[Assignment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


UNDELETABLE.extend([Meeting, MeetingDecision, Assignment, AssignmentEvent])


class FrozenEventError(Exception):
    """An attempt to rewrite a 督办 record."""


@event.listens_for(Session, "before_flush")
def _keep_events_intact(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse changes to a stored 督办 record."""
    for obj in session.dirty:
        if isinstance(obj, AssignmentEvent) and inspect(obj).modified:
            raise FrozenEventError("督办记录不能修改")
