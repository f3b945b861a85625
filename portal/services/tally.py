"""The dashboard's summary tables (`models.tally`), kept current in the transaction that changes a case.

Counting a million cases by status, type, organisation and month on every visit of the 工作台 takes
seconds; the summary tables hold the same counts in a few thousand rows. They are kept exact, not
cached: every flush that adds a case, changes one of the facts a key is made of (organisation,
acceptance date, type, status, failure reason, agreement, 办结日期, 办结时限) or deletes one reads
those facts from the database just before and just after the flush and moves the difference into
the tables, on the flush's own connection. A rolled-back transaction takes its counts with it, and
two transactions changing the same row wait for each other like any other row update.

Writes that bypass the ORM (bulk loads such as `bench/seed_scale.py`) call `rebuild` afterwards;
`recount` counts the ledger afresh, which the tests compare with the stored rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, cast, delete, event, func, inspect, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.models.case import Agreement, Case, CaseStatus
from portal.models.tally import CaseStatusTally, CaseTypeTally

SUCCESS, FAILED = "success", "failed"
ON_TIME, LATE = "on_time", "late"
#: Case attributes a tally key is made of; a flush changing none of them leaves the tables alone.
KEY_ATTRIBUTES = (
    "organization",
    "organization_id",
    "accepted_on",
    "dispute_type",
    "dispute_type_id",
    "status",
    "failure_reason",
    "concluded_on",
    "deadline",
    "agreement",
)
CHUNK = 500
_BEFORE = "portal_tally_before"

StatusKey = tuple[int, date, str, str, str]
TypeKey = tuple[int, date, int]


@dataclass(frozen=True)
class Facts:
    """What a case's keys are made of, as stored."""

    organization_id: int
    accepted_on: date
    dispute_type_id: int
    status: str
    has_agreement: bool
    has_failure: bool
    concluded_on: date | None
    deadline: date

    @property
    def month(self) -> date:
        return self.accepted_on.replace(day=1)

    @property
    def outcome(self) -> str:
        return SUCCESS if self.has_agreement else FAILED if self.has_failure else ""

    @property
    def timeliness(self) -> str:
        if self.concluded_on is None:
            return ""
        return ON_TIME if self.concluded_on <= self.deadline else LATE

    def status_key(self) -> StatusKey:
        return (self.organization_id, self.month, self.status, self.outcome, self.timeliness)

    def type_key(self) -> TypeKey | None:
        if self.status == CaseStatus.VOIDED.value:
            return None
        return (self.organization_id, self.month, self.dispute_type_id)


# --- the SQL side: the same keys for the whole ledger ---------------------------------------------


def month_of(connection: Connection, column: Any) -> Any:
    """Return the SQL for the first day of the month of a date column."""
    if connection.dialect.name == "sqlite":
        return func.date(column, "start of month", type_=Date)
    return cast(func.date_trunc("month", column), Date)


def outcome_sql() -> Any:
    return case(
        (Agreement.id.is_not(None), literal(SUCCESS)),
        (Case.failure_reason.is_not(None), literal(FAILED)),
        else_=literal(""),
    )


def timeliness_sql() -> Any:
    return case(
        (Case.concluded_on.is_(None), literal("")),
        (Case.concluded_on <= Case.deadline, literal(ON_TIME)),
        else_=literal(LATE),
    )


def _recount_selects(connection: Connection) -> dict[Any, Any]:
    """Return {table: SELECT of its key columns and counts over the whole ledger}."""
    month = month_of(connection, Case.accepted_on)
    outcome, timeliness = outcome_sql(), timeliness_sql()
    by_status = (
        select(Case.organization_id, month, Case.status, outcome, timeliness, func.count())
        .select_from(Case)
        .outerjoin(Agreement, Agreement.case_id == Case.id)
        .group_by(Case.organization_id, month, Case.status, outcome, timeliness)
    )
    by_type = (
        select(Case.organization_id, month, Case.dispute_type_id, func.count())
        .where(Case.status != CaseStatus.VOIDED)
        .group_by(Case.organization_id, month, Case.dispute_type_id)
    )
    return {CaseStatusTally.__table__: by_status, CaseTypeTally.__table__: by_type}


def rebuild(connection: Connection) -> None:
    """Recount both tables from the ledger (after a bulk load, or to repair them)."""
    for table, query in _recount_selects(connection).items():
        connection.execute(delete(table))
        columns = [c.name for c in table.columns]
        connection.execute(table.insert().from_select(columns, query))


def _key_text(key: Iterable[Any]) -> tuple[Any, ...]:
    """Normalise a key read from either side (enum members and date strings) for comparison."""
    out = []
    for part in key:
        if isinstance(part, CaseStatus):
            part = part.value
        elif isinstance(part, str) and len(part) == 10 and part[4] == "-":
            part = date.fromisoformat(part)
        out.append(part)
    return tuple(out)


def recount(connection: Connection) -> dict[str, dict[tuple[Any, ...], int]]:
    """Return {table name: {key: cases}} counted afresh from the ledger."""
    return {
        table.name: {_key_text(row[:-1]): row[-1] for row in connection.execute(query)}
        for table, query in _recount_selects(connection).items()
    }


def stored(connection: Connection) -> dict[str, dict[tuple[Any, ...], int]]:
    """Return {table name: {key: cases}} as the tables hold them (rows of zero left out)."""
    result = {}
    for model in (CaseStatusTally, CaseTypeTally):
        table = model.__table__
        keys = [c for c in table.columns if c.name != "cases"]
        rows = connection.execute(select(*keys, table.c.cases).where(table.c.cases != 0))
        result[model.__tablename__] = {_key_text(row[:-1]): row[-1] for row in rows}
    return result


# --- the flush hook ------------------------------------------------------------------------------


def facts(connection: Connection, ids: Iterable[int]) -> dict[int, Facts]:
    """Return the stored facts of these cases (missing ids are left out)."""
    wanted = sorted(set(ids))
    found: dict[int, Facts] = {}
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(
                Case.id,
                Case.organization_id,
                Case.accepted_on,
                Case.dispute_type_id,
                Case.status,
                Agreement.id.is_not(None),
                Case.failure_reason.is_not(None),
                Case.concluded_on,
                Case.deadline,
            )
            .outerjoin(Agreement, Agreement.case_id == Case.id)
            .where(Case.id.in_(wanted[start : start + CHUNK]))
        )
        for row in connection.execute(query):
            status = row[4].value if isinstance(row[4], CaseStatus) else row[4]
            found[row[0]] = Facts(row[1], row[2], row[3], status, bool(row[5]), bool(row[6]), row[7], row[8])
    return found


def apply_changes(connection: Connection, before: dict[int, Facts], after: dict[int, Facts]) -> None:
    """Move the tables from the cases' facts `before` to their facts `after`."""
    status_delta: Counter[StatusKey] = Counter()
    type_delta: Counter[TypeKey] = Counter()
    for facts_of, sign in ((before, -1), (after, 1)):
        for item in facts_of.values():
            status_delta[item.status_key()] += sign
            if (type_key := item.type_key()) is not None:
                type_delta[type_key] += sign
    _write(connection, CaseStatusTally.__table__, status_delta)
    _write(connection, CaseTypeTally.__table__, type_delta)


def _write(connection: Connection, table: Any, delta: Counter[Any]) -> None:
    keys = [c for c in table.columns if c.name != "cases"]
    # Sorted, so that two transactions touching the same rows lock them in the same order.
    for key, change in sorted(((k, v) for k, v in delta.items() if v), key=lambda kv: kv[0]):
        match = and_(*(column == value for column, value in zip(keys, key, strict=True)))
        if change < 0:
            connection.execute(update(table).where(match).values(cases=table.c.cases + change))
            connection.execute(delete(table).where(match, table.c.cases <= 0))
            continue
        values = {column.name: value for column, value in zip(keys, key, strict=True)}
        insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)
        connection.execute(
            insert.values(**values, cases=change).on_conflict_do_update(
                index_elements=[c.name for c in keys], set_={"cases": table.c.cases + change}
            )
        )


def _changed(case: Case) -> bool:
    state = inspect(case)
    return any(state.attrs[name].history.has_changes() for name in KEY_ATTRIBUTES)


def _touched_before(session: Session) -> set[int]:
    """Ids of stored cases whose keys this flush may change."""
    ids: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Case) and obj.id is not None and _changed(obj):
            ids.add(obj.id)
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, Agreement):
            case_id = obj.case_id or (obj.case.id if obj.case is not None else None)
            if case_id is not None:
                ids.add(case_id)
    ids.update(obj.id for obj in session.deleted if isinstance(obj, Case) and obj.id is not None)
    return ids


def register(session_factory: Any) -> None:
    """Keep the summary tables in step with every flush of a session made by `session_factory`."""

    @event.listens_for(session_factory, "before_flush")
    def _read_before(session: Session, flush_context: Any, instances: Any) -> None:
        ids = _touched_before(session)
        session.info[_BEFORE] = facts(session.connection(), ids) if ids else {}
        session.info[_BEFORE + "_ids"] = ids

    @event.listens_for(session_factory, "after_flush")
    def _write_after(session: Session, flush_context: Any) -> None:
        before = session.info.pop(_BEFORE, {})
        ids = set(session.info.pop(_BEFORE + "_ids", ()))
        # New cases have their ids now; a new agreement's case was read before the flush.
        ids.update(obj.id for obj in session.new if isinstance(obj, Case) and obj.id is not None)
        if not ids:
            return
        apply_changes(session.connection(), before, facts(session.connection(), ids))
