"""Audit trail: every flushed create, update and delete becomes an AuditEvent row.

A session listener rather than per-view hooks, so that changes made by services, the CLI and
Flask-Admin alike are recorded, and nobody can forget to call it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import MANYTOONE, Session

from portal.models.audit import AuditAction, AuditEvent
from portal.models.base import utcnow

# Never copy these into the log: secrets, and bookkeeping that changes on every save.
REDACTED = {"password_hash"}
IGNORED = {"version", "updated_at", "created_at", "path"}


@dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log."""

    user_id: int | None
    name: str
    ip: str | None = None


_cli_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)
_paused: ContextVar[bool] = ContextVar("audit_paused", default=False)
_actor_provider: Callable[[], Actor | None] | None = None


def set_actor_provider(provider: Callable[[], Actor | None]) -> None:
    """Install the function that names the acting user of a web request."""
    global _actor_provider
    _actor_provider = provider


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute changes made inside the block to `actor` (CLI, jobs, tests)."""
    token = _cli_actor.set(actor)
    try:
        yield
    finally:
        _cli_actor.reset(token)


@contextmanager
def paused() -> Iterator[None]:
    """Write no automatic audit events for flushes inside the block (this thread/context only).

    Only for loading demo data in bulk: `seed-demo` inserts about 75,000 case rows, and diffing each
    of them would more than double the load time and bury the real trail under demo rows. The
    seeder records one summary event with `record` instead. Auditing is on unless this block is
    entered; nothing else may use it.
    """
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def current_actor() -> Actor | None:
    """Return the acting user: an explicit `acting_as` wins over the web request's user."""
    explicit = _cli_actor.get()
    if explicit is not None:
        return explicit
    return _actor_provider() if _actor_provider else None


def _plain(value: Any) -> Any:
    """Return a JSON-safe representation of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _changes(obj: Any, action: AuditAction) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the object's columns and many-to-many collections."""
    state = inspect(obj)
    diff: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in IGNORED:
            continue
        hist = state.attrs[key].history
        if action is AuditAction.CREATE:
            before, after = None, getattr(obj, key)
        elif action is AuditAction.DELETE:
            before, after = getattr(obj, key), None
        else:
            if not hist.has_changes():
                continue
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
        if before is None and after is None:
            continue
        if key in REDACTED:
            diff[key] = ["***", "***"]
            continue
        diff[key] = [_plain(before), _plain(after)]
    _many_to_one_changes(state, action, diff)
    for rel in state.mapper.relationships:
        if rel.secondary is None or action is AuditAction.DELETE:
            continue
        hist = state.attrs[rel.key].history
        if not hist.has_changes():
            continue
        after_items = [str(v) for v in (hist.unchanged or ()) + tuple(hist.added or ())]
        before_items = [str(v) for v in (hist.unchanged or ()) + tuple(hist.deleted or ())]
        diff[rel.key] = [sorted(before_items), sorted(after_items)]
    return diff


def _many_to_one_changes(state: Any, action: AuditAction, diff: dict[str, list[Any]]) -> None:
    """Record foreign keys changed through a relationship (`mediator.organization = …`).

    SQLAlchemy copies the related object's key into the column during the flush without recording
    it as column history, so the column alone may show no change; the relationship's history does.
    """
    for rel in state.mapper.relationships:
        if rel.direction is not MANYTOONE or len(rel.local_columns) != 1 or action is AuditAction.DELETE:
            continue
        fk_key = state.mapper.get_property_by_column(next(iter(rel.local_columns))).key
        hist = state.attrs[rel.key].history
        if not hist.added:
            continue
        after = _related_pk(hist.added[0])
        if action is AuditAction.CREATE:
            before = None
        elif hist.deleted:
            before = _related_pk(hist.deleted[0])
        else:
            column = state.attrs[fk_key].history
            before = (column.unchanged or column.deleted or [None])[0]
        if before != after:
            diff[fk_key] = [_plain(before), _plain(after)]


def _related_pk(obj: Any) -> Any:
    if obj is None:
        return None
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return values[0] if len(values) == 1 else None


def _pk(obj: Any) -> str | None:
    """Return the primary key as text; read from the attributes, which the INSERT has filled in."""
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return None if any(v is None for v in values) else ",".join(str(v) for v in values)


def _collect(session: Session, actions: tuple[AuditAction, ...]) -> list[dict[str, Any]]:
    rows = []
    groups = [
        (action, objects)
        for action, objects in (
            (AuditAction.CREATE, session.new),
            (AuditAction.UPDATE, session.dirty),
            (AuditAction.DELETE, session.deleted),
        )
        if action in actions
    ]
    for action, objects in groups:
        for obj in objects:
            if isinstance(obj, AuditEvent) or not hasattr(obj, "__table__"):
                continue
            if action is AuditAction.UPDATE and not session.is_modified(obj, include_collections=True):
                continue
            changes = _changes(obj, action)
            if action is AuditAction.UPDATE and not changes:
                continue
            rows.append(
                {
                    "action": action,
                    "entity": obj.__table__.name,
                    "obj": obj,
                    "summary": str(obj)[:200],
                    "changes": changes,
                }
            )
    return rows


def record(session: Session, action: AuditAction, entity: str, entity_id: Any, summary: str, **changes: Any):
    """Add an explicit audit event (logins, exports) to the session."""
    actor = current_actor()
    session.add(
        AuditEvent(
            at=utcnow(),
            actor_id=actor.user_id if actor else None,
            actor_name=actor.name if actor else "系统",
            ip=actor.ip if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            summary=summary[:200],
            changes={k: _plain(v) for k, v in changes.items()},
        )
    )


def register(session_factory: Any) -> None:
    """Listen on the session class so every flush is audited."""
    pending: dict[int, list[dict[str, Any]]] = {}

    @event.listens_for(session_factory, "before_flush")
    def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
        if _paused.get():
            return
        # Deletes must be captured before the flush, while the row's values are still loaded.
        pending[id(session)] = _collect(session, (AuditAction.DELETE,))

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session: Session, flush_context: Any) -> None:
        # Creates and updates after it: new keys and foreign keys are filled in, while the session's
        # new/dirty sets and the attribute history still describe what this flush changed.
        if _paused.get():
            pending.pop(id(session), None)
            return
        rows = _collect(session, (AuditAction.CREATE, AuditAction.UPDATE)) + pending.pop(id(session), [])
        if not rows:
            return
        actor = current_actor()
        now = utcnow()
        values = [
            {
                "at": now,
                "actor_id": actor.user_id if actor else None,
                "actor_name": actor.name if actor else "系统",
                "ip": actor.ip if actor else None,
                "action": row["action"].value,
                "entity": row["entity"],
                # New rows have their primary key only now, after the INSERT.
                "entity_id": _pk(row["obj"]),
                "summary": row["summary"],
                "changes": row["changes"],
            }
            for row in rows
        ]
        session.connection().execute(insert(AuditEvent.__table__), values)
