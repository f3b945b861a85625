"""Users (用户) and their roles."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.models.base import Base, LabeledEnum, TimestampMixin, VersionedMixin
from portal.models.org import Organization


class Role(LabeledEnum):
    """Roles of docs/architecture.md §1; a user may hold several."""

    ADMIN = "admin", "管理员"
    EVALUATOR = "evaluator", "考评员"
    CLERK = "clerk", "文书"
    ENTRY = "entry", "调解员/录入员"


class User(UserMixin, TimestampMixin, VersionedMixin, Base):
    """A portal account, bound to one organisation node whose subtree it sees."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    full_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Space-separated role values, e.g. "admin clerk".
    roles_value: Mapped[str] = mapped_column("roles", String(100), default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）"

    @property
    def roles(self) -> set[Role]:
        """Return the roles this user holds."""
        return {Role(v) for v in self.roles_value.split() if v in Role._value2member_map_}

    @roles.setter
    def roles(self, values) -> None:
        self.roles_value = " ".join(sorted({Role(v).value for v in values}))

    def has_role(self, *roles: Role | str) -> bool:
        """Return whether the user holds any of the given roles."""
        held = {r.value for r in self.roles}
        return any(Role(r).value in held for r in roles)

    @property
    def is_active(self) -> bool:  # Flask-Login asks this before logging a user in
        return self.active

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)
