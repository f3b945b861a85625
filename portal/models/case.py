"""The dispute ledger (矛盾纠纷排查调处登记册): cases, parties, their history and numbering, and the records
kept on a case: mediation sessions (调解工作记录本), agreements and follow-up visits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
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
from portal.models.dictionary import DisputeType
from portal.models.org import Organization
from portal.models.people import Gender

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.formdef import FormVersion
    from portal.models.people import Expert, Mediator


class CaseSource(LabeledEnum):
    """How the dispute came to the organisation (纠纷来源)."""

    APPLICATION = "application", "当事人申请"
    SCREENING = "screening", "主动排查"
    GRID = "grid", "网格上报"
    VISIT = "visit", "群众来访"
    POLICE = "police", "公安机关移交"
    COURT = "court", "人民法院移交"
    PETITION = "petition", "信访部门移交"
    GOVERNMENT = "government", "其他部门移交"
    OTHER = "other", "其他"


class RiskLevel(LabeledEnum):
    """Risk of escalation (风险等级): 低/中/高 → 蓝/黄/红."""

    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"


class Difficulty(LabeledEnum):
    """Difficulty (难易程度); also the 以案定补 tier."""

    SIMPLE = "simple", "简易"
    NORMAL = "normal", "一般"
    HARD = "hard", "疑难"
    MAJOR = "major", "重大"


class CaseStatus(LabeledEnum):
    """Where a case stands in the workflow (docs/architecture.md §2)."""

    REGISTERED = "registered", "受理登记"
    ASSIGNED = "assigned", "分流交办"
    MEDIATING = "mediating", "调解中"
    SETTLED = "settled", "调解成功"
    FAILED = "failed", "调解不成"
    REFERRED = "referred", "已引导诉讼/仲裁"
    FOLLOWED_UP = "followed_up", "已回访"
    SUSPENDED = "suspended", "中止"
    CLOSED = "closed", "结案归档"
    VOIDED = "voided", "已作废"


class ReferralRoute(LabeledEnum):
    """Where an unsettled dispute is guided (引导诉讼/仲裁/行政途径)."""

    LITIGATION = "litigation", "引导诉讼"
    ARBITRATION = "arbitration", "引导仲裁"
    ADMINISTRATIVE = "administrative", "引导行政途径"


class CaseEventKind(LabeledEnum):
    """A step in a case's history (流转记录)."""

    REGISTER = "register", "受理登记"
    ASSIGN = "assign", "分流交办"
    START = "start", "开始调解"
    SESSION = "session", "调解记录"
    SETTLE = "settle", "调解成功"
    FAIL = "fail", "调解不成"
    REFER = "refer", "引导诉讼/仲裁"
    FOLLOW_UP = "follow_up", "回访"
    ARCHIVE = "archive", "结案归档"
    ESCALATE = "escalate", "提级"
    TRANSFER = "transfer", "移交"
    SUPERVISE = "supervise", "督办"
    SUSPEND = "suspend", "中止"
    RESUME = "resume", "恢复调解"
    EXTEND = "extend", "延期"
    VOID = "void", "作废"
    # A party took the dispute past the handling organisation to a higher petition office (越级上访).
    # Recorded as a marker on the case, it changes no status; assessments count it.
    PETITION = "petition", "越级上访"
    # Records kept beside the workflow (models/case_extras.py); none changes the status.
    HEARING = "hearing", "听证"
    LEADER = "leader", "领导包案"
    LEADER_NOTE = "leader_note", "包案批示/进展"
    LEADER_END = "leader_end", "结束包案"
    LIAISON_OUT = "liaison_out", "三调联动移出"
    LIAISON_IN = "liaison_in", "三调联动移入"
    LIAISON_FEEDBACK = "liaison_feedback", "对接反馈"
    RECORD_VOID = "record_void", "作废记录"


class PartyRole(LabeledEnum):
    """A party's standing in the dispute."""

    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"
    THIRD = "third", "第三人"


class PartyKind(LabeledEnum):
    """Natural person or organisation."""

    PERSON = "person", "自然人"
    ORGANIZATION = "organization", "单位"


case_mediator = Table(
    "case_mediator",
    Base.metadata,
    Column("case_id", ForeignKey("dispute_case.id", ondelete="CASCADE"), primary_key=True),
    Column("mediator_id", ForeignKey("mediator.id"), primary_key=True, index=True),
)

case_expert = Table(
    "case_expert",
    Base.metadata,
    Column("case_id", ForeignKey("dispute_case.id", ondelete="CASCADE"), primary_key=True),
    Column("expert_id", ForeignKey("expert.id"), primary_key=True, index=True),
)

#: Statuses in which the case is still being worked on.
OPEN_STATUSES = frozenset(CaseStatus) - {CaseStatus.CLOSED, CaseStatus.VOIDED}
#: Statuses in which the mediation clock (办结时限) runs.
MEDIATION_STATUSES = frozenset({CaseStatus.REGISTERED, CaseStatus.ASSIGNED, CaseStatus.MEDIATING})


class Case(TimestampMixin, VersionedMixin, Base):
    """A dispute in the ledger (矛盾纠纷); its status changes only through `services.cases`."""

    __tablename__ = "dispute_case"
    __table_args__ = (
        UniqueConstraint("numbering_organization_id", "year", "seq", name="uq_dispute_case_number_parts"),
        Index("ix_dispute_case_org_accepted", "organization_id", "accepted_on"),
        # The ledger's order, newest first (accepted_on, then id): with the id in the index PostgreSQL
        # reads exactly a page's rows instead of sorting the whole first day (SQLite keeps the rowid in
        # every index anyway).
        Index("ix_dispute_case_accepted_on", "accepted_on", "id"),
        # 零报告: did a committee register anything in a month (services/zero_reports.py).
        Index("ix_dispute_case_numbering_accepted", "numbering_organization_id", "accepted_on"),
        # The dashboard's figures of open cases (overdue, red card, high-risk, group, 督办) read only
        # this index: every column they test is in it (docs/architecture.md, Dashboard figures).
        Index(
            "ix_dispute_case_status_figures",
            "status",
            "organization_id",
            "deadline",
            "last_activity_on",
            "accepted_on",
            "risk_level",
            "is_group",
            "supervision_deadline",
            # The id last, so that the dashboard's lists pick their cases from the index alone on
            # PostgreSQL too (SQLite keeps the rowid in every index anyway).
            "id",
        ),
        # PostgreSQL: the quick search's two-character chunks (services/search.py, migration 0014).
        Index(
            "ix_dispute_case_bigrams",
            func.portal_case_bigrams(text("number"), text("party_names"), text("summary")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # （2026）<org code>人调字第<seq>号, issued by the organisation that accepted the case.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    numbering_organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    # The organisation handling it now; 提级/移交 change it, and with it who sees the case.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    source: Mapped[CaseSource] = mapped_column(enum_type(CaseSource))
    dispute_type_id: Mapped[int] = mapped_column(ForeignKey("dispute_type.id"), index=True)
    occurred_on: Mapped[date | None]
    place: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    claims: Mapped[str | None] = mapped_column(Text)
    people_involved: Mapped[int] = mapped_column(default=2)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_type(RiskLevel), default=RiskLevel.LOW, index=True)
    difficulty: Mapped[Difficulty] = mapped_column(enum_type(Difficulty), default=Difficulty.NORMAL)
    is_group: Mapped[bool] = mapped_column(default=False)
    # What mediation averted, counted in the 司法部 statistics (调解民间纠纷分类统计表):
    # 防止民间纠纷转化为刑事案件 (防止民转刑) and 防止群体性上访.
    prevented_crime: Mapped[bool] = mapped_column(default=False, server_default="0")
    prevented_group_petition: Mapped[bool] = mapped_column(default=False, server_default="0")
    # 四定, fixed when the case is assigned (分流交办): 定人 (责任人, with the 牵头领导 if any),
    # 定责 (责任单位), 定时限 (`deadline`, the 办结时限) and 定措施 (化解措施).
    lead_leader: Mapped[str | None] = mapped_column(String(50))
    responsible_unit: Mapped[str | None] = mapped_column(String(100))
    responsible_person: Mapped[str | None] = mapped_column(String(50))
    measures: Mapped[str | None] = mapped_column(Text)
    accepted_on: Mapped[date]
    deadline: Mapped[date] = mapped_column(index=True)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CaseStatus] = mapped_column(
        enum_type(CaseStatus), default=CaseStatus.REGISTERED, index=True
    )
    assigned_on: Mapped[date | None]
    # Last day anything was done on the case; a case assigned and untouched too long is red-carded.
    last_activity_on: Mapped[date]
    suspended_from: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus))
    suspended_on: Mapped[date | None]
    supervision_deadline: Mapped[date | None]
    supervision_note: Mapped[str | None] = mapped_column(Text)
    supervising_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    referral_route: Mapped[ReferralRoute | None] = mapped_column(enum_type(ReferralRoute))
    stability_plan: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None]
    # 办结日期: the day mediation ended, set by 调解成功 (the agreement's date) and 调解不成; compared
    # with `deadline` it says whether the case was handled in time (按期办结).
    concluded_on: Mapped[date | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    # The parties' names, kept in step with `parties` so that the ledger search reads one table.
    party_names: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Answers to the type's extra fields (自定义表单), and the frozen form version they were entered with.
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"), index=True)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    numbering_organization: Mapped[Organization] = relationship(foreign_keys=[numbering_organization_id])
    supervising_organization: Mapped[Organization | None] = relationship(
        foreign_keys=[supervising_organization_id]
    )
    registered_by: Mapped[User | None] = relationship()
    dispute_type: Mapped[DisputeType] = relationship()
    form_version: Mapped[FormVersion | None] = relationship()
    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.sort_order, Party.id"
    )
    mediators: Mapped[list[Mediator]] = relationship(secondary=case_mediator)
    experts: Mapped[list[Expert]] = relationship(secondary=case_expert)
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.at, CaseEvent.id", cascade="all"
    )
    sessions: Mapped[list[MediationSession]] = relationship(
        back_populates="case", order_by="MediationSession.held_at", cascade="all"
    )
    agreement: Mapped[Agreement | None] = relationship(back_populates="case", cascade="all")
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="case", order_by="FollowUp.visited_on", cascade="all"
    )
    # 听证, 领导包案, 三调联动 (models/case_extras.py, which imports this module: named, not imported).
    hearings: Mapped[list[Any]] = relationship(
        "Hearing", back_populates="case", order_by="Hearing.held_at, Hearing.id", cascade="all"
    )
    leader_charges: Mapped[list[Any]] = relationship(
        "LeaderCharge",
        back_populates="case",
        order_by="LeaderCharge.started_on, LeaderCharge.id",
        cascade="all",
    )
    liaisons: Mapped[list[Any]] = relationship(
        "Liaison", back_populates="case", order_by="Liaison.id", cascade="all"
    )

    def __str__(self) -> str:
        return self.number or "（未编号）"

    @property
    def is_open(self) -> bool:
        """Return whether the case is still being worked on."""
        return self.status in OPEN_STATUSES

    def parties_in(self, role: PartyRole) -> list[Party]:
        """Return the parties with the given role."""
        return [p for p in self.parties if p.role == role]


class Party(TimestampMixin, Base):
    """A party to a dispute (当事人): a natural person or an organisation."""

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    role: Mapped[PartyRole] = mapped_column(enum_type(PartyRole), default=PartyRole.APPLICANT)
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind), default=PartyKind.PERSON)
    name: Mapped[str] = mapped_column(String(100), index=True)
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None]
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")

    case: Mapped[Case] = relationship(back_populates="parties")

    def __str__(self) -> str:
        # Before a flush, values set from a form are still plain strings.
        return f"{PartyRole.label_of(self.role)} {self.name}".strip()


class CaseEvent(Base):
    """One step of a case's history (流转记录): who did what, when, from which status to which."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CaseEventKind] = mapped_column(enum_type(CaseEventKind))
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # Details of the step, such as the receiving organisation or the new deadline, as display text.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


class CaseCounter(Base):
    """The last case number an organisation issued in a year; its row lock keeps numbers gapless."""

    __tablename__ = "case_counter"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def refresh_party_names(case: Case) -> None:
    """Copy the parties' names into the case's search column."""
    names = "、".join(p.name for p in case.parties if p.name)
    if case.party_names != names[:500]:
        case.party_names = names[:500]


@event.listens_for(Session, "before_flush")
def _keep_party_names(session: Session, flush_context: Any, instances: Any) -> None:
    """Keep `Case.party_names` in step with its parties however they were changed."""
    touched: set[Case] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Case):
            touched.add(obj)
        elif isinstance(obj, Party) and obj.case is not None:
            touched.add(obj.case)
    for case in touched:
        if case in session.deleted:
            continue
        refresh_party_names(case)


# Records kept on a case.


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


class Evaluation(LabeledEnum):
    """A party's own verdict at the 回访 (群众评议); feeds the assessment's 群众满意率."""

    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


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
    # 群众评议: the party's verdict and words (visits recorded before it existed have none).
    evaluation: Mapped[Evaluation | None] = mapped_column(enum_type(Evaluation))
    evaluation_comment: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="follow_ups")
