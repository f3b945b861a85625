"""The ledger's scale indexes: the typed answer index stays in step with the cases, and on
PostgreSQL the search and the answer filter read their indexes (EXPLAIN)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.lowcode import query
from portal.models import Case, CaseAnswer
from portal.services import answer_index, cases, search
from portal.services.deadlines import local_today
from tests.factories import new_case

ANSWERS = {
    "injured_count": 3,
    "hit_and_run": True,
    "kinds": ["car", "bike", "car"],
    "statement": "长" * 201,
    "place_kind": "road",
    "nothing": None,
    "rows": [{"a": 1}],
}


def stored(case: Case) -> set[tuple[str, float | None, str | None]]:
    rows = db.session.execute(
        select(CaseAnswer.key, CaseAnswer.number, CaseAnswer.text).where(CaseAnswer.case_id == case.id)
    )
    return {tuple(row) for row in rows}


def test_rows_type_each_answer():
    """Numbers and yes/no as numbers, short texts and each ticked option as text, the rest present only."""
    assert set(answer_index.rows(7, ANSWERS)) == {
        (7, "injured_count", 3.0, None),
        (7, "hit_and_run", 1.0, None),
        (7, "kinds", None, "car"),
        (7, "kinds", None, "bike"),
        (7, "statement", None, None),
        (7, "place_kind", None, "road"),
        (7, "rows", None, None),
    }


def test_index_follows_the_case_and_matches_a_rebuild(county):
    """Registered, changed, given a new form version's answers, voided: the rows follow in the same flush."""
    admin, today = county.users["admin"], local_today()
    case = new_case(db.session, admin, county.mj, today=today, type_code="13")
    case.answers = dict(ANSWERS)
    db.session.flush()
    assert ("injured_count", 3.0, None) in stored(case)
    case.answers = {**ANSWERS, "injured_count": 1}
    db.session.flush()
    assert ("injured_count", 1.0, None) in stored(case) and ("injured_count", 3.0, None) not in stored(case)
    case.answers = {"victims": 2}  # a newer form version with other fields
    db.session.flush()
    assert stored(case) == {("victims", 2.0, None)}
    cases.void(db.session, case, admin, reason="重复登记", today=today)
    db.session.flush()
    assert stored(case) == {("victims", 2.0, None)}  # a voided case keeps its answers
    other = new_case(db.session, admin, county.mj, today=today)
    other.answers = dict(ANSWERS)
    db.session.flush()
    before = set(
        db.session.execute(select(CaseAnswer.case_id, CaseAnswer.key, CaseAnswer.number, CaseAnswer.text))
    )
    answer_index.rebuild(db.session.connection())
    after = set(
        db.session.execute(select(CaseAnswer.case_id, CaseAnswer.key, CaseAnswer.number, CaseAnswer.text))
    )
    assert before == after


def test_candidates_hold_every_match(county):
    """The index narrows, never drops: every operator's candidates include the case that meets it."""
    admin, today = county.users["admin"], local_today()
    case = new_case(db.session, admin, county.mj, today=today)
    case.answers = dict(ANSWERS)
    db.session.flush()
    conditions = [
        query.Condition(("injured_count",), "number", ">=", 3.0),
        query.Condition(("injured_count",), "number", "!=", 2.0),
        query.Condition(("hit_and_run",), "boolean", "!=", False),
        query.Condition(("kinds",), "choices", "=", "bike"),
        query.Condition(("place_kind",), "choice", "in", ("road", "field")),
        query.Condition(("statement",), "text", "!=", "短"),
        query.Condition(("statement",), "text", "filled", None),
    ]
    for condition in conditions:
        narrowed = answer_index.candidates(condition)
        assert narrowed is not None
        assert db.session.scalar(select(Case.id).where(Case.id == case.id, narrowed)) == case.id, condition
    assert answer_index.candidates(query.Condition(("statement",), "text", "contains", "长")) is None
    assert answer_index.candidates(query.Condition(("statement",), "text", "empty", None)) is None


def _plan(sql: str, **params) -> str:
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
    return "\n".join(db.session.execute(text("EXPLAIN " + sql), params).scalars())


@pytest.mark.postgres
def test_postgresql_plans_use_the_indexes(county):
    """The search reads the GIN index of bigrams; the answer filter the typed index (on an almost empty
    table the planner may take either of its two indexes; bench/ledger.py shows the plans at scale)."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    admin, today = county.users["admin"], local_today()
    case = new_case(db.session, admin, county.mj, today=today, parties=("王秀英", "李四"))
    db.session.flush()
    found = db.session.scalars(select(Case.number).where(search.term_clauses(db.session, "秀英")[0])).all()
    assert case.number in found
    assert search.PG_INDEX in _plan(
        "SELECT id FROM dispute_case WHERE portal_case_bigrams(number, party_names, summary) @> :b",
        b=["秀英"],
    )
    assert "Index Scan using ix_case_answer_" in _plan(
        "SELECT case_id FROM case_answer WHERE key = :k AND number >= 3", k="injured_count"
    )
