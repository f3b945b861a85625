"""People registers: mediators (调解员) with trainings, and the expert pool (特邀专家调解员库)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, JSONType, LabeledEnum, TimestampMixin, VersionedMixin, enum_type
from portal.models.dictionary import DisputeType
from portal.models.org import Organization


class Gender(LabeledEnum):
    """Gender as recorded on the 身份证."""

    MALE = "male", "男"
    FEMALE = "female", "女"


class MediatorPosition(LabeledEnum):
    """Position within the committee."""

    DIRECTOR = "director", "主任"
    DEPUTY = "deputy", "副主任"
    MEMBER = "member", "委员"
    CHIEF = "chief", "首席调解员"
    MEDIATOR = "mediator", "调解员"


class Employment(LabeledEnum):
    """Full-time or part-time."""

    FULL_TIME = "full_time", "专职"
    PART_TIME = "part_time", "兼职"


class MediatorGrade(LabeledEnum):
    """Grade (等级) of a mediator."""

    FIRST = "1", "一级"
    SECOND = "2", "二级"
    THIRD = "3", "三级"
    FOURTH = "4", "四级"


class MediatorStatus(LabeledEnum):
    """Whether the mediator still serves; retired mediators keep their history."""

    ACTIVE = "active", "在职"
    RETIRED = "retired", "离任"


class TrainingLevel(LabeledEnum):
    """Who organised a training."""

    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "全国"


class ExpertStatus(LabeledEnum):
    """Whether the expert is in the pool."""

    ACTIVE = "active", "在库"
    WITHDRAWN = "withdrawn", "已退出"


BACKGROUND_TAGS = ("退休干警", "老干部", "老党员", "大学生村官", "社会工作者", "律师", "法律工作者", "网格员")
POLITICAL_STATUSES = ("中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众")
EDUCATION_LEVELS = ("小学", "初中", "高中", "中专", "大专", "本科", "研究生")
ETHNIC_GROUPS = (
    "汉族",
    "回族",
    "满族",
    "蒙古族",
    "壮族",
    "维吾尔族",
    "藏族",
    "苗族",
    "彝族",
    "土家族",
    "朝鲜族",
    "其他",
)
EXPERT_PROFESSIONS = (
    "律师",
    "医生",
    "心理咨询师",
    "工程师",
    "会计师",
    "退休法官",
    "退休检察官",
    "人大代表",
    "政协委员",
    "教师",
    "建筑师",
    "保险理赔师",
    "其他",
)

mediator_specialty = Table(
    "mediator_specialty",
    Base.metadata,
    Column("mediator_id", ForeignKey("mediator.id", ondelete="CASCADE"), primary_key=True),
    Column("dispute_type_id", ForeignKey("dispute_type.id"), primary_key=True),
)

expert_specialty = Table(
    "expert_specialty",
    Base.metadata,
    Column("expert_id", ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True),
    Column("dispute_type_id", ForeignKey("dispute_type.id"), primary_key=True),
)


class Mediator(TimestampMixin, VersionedMixin, Base):
    """A people's mediator on the roster (调解员)."""

    __tablename__ = "mediator"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[Gender] = mapped_column(enum_type(Gender))
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    birth_date: Mapped[date | None]
    # Stored whole (docs/architecture.md §4), shown masked.
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    political_status: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[MediatorPosition] = mapped_column(
        enum_type(MediatorPosition), default=MediatorPosition.MEDIATOR
    )
    employment: Mapped[Employment] = mapped_column(enum_type(Employment), default=Employment.PART_TIME)
    background_tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    grade: Mapped[MediatorGrade | None] = mapped_column(enum_type(MediatorGrade))
    appointed_on: Mapped[date | None]
    term_ends_on: Mapped[date | None]
    status: Mapped[MediatorStatus] = mapped_column(
        enum_type(MediatorStatus), default=MediatorStatus.ACTIVE, index=True
    )
    left_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    specialties: Mapped[list[DisputeType]] = relationship(secondary=mediator_specialty)
    trainings: Mapped[list[Training]] = relationship(
        back_populates="mediator", cascade="all, delete-orphan", order_by="Training.held_on.desc()"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def training_hours(self) -> Decimal:
        """Return the total training hours on record."""
        return sum((t.hours for t in self.trainings), Decimal(0))


class Training(TimestampMixin, Base):
    """A training a mediator attended (培训记录)."""

    __tablename__ = "training"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date]
    level: Mapped[TrainingLevel] = mapped_column(enum_type(TrainingLevel))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    topic: Mapped[str] = mapped_column(String(200))
    organizer: Mapped[str | None] = mapped_column(String(100))

    mediator: Mapped[Mediator] = relationship(back_populates="trainings")

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.topic}"


class Expert(TimestampMixin, VersionedMixin, Base):
    """A member of the invited-expert pool (特邀专家调解员)."""

    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organisation that keeps the pool entry (usually the county 协调中心).
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[Gender] = mapped_column(enum_type(Gender))
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    profession: Mapped[str] = mapped_column(String(30))
    employer: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(50))
    availability: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ExpertStatus] = mapped_column(enum_type(ExpertStatus), default=ExpertStatus.ACTIVE)
    joined_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    specialties: Mapped[list[DisputeType]] = relationship(secondary=expert_specialty)

    def __str__(self) -> str:
        return f"{self.name}（{self.profession}）"
