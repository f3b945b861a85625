"""Fingerprints of the whole database, to prove that a refused request (or any page view) changed nothing.

`counts` is one query (the row count of every table, the audit log included, and every change is
audited), cheap enough to take around each POST; `snapshot` hashes every row of every table, for the
end of a sweep. Both read through the test's connection, outside any ORM session, so they see what the
requests committed and hold no savepoint of their own.
"""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import literal_column, select
from sqlalchemy.engine import Connection

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.base import Base


def _connection(app: Flask) -> Connection:
    return db._app_engines[app][None]


def counts(app: Flask) -> tuple[int, ...]:
    """Return the row count of every table, in one query."""
    if not _COUNTS:
        tables = Base.metadata.sorted_tables
        # Table names come from the models, not from input.
        counted = ", ".join(f"(SELECT count(*) FROM {t.name})" for t in tables)  # noqa: S608
        _COUNTS.append(f"SELECT {counted}")  # noqa: S608
    return tuple(_connection(app).exec_driver_sql(_COUNTS[0]).one())


_COUNTS: list[str] = []


def snapshot(app: Flask, *, exports: bool = True) -> dict[str, str]:
    """Return a hash of every table's rows; exports=False leaves out the audit rows of exports
    (downloading a sheet or a PDF is recorded on purpose, also on a GET)."""
    connection = _connection(app)
    result = {}
    for table in Base.metadata.sorted_tables:
        query = select(table).order_by(*(table.primary_key.columns or [literal_column("1")]))
        if table.name == "audit_event" and not exports:
            query = query.where(table.c.action != AuditAction.EXPORT)
        digest = hashlib.sha256()
        for row in connection.execute(query):
            digest.update(repr(tuple(row)).encode())
        result[table.name] = digest.hexdigest()
    return result


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Return the tables whose rows differ between two snapshots."""
    return sorted(name for name in before if before[name] != after.get(name))
