"""Mediation organisations (调解组织): a tree kept with a materialised path for fast subtree scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, event, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin, enum_type


class OrgLevel(LabeledEnum):
    """Administrative level of a node."""

    COUNTY = "county", "区/县"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"
    GRID = "grid", "网格/楼栋"


class OrgKind(LabeledEnum):
    """Kind of mediation organisation (docs/architecture.md §2)."""

    COORDINATION_CENTRE = "coordination_centre", "协调中心"
    JUSTICE_OFFICE = "justice_office", "司法所"
    COMMITTEE = "committee", "人民调解委员会"
    INDUSTRY_COMMITTEE = "industry_committee", "行业性专业性调委会"
    STUDIO = "studio", "调解室/调解工作室"
    TEAM = "team", "民调小组"
    ADMINISTRATIVE = "administrative", "行政调解组织"
    COURT_LINK = "court_link", "诉调对接中心"
    SOCIAL = "social", "社会调解组织"


class OrgStatus(LabeledEnum):
    """Registration status; a revoked organisation keeps its history."""

    NORMAL = "normal", "正常"
    RECTIFYING = "rectifying", "整改中"
    REVOKED = "revoked", "已撤销"


class Industry(LabeledEnum):
    """Field of a 行业性专业性 committee."""

    MEDICAL = "medical", "医疗"
    TRAFFIC = "traffic", "交通"
    LABOUR = "labour", "劳动"
    MARRIAGE = "marriage", "婚恋家庭"
    PROPERTY = "property", "物业"
    ENVIRONMENT = "environment", "环境"
    CONSUMER = "consumer", "消费"
    OTHER = "other", "其他"


class Organization(TimestampMixin, VersionedMixin, Base):
    """A node of the mediation organisation tree (调解组织)."""

    __tablename__ = "organization"
    __table_args__ = (Index("ix_organization_path", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # "/1/5/23/": ids from the root down to this node. Subtree = path LIKE '<own path>%'.
    path: Mapped[str] = mapped_column(String(255), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100))
    # 简称, used in case numbers: （2026）<code>人调字第N号
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[OrgLevel] = mapped_column(enum_type(OrgLevel))
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind))
    industry: Mapped[Industry | None] = mapped_column(enum_type(Industry))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    filing_number: Mapped[str | None] = mapped_column(String(50))
    filing_date: Mapped[date | None]
    established_on: Mapped[date | None]
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus), default=OrgStatus.NORMAL)
    address: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)
    # The official seal (公章) printed over the date of documents this organisation issues: a PNG with a
    # transparent background, uploaded by an administrator. Deferred so lists never load it.
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    parent: Mapped[Organization | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organization]] = relationship(
        back_populates="parent", order_by="Organization.sort_order"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Return the ids from the root down to (and including) this node."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def is_active(self) -> bool:
        """Return whether the organisation may take new work."""
        return self.status != OrgStatus.REVOKED


def _path_for(connection, parent_id: int | None, own_id: int) -> str:
    """Return the materialised path of a node under `parent_id`."""
    if parent_id is None:
        return f"/{own_id}/"
    parent_path = connection.scalar(select(Organization.path).where(Organization.id == parent_id))
    return f"{parent_path}{own_id}/"


@event.listens_for(Organization, "after_insert")
def _set_path_after_insert(mapper, connection, target: Organization) -> None:
    """Fill in the path once the new node has an id."""
    path = _path_for(connection, target.parent_id, target.id)
    connection.execute(update(Organization.__table__).where(Organization.id == target.id).values(path=path))
    # Keep the in-memory object in step without marking it dirty.
    target.__dict__["path"] = path


@event.listens_for(Organization, "after_update")
def _move_subtree_after_update(mapper, connection, target: Organization) -> None:
    """When a node moves, rewrite its path and all its descendants' paths."""
    old_path = connection.scalar(
        select(Organization.__table__.c.path).where(Organization.__table__.c.id == target.id)
    )
    new_path = _path_for(connection, target.parent_id, target.id)
    if old_path == new_path:
        return
    table = Organization.__table__
    connection.execute(
        update(table)
        .where(table.c.path.startswith(old_path, autoescape=True))
        .values(path=new_path + func.substr(table.c.path, len(old_path) + 1))
    )
    target.__dict__["path"] = new_path
