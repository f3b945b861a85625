"""After a load run: did the database keep everything the portal confirmed, and are the figures right?

`verify` compares the ledger the virtual users wrote (bench/locustfile.py) with the database:

- every case the portal answered with a case page exists, with the number it showed;
- case numbers are unique and gapless per numbering organisation and year (1…n, and the counter at n),
  judged against the same check on the copy before the run, so only what the run did counts;
- every workflow step the portal confirmed is in the case's history;
- a corrected summary, a saved score holds the last confirmed value, or the value of an attempt made
  after it whose answer never arrived (cut off by a fault): a write may survive unconfirmed, never vanish;
- every printed PDF's sha256 is an issued document's;
- every batch job finished; one issued document per notice, none twice.

`timings` turns the per-request times into p50/p95/p99 per action.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

#: Actions that are not page views: PDF rendering and batch starts have their own budget.
NOT_PAGES = ("print ", "batch start")


def read_ledger(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return sorted(rows, key=lambda r: r["at"])


def numbering_problems(url: str) -> set[str]:
    """Return every (organisation, year) whose case numbers are not exactly 1…n with the counter at n."""
    engine = create_engine(url, poolclass=NullPool)
    problems: set[str] = set()
    try:
        with engine.connect() as conn:
            seqs: dict[tuple[int, int], list[int]] = defaultdict(list)
            for org, year, seq in conn.execute(
                text("SELECT numbering_organization_id, year, seq FROM dispute_case")
            ):
                seqs[(org, year)].append(seq)
            counters = {
                (org, year): last
                for org, year, last in conn.execute(
                    text("SELECT organization_id, year, last_value FROM case_counter")
                )
            }
            numbers = conn.execute(
                text("SELECT count(*) - count(DISTINCT number) FROM dispute_case")
            ).scalar_one()
    finally:
        engine.dispose()
    if numbers:
        problems.add(f"{numbers} duplicated case numbers")
    for key, values in seqs.items():
        values.sort()
        if values != list(range(1, len(values) + 1)):
            duplicates = len(values) - len(set(values))
            missing = len(set(range(1, max(values) + 1)) - set(values))
            problems.add(f"organisation {key[0]} year {key[1]}: {duplicates} duplicated, {missing} skipped")
        if counters.get(key, 0) != len(values):
            problems.add(
                f"organisation {key[0]} year {key[1]}: counter {counters.get(key)} ≠ {len(values)} cases"
            )
    return problems


def verify(url: str, ledger: list[dict[str, Any]], baseline: set[str]) -> dict[str, Any]:
    """Return the check's findings: counts of what was confirmed and a list of problems (empty: all kept)."""
    problems: list[str] = sorted(numbering_problems(url) - baseline)
    engine = create_engine(url, poolclass=NullPool)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger:
        by_kind[row["t"]].append(row)
    try:
        with engine.connect() as conn:
            problems += _cases(conn, by_kind["case"])
            problems += _steps(conn, by_kind["step"])
            problems += _edits(conn, by_kind["edit"], by_kind["edit_try"])
            problems += _scores(conn, by_kind["score"], by_kind["score_try"])
            problems += _documents(conn, by_kind["doc"])
            batch = _batches(conn, by_kind["batch"])
            problems += batch.pop("problems")
    finally:
        engine.dispose()
    return {
        "cases": len(by_kind["case"]),
        "steps": len(by_kind["step"]),
        "edits": len(by_kind["edit"]),
        "scores": sum(len(r["entries"]) for r in by_kind["score"]),
        "documents": len(by_kind["doc"]),
        "batches": batch,
        "problems": problems,
    }


def _cases(conn, confirmed: list[dict[str, Any]]) -> list[str]:
    ids = [r["id"] for r in confirmed]
    stored = dict(
        conn.execute(text("SELECT id, number FROM dispute_case WHERE id = ANY(:ids)"), {"ids": ids}).all()
    )
    problems = []
    for row in confirmed:
        if row["id"] not in stored:
            problems.append(
                f"case {row['id']} ({row.get('number')}) was confirmed but is not in the database"
            )
        elif row.get("number") and stored[row["id"]] != row["number"]:
            problems.append(f"case {row['id']} showed {row['number']} but is stored as {stored[row['id']]}")
    return problems


def _steps(conn, confirmed: list[dict[str, Any]]) -> list[str]:
    wanted: dict[tuple[int, str], int] = defaultdict(int)
    for row in confirmed:
        wanted[(row["case"], row["kind"])] += 1
    cases = sorted({case for case, _ in wanted})
    stored: dict[tuple[int, str], int] = defaultdict(int)
    for case, kind, count in conn.execute(
        text("SELECT case_id, kind, count(*) FROM case_event WHERE case_id = ANY(:ids) GROUP BY 1, 2"),
        {"ids": cases},
    ):
        stored[(case, kind)] = count
    return [
        f"case {case}: step {kind} confirmed {n}× but recorded {stored[(case, kind)]}×"
        for (case, kind), n in wanted.items()
        if stored[(case, kind)] < n
    ]


def _last_or_later(confirmed: Iterable[dict[str, Any]], tried: Iterable[dict[str, Any]], key, value):
    """Map each key to the values it may hold: its last confirmed value and any attempt made after it."""
    allowed: dict[Any, set[Any]] = {}
    last_at: dict[Any, float] = {}
    for row in confirmed:
        for k, v in key_values(row, key, value):
            allowed[k] = {v}
            last_at[k] = row["at"]
    for row in tried:
        for k, v in key_values(row, key, value):
            if k in last_at and row["at"] >= last_at[k] - 0.001:
                allowed[k].add(v)
    return allowed


def key_values(row, key, value):
    return [(key(row, part), value(row, part)) for part in (row.get("entries") or {None: None})]


def _edits(conn, confirmed, tried) -> list[str]:
    allowed = _last_or_later(confirmed, tried, lambda r, _: r["case"], lambda r, _: r["summary"])
    stored = dict(
        conn.execute(
            text("SELECT id, summary FROM dispute_case WHERE id = ANY(:ids)"), {"ids": list(allowed)}
        ).all()
    )
    return [
        f"case {case}: summary is not the last confirmed correction"
        for case, values in allowed.items()
        if stored.get(case) not in values
    ]


def _scores(conn, confirmed, tried) -> list[str]:
    def key(row, field):
        _, assessment, criterion = field.split("-")
        return (row["user"], int(assessment), int(criterion))

    allowed = _last_or_later(confirmed, tried, key, lambda r, f: Decimal(r["entries"][f]))
    stored = {
        (user, assessment, criterion): points
        for user, assessment, criterion, points in conn.execute(
            text(
                "SELECT u.username, s.assessment_id, s.criterion_id, s.points FROM manual_score s"
                " JOIN user_account u ON u.id = s.evaluator_id WHERE u.username LIKE 'load_%'"
            )
        )
    }
    return [
        f"score {k}: stored {stored.get(k)}, confirmed {sorted(v)}"
        for k, v in allowed.items()
        if stored.get(k) is None or Decimal(stored[k]) not in v
    ]


def _documents(conn, confirmed) -> list[str]:
    hashes = sorted({r["sha256"] for r in confirmed})
    stored = set(
        conn.execute(
            text("SELECT sha256 FROM issued_document WHERE sha256 = ANY(:h)"), {"h": hashes}
        ).scalars()
    )
    return [f"printed PDF {h[:12]}… has no issued document" for h in hashes if h not in stored]


def _batches(conn, confirmed) -> dict[str, Any]:
    ids = sorted({r["job"] for r in confirmed})
    found = conn.execute(
        text(
            "SELECT j.id, j.status, j.total, j.error,"
            " (SELECT count(*) FROM issued_document d WHERE d.sha256 = j.sha256) AS issued"
            " FROM print_job j WHERE j.id = ANY(:ids)"
        ),
        {"ids": ids},
    ).all()
    problems, states = [], defaultdict(int)
    for job_id, status, total, error, issued in found:
        states[status] += 1
        if status != "done":
            problems.append(f"batch job {job_id} ended {status}: {error}")
        elif issued not in (0, total):  # 0: a draft round's notices are not issued
            problems.append(f"batch job {job_id}: {issued} issued documents for {total} notices")
    problems += [f"batch job {i} is not in the database" for i in set(ids) - {row[0] for row in found}]
    return {"submitted": len(ids), **states, "problems": problems}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def timings(path: Path, seconds: float) -> dict[str, Any]:
    """Per action: count, errors, p50/p95/p99 (ms) and rate; plus the pages' and the overall figures."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_name[row["name"]].append(row)
    actions = {}
    for name, items in sorted(by_name.items()):
        ms = [r["ms"] for r in items]
        actions[name] = {
            "count": len(items),
            "errors": sum(1 for r in items if r["error"]),
            "p50": percentile(ms, 0.50),
            "p95": percentile(ms, 0.95),
            "p99": percentile(ms, 0.99),
            "rps": len(items) / seconds if seconds else 0.0,
        }
    pages = [r["ms"] for r in rows if not r["name"].startswith(NOT_PAGES)]
    errors: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["error"]:
            errors[f"{row['name']}: {row['error']}"[:200]] += 1
    return {
        "actions": actions,
        "requests": len(rows),
        "errors": sum(errors.values()),
        "error_kinds": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:15]),
        "rps": len(rows) / seconds if seconds else 0.0,
        "p95_pages_ms": percentile(pages, 0.95),
        "p95_all_ms": percentile([r["ms"] for r in rows], 0.95),
    }
