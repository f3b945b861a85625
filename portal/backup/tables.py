"""Row counts and order-independent checksums of every table, to prove a restore equals its backup."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, inspect, text


def table_names(conn: Connection) -> list[str]:
    return sorted(inspect(conn).get_table_names())


def table_counts(conn: Connection) -> dict[str, int]:
    """Return every table's row count."""
    quote = conn.dialect.identifier_preparer.quote
    return {
        name: conn.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()  # noqa: S608
        for name in table_names(conn)
    }


def table_checksums(conn: Connection, only: dict[str, str] | None = None) -> dict[str, str]:
    """Return a checksum of every table's rows (of `only`'s tables, if given), whatever their order.

    Each row is hashed in a canonical encoding and the hashes are added modulo 2**256, so the result does
    not depend on the order rows come back in and needs no sorting of large tables.
    """
    quote = conn.dialect.identifier_preparer.quote
    sums: dict[str, str] = {}
    for name in table_names(conn):
        if only is not None and name not in only:
            continue
        total = 0
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(
            text(f"SELECT * FROM {quote(name)}")  # noqa: S608 - a quoted name from the catalogue
        )
        for row in result:
            encoded = json.dumps([_plain(value) for value in row], ensure_ascii=False, sort_keys=True)
            total = (total + int.from_bytes(hashlib.sha256(encoded.encode()).digest(), "big")) % 2**256
        sums[name] = f"{total:064x}"
    return sums


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, datetime | date | Decimal):
        return str(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)
