"""Audit trail: every flushed create, update and delete becomes an AuditEvent row.

A session listener rather than per-view hooks, so that changes made by services, the CLI and
Flask-Admin alike are recorded, and nobody can forget to call it.

What a reader needs is written with the change: a reference (`organization_id`) comes with the
names of the objects before and after under the relationship's key (`organization`), and a
workflow step (a new CaseEvent, ReviewEvent or RoundEvent) is logged as that step: the row of
the case (review, round) it moved says 办理 with the step's name (分流交办, 督办, 结案归档, …) and
carries the step's note and details, instead of a plain 修改 plus a separate 新增 of the event row.
Sign-ins are not changes of data: they go to the sign-in log (`accounts`), and the bookkeeping
columns they update (failed attempts, lock, last sign-in) are not audited.
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

from portal.models.assessment import RoundEvent
from portal.models.audit import AuditAction, AuditEvent, SignInEvent
from portal.models.base import utcnow
from portal.models.case import CaseEvent
from portal.models.case_answer import CaseAnswer
from portal.models.case_library import ExcellentCaseEvent, ExcellentCaseRevision
from portal.models.meeting import AssignmentEvent
from portal.models.print_job import PrintJobPart
from portal.models.review import ReviewEvent
from portal.models.subsidy import SubsidyClaimEvent
from portal.models.tally import CaseStatusTally, CaseTypeTally

# Never copy these into the log: secrets, and bookkeeping that changes on every save.
REDACTED = {"password_hash"}
IGNORED = {"version", "updated_at", "created_at", "path"}
#: Columns of one table that are not audited: what signing in updates is in the sign-in log.
IGNORED_BY_TABLE = {
    "user_account": {"failed_logins", "locked_until", "last_login_at"},
    # The form builder's undo copies of earlier drafts: the draft's own changes are audited.
    "form_definition": {"undo_stack"},
}
#: Logs of their own, and figures derived from the ledger in the same transaction (the dashboard's
#: summary tables, the answer index): never audited row by row — the change they follow is.
#: A batch print's stored parts (its checkpoints for 重试) and a library entry's saved text versions are
#: records of their own; the job's and the entry's audited changes say what happened.
UNAUDITED = (
    AuditEvent,
    SignInEvent,
    CaseStatusTally,
    CaseTypeTally,
    CaseAnswer,
    PrintJobPart,
    ExcellentCaseRevision,
)

#: Workflow steps: the event classes, and the relationship naming what each step moved.
STEP_EVENTS: dict[type, str] = {
    CaseEvent: "case",
    ReviewEvent: "review",
    RoundEvent: "round",
    AssignmentEvent: "assignment",
    SubsidyClaimEvent: "claim",
    ExcellentCaseEvent: "entry",
}
#: What an event row repeats of its step's audit row (who, when, which case, which step, the status
#: change already in the case's diff); its other fields (note, reason, details) join that row.
STEP_BOOKKEEPING = {
    "id", "kind", "at", "actor_id", "actor", "actor_name", "organization_id", "organization",
    "from_status", "to_status", "case_id", "case", "review_id", "review", "round_id", "round",
    "assignment_id", "assignment", "entry_id", "entry", "claim_id", "claim",
}  # fmt: skip
PENDING_KEY = "portal.audit_pending"


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


def _changes(session: Session, obj: Any, action: AuditAction) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the object's columns and many-to-many collections."""
    state = inspect(obj)
    ignored = IGNORED | IGNORED_BY_TABLE.get(obj.__table__.name, set())
    diff: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ignored:
            continue
        if action is AuditAction.CREATE:
            before, after = None, getattr(obj, key)
        elif action is AuditAction.DELETE:
            before, after = getattr(obj, key), None
        else:
            hist = state.attrs[key].history  # only an update needs it; reading it costs (bulk imports)
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
    _reference_names(session, state, diff)
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


def _reference_names(session: Session, state: Any, diff: dict[str, list[Any]]) -> None:
    """Add the names of the objects a changed reference pointed at, under the relationship's key.

    `organization_id: [3, 5]` gains `organization: ["马集镇人民调解委员会", "柳林镇人民调解委员会"]`:
    the names as they were when the change was made, which stay readable after a rename or delete.
    """
    for rel in state.mapper.relationships:
        if rel.direction is not MANYTOONE or len(rel.local_columns) != 1 or rel.key in diff:
            continue
        fk_key = state.mapper.get_property_by_column(next(iter(rel.local_columns))).key
        if fk_key not in diff or fk_key in REDACTED:
            continue
        target = rel.mapper.class_
        diff[rel.key] = [_name_of(session, target, value) for value in diff[fk_key]]


def _name_of(session: Session, target: type, key: Any) -> str | None:
    if key is None:
        return None
    with session.no_autoflush:
        found = session.get(target, key)
    return None if found is None else str(found)[:200]


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
            if isinstance(obj, UNAUDITED) or not hasattr(obj, "__table__"):
                continue
            if action is AuditAction.UPDATE and not session.is_modified(obj, include_collections=True):
                continue
            changes = _changes(session, obj, action)
            if action is AuditAction.UPDATE and not changes:
                continue
            rows.append(
                {
                    "action": action,
                    "entity": obj.__table__.name,
                    "obj": obj,
                    "summary": str(obj)[:200],
                    "changes": changes,
                    "step": None,
                }
            )
    return rows


def _merge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the rows of one object created or updated over several flushes of a transaction.

    A field changed twice shows its value before the first change and after the last; a field
    changed back is dropped, and so is an update left with no change.
    """
    merged: dict[Any, dict[str, Any]] = {}
    result = []
    for row in rows:
        if row["action"] is AuditAction.DELETE:
            result.append(row)
            continue
        key = _identity(row["obj"])
        first = merged.get(key)
        if first is None:
            merged[key] = row
            result.append(row)
            continue
        for field, (before, after) in row["changes"].items():
            earlier = first["changes"].get(field)
            first["changes"][field] = [earlier[0] if earlier else before, after]
        first["summary"], first["at"], first["actor"] = row["summary"], row["at"], row["actor"]
    for row in merged.values():
        if row["action"] is AuditAction.UPDATE:
            row["changes"] = {k: v for k, v in row["changes"].items() if v[0] != v[1] or k in REDACTED}
    return [row for row in result if row["changes"] or row["action"] is not AuditAction.UPDATE]


def _fold_steps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log each workflow step as that step on the row of what it moved (see the module's docstring)."""
    steps: dict[Any, list[str]] = {}
    extra: dict[Any, dict[str, list[Any]]] = {}
    events: dict[Any, dict[str, Any]] = {}
    kept = []
    for row in rows:
        obj = row["obj"]
        if row["action"] is not AuditAction.CREATE or type(obj) not in STEP_EVENTS:
            kept.append(row)
            continue
        parent = getattr(obj, STEP_EVENTS[type(obj)])
        key = _identity(parent)
        labels = steps.setdefault(key, [])
        if obj.kind.label not in labels:
            labels.append(obj.kind.label)
        events[key] = {**row, "obj": parent, "entity": parent.__table__.name}
        extra.setdefault(key, {}).update(
            {k: v for k, v in row["changes"].items() if k not in STEP_BOOKKEEPING}
        )
    for row in kept:
        key = _identity(row["obj"])
        if row["action"] is not AuditAction.DELETE and key in steps:
            row["changes"].update(extra.pop(key, {}))
            _as_step(row, steps[key])
    for key, changes in extra.items():  # a step that changed nothing on what it moved (督办 of a case)
        kept.append(_as_step({**events[key], "changes": changes}, steps[key]))
    return kept


def _identity(obj: Any) -> Any:
    """Return the object's identity key, read from its attributes (new rows get theirs after the flush)."""
    return inspect(obj).mapper.identity_key_from_instance(obj)


def _as_step(row: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    row["action"] = AuditAction.STEP
    row["step"] = "、".join(labels)[:100]
    row["summary"] = f"{row['step']}：{row['obj']}"[:200]
    return row


def record(session: Session, action: AuditAction, entity: str, entity_id: Any, summary: str, **changes: Any):
    """Add an explicit audit event (exports, prints, unlocks) to the session."""
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


def write_pending(session: Session) -> int:
    """Write the audit rows of what the transaction has flushed so far, now, inside the transaction.

    Commit does this by itself. A bulk load (the xlsx import) calls it after each batch's flush so that
    the pending rows, and the objects they hold, do not pile up until the commit: the rows still belong
    to the transaction and vanish with a rollback. An object written here and changed again in the same
    transaction gets a second row; bulk loads do not change what they have just added. Returns the
    number of rows written.
    """
    rows = _fold_steps(_merge(session.info.pop(PENDING_KEY, [])))
    if not rows:
        return 0
    values = [
        {
            "at": row["at"],
            "actor_id": row["actor"].user_id if row["actor"] else None,
            "actor_name": row["actor"].name if row["actor"] else "系统",
            "ip": row["actor"].ip if row["actor"] else None,
            "action": row["action"].value,
            "entity": row["entity"],
            "entity_id": _pk(row["obj"]),
            "summary": row["summary"],
            "step": row["step"],
            "changes": row["changes"],
        }
        for row in rows
    ]
    session.connection().execute(insert(AuditEvent.__table__), values)
    return len(values)


def register(session_factory: Any) -> None:
    """Listen on the session class so every change is audited.

    The changes are read at each flush, while the attribute history describes them, and written when
    the transaction commits: one row per object and transaction, with a step's changes made before
    and after its event row was flushed together under that step. A rolled back transaction writes
    nothing.
    """
    deleting: dict[int, list[dict[str, Any]]] = {}

    @event.listens_for(session_factory, "before_flush")
    def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
        if _paused.get():
            return
        # Deletes must be captured before the flush, while the row's values are still loaded.
        deleting[id(session)] = _collect(session, (AuditAction.DELETE,))

    @event.listens_for(session_factory, "after_flush")
    def _after_flush(session: Session, flush_context: Any) -> None:
        # Creates and updates after it: new keys and foreign keys are filled in, while the session's
        # new/dirty sets and the attribute history still describe what this flush changed.
        if _paused.get():
            deleting.pop(id(session), None)
            return
        rows = _collect(session, (AuditAction.CREATE, AuditAction.UPDATE)) + deleting.pop(id(session), [])
        actor, now = current_actor(), utcnow()
        for row in rows:
            row["actor"], row["at"] = actor, now
        session.info.setdefault(PENDING_KEY, []).extend(rows)

    @event.listens_for(session_factory, "before_commit")
    def _before_commit(session: Session) -> None:
        session.flush()  # what is still pending is part of the transaction too
        write_pending(session)

    @event.listens_for(session_factory, "after_transaction_end")
    def _transaction_over(session: Session, transaction: Any) -> None:
        if transaction.parent is None:  # committed (already written), rolled back or closed
            session.info.pop(PENDING_KEY, None)
