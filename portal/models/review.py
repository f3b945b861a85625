"""责任倒查: accountability reviews of incidents a dispute should never have led to.

A review is opened from an incident (越级上访, 群体性事件, 民转刑, 重大舆情), links the cases behind it
with a frozen copy of their history, names the organisations and people responsible with a cause
and the measures taken, and is decided under a document number (`X司倒查〔2026〕3号`).
Its status changes only through `services.reviews`; nothing here is ever deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint, event, inspect
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

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.case import Case
    from portal.models.people import Mediator


class IncidentKind(LabeledEnum):
    """What happened (倒查起因)."""

    PETITION = "petition", "越级上访"
    MASS_INCIDENT = "mass_incident", "群体性事件"
    CRIMINAL = "criminal", "民转刑"
    OPINION = "opinion", "重大舆情"

    @property
    def as_incident(self) -> str:
        """Return the kind as 发生一起…… reads it: 越级上访事件, but 群体性事件 (not 群体性事件事件)."""
        return self.label if self.label.endswith("事件") else f"{self.label}事件"


class ReviewStatus(LabeledEnum):
    """Where a review stands: 立案 → 调查 → 决定 → 归档."""

    OPENED = "opened", "立案"
    INVESTIGATING = "investigating", "调查"
    DECIDED = "decided", "决定"
    ARCHIVED = "archived", "归档"


#: Statuses in which a decision has been taken (and counts against the people named).
DECIDED_STATUSES = frozenset({ReviewStatus.DECIDED, ReviewStatus.ARCHIVED})


class ResponsibilityCause(LabeledEnum):
    """Why a party is held responsible (责任类型)."""

    SCREENING = "screening", "排查不到位"
    HANDLING = "handling", "调处不力"
    REPORTING = "reporting", "报告不及时"
    SHIRKING = "shirking", "推诿"


class ResponsibleKind(LabeledEnum):
    """Who is held responsible: an organisation, a mediator on the roster, or another person."""

    ORGANIZATION = "organization", "责任单位"
    MEDIATOR = "mediator", "调解员"
    PERSON = "person", "其他责任人"


class Measure(LabeledEnum):
    """A measure taken against a responsible party (处理措施)."""

    CRITICISM = "criticism", "批评"
    NOTICE = "notice", "通报"
    INTERVIEW = "interview", "约谈"
    SUPERVISION = "supervision", "挂牌督办"
    DEDUCTION = "deduction", "扣分"
    AWARD_BAN = "award_ban", "取消评优"


class ReviewEventKind(LabeledEnum):
    """A step in a review's history."""

    OPEN = "open", "立案"
    REVISE = "revise", "修改案情"
    LINK_CASE = "link_case", "关联案件"
    UNLINK_CASE = "unlink_case", "撤销关联"
    INVESTIGATE = "investigate", "开始调查"
    NAME_PARTY = "name_party", "认定责任"
    REVISE_PARTY = "revise_party", "修改责任认定"
    WITHDRAW_PARTY = "withdraw_party", "撤销责任认定"
    FINDING = "finding", "记录调查结论"
    DECIDE = "decide", "作出决定"
    ARCHIVE = "archive", "归档"


class AccountabilityReview(TimestampMixin, VersionedMixin, Base):
    """A 责任倒查 review; every step bumps its version, so a stale form is refused."""

    __tablename__ = "accountability_review"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "seq", name="uq_accountability_review_number_parts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The office running the review (主办单位); it decides and numbers it. Fixed at opening.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    incident_kind: Mapped[IncidentKind] = mapped_column(enum_type(IncidentKind), index=True)
    incident_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    incident_place: Mapped[str] = mapped_column(String(200))
    # 涉及人员: who took part (petitioners, crowd, victims), as written in the incident report.
    people_involved: Mapped[str] = mapped_column(Text)
    people_count: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus), default=ReviewStatus.OPENED, index=True
    )
    opened_on: Mapped[date] = mapped_column(index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    investigators: Mapped[str | None] = mapped_column(String(200))
    finding: Mapped[str | None] = mapped_column(Text)
    rectification_deadline: Mapped[date | None]
    decided_on: Mapped[date | None] = mapped_column(index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 发文字号 `X司倒查〔year〕seq号`, given on decision; gapless per organisation and year.
    number: Mapped[str | None] = mapped_column(String(60), unique=True)
    year: Mapped[int | None]
    seq: Mapped[int | None]
    rectification_report: Mapped[str | None] = mapped_column(Text)
    archived_on: Mapped[date | None]

    organization: Mapped[Organization] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    case_links: Mapped[list[ReviewCase]] = relationship(
        back_populates="review", order_by="ReviewCase.id", cascade="save-update, merge"
    )
    parties: Mapped[list[ResponsibleParty]] = relationship(
        back_populates="review", order_by="ResponsibleParty.id", cascade="save-update, merge"
    )
    events: Mapped[list[ReviewEvent]] = relationship(
        back_populates="review", order_by="ReviewEvent.at, ReviewEvent.id", cascade="save-update, merge"
    )

    def __str__(self) -> str:
        return f"{self.number}《{self.title}》" if self.number else self.title or "（新倒查）"

    @property
    def linked(self) -> list[ReviewCase]:
        """Return the case links in force."""
        return [link for link in self.case_links if link.withdrawn_at is None]

    @property
    def responsible(self) -> list[ResponsibleParty]:
        """Return the responsible parties in force."""
        return [party for party in self.parties if party.withdrawn_at is None]

    @property
    def is_decided(self) -> bool:
        """Return whether the decision has been taken."""
        return self.status in DECIDED_STATUSES


class ReviewCase(Base):
    """A case linked to a review, with the case as it stood when linked (immutable)."""

    __tablename__ = "review_case"
    __table_args__ = (UniqueConstraint("review_id", "case_id", name="uq_review_case_review_id_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("accountability_review.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    linked_by_name: Mapped[str] = mapped_column(String(50), default="")
    # {"number", "status", "organization", "events": [...], ...}: display text, never changed.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    review: Mapped[AccountabilityReview] = relationship(back_populates="case_links")
    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return str(self.snapshot.get("number") or self.case_id)


class ResponsibleParty(Base):
    """An organisation or person held responsible, the cause, the facts and the measures taken."""

    __tablename__ = "review_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("accountability_review.id"), index=True)
    kind: Mapped[ResponsibleKind] = mapped_column(enum_type(ResponsibleKind))
    # Exactly one of these identifies the party, by kind.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediator.id"), index=True)
    person_name: Mapped[str | None] = mapped_column(String(50))
    # 单位及职务 of the person, or of the mediator at the time (the roster may change later).
    position: Mapped[str | None] = mapped_column(String(100))
    cause: Mapped[ResponsibilityCause] = mapped_column(enum_type(ResponsibilityCause))
    facts: Mapped[str] = mapped_column(Text)
    # The measures, one column each so that the assessment and recognition queries stay plain SQL.
    criticism: Mapped[bool] = mapped_column(default=False)
    notice: Mapped[bool] = mapped_column(default=False)
    interview: Mapped[bool] = mapped_column(default=False)
    supervision: Mapped[bool] = mapped_column(default=False)
    deduction_points: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    award_ban: Mapped[bool] = mapped_column(default=False)
    measure_note: Mapped[str | None] = mapped_column(Text)
    named_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    review: Mapped[AccountabilityReview] = relationship(back_populates="parties")
    organization: Mapped[Organization | None] = relationship()
    mediator: Mapped[Mediator | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """Return who is responsible, as shown on the review."""
        if self.kind == ResponsibleKind.ORGANIZATION and self.organization is not None:
            return self.organization.name
        if self.kind == ResponsibleKind.MEDIATOR and self.mediator is not None:
            return self.mediator.name
        return self.person_name or ""

    @property
    def measures(self) -> list[Measure]:
        """Return the measures taken, in the order of `Measure`."""
        taken = {
            Measure.CRITICISM: self.criticism,
            Measure.NOTICE: self.notice,
            Measure.INTERVIEW: self.interview,
            Measure.SUPERVISION: self.supervision,
            Measure.DEDUCTION: bool(self.deduction_points),
            Measure.AWARD_BAN: self.award_ban,
        }
        return [m for m, on in taken.items() if on]

    @property
    def measures_text(self) -> str:
        """Return the measures as one line: 通报、扣分（3分）、取消评优."""
        parts = []
        for m in self.measures:
            if m == Measure.DEDUCTION and self.deduction_points is not None:
                parts.append(f"扣分（{format(self.deduction_points.normalize(), 'f')}分）")
            else:
                parts.append(m.label)
        return "、".join(parts)


class ReviewEvent(Base):
    """One step of a review's history: who did what, when, from which status to which."""

    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("accountability_review.id"), index=True)
    kind: Mapped[ReviewEventKind] = mapped_column(enum_type(ReviewEventKind))
    from_status: Mapped[ReviewStatus | None] = mapped_column(enum_type(ReviewStatus))
    to_status: Mapped[ReviewStatus | None] = mapped_column(enum_type(ReviewStatus))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    review: Mapped[AccountabilityReview] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class DocumentCounter(Base):
    """The last 发文字号 an organisation issued in a year for one kind of document (row-locked, gapless)."""

    __tablename__ = "document_counter"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class FrozenRecordError(Exception):
    """An attempt to delete a review record or to rewrite a frozen case snapshot."""


@event.listens_for(Session, "before_flush")
def _keep_reviews_intact(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deletes of review records and changes to a snapshot once it is stored."""
    for obj in session.deleted:
        if isinstance(obj, AccountabilityReview | ReviewCase | ResponsibleParty | ReviewEvent):
            raise FrozenRecordError("责任倒查记录不能删除")
    for obj in session.dirty:
        if isinstance(obj, ReviewCase):
            state = inspect(obj)
            if any(state.attrs[key].history.has_changes() for key in ("snapshot", "case_id", "linked_at")):
                raise FrozenRecordError("关联案件的流转记录快照不能修改")
        elif isinstance(obj, ReviewEvent) and inspect(obj).modified:
            raise FrozenRecordError("责任倒查的办理记录不能修改")
