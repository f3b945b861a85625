"""The ledger's dictionary: dispute types (纠纷类型)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, VersionedMixin


class DisputeType(TimestampMixin, VersionedMixin, Base):
    """A node of the hierarchical dispute-type dictionary (纠纷类型)."""

    __tablename__ = "dispute_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_type.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    # Days allowed for mediation after acceptance; None falls back to the configured default.
    default_deadline_days: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default="1")

    parent: Mapped[DisputeType | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[DisputeType]] = relationship(
        back_populates="parent", order_by="DisputeType.sort_order"
    )

    def __str__(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent else self.name
