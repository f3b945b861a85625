"""Ledger benchmark: the 矛盾纠纷 list, a filtered list and a party-name search at scale.

Builds (or reuses, bench/seed_scale.py) an SQLite ledger of N cases and ~2.3N parties, signs in
through the real login page and times, through the Flask test client, the portal's `CaseView`
(/admin/cases/) against a stock Flask-Admin `ModelView` over the same table (/admin/baseline_cases/),
registered on the same app for this run only. Each scenario is also split into SQL time (the count
query, the page query, everything else) and the rest (Python: view, formatters, Jinja rendering).

    .venv/bin/python bench/ledger.py                 # 200,000 cases in a temporary directory
    .venv/bin/python bench/ledger.py --cases 1000000 --db /tmp/ledger-1m.sqlite3 --keep
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/perf_1m .venv/bin/python bench/ledger.py

With DATABASE_URL naming a PostgreSQL database, that database is used (seeded first if it has no cases;
it is never dropped); the figures and the JSON line are the same on both databases.

The last line of output is one JSON object (cases, list/filter/search p50s, the baseline's search
p50 and the speed-up); the table above it is for people.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# Config.load would otherwise read (or create) instance/secret_key; the bench needs no real secret.
os.environ.setdefault("SECRET_KEY", "bench-secret")

import seed_scale  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_admin.contrib.sqla import filters as sqla_filters  # noqa: E402
from flask_login import current_user  # noqa: E402
from seed_scale import PASSWORD, SCOPED_TOWNSHIP, bench_app  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models.case import Case  # noqa: E402
from portal.models.dictionary import DisputeType  # noqa: E402
from portal.services.demo import data  # noqa: E402

SEARCH_TERM = "秀英"  # a classic given name: matches roughly 1-2 % of cases
ANSWER_CONDITION = "injured_count >= 3"  # a field of the shipped 道路交通事故 form (forms/)


# --- building the ledger ---------------------------------------------------------------------------


def build_ledger(database_url: str, n_cases: int, seed: int) -> dict[str, Any]:
    """Migrate the database and load N cases with bench/seed_scale.py; return timings and counts."""
    built = seed_scale.seed(database_url, n_cases, seed)
    return {
        "migrate_s": built["setup_s"] + built["pools_s"],
        "load_s": built["load_s"],
        "index_s": built["indexes_s"] + built["derived_s"],
        "analyze_s": built["analyze_s"],
        "total_s": built["total_s"],
        "parties": built["rows"].get("party", 0),
    }


# --- what to look for ------------------------------------------------------------------------------


@dataclass
class Facts:
    """Numbers the responses are checked against, read straight from the database."""

    cases: int
    parties: int
    first_number: str | None
    filter_count: int
    filter_first: str | None
    search_count: int
    search_first: str | None
    rare_name: str
    rare_number: str
    town_cases: int
    town_first: str | None
    town_search_count: int
    baseline_search_rows: int = 0
    baseline_rare_rows: int = 0
    answer_count: int = 0
    answer_first: str | None = None


def read_facts(url: str) -> Facts:
    """Query the expected counts and first rows in plain SQL (the same order as CaseView)."""
    engine = create_engine(url)
    conn = engine.connect()
    pg = engine.dialect.name == "postgresql"

    def one(sql: str, params: dict[str, Any] | None = None) -> Any:
        return conn.execute(text(sql), params or {})

    def first_of(sql: str, params: dict[str, Any] | None = None) -> Any:
        row = one(sql, params).fetchone()
        return row[0] if row else None

    order = "ORDER BY accepted_on DESC, id DESC LIMIT 1"
    pos = "strpos" if pg else "instr"
    match = f"({pos}(number, :t) > 0 OR {pos}(party_names, :t) > 0 OR {pos}(summary, :t) > 0)"
    cases = one("SELECT count(*) FROM dispute_case").scalar()
    parties = one("SELECT count(*) FROM party").scalar()
    first = first_of(f"SELECT number FROM dispute_case {order}")  # noqa: S608
    flt = "status = 'mediating' AND risk_level = 'high'"
    filter_count = one(f"SELECT count(*) FROM dispute_case WHERE {flt}").scalar()  # noqa: S608
    filter_first = first_of(f"SELECT number FROM dispute_case WHERE {flt} {order}")  # noqa: S608
    term = {"t": SEARCH_TERM}
    search_count = one(f"SELECT count(*) FROM dispute_case WHERE {match}", term).scalar()  # noqa: S608
    search_first = first_of(f"SELECT number FROM dispute_case WHERE {match} {order}", term)  # noqa: S608
    # A rare full name: a rare or compound surname, on exactly one party and matching one case.
    rare_name = rare_number = ""
    rare = tuple(data.RARE_SURNAMES) + tuple(data.COMPOUND_SURNAMES)
    where = " OR ".join(f"name LIKE :p{i}" for i in range(len(rare)))
    candidates = one(
        f"SELECT name FROM party WHERE {where} GROUP BY name HAVING count(*) = 1 ORDER BY name",  # noqa: S608
        {f"p{i}": f"{s}%" for i, s in enumerate(rare)},
    ).fetchall()
    for (name,) in candidates:
        if len(name) < 3:
            continue
        rows = one(f"SELECT number FROM dispute_case WHERE {match} LIMIT 2", {"t": name}).fetchall()  # noqa: S608
        if len(rows) == 1:
            rare_name, rare_number = name, rows[0][0]
            break
    scope = (
        "organization_id IN (SELECT id FROM organization WHERE path LIKE "
        "(SELECT path FROM organization WHERE code = :town) || '%')"
    )
    town = {"town": SCOPED_TOWNSHIP}
    town_cases = one(f"SELECT count(*) FROM dispute_case WHERE {scope}", town).scalar()  # noqa: S608
    town_first = first_of(f"SELECT number FROM dispute_case WHERE {scope} {order}", town)  # noqa: S608
    town_search_count = one(
        f"SELECT count(*) FROM dispute_case WHERE {scope} AND {match}",  # noqa: S608
        {**town, **term},
    ).scalar()

    # The stock search joins the parties, so it counts (case, party) rows, not cases.
    def joined_rows(term: str) -> int:
        return one(
            "SELECT count(*) FROM dispute_case LEFT OUTER JOIN party ON dispute_case.id = party.case_id "
            "WHERE lower(dispute_case.number) LIKE :l OR lower(dispute_case.summary) LIKE :l "
            "OR lower(party.name) LIKE :l",
            {"l": f"%{term}%"},
        ).scalar()

    injured = (
        "jsonb_typeof(answers -> 'injured_count') = 'number' AND (answers ->> 'injured_count')::float8 >= 3"
        if pg
        else "json_type(answers, '$.injured_count') = 'integer' "
        "AND json_extract(answers, '$.injured_count') >= 3"
    )
    answered = f"dispute_type_id = (SELECT id FROM dispute_type WHERE code = '13') AND {injured}"  # noqa: S608
    answer_count = one(f"SELECT count(*) FROM dispute_case WHERE {answered}").scalar()  # noqa: S608
    answer_first = first_of(f"SELECT number FROM dispute_case WHERE {answered} {order}")  # noqa: S608
    baseline_rows = joined_rows(SEARCH_TERM)
    baseline_rare_rows = joined_rows(rare_name) if rare_name else 0
    conn.close()
    engine.dispose()
    return Facts(
        cases,
        parties,
        first,
        filter_count,
        filter_first,
        search_count,
        search_first,
        rare_name,
        rare_number,
        town_cases,
        town_first,
        town_search_count,
        baseline_rows,
        baseline_rare_rows,
        answer_count,
        answer_first,
    )


# --- the stock baseline ----------------------------------------------------------------------------


class BaselineCaseView(ModelView):
    """A stock Flask-Admin view of the ledger, configured the way the docs suggest; bench only."""

    column_list = (
        "number",
        "accepted_on",
        "dispute_type",
        "summary",
        "organization",
        "status",
        "risk_level",
        "deadline",
    )
    column_searchable_list = ["number", "summary", "parties.name"]
    column_filters = ["status", "risk_level"]
    column_default_sort = ("accepted_on", True)
    page_size = 20
    can_create = can_edit = can_delete = False

    def is_accessible(self) -> bool:
        return current_user.is_authenticated


def add_baseline(app: Flask) -> BaselineCaseView:
    """Register the baseline view on the app's Admin (before the first request)."""
    admin = app.extensions["admin"][0]
    view = BaselineCaseView(Case, db, name="基准台账", endpoint="baseline_cases")
    with app.app_context():
        admin.add_view(view)
    return view


def filter_args(view: Any, wanted: dict[str, str]) -> dict[str, str]:
    """Return ?flt<n>_<arg>=value for the equality filters named by label or column name.

    The argument name is looked up from the view's `_filters` at run time, so it follows any change
    to `column_filters`.
    """
    args: dict[str, str] = {}
    for pos, (name, value) in enumerate(wanted.items()):
        for index, flt in enumerate(view._filters):
            column = getattr(flt, "column", None)
            names = {str(flt.name), getattr(column, "key", None)}
            if isinstance(flt, sqla_filters.FilterEqual) and name in names:
                if getattr(flt, "enum_class", None) is not None:  # stock enum filters take member names
                    value = flt.enum_class(value).name
                args[f"flt{pos}_{view.get_filter_arg(index, flt)}"] = value
                break
        else:
            raise LookupError(f"{type(view).__name__} has no equality filter {name!r}")
    return args


def answer_args(view: Any, condition: str) -> dict[str, str]:
    """Return the filter arguments for 纠纷类型 = 道路交通事故纠纷 and an 附加信息条件."""
    with view.admin.app.app_context():
        traffic = db.session.scalar(select(DisputeType.id).where(DisputeType.code == "13"))
    args = {}
    for pos, label in enumerate(("纠纷类型", "附加信息条件")):
        index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == label)
        args[f"flt{pos}_{view.get_filter_arg(index, flt)}"] = str(traffic) if pos == 0 else condition
    return args


# --- timing ----------------------------------------------------------------------------------------


class SqlLog:
    """Record the SQL statements of a request, classified as the count query, the page query or other."""

    def __init__(self, engine: Any) -> None:
        self.statements: list[tuple[str, str, Any]] = []
        event.listen(engine, "after_cursor_execute", self._after)

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        self.statements.append((classify(statement), statement, parameters))


def classify(statement: str) -> str:
    """Name a statement of a list request: the ledger's count query, its page query, or other."""
    if "dispute_case" not in statement:
        return "other"
    if statement.lstrip().startswith("SELECT count("):
        return "count"
    if "LIMIT" in statement:
        return "page"
    return "other"


def replay(engine: Any, statements: list[tuple[str, str, Any]], repeat: int) -> dict[str, float]:
    """Re-run a request's SELECTs on a connection of their own, fetching every row; return ms per kind.

    Timing cursor events would miss the work SQLite does while rows are fetched (a LIMIT query
    walks the table as the rows are read), so the statements are replayed to completion instead.
    """
    spent = {"count": 0.0, "page": 0.0, "other": 0.0}
    with engine.connect() as conn:
        for kind, statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            conn.exec_driver_sql(statement, parameters).fetchall()
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                conn.exec_driver_sql(statement, parameters).fetchall()
                runs.append((time.perf_counter() - started) * 1000)
            spent[kind] += statistics.median(runs)
        conn.rollback()
    return spent


@dataclass
class Result:
    """Timings of one scenario, in milliseconds."""

    label: str
    totals: list[float]
    sql: dict[str, float]
    statements: list[tuple[str, str, Any]]

    @property
    def p50(self) -> float:
        return statistics.median(self.totals)

    @property
    def p90(self) -> float:
        ordered = sorted(self.totals)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def python(self) -> float:
        """The p50 less the SQL: view code, ORM, formatters and template rendering."""
        return self.p50 - sum(self.sql.values())


ROW_MARK = "人调字第"
LABEL_WIDTH = 36


def pad(text: str, width: int = LABEL_WIDTH) -> str:
    """Left-justify to a terminal width, counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def time_page(
    client: FlaskClient,
    log: SqlLog,
    engine: Any,
    label: str,
    url: str,
    repeat: int,
    warmup: int,
    check: Callable[[str], None],
) -> Result:
    """GET the url warm-up + repeat times; check the body once; time its SQL; return the timings."""
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, f"{label}: HTTP {response.status_code} for {url}"
    check(response.get_data(as_text=True))
    totals: list[float] = []
    for _ in range(repeat):
        log.statements = []
        started = time.perf_counter()
        response = client.get(url)
        totals.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{label}: HTTP {response.status_code}"
    statements = list(log.statements)  # the last timed request's; the next warm-up appends
    return Result(label, totals, replay(engine, statements, max(3, repeat // 4)), statements)


def expect(count: int | None, first: str | None = None, rows: int | None = None) -> Callable[[str], None]:
    """Return a body check: the list count shown, the first row's number, the number of rows."""

    def check(body: str) -> None:
        if count:  # Flask-Admin shows "(n)" only when n > 0
            assert f"({count})" in body, f"expected count ({count}) not shown"
        if first is not None:
            assert first in body, f"expected row {first} missing"
        if rows is not None:
            shown = body.count(ROW_MARK)
            assert shown == rows, f"expected {rows} rows, page shows {shown}"

    return check


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed ({response.status_code})"
    return client


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200_000, help="cases to build (default 200,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per scenario (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per scenario first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the ledger")
    parser.add_argument("--db", type=Path, help="SQLite file: reused if it has a ledger, else built there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock view (quick runs)")
    return parser.parse_args(argv)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """Yield the database URL: DATABASE_URL (PostgreSQL), --db as given, else a temporary SQLite file."""
    env = os.environ.get("DATABASE_URL", "")
    if env.startswith("postgresql"):
        yield env
        return
    if args.db:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{args.db.resolve()}"
        return
    tmp = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    if args.keep:
        print(f"keeping the database: rerun with --db {tmp / 'ledger.sqlite3'}")
    try:
        yield f"sqlite:///{tmp / 'ledger.sqlite3'}"
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args) as url:
        build: dict[str, Any] | None = None
        if seed_scale.case_count(url):
            print(f"reusing {shown(url)}")
        else:
            print(f"building {args.cases:,} cases in {shown(url)} …", flush=True)
            build = build_ledger(url, args.cases, args.seed)
            print(
                f"built in {build['total_s']:.1f} s (migrate {build['migrate_s']:.1f} s, "
                f"load {build['load_s']:.1f} s, search index {build['index_s']:.1f} s, "
                f"analyze {build['analyze_s']:.1f} s), "
                f"{build['parties']:,} parties",
                flush=True,
            )
        facts = read_facts(url)
        results = run(args, url, facts)
        report(args, url, facts, build, results)
    return 0


def run(args: argparse.Namespace, url: str, facts: Facts) -> dict[str, Result]:
    app = bench_app(url)
    baseline = None if args.no_baseline else add_baseline(app)
    ours = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "cases")
    with app.app_context():
        log = SqlLog(db.engine)
        engine = db.engine
    client = login(app, "bench_admin")
    town = login(app, "bench_town")
    page = min(20, facts.cases)
    wanted = {"办理状态": "mediating", "风险等级": "high"}
    search = urlencode({"search": SEARCH_TERM})
    rare = urlencode({"search": facts.rare_name})
    n, w = args.repeat, args.warmup
    results: dict[str, Result] = {}

    def go(key: str, label: str, who: FlaskClient, path: str, check: Callable[[str], None]) -> None:
        results[key] = time_page(who, log, engine, label, path, n, w, check)
        r = results[key]
        print(f"  {pad(label)} p50 {r.p50:8.1f} ms   p90 {r.p90:8.1f} ms", flush=True)

    print(f"timing: {w} warm-up + {n} timed requests per scenario")
    go("list", "portal list", client, "/admin/cases/", expect(facts.cases, facts.first_number, page))
    flt = urlencode(filter_args(ours, wanted))
    go(
        "filter",
        "portal filter 调解中+高风险",
        client,
        f"/admin/cases/?{flt}",
        expect(facts.filter_count, facts.filter_first, min(20, facts.filter_count)),
    )
    go(
        "search",
        f"portal search {SEARCH_TERM}",
        client,
        f"/admin/cases/?{search}",
        expect(facts.search_count, facts.search_first, min(20, facts.search_count)),
    )
    if facts.rare_name:
        go(
            "rare",
            f"portal search {facts.rare_name}",
            client,
            f"/admin/cases/?{rare}",
            expect(1, facts.rare_number, 1),
        )
    go(
        "town_list",
        f"portal list ({SCOPED_TOWNSHIP} admin)",
        town,
        "/admin/cases/",
        expect(facts.town_cases, facts.town_first, min(20, facts.town_cases)),
    )
    go(
        "town_search",
        f"portal search {SEARCH_TERM} ({SCOPED_TOWNSHIP} admin)",
        town,
        f"/admin/cases/?{search}",
        expect(facts.town_search_count, None, min(20, facts.town_search_count)),
    )
    answer_filter = {**filter_args(ours, {}), **answer_args(ours, ANSWER_CONDITION)}
    go(
        "answer",
        f"portal filter 交通事故 {ANSWER_CONDITION}",
        client,
        f"/admin/cases/?{urlencode(answer_filter)}",
        expect(facts.answer_count, facts.answer_first, min(20, facts.answer_count)),
    )
    if baseline is not None:
        bflt = urlencode(filter_args(baseline, {"status": "mediating", "risk_level": "high"}))
        go("b_list", "stock list", client, "/admin/baseline_cases/", expect(facts.cases, None, page))
        go(
            "b_filter",
            "stock filter 调解中+高风险",
            client,
            f"/admin/baseline_cases/?{bflt}",
            # The stock view has no default order: the database picks which rows come first.
            expect(facts.filter_count, None, min(20, facts.filter_count)),
        )
        go(
            "b_search",
            f"stock search {SEARCH_TERM}",
            client,
            f"/admin/baseline_cases/?{search}",
            expect(facts.baseline_search_rows, None, None),
        )
        if facts.rare_name:
            go(
                "b_rare",
                f"stock search {facts.rare_name}",
                client,
                f"/admin/baseline_cases/?{rare}",
                expect(facts.baseline_rare_rows, facts.rare_number, None),
            )
    return results


def engine_name(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SHOW server_version" if engine.dialect.name == "postgresql" else "SELECT sqlite_version()"
        ).scalar()
    engine.dispose()
    return f"{engine.dialect.name} {version}"


def report(
    args: argparse.Namespace,
    url: str,
    facts: Facts,
    build: dict[str, Any] | None,
    results: dict[str, Result],
) -> None:
    print()
    print(
        f"ledger: {facts.cases:,} cases, {facts.parties:,} parties, {engine_name(url)}; "
        f"'{SEARCH_TERM}' matches {facts.search_count:,} cases, "
        f"调解中+高风险 {facts.filter_count:,}, {SCOPED_TOWNSHIP} subtree {facts.town_cases:,}"
    )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other processes skew the figures)")
    print(
        "ms; count/page/other: the request's SQL replayed to the last row (count query, page query, the\n"
        "rest: user, filter options …); py = p50 − SQL (view code, ORM loading, formatters, Jinja;\n"
        "a negative py means the replayed SQL ran slower than the timed requests: noise)"
    )
    columns = ("p50", "p90", "count", "page", "other", "py", "stmts")
    header = pad("scenario") + "".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(
            f"{pad(r.label)}{r.p50:8.1f}{r.p90:8.1f}{r.sql['count']:8.1f}{r.sql['page']:8.1f}"
            f"{r.sql['other']:8.1f}{r.python:8.1f}{len(r.statements):8d}"
        )
    pairs = [("list", "b_list"), ("filter", "b_filter"), ("search", "b_search"), ("rare", "b_rare")]
    compared = [(a, b) for a, b in pairs if a in results and b in results]
    if compared:
        print()
        print(f"{pad('p50: portal vs stock ModelView')}{'portal':>8}{'stock':>8}{'speed-up':>10}")
        for a, b in compared:
            mine, stock = results[a].p50, results[b].p50
            print(f"{pad(results[a].label)}{mine:8.1f}{stock:8.1f}{stock / mine:9.2f}x")
    target = 150.0
    over = [r.label for k, r in results.items() if not k.startswith("b_") and r.p50 > target]
    print()
    print(f"target p50 ≤ {target:.0f} ms: " + ("met" if not over else "MISSED by " + ", ".join(over)))
    slower = [
        results[a].label for a, b in compared if a in ("search", "rare") and results[a].p50 >= results[b].p50
    ]
    if compared:
        print("search faster than stock: " + ("yes" if not slower else "NO for " + ", ".join(slower)))
    summary: dict[str, Any] = {
        "database": make_url(url).get_backend_name(),
        "cases": facts.cases,
        "list_p50_ms": round(results["list"].p50, 1),
        "filter_p50_ms": round(results["filter"].p50, 1),
        "search_p50_ms": round(results["search"].p50, 1),
        "baseline_search_p50_ms": round(results["b_search"].p50, 1) if "b_search" in results else None,
        "search_speedup": (
            round(results["b_search"].p50 / results["search"].p50, 2) if "b_search" in results else None
        ),
    }
    extra = {
        "rare_search_p50_ms": "rare",
        "answer_filter_p50_ms": "answer",
        "scoped_list_p50_ms": "town_list",
        "scoped_search_p50_ms": "town_search",
        "baseline_list_p50_ms": "b_list",
        "baseline_filter_p50_ms": "b_filter",
        "baseline_rare_search_p50_ms": "b_rare",
    }
    for key, name in extra.items():
        if name in results:
            summary[key] = round(results[name].p50, 1)
    if build:
        summary["build_s"] = round(build["total_s"], 1)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    raise SystemExit(main())
