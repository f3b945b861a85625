"""The audit log (审计日志) of every change made through the portal, and the sign-in log (登录日志).

Both are append-only. Sign-ins, sign-outs, failed attempts, lockouts and unlocks go to the sign-in
log only; the audit log holds changes of data (and exports and the printing of documents).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.auth import User
from portal.models.base import Base, JSONType, LabeledEnum, enum_type, utcnow


class AuditAction(LabeledEnum):
    """What happened."""

    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    # A step of a workflow (受理登记, 分流交办, 督办, 结案归档, …), named in `AuditEvent.step`.
    STEP = "step", "办理"
    # Written before the sign-in log existed (migration 0010 copied them there); no longer written.
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    EXPORT = "export", "导出"
    # An xlsx import (数据导入): one summary row per file, besides a row for each record it created.
    IMPORT = "import", "导入"


class AuditEvent(Base):
    """One change: who, when, from where, to what, and the before/after values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(String(200))
    # The workflow step(s) taken, by their Chinese names ("分流交办"), when `action` is STEP.
    step: Mapped[str | None] = mapped_column(String(100))
    # {"field": [before, after], ...}; a reference also under its relationship's key with the names
    # of the objects, e.g. "organization_id": [3, 5] and "organization": ["马集镇…", "柳林镇…"].
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship()

    @property
    def operation(self) -> str:
        """Return what was done, in Chinese: the step's name for a workflow step, else the action's."""
        return self.step if self.action is AuditAction.STEP and self.step else self.action.label


class SignInKind(LabeledEnum):
    """What happened at the sign-in form (or to an account's lock)."""

    SIGN_IN = "sign_in", "登录"
    SIGN_OUT = "sign_out", "退出"
    FAILED = "failed", "登录失败"
    LOCKED = "locked", "账户锁定"
    UNLOCKED = "unlocked", "解除锁定"


class SignInEvent(Base):
    """One sign-in, sign-out, failed attempt, lockout or unlock: who (as typed), when, from where."""

    __tablename__ = "sign_in_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[SignInKind] = mapped_column(enum_type(SignInKind), index=True)
    # The name as typed at the form (an unknown name too), or the account's name.
    username: Mapped[str] = mapped_column(String(50), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    full_name: Mapped[str | None] = mapped_column(String(50))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.label} {self.username}"
