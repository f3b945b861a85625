"""Accounts: sign-in with lockout after repeated failures, password changes, user creation."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.models.audit import AuditAction, SignInEvent, SignInKind
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.org import Organization
from portal.services import DomainError, audit
from portal.text import strip_control

# The start of every refused sign-in; see `refusal_message`.
BAD_CREDENTIALS = "用户名或密码错误"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures lock an account, and for how long."""

    max_failures: int = 5
    lock_minutes: int = 15


def refusal_message(policy: LockoutPolicy) -> str:
    """Return the one answer to every refused sign-in: unknown name, wrong password, locked account.

    The form must not tell which accounts exist, so it never says how many tries are left, nor that
    this account is locked (only an account that exists can be), nor that a password was right while
    the account is locked (that would let a guesser go on through the lock). It states the rule
    instead, so a locked-out user knows to wait or call an administrator.
    """
    return (
        f"{BAD_CREDENTIALS}。连续输错 {policy.max_failures} 次的账户将锁定 {policy.lock_minutes} 分钟，"
        "锁定期间无法登录；忘记密码或需解锁请联系管理员"
    )


@cache
def _dummy_hash() -> str:
    """A hash of a random password, made like the accounts' own, to check unknown names against."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _aware(moment: datetime) -> datetime:
    """Return `moment` as UTC-aware (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from, for the sign-in log."""

    ip: str | None = None
    user_agent: str | None = None


def log_sign_in(
    session: Session,
    kind: SignInKind,
    username: str,
    user: User | None = None,
    client: Client | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Add a row to the sign-in log (登录日志); what the client sent is stored without control characters."""
    client = client or Client()

    def clean(text: str | None, size: int) -> str | None:
        return strip_control(text, multiline=False)[:size] or None if text else None

    session.add(
        SignInEvent(
            at=now or utcnow(),
            kind=kind,
            username=user.username if user else clean(username.strip(), 50) or "",
            user_id=user.id if user else None,
            full_name=user.full_name if user else None,
            ip=clean(client.ip, 45),
            user_agent=clean(client.user_agent, 200),
            detail=detail and detail[:200],
        )
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: datetime | None = None,
    client: Client | None = None,
) -> User:
    """Return the user for valid credentials, counting failures and locking the account; commits.

    Every refusal raises the same `refusal_message` after the same work (one password hash is
    checked, one commit), so neither the answer nor its timing tells whether the name exists.
    A deactivated account is named as such only to someone who gave its right password.
    Every attempt, and a lockout it causes, is written to the sign-in log.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    refused = DomainError(refusal_message(policy))

    def log(kind: SignInKind, detail: str | None = None) -> None:
        log_sign_in(session, kind, username, user, client, detail, now)

    if user is None:
        check_password_hash(_dummy_hash(), password)  # as long as checking a real account's password
        log(SignInKind.FAILED, "用户名不存在")
        session.commit()
        raise refused
    password_ok = user.check_password(password)
    if user.locked_until is not None and _aware(user.locked_until) > now:
        log(SignInKind.FAILED, "账户锁定中" + ("（密码正确）" if password_ok else "（密码错误）"))
        session.commit()
        raise refused
    if not password_ok:
        user.failed_logins += 1
        log(SignInKind.FAILED, f"密码错误（连续第 {user.failed_logins} 次）")
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            log(SignInKind.LOCKED, f"密码连续错误 {policy.max_failures} 次，锁定 {policy.lock_minutes} 分钟")
        session.commit()
        raise refused
    if not user.active:
        log(SignInKind.FAILED, "账户已停用")
        session.commit()
        raise DomainError("该账户已停用，请联系管理员")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    log(SignInKind.SIGN_IN)
    session.commit()
    return user


def sign_out(session: Session, user: User, client: Client | None = None) -> None:
    """Write a sign-out to the sign-in log; commits."""
    log_sign_in(session, SignInKind.SIGN_OUT, user.username, user, client)
    session.commit()


def password_problem(password: str, min_length: int = 8) -> str | None:
    """Return why a new password is too weak, or None."""
    if len(password) < min_length:
        return f"密码至少 {min_length} 位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码须同时包含字母和数字"
    return None


def change_password(session: Session, user: User, current: str, new: str, min_length: int = 8) -> None:
    """Change a user's own password after checking the current one; commits."""
    if not user.check_password(current):
        raise DomainError("当前密码不正确", field="current")
    problem = password_problem(new, min_length)
    if problem:
        raise DomainError(problem, field="new")
    if user.check_password(new):
        raise DomainError("新密码不能与当前密码相同", field="new")
    user.set_password(new)
    user.password_changed_at = utcnow()
    session.commit()


def unlock(session: Session, users: Iterable[User], actor: User, client: Client | None = None) -> int:
    """Clear the lockouts of locked accounts, in the sign-in and audit logs; commits; returns how many."""
    count = 0
    for user in users:
        if user.locked_until is None and not user.failed_logins:
            continue
        detail = f"{actor.full_name}解除锁定"
        log_sign_in(session, SignInKind.UNLOCKED, user.username, user, client, detail)
        audit.record(
            session,
            AuditAction.UPDATE,
            "user_account",
            user.id,
            f"解除登录锁定：{user}",
            locked_until=[user.locked_until, None],
            failed_logins=[user.failed_logins, 0],
        )
        user.failed_logins = 0
        user.locked_until = None
        count += 1
    session.commit()
    return count


def check_self_change(user: User, actor: User) -> None:
    """Refuse an administrator's edit that would lock themselves out."""
    if user.id != actor.id:
        return
    if not user.active:
        raise DomainError("不能停用自己的账户")
    if not user.has_role(Role.ADMIN):
        raise DomainError("不能取消自己的管理员角色")


def deactivate(session: Session, users: Iterable[User], actor: User) -> int:
    """Deactivate accounts, never the actor's own (they are kept: the audit log refers to them); commits."""
    count = 0
    for user in users:
        if user.id != actor.id and user.active:
            user.active = False
            count += 1
    session.commit()
    return count


def create_user(
    session: Session,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    organization: Organization,
    min_length: int = 8,
) -> User:
    """Create an account after checking the name is free and the password strong enough; commits."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,50}", username):
        raise DomainError("用户名须为3至50位字母、数字、下划线、点或连字符")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise DomainError(f"用户名 {username} 已存在")
    if not roles:
        raise DomainError("至少选择一个角色")
    unknown = [r for r in roles if r not in Role._value2member_map_]
    if unknown:
        raise DomainError(f"未知角色：{'、'.join(unknown)}")
    problem = password_problem(password, min_length)
    if problem:
        raise DomainError(problem)
    user = User(username=username, full_name=full_name, organization=organization)
    user.roles = roles
    user.set_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    session.commit()
    return user
