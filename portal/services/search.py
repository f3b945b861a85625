"""The ledger's search index on SQLite: two-character chunks of each case's number, parties and summary.

Searching for a part of a Chinese name (秀英) by scanning 200,000 rows takes about 200 ms, and a rare
name, which the list's index walk cannot stop early for, twice that. FTS5 cannot cut Chinese into
words, so each text is indexed as its overlapping two-character chunks ("上官丽华" → "上官 官丽 丽华")
and a term becomes the phrase of its own chunks: every case containing the term matches the phrase.
The index only narrows the candidates; the view still checks each one for the exact substring, so a
chunk matching across a field boundary or a folded ASCII letter never shows a wrong row.

PostgreSQL indexes the same chunks without a table: `portal_case_bigrams(number, party_names,
summary)` is an immutable SQL function returning the distinct two-character chunks as a text[], and
a GIN index over it (migration 0014) answers `… @> ARRAY['秀英']` for any term of two characters or
more (pg_trgm's three-character grams cannot index a two-character term). The database keeps the
index current in the statement that writes the case. The table is derived data: `rebuild` recreates its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, event, func, inspect, literal, or_, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.models.case import Case

TABLE = "case_search"
#: The columns the ledger's quick search looks in.
SEARCHED = (Case.number, Case.party_names, Case.summary)
#: Above this many index hits the page query scans in date order instead of using the id list:
#: walking the date index finds a page of dense hits sooner.
DENSE_HITS = 1000
#: The searched columns' attribute names: a change to any of them re-indexes the case.
FIELDS = tuple(column.key for column in SEARCHED)
CREATE = "CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(body, tokenize='ascii')"
#: PostgreSQL: the chunks of a text, and of a case's searched columns, as arrays (COST: never worth
#: computing row by row when the index can answer). Repeated chunks are left in: GIN keeps each key
#: once per row, and not sorting them makes the function a third cheaper.
# One function that calls nothing but built-ins: pg_restore rebuilds the index with an empty search_path,
# where a call to another function of the schema would not be found.
PG_FUNCTIONS = (
    "CREATE OR REPLACE FUNCTION portal_case_bigrams(number text, party_names text, summary text) "
    "RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT array(SELECT substr(v, i, 2) FROM unnest(ARRAY[number, party_names, summary]) AS v, "
    "generate_series(1, length(v) - 1) AS i) $$",
)
PG_INDEX = "ix_dispute_case_bigrams"
PG_CREATE_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON dispute_case "
    "USING gin (portal_case_bigrams(number, party_names, summary))"
)


def chunks(value: str | None) -> str:
    """Return the overlapping two-character chunks of a text, space-separated (one character: itself)."""
    value = (value or "").strip()
    if len(value) < 2:
        return value
    return " ".join(value[i : i + 2] for i in range(len(value) - 1))


def document(number: str | None, party_names: str | None, summary: str | None) -> str:
    """Return the indexed text of a case."""
    return "\n".join(chunks(part) for part in (number, party_names, summary))


def phrase(term: str) -> str | None:
    """Return the FTS5 phrase for a search term, or None when the index cannot help.

    One character has no chunk to look up; ASCII punctuation and spaces are separators to the
    tokenizer and could change the phrase's shape: both are left to the scan.
    """
    if len(term) < 2 or any(ord(ch) < 128 and not ch.isalnum() for ch in term):
        return None
    return '"' + chunks(term) + '"'


def available(connection: Connection) -> bool:
    """Return whether this database has the index (SQLite with the migration applied)."""
    if connection.dialect.name != "sqlite":
        return False
    cache = connection.engine.__dict__.setdefault("_portal_case_search", {})
    if "present" not in cache:
        cache["present"] = inspect(connection).has_table(TABLE)
    return cache["present"]


def _write(connection: Connection, rows: Iterable[tuple[int, str | None, str | None, str | None]]) -> None:
    batch = [{"id": row[0], "body": document(*row[1:])} for row in rows]
    if not batch:
        return
    connection.execute(text("DELETE FROM case_search WHERE rowid = :id"), [{"id": r["id"]} for r in batch])
    connection.execute(text("INSERT INTO case_search (rowid, body) VALUES (:id, :body)"), batch)


def rebuild(connection: Connection, batch_size: int = 5000) -> int:
    """Recreate the index from the cases; return how many were indexed."""
    connection.execute(text("DELETE FROM case_search"))
    result = connection.execute(text("SELECT id, number, party_names, summary FROM dispute_case ORDER BY id"))
    total = 0
    while rows := result.fetchmany(batch_size):
        connection.execute(
            text("INSERT INTO case_search (rowid, body) VALUES (:id, :body)"),
            [{"id": r[0], "body": document(r[1], r[2], r[3])} for r in rows],
        )
        total += len(rows)
    return total


def hits(session: Session, match: str) -> int:
    """Return how many cases the index proposes for a phrase."""
    return session.execute(
        text("SELECT count(*) FROM case_search WHERE case_search MATCH :q"), {"q": match}
    ).scalar_one()


def candidates(match: str) -> Any:
    """Return a subquery of the ids of the cases the index proposes for a phrase."""
    return text("SELECT rowid FROM case_search WHERE case_search MATCH :q").bindparams(q=match)


def _contains(session: Session, column: Any, term: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "sqlite":
        return func.instr(column, term) > 0  # no case folding needed for Chinese, and faster than LIKE
    return column.contains(term, autoescape=True)


def bigram_clause(term: str) -> ColumnElement[bool]:
    """PostgreSQL: the cases whose searched texts hold every two-character chunk of `term` (GIN)."""
    wanted = sorted(set(chunks(term).split()))
    return func.portal_case_bigrams(*SEARCHED).op("@>")(literal(wanted, ARRAY(Text)))


def term_clauses(session: Session, term: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Return the (page, count) conditions for cases whose number, parties or summary contain `term`."""
    exact = or_(*(_contains(session, column, term) for column in SEARCHED))
    if session.get_bind().dialect.name == "postgresql":
        if len(term) < 2:
            return exact, exact
        indexed = and_(bigram_clause(term), exact)
        return indexed, indexed
    match = phrase(term) if available(session.connection()) else None
    if match is None:
        return exact, exact
    indexed = and_(Case.id.in_(candidates(match)), exact)
    return (exact if hits(session, match) > DENSE_HITS else indexed), indexed


def dense_hits(session: Session, search: str) -> list[int] | None:
    """Return the index hits of each term of a quick search when every term is dense, else None.

    Dense terms are the ones the page query finds by walking the date order (`term_clauses`); a rare
    term's id list drives the query by itself. None also when the index is absent or cannot help.
    """
    if not available(session.connection()):
        return None
    counts = []
    for term in search.split():
        match = phrase(term)
        if match is None:
            return None
        found = hits(session, match)
        if found <= DENSE_HITS:
            return None
        counts.append(found)
    return counts or None


def register(session_factory: Any) -> None:
    """Keep the index in step with every flush that adds a case or changes a searched field."""

    @event.listens_for(session_factory, "after_flush")
    def _index_cases(session: Session, flush_context: Any) -> None:
        changed = [
            obj
            for obj in list(session.new) + list(session.dirty)
            if isinstance(obj, Case)
            and obj.id is not None
            and (obj in session.new or any(inspect(obj).attrs[f].history.has_changes() for f in FIELDS))
        ]
        if not changed:
            return
        connection = session.connection()
        if available(connection):
            _write(connection, [(c.id, c.number, c.party_names, c.summary) for c in changed])
