"""Export benchmark: the ledger's xlsx export (/admin/cases/export/xlsx/) of 100,000 rows: time, peak memory.

Builds (or reuses) a ledger of at least N cases (bench/seed_scale.py's `seed` when it exists, else the
small seeder below), then runs each export in a child process of its own and reads, there, the
process's peak resident memory (`ru_maxrss`) after the export: the whole process, app and imports
included, so the figure is what a server worker would need. RSS rather than tracemalloc because
tracemalloc slows every allocation and would distort the time. Each child signs in through the real
login page and GETs the real route through the Flask test client with `buffered=False`, writing the
body to a file as it comes, so the response is not held in memory by the client.

The export is asked for through the list's own 受理日期 filter, from the date that leaves N cases (a few
more when the boundary day is shared), as an office would export a period. The baseline is the stock
Flask-Admin export (tablib, everything in memory) on the same view, columns and formatters, i.e. the
code the portal had before, on a smaller N in the same run; its time per 1,000 rows is reported.

    .venv/bin/python bench/export.py                        # 100,000 rows in a temporary directory
    .venv/bin/python bench/export.py --db /tmp/export.sqlite3 --keep
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/mydb .venv/bin/python bench/export.py

The last line of output is one JSON object: rows, export_100k_s, export_peak_mb, baseline_s_per_1k, and the
same in CPU seconds with the load average (wall times on a shared machine depend on its other work).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SECRET_KEY", "bench-secret")

from flask import Flask  # noqa: E402
from flask_admin import expose  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import joinedload, selectinload  # noqa: E402

from portal import create_app  # noqa: E402
from portal.admin.ledger.cases import CaseView  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models.auth import User  # noqa: E402
from portal.models.case import Agreement, Case, FollowUp, Party, case_mediator  # noqa: E402
from portal.models.dictionary import DisputeType  # noqa: E402
from portal.models.org import Organization, OrgKind, OrgLevel  # noqa: E402
from portal.models.people import Gender, Mediator  # noqa: E402
from portal.services import audit  # noqa: E402
from portal.services.deadlines import local_today  # noqa: E402
from portal.services.demo import data  # noqa: E402
from portal.services.demo.fake import DemoFaker  # noqa: E402
from portal.validators import make_id_number  # noqa: E402

USERNAME = "export_bench"
PASSWORD = "Bench2026pass"  # noqa: S105 - a throwaway account in a throwaway database
BATCH = 5_000
TOWNSHIPS = ("城关街道", "马集镇", "柳林镇", "孙寺镇", "杨湖镇", "韩集镇")


def bench_app(database_url: str) -> Flask:
    """Return an app on the bench database: test mode, CSRF and rate limits off."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )


# --- the ledger ----------------------------------------------------------------------------------------


def local_seed(url: str, cases: int, seed: int = 2026) -> None:
    """Migrate and load `cases` cases with ~2.3 parties each, agreements, follow-ups and mediators.

    A stand-in for bench/seed_scale.py: Core inserts in batches, no audit, no search index (the
    export benchmark neither searches nor reads the dashboard tallies).
    """
    app = bench_app(url)
    rng, faker = random.Random(seed), DemoFaker(seed=seed)
    today = local_today()
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "bench")):
            root = Organization(
                name="清河县矛盾纠纷多元化解中心",
                code="QH",
                level=OrgLevel.COUNTY,
                kind=OrgKind.COORDINATION_CENTRE,
            )
            db.session.add(root)
            orgs = [root]
            for i, name in enumerate(TOWNSHIPS, 1):
                town = Organization(
                    name=f"{name}人民调解委员会",
                    code=f"T{i}",
                    level=OrgLevel.TOWNSHIP,
                    kind=OrgKind.COMMITTEE,
                    parent=root,
                )
                db.session.add(town)
                db.session.flush()
                orgs.append(town)
                for j in range(1, 4):
                    village = Organization(
                        name=f"{data.VILLAGE_SURNAMES[(i * 3 + j) % 30]}{j}村人民调解委员会",
                        code=f"T{i}V{j}",
                        level=OrgLevel.VILLAGE,
                        kind=OrgKind.COMMITTEE,
                        parent=town,
                    )
                    db.session.add(village)
                    db.session.flush()
                    orgs.append(village)
            mediators = []
            for k, org in enumerate(orgs):
                born = today.replace(year=today.year - 40 - k % 20, month=1 + k % 12, day=1 + k % 28)
                person = Mediator(
                    name=faker.person_name(),
                    gender=Gender.MALE,
                    organization=org,
                    birth_date=born,
                    id_number=make_id_number(data.COUNTY_REGION, born, k % 100, "male"),
                    phone=f"1380000{k:04d}",
                )
                db.session.add(person)
                mediators.append(person)
            db.session.flush()
        db.session.commit()
        org_ids = [(o.id, o.code) for o in orgs]
        mediator_ids = [m.id for m in mediators]
        type_ids = list(db.session.scalars(select(DisputeType.id).where(DisputeType.parent_id.is_not(None))))
        statuses = (
            ["closed"] * 60 + ["mediating"] * 15 + ["settled"] * 10 + ["failed"] * 5 + ["registered"] * 10
        )
        party_id = 0
        db.session.remove()  # the inserts below take the write lock
        with db.engine.begin() as conn:
            for start in range(0, cases, BATCH):
                case_rows, party_rows, links, agreements, visits = [], [], [], [], []
                for cid in range(start + 1, min(cases, start + BATCH) + 1):
                    accepted = today - timedelta(days=int(730 * (cases - cid) / cases))
                    org_id, code = rng.choice(org_ids)
                    status = rng.choice(statuses)
                    names = [faker.person_name() for _ in range(rng.choice((2, 2, 2, 3, 4)))]
                    amount = Decimal(rng.randrange(0, 5_000_000)) / 100 if rng.random() < 0.6 else None
                    case_rows.append(
                        {
                            "id": cid,
                            "number": f"（{accepted.year}）{code}人调字第{cid}号",
                            "year": accepted.year,
                            "seq": cid,
                            "numbering_organization_id": org_id,
                            "organization_id": org_id,
                            "source": "application",
                            "dispute_type_id": rng.choice(type_ids),
                            "summary": f"{names[0]}与{names[1]}因宅基地界址发生争执，双方多次协商未果。",
                            "claims": "请求依法调解",
                            "people_involved": len(names),
                            "amount": amount,
                            "risk_level": rng.choice(("low", "low", "medium", "high")),
                            "difficulty": "normal",
                            "is_group": len(names) >= 5,
                            "accepted_on": accepted,
                            "deadline": accepted + timedelta(30),
                            "status": status,
                            "last_activity_on": accepted,
                            "party_names": "、".join(names),
                            "responsible_person": names[0][0] + "调解员",
                            "lead_leader": None,
                            "closed_on": accepted + timedelta(20) if status == "closed" else None,
                        }
                    )
                    for order, name in enumerate(names):
                        party_id += 1
                        born = accepted.replace(year=1960 + cid % 40, month=1 + cid % 12, day=1 + order)
                        party_rows.append(
                            {
                                "id": party_id,
                                "case_id": cid,
                                "role": "applicant" if order == 0 else "respondent",
                                "kind": "person",
                                "name": name,
                                "gender": "male",
                                "id_number": make_id_number(data.COUNTY_REGION, born, party_id % 100, "male"),
                                "phone": faker.mobile(),
                                "address": "清河县城关镇",
                                "sort_order": order,
                            }
                        )
                    links.append({"case_id": cid, "mediator_id": rng.choice(mediator_ids)})
                    if status in ("closed", "settled") and rng.random() < 0.8:
                        signed = accepted + timedelta(10)
                        agreements.append(
                            {
                                "case_id": cid,
                                "number": f"XY{cid}",
                                "form": "written",
                                "signed_on": signed,
                                "terms": "双方自愿达成协议",
                                "amount": amount,
                                "performed": status == "closed",
                            }
                        )
                        if status == "closed":
                            visits.append(
                                {
                                    "case_id": cid,
                                    "visited_on": signed + timedelta(7),
                                    "visitor": "回访员",
                                    "person_visited": names[0],
                                    "performance": "full",
                                    "satisfaction": 5,
                                }
                            )
                conn.execute(insert(Case.__table__), case_rows)
                conn.execute(insert(Party.__table__), party_rows)
                conn.execute(insert(case_mediator), links)
                if agreements:
                    conn.execute(insert(Agreement.__table__), agreements)
                if visits:
                    conn.execute(insert(FollowUp.__table__), visits)
        db.session.remove()
        db.engine.dispose()


def seed(url: str, cases: int) -> None:
    """Build a ledger of `cases` cases: bench/seed_scale.py's seeder when there is one, else `local_seed`."""
    try:
        from seed_scale import seed as scale_seed  # type: ignore[import-not-found]
    except ImportError:
        local_seed(url, cases)
    else:
        scale_seed(url, cases)


def prepare(url: str, rows: int) -> None:
    """Make sure the database holds at least `rows` cases and a county administrator to sign in with."""
    app = bench_app(url)
    with app.app_context():
        try:
            have = db.session.scalar(select(func.count(Case.id))) or 0
        except Exception:  # noqa: BLE001 - an empty database has no tables yet
            db.session.rollback()
            have = 0
        db.session.remove()
        db.engine.dispose()
    if have < rows:
        print(f"seeding {rows:,} cases …", flush=True)
        started = time.perf_counter()
        seed(url, rows)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username == USERNAME)) is None:
            root = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)).limit(1))
            with audit.acting_as(audit.Actor(None, "bench")):
                user = User(username=USERNAME, full_name="导出基准管理员", organization=root)
                user.roles = ["admin"]
                user.set_password(PASSWORD)
                db.session.add(user)
                db.session.commit()
        db.session.remove()
        db.engine.dispose()


def since_for(url: str, rows: int) -> str:
    """Return the 受理日期 from which the ledger holds (at least) `rows` cases."""
    app = bench_app(url)
    with app.app_context():
        day = db.session.scalar(
            select(Case.accepted_on).order_by(Case.accepted_on.desc()).offset(rows - 1).limit(1)
        )
        db.session.remove()
        db.engine.dispose()
    return day.isoformat()


# --- one export, in a child process ------------------------------------------------------------------


class StockExportCaseView(CaseView):
    """The ledger with the stock Flask-Admin export (tablib, all rows in memory): the code before."""

    def get_query(self) -> Any:
        # The eager loads the ledger's export had before.
        return (
            super()
            .get_query()
            .options(
                selectinload(Case.parties),
                selectinload(Case.mediators),
                selectinload(Case.follow_ups),
                joinedload(Case.agreement),
                joinedload(Case.form_version),
            )
        )

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        return ModelView.export(self, export_type)


def child(url: str, which: str, since: str, out: Path) -> dict[str, Any]:
    """Sign in, GET one export into `out`; return its time, size and this process's peak memory."""
    app = bench_app(url)
    endpoint = "cases"
    if which == "stock":
        endpoint = "stock_cases"
        with app.app_context():
            app.extensions["admin"][0].add_view(StockExportCaseView(Case, name="纠纷台账", endpoint=endpoint))
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    arg = next(f"flt0_{key}" for key, (_i, flt) in view._filter_args.items() if flt.name == "受理日期")
    client = app.test_client()
    assert client.post("/login", data={"username": USERNAME, "password": PASSWORD}).status_code == 302
    until = (local_today() + timedelta(days=1)).isoformat()
    url_path = f"/admin/{endpoint}/export/xlsx/?{arg}={since}+to+{until}"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_before = _cpu()
    started = time.perf_counter()
    response = client.get(url_path, buffered=False)
    size = 0
    with out.open("wb") as sink:
        for piece in response.response:
            size += len(piece)
            sink.write(piece)
    response.close()
    elapsed = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    assert response.status_code == 200, f"{url_path}: {response.status_code}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "cpu_s": cpu, "peak_mb": peak, "before_mb": rss_before, "bytes": size}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(url: str, which: str, since: str, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", which, "--url", url, "--since", since, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        raise RuntimeError(f"export child ({which}) failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sheet_rows(path: Path) -> int:
    """Return the data rows of an exported sheet (read in streaming mode)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in book.active.iter_rows(min_row=2, values_only=True))
    finally:
        book.close()


def measure_export(db_url: str, rows: int = 100_000) -> dict[str, Any]:
    """Time the portal's xlsx export of `rows` ledger rows and read its peak memory (the database must
    hold at least `rows` cases and the bench user: see `prepare`). Returns export_100k_s (the time,
    scaled to exactly 100,000 rows), export_peak_mb, and the raw figures."""
    prepare(db_url, rows)
    since = since_for(db_url, rows)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        out = Path(tmp) / "cases.xlsx"
        ours = run_child(db_url, "ours", since, out)
        written = sheet_rows(out)
    return {
        "rows": written,
        "export_s": round(ours["seconds"], 2),
        "export_cpu_s": round(ours["cpu_s"], 2),
        "export_100k_s": round(ours["seconds"] * 100_000 / max(written, 1), 2),
        "export_100k_cpu_s": round(ours["cpu_s"] * 100_000 / max(written, 1), 2),
        "export_peak_mb": round(ours["peak_mb"], 1),
        "rss_before_export_mb": round(ours["before_mb"], 1),
        "file_mb": round(ours["bytes"] / 2**20, 1),
    }


def measure_baseline(db_url: str, rows: int) -> dict[str, Any]:
    """Time the stock Flask-Admin export of `rows` ledger rows (the code the portal had before)."""
    since = since_for(db_url, rows)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        out = Path(tmp) / "stock.xlsx"
        stock = run_child(db_url, "stock", since, out)
        written = sheet_rows(out)
    return {
        "rows": written,
        "seconds": round(stock["seconds"], 2),
        "cpu_s": round(stock["cpu_s"], 2),
        "s_per_1k": round(stock["seconds"] * 1000 / max(written, 1), 3),
        "cpu_s_per_1k": round(stock["cpu_s"] * 1000 / max(written, 1), 3),
        "peak_mb": round(stock["peak_mb"], 1),
    }


# --- main --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="rows of the timed export (default 100,000)"
    )
    parser.add_argument("--baseline-rows", type=int, default=10_000, help="rows of the stock export (10,000)")
    parser.add_argument("--db", type=Path, help="SQLite file: reused if it holds enough cases, else seeded")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock export")
    parser.add_argument("--child", choices=("ours", "stock"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--since", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.url, args.child, args.since, args.out)))
        return 0
    tmp = None
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        url = os.environ["DATABASE_URL"]
    elif args.db:
        url = f"sqlite:///{args.db.resolve()}"
    else:
        tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))
        url = f"sqlite:///{tmp / 'ledger.sqlite3'}"
    try:
        ours = measure_export(url, args.rows)
        print(
            f"portal export   {ours['rows']:>9,} rows  {ours['export_s']:7.2f} s "
            f"(CPU {ours['export_cpu_s']:.2f} s)  "
            f"peak {ours['export_peak_mb']:6.1f} MB (process; {ours['rss_before_export_mb']:.1f} MB before)  "
            f"{ours['file_mb']:.1f} MB file",
            flush=True,
        )
        baseline = None
        if not args.no_baseline:
            baseline = measure_baseline(url, args.baseline_rows)
            print(
                f"stock export    {baseline['rows']:>9,} rows  {baseline['seconds']:7.2f} s "
                f"(CPU {baseline['cpu_s']:.2f} s)  "
                f"peak {baseline['peak_mb']:6.1f} MB  ({baseline['s_per_1k']:.3f} s per 1,000 rows; "
                f"portal {ours['export_s'] * 1000 / max(ours['rows'], 1):.3f})",
                flush=True,
            )
        # Wall times depend on what else the machine runs; the CPU times and the load say how busy it was.
        result = {
            "rows": ours["rows"],
            "export_100k_s": ours["export_100k_s"],
            "export_peak_mb": ours["export_peak_mb"],
            "baseline_s_per_1k": baseline["s_per_1k"] if baseline else None,
            "export_100k_cpu_s": ours["export_100k_cpu_s"],
            "baseline_cpu_s_per_1k": baseline["cpu_s_per_1k"] if baseline else None,
            "load_average": round(os.getloadavg()[0], 1),
        }
        print(json.dumps(result))
    finally:
        if tmp is not None:
            if args.keep:
                print(f"kept the database: rerun with --db {tmp / 'ledger.sqlite3'}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
