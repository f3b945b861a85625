"""Dashboard benchmark: the 工作台 (/admin/) at scale, for the county admin and a township's admin.

Builds (or reuses) a ledger of N cases with bench/seed_scale.py, signs in through the real login page
and times GET /admin/ through the Flask test client (the real view: figures, lists, charts, template).
In the same run it times the baseline: the same period figures counted straight from the ledger
(GROUP BY over dispute_case, as the dashboard would without its summary tables) and the open-case
figures without their covering index, so the result reads as a ratio. Then, if bench/export.py is
there, the xlsx export of 100,000 ledger rows (time and peak memory, in a child process).

    .venv/bin/python bench/dashboard.py --cases 200000            # SQLite in a temporary directory
    .venv/bin/python bench/dashboard.py --cases 1000000 --db /tmp/ledger-1m.sqlite3 --keep
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m \\
        .venv/bin/python bench/dashboard.py --cases 1000000
    .venv/bin/python bench/dashboard.py --db /tmp/ledger-1m.sqlite3 --explain   # query plans too

The last line of output is one JSON object:
{"cases": N, "dashboard_p50_ms": …, "export_100k_s": …, "export_peak_mb": …, …}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
os.environ.setdefault("SECRET_KEY", "bench-secret")

import seed_scale  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import and_, func, or_, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models.auth import User  # noqa: E402
from portal.models.case import OPEN_STATUSES, Agreement, Case, CaseStatus, RiskLevel  # noqa: E402
from portal.services import dashboard  # noqa: E402
from portal.services.deadlines import (  # noqa: E402
    DeadlineRules,
    local_today,
    overdue_clause,
    red_card_clause,
)
from portal.services.figures import Period, period_range, trend_months  # noqa: E402
from portal.services.scope import org_in_scope  # noqa: E402

TARGET_MS = 500.0
USERS = {"county": "bench_admin", "township": "bench_town"}


# --- the database -----------------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """Yield the database URL: DATABASE_URL, --db, or a temporary SQLite file (kept with --keep)."""
    if os.environ.get("DATABASE_URL") and not args.db:
        yield os.environ["DATABASE_URL"]
        return
    if args.db:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{Path(args.db).resolve()}"
        return
    tmp = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    if args.keep:
        print(f"keeping the database: rerun with --db {tmp / 'ledger.sqlite3'}")
    try:
        yield f"sqlite:///{tmp / 'ledger.sqlite3'}"
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_ledger(url: str, cases: int) -> dict[str, Any] | None:
    """Seed `cases` cases unless the database already holds a ledger; return the seeder's timings."""
    have = seed_scale.case_count(url)
    if have:
        print(f"reusing the ledger of {have:,} cases")
        return None
    print(f"seeding {cases:,} cases …", flush=True)
    return seed_scale.seed(url, cases)


# --- timing -----------------------------------------------------------------------------------------


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def login(app: Any, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": seed_scale.PASSWORD})
    assert response.status_code == 302, f"login of {username} failed ({response.status_code})"
    return client


def bench_app(url: str) -> Any:
    """The app under test. On PostgreSQL its pool holds one connection without parallel query
    workers, so that the server process doing a request's work is known (`server_cpu`)."""
    if not url.startswith("postgresql"):
        return seed_scale.bench_app(url)
    options = {
        "pool_size": 1,
        "max_overflow": 0,
        "pool_pre_ping": True,
        "connect_args": {"options": "-c max_parallel_workers_per_gather=0"},
    }
    return seed_scale.bench_app(url, SQLALCHEMY_ENGINE_OPTIONS=options)


def server_cpu(app: Any) -> Callable[[], float]:
    """Return a function reading the CPU seconds the database server has spent for this app (0 on
    SQLite, which works inside this process): the PostgreSQL backend's user + system time, read from
    /proc (the server runs on this host in the bench)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return lambda: 0.0
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def time_page(
    client: FlaskClient, url: str, repeat: int, warmup: int, server: Callable[[], float] = lambda: 0.0
) -> tuple[list[float], list[float]]:
    """GET `url` warm-up + repeat times; return the timed durations in ms: wall clock, and CPU (this
    process's, plus the PostgreSQL backend's): the CPU time is what the request costs whatever else
    the machine is doing, which a busy machine's wall clock does not show."""
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
        assert "近24个月受理趋势" in response.get_data(as_text=True)
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time() + server()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() + server() - started_cpu) * 1000)
        assert response.status_code == 200
    return wall, cpu


def time_call(call: Callable[[], Any], repeat: int) -> list[float]:
    call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


# --- the baseline: the same figures straight from the ledger --------------------------------------


def full_scan_figures(session: Any, user: User, today: Any, rules: DeadlineRules) -> dict[str, Any]:
    """Count the dashboard's period and trend figures with GROUP BY over dispute_case, and its open
    figures without the covering index: what the page would cost without this design."""
    start, end = period_range(Period.YEAR, today)
    scope = org_in_scope(user, Case.organization_id)
    in_period = and_(scope, Case.accepted_on.between(start, end))
    has_agreement = Agreement.id.is_not(None)
    by = session.execute(
        select(
            Case.organization_id, Case.status, has_agreement, Case.failure_reason.is_not(None), func.count()
        )
        .outerjoin(Agreement, Agreement.case_id == Case.id)
        .where(in_period)
        .group_by(Case.organization_id, Case.status, has_agreement, Case.failure_reason.is_not(None))
    ).all()
    on_time = session.execute(
        select(Case.concluded_on <= Case.deadline, func.count())
        .where(in_period, Case.concluded_on.is_not(None), Case.status != CaseStatus.VOIDED)
        .group_by(Case.concluded_on <= Case.deadline)
    ).all()
    by_type = session.execute(
        select(Case.dispute_type_id, func.count())
        .where(in_period, Case.status != CaseStatus.VOIDED)
        .group_by(Case.dispute_type_id)
    ).all()
    first = trend_months(today)[0]
    month = (
        func.strftime("%Y-%m", Case.accepted_on)
        if session.get_bind().dialect.name == "sqlite"
        else (func.to_char(Case.accepted_on, "YYYY-MM"))
    )
    trend = session.execute(
        select(month, has_agreement, func.count())
        .outerjoin(Agreement, Agreement.case_id == Case.id)
        .where(scope, Case.accepted_on >= first, Case.status != CaseStatus.VOIDED)
        .group_by(month, has_agreement)
    ).all()
    # Open figures, one query each, as a view would write them: the plain status/deadline indexes only.
    open_cases = Case.status.in_(OPEN_STATUSES)
    counts = {
        name: session.scalar(select(func.count()).select_from(Case).where(scope, condition))
        for name, condition in {
            "open": open_cases,
            "overdue": overdue_clause(today),
            "red_card": red_card_clause(today, rules),
            "supervised": and_(open_cases, Case.supervision_deadline.is_not(None)),
            "high": and_(open_cases, Case.risk_level == RiskLevel.HIGH),
            "group": and_(open_cases, Case.is_group),
            "listed": or_(overdue_clause(today), red_card_clause(today, rules)),
        }.items()
    }
    return {"by": by, "on_time": on_time, "types": by_type, "trend": trend, "open": counts}


# --- query plans (for docs/architecture.md) ----------------------------------------------------------


def explain(app: Any, username: str) -> None:
    """Print the plans of the dashboard's main queries for one user."""
    from sqlalchemy import event

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        statements: list[tuple[str, Any]] = []

        def keep(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
        ) -> None:
            if statement.lstrip().upper().startswith("SELECT") and (
                "tally" in statement or "dispute_case" in statement
            ):
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", keep)
        dashboard.build(db.session, user, local_today(), DeadlineRules(), Period.YEAR)
        event.remove(db.engine, "before_cursor_execute", keep)
        sqlite = db.engine.dialect.name == "sqlite"
        raw = db.session.connection().connection.dbapi_connection
        for statement, parameters in statements:
            print("\n" + " ".join(statement.split())[:400])
            cursor = raw.cursor()
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ANALYZE ") + statement, parameters)
            for row in cursor.fetchall():
                print("   ", row[-1] if sqlite else row[0])
        db.session.remove()


# --- main --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200_000, help="cases to seed (default 200,000)")
    parser.add_argument("--db", help="SQLite file: reused if it holds a ledger, else seeded there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per user (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
    parser.add_argument("--no-export", action="store_true", help="skip the export measurement")
    parser.add_argument("--no-baseline", action="store_true", help="skip the full-scan baseline")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - a report, line by line
    args = parse_args(argv)
    with database(args) as url:
        where = make_url(url).render_as_string(hide_password=True)
        built = ensure_ledger(url, args.cases)
        if built:
            print(f"seeded in {built['total_s']} s: {json.dumps(built['rows'])}")
        app = bench_app(url)
        server = server_cpu(app)
        with app.app_context():
            cases = db.session.scalar(select(func.count()).select_from(Case))
            tallies = db.session.scalar(select(func.count()).select_from(dashboard.CaseStatusTally))
            db.session.remove()
        print(f"ledger: {cases:,} cases on {where}, {tallies:,} summary rows")
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (other processes skew the figures)")
        results: dict[str, list[float]] = {}
        for who, username in USERS.items():
            client = login(app, username)
            results[who], results[f"{who}_cpu"] = time_page(
                client, "/admin/", args.repeat, args.warmup, server
            )
            results[f"{who}_12m"], _cpu = time_page(client, "/admin/?period=12m", max(3, args.repeat // 2), 1)
        baseline: dict[str, list[float]] = {}
        if not args.no_baseline:
            with app.app_context():
                rules, today, repeat = DeadlineRules(), local_today(), max(3, args.repeat // 3)
                for who, username in USERS.items():
                    user = db.session.scalar(select(User).where(User.username == username))
                    # The design's own figure queries, without rendering, for comparison.
                    baseline[f"{who}_ours"] = time_call(
                        lambda u=user: dashboard.build(db.session, u, today, rules, Period.YEAR), repeat
                    )
                    # The full scans, without the figures index: dropped inside the transaction
                    # (DDL is transactional on both databases) and back with the rollback.
                    db.session.execute(text("DROP INDEX ix_dispute_case_status_figures"))
                    baseline[who] = time_call(
                        lambda u=user: full_scan_figures(db.session, u, today, rules), repeat
                    )
                    db.session.rollback()
                db.session.remove()
        if args.explain:
            explain(app, USERS["county"])
        with app.app_context():
            db.engine.dispose()
        export: dict[str, Any] = {}
        if not args.no_export:
            export = measure_export(url)

    print()
    print(f"{'scenario':44}{'p50 ms':>10}{'p90 ms':>10}{'CPU p50':>10}")
    labels = {
        "county": "GET /admin/ (county admin, 本年度)",
        "county_12m": "GET /admin/?period=12m (county admin)",
        "township": "GET /admin/ (township admin, 本年度)",
        "township_12m": "GET /admin/?period=12m (township admin)",
    }
    for key, label in labels.items():
        cpu = f"{p50(results[key + '_cpu']):10.1f}" if key + "_cpu" in results else ""
        print(f"{label:44}{p50(results[key]):10.1f}{p90(results[key]):10.1f}{cpu}")
    if baseline:
        print()
        print("figures only (no HTTP, no template): full scans vs summary tables + figures index")
        for who in USERS:
            scan, ours = p50(baseline[who]), p50(baseline[f"{who}_ours"])
            print(
                f"  {who:10} full scan {scan:9.1f} ms   this design {ours:8.1f} ms"
                f"   ratio {scan / ours:6.1f}x"
            )
    met = p50(results["county"]) <= TARGET_MS and p50(results["township"]) <= TARGET_MS
    print(f"\ntarget p50 ≤ {TARGET_MS:.0f} ms: " + ("met" if met else "MISSED"))
    summary: dict[str, Any] = {
        "cases": cases,
        "dashboard_p50_ms": round(p50(results["county"]), 1),
        "export_100k_s": export.get("export_100k_s"),
        "export_peak_mb": export.get("export_peak_mb"),
        "dashboard_township_p50_ms": round(p50(results["township"]), 1),
        "dashboard_12m_p50_ms": round(p50(results["county_12m"]), 1),
        "dashboard_cpu_p50_ms": round(p50(results["county_cpu"]), 1),
        "dashboard_township_cpu_p50_ms": round(p50(results["township_cpu"]), 1),
        "load_average": round(os.getloadavg()[0], 1),
        "database": make_url(url).get_backend_name(),
    }
    if baseline:
        summary["baseline_full_scan_ms"] = round(p50(baseline["county"]), 1)
        summary["figures_ms"] = round(p50(baseline["county_ours"]), 1)
    if built:
        summary["seed_s"] = built["total_s"]
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def measure_export(url: str) -> dict[str, Any]:
    """The xlsx export of 100,000 rows: bench/export.py's `measure_export`, run from a fresh interpreter
    (its export child's peak memory counts from the process that starts it: this one, after seeding,
    would add its own size). Returns {} with a note when that benchmark is not there."""
    if not (BENCH / "export.py").exists():
        print("bench/export.py is not there: export figures left out")
        return {}
    print("export: 100,000 rows …", flush=True)
    code = (
        "import json, sys; sys.path[:0] = sys.argv[1:3]; import export; "
        "print(json.dumps(export.measure_export(sys.argv[3], 100_000), ensure_ascii=False))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and benchmark
        [sys.executable, "-c", code, str(ROOT), str(BENCH), url], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"export benchmark failed:\n{done.stderr[-3000:]}")
        return {}
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"export: {json.dumps(figures, ensure_ascii=False)}")
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
