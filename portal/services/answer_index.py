"""The typed copy of the cases' answers (`case_answer`) that the ledger's 附加信息条件 filter reads.

`rows` turns a case's answers into index rows; `register` rewrites a case's rows in the flush that
adds the case or changes its answers (same transaction: a rollback drops both); `rebuild` recreates
the table in SQL (migration, bulk seeders). `candidates` turns one parsed condition into a subquery
of case ids that is a superset of the cases meeting it: the filter keeps its exact JSON test and adds
`Case.id IN (candidates)`, so the database reads a few index entries instead of every case's JSON.
A condition the index cannot narrow (为空, 包含, a multiple choice's !=) gets None and scans.
"""

from __future__ import annotations

import operator as op
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, delete, event, insert, inspect, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.lowcode import query
from portal.models.case import Case
from portal.models.case_answer import TEXT_MAX, CaseAnswer

Row = tuple[int, str, float | None, str | None]
_COMPARE = {"=": op.eq, "!=": op.ne, "<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge}


def rows(case_id: int, answers: dict[str, Any] | None) -> Iterator[Row]:
    """Yield the index rows (case_id, key, number, text) of a case's answers."""
    for key, value in (answers or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            yield case_id, key, 1.0 if value else 0.0, None
        elif isinstance(value, int | float):
            yield case_id, key, float(value), None
        elif isinstance(value, str):
            yield case_id, key, None, value if len(value) <= TEXT_MAX else None
        elif isinstance(value, list) and (
            ticked := [v for v in value if isinstance(v, str) and len(v) <= TEXT_MAX]
        ):
            for item in dict.fromkeys(ticked):
                yield case_id, key, None, item
        else:  # an empty list, repeat rows, an object: present, not comparable
            yield case_id, key, None, None


def write(connection: Connection, cases: list[tuple[int, dict[str, Any] | None]]) -> None:
    """Replace the index rows of the given (case id, answers)."""
    if not cases:
        return
    table = CaseAnswer.__table__
    connection.execute(delete(table).where(table.c.case_id.in_([case_id for case_id, _ in cases])))
    new = [
        {"case_id": r[0], "key": r[1], "number": r[2], "text": r[3]}
        for case_id, answers in cases
        for r in rows(case_id, answers)
    ]
    if new:
        connection.execute(insert(table), new)


_REBUILD = {
    "sqlite": (
        # scalars (and objects): numbers and yes/no in number, short texts in text
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT c.id, j.key, "
        "CASE j.type WHEN 'integer' THEN CAST(j.value AS REAL) WHEN 'real' THEN j.value "
        "WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 END, "
        "CASE WHEN j.type = 'text' AND length(j.value) <= :max THEN j.value END "
        "FROM dispute_case c, json_each(c.answers) j "
        "WHERE c.answers IS NOT NULL AND j.type NOT IN ('null', 'array')",
        # multiple choices: one row per ticked option
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT DISTINCT c.id, j.key, NULL, e.value "
        "FROM dispute_case c, json_each(c.answers) j, json_each(j.value) e "
        "WHERE c.answers IS NOT NULL AND j.type = 'array' AND e.type = 'text' AND length(e.value) <= :max",
        # lists without a short text: present only
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT c.id, j.key, NULL, NULL FROM dispute_case c, json_each(c.answers) j "
        "WHERE c.answers IS NOT NULL AND j.type = 'array' AND NOT EXISTS "
        "(SELECT 1 FROM json_each(j.value) e WHERE e.type = 'text' AND length(e.value) <= :max)",
    ),
    "postgresql": (
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT c.id, j.key, "
        "CASE jsonb_typeof(j.value) WHEN 'number' THEN (j.value #>> '{}')::float8 "
        "WHEN 'boolean' THEN CASE WHEN (j.value #>> '{}')::boolean THEN 1.0 ELSE 0.0 END END, "
        "CASE WHEN jsonb_typeof(j.value) = 'string' AND length(j.value #>> '{}') <= :max "
        "THEN j.value #>> '{}' END "
        "FROM dispute_case c, jsonb_each(c.answers) j "
        "WHERE c.answers IS NOT NULL AND jsonb_typeof(c.answers) = 'object' "
        "AND jsonb_typeof(j.value) NOT IN ('null', 'array')",
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT DISTINCT c.id, j.key, NULL::float8, e.value #>> '{}' "
        "FROM dispute_case c, jsonb_each(c.answers) j, jsonb_array_elements(j.value) e "
        "WHERE c.answers IS NOT NULL AND jsonb_typeof(c.answers) = 'object' "
        "AND jsonb_typeof(j.value) = 'array' AND jsonb_typeof(e) = 'string' AND length(e #>> '{}') <= :max",
        "INSERT INTO case_answer (case_id, key, number, text) "
        "SELECT c.id, j.key, NULL, NULL FROM dispute_case c, jsonb_each(c.answers) j "
        "WHERE c.answers IS NOT NULL AND jsonb_typeof(c.answers) = 'object' "
        "AND jsonb_typeof(j.value) = 'array' AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(j.value) e "
        "WHERE jsonb_typeof(e) = 'string' AND length(e #>> '{}') <= :max)",
    ),
}


def rebuild(connection: Connection) -> int:
    """Recreate the index rows of every case from `Case.answers`, in SQL; return how many rows."""
    connection.execute(text("DELETE FROM case_answer"))
    for statement in _REBUILD[connection.dialect.name]:
        connection.execute(text(statement), {"max": TEXT_MAX})
    return connection.execute(text("SELECT count(*) FROM case_answer")).scalar_one()


def _key_candidates(key: str, condition: query.Condition) -> ColumnElement[bool] | None:
    """Return the index condition for one answer key, or None when the index cannot narrow it."""
    family, operator, value = condition.family, condition.operator, condition.value
    number, txt = CaseAnswer.number, CaseAnswer.text
    if operator == "filled":
        found: ColumnElement[bool] | None = None
    elif operator == "empty" or operator == "contains":
        return None
    elif family == "number":
        found = _COMPARE[operator](number, value)
    elif family == "boolean":  # = 是: answered 是; != 是: answered 否
        found = number == (1.0 if bool(value) == (operator == "=") else 0.0)
    elif family == "choices":
        if operator != "=":
            return None
        found = txt == value
    elif operator == "in":
        found = txt.in_(list(value))
    elif isinstance(value, query.Day):
        start, end = value.start, value.end
        found = {
            "=": lambda: (txt >= start) & (txt < end),
            "!=": lambda: or_(txt < start, txt >= end),
            "<": lambda: txt < start,
            "<=": lambda: txt < end,
            ">": lambda: txt >= end,
            ">=": lambda: txt >= start,
        }[operator]()
    elif operator == "!=":  # a text too long to copy is != any value: keep it
        found = or_(txt != value, txt.is_(None))
    else:
        found = _COMPARE[operator](txt, value)
    keyed = CaseAnswer.key == key
    return keyed if found is None else keyed & found


def candidates(condition: query.Condition) -> ColumnElement[bool] | None:
    """Return `Case.id IN (…)` holding every case that meets the condition, or None (no narrowing)."""
    parts = [_key_candidates(key, condition) for key in condition.keys]
    if not parts or any(part is None for part in parts):
        return None
    return Case.id.in_(select(CaseAnswer.case_id).where(or_(*parts)))


def register(session_factory: Any) -> None:
    """Keep the index in step with every flush that adds a case or changes its answers."""

    @event.listens_for(session_factory, "after_flush")
    def _index_answers(session: Session, flush_context: Any) -> None:
        changed = [
            (obj.id, obj.answers)
            for obj in list(session.new) + list(session.dirty)
            if isinstance(obj, Case)
            and obj.id is not None
            and (obj in session.new or inspect(obj).attrs["answers"].history.has_changes())
        ]
        write(session.connection(), changed)
