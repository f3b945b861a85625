"""PDF benchmark: the 荣誉证书 render time, a 200-certificate batch job, and a baseline in the same run.

Builds a throwaway SQLite database (migrated, one county office with its seal, N approved 调解能手), then:

* certificate: `certificates.certificate` warm (rendered once first), p50 over --runs renders, and its size;
* batch: a `services.print_jobs` job of N certificates, run synchronously (chunks laid out, joined into
  one PDF, N IssuedDocument rows): ms per page and the PDF size. First laid out in the job's own process
  (PRINT_PROCESSES=1), then on the worker pool (PRINT_PROCESSES, default one per core): its first job
  (the pool starting), then --batch-runs more with the pool warm, whose median is `batch_ms_per_page`
  (wall time of the whole job on all workers). Every job after the first prints the year again, so its
  certificates are 补打 copies: the same page with one more line;
* baseline: the same certificate HTML rendered with WeasyPrint's defaults, as the pipeline did before
  its optimisations: print.css fetched and parsed per document, a fresh font configuration, the QR code
  as an SVG with the best mask searched, and fontTools subsetting (HarfBuzz subsetting switched off for
  the baseline only, by clearing `weasyprint.pdf.fonts.harfbuzz_subset`).

    .venv/bin/python bench/pdf.py [--runs 30] [--batch 200] [--baseline-runs 5]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/perf .venv/bin/python bench/pdf.py

With DATABASE_URL naming PostgreSQL, the bench creates a scratch database beside it (<name>_pdf_<pid>),
runs there and drops it at the end; the JSON line is the same on both databases.

The last line of output is one JSON object; the table above it is for people.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret")  # Config.load would otherwise write instance/secret_key

import segno  # noqa: E402
import weasyprint.pdf.fonts  # noqa: E402
from flask import current_app, render_template, url_for  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402

import portal.pdf as pdf  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Gender, Mediator, Organization, OrgKind, OrgLevel, Recognition  # noqa: E402
from portal.models.recognition import RecognitionStatus  # noqa: E402
from portal.pdf import certificates  # noqa: E402
from portal.pdf import jobs as print_jobs  # noqa: E402
from portal.pdf.fetcher import PortalFetcher  # noqa: E402
from portal.services import accounts, audit, documents  # noqa: E402
from portal.validators import make_id_number  # noqa: E402

BASE_URL = "https://tiaojie.example.gov.cn/"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀英志强丽华永明桂兰海燕德福春梅国庆淑珍文斌玉兰"


def seal_png() -> bytes | None:
    """Return the test suite's drawn seal (a realistic image on the page), if Pillow can draw it."""
    try:
        from tests.pdf.official_samples import seal_png as draw

        return draw("清河县司法局")
    except Exception:  # noqa: BLE001 - the bench runs without the seal rather than not at all
        return None


def build(count: int) -> tuple[list[Recognition], object]:
    """Add the county office, `count` approved recognitions and a clerk; return them."""
    root = Organization(
        name="清河县司法局", code="QH", level=OrgLevel.COUNTY, kind=OrgKind.COORDINATION_CENTRE
    )
    db.session.add(root)
    db.session.flush()
    root.seal_png = seal_png()
    recs = []
    for i in range(count):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 2) % len(GIVEN) : (i * 2) % len(GIVEN) + 2]
        person = Mediator(
            name=name,
            gender=Gender.MALE,
            organization=root,
            id_number=make_id_number(
                "371525", date(1960 + i // 90, 1 + i % 12, 1 + i % 28), i % 90 + 1, "male"
            ),
        )
        recs.append(
            Recognition(
                year=2025,
                title="调解能手",
                mediator=person,
                organization=root,
                status=RecognitionStatus.APPROVED,
                nominated_on=date(2025, 12, 1),
                decided_at=datetime(2026, 1, 5, 2, tzinfo=UTC),
                serial=f"能手〔2025〕{i + 1:03d}号",
                serial_seq=i + 1,
            )
        )
    db.session.add_all(recs)
    clerk = accounts.create_user(db.session, "bench_clerk", "文书甲", "Bench-Passw0rd", ["clerk"], root)
    db.session.commit()
    return recs, clerk


def p50(run: Callable[[], object], runs: int) -> tuple[float, object]:
    """Return the median wall time in ms of `runs` calls (after one warm-up call) and the last result."""
    result = run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def baseline_certificate(rec: Recognition) -> bytes:
    """Render the same certificate the way the pipeline did before: WeasyPrint defaults throughout."""
    serial = documents.new_serial()
    page = certificates._page(rec, serial, None)
    target = url_for("verify.verify", serial=serial, _external=True)
    page["qr"] = segno.make(target, error="m").svg_data_uri(scale=4, border=1)
    html = render_template("pdf/certificate.html", pages=[page], draft=False, reprint=None, serial=None)
    fetcher = PortalFetcher(current_app.static_folder or "static")
    stylesheet = CSS(url=f"portal:static/{pdf.PRINT_CSS}", url_fetcher=fetcher)
    return HTML(string=html, base_url="portal:static/", url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet]
    )


@contextmanager
def scratch_database(tmp: str) -> Iterator[str]:
    """Yield a new empty database: beside DATABASE_URL on PostgreSQL (dropped after), else SQLite in tmp."""
    env = os.environ.get("DATABASE_URL", "")
    if not env.startswith("postgresql"):
        yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    url = make_url(env)
    name = f"{url.database}_pdf_{os.getpid()}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed renders of one certificate")
    parser.add_argument("--batch", type=int, default=200, help="certificates in the batch job")
    parser.add_argument("--batch-runs", type=int, default=3, help="timed batch jobs on the warm pool")
    parser.add_argument("--baseline-runs", type=int, default=5, help="timed baseline renders (slow)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp, scratch_database(tmp) as url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "PRINT_JOBS_SYNC": True,
            }
        )
        with app.app_context(), audit.acting_as(audit.Actor(None, "bench")):
            db_name = db.engine.dialect.name
            upgrade()
            recs, clerk = build(args.batch)
            with app.test_request_context(base_url=BASE_URL):
                rec = recs[0]
                cert_ms, rendered = p50(
                    lambda: certificates.certificate(rec, serial=documents.new_serial(), original=None),
                    args.runs,
                )
                cert_kb = len(rendered.pdf) / 1024

                def batch(processes: int) -> tuple[float, int, float]:
                    """Run one batch job; return its ms per page, pages and PDF size in KB."""
                    app.config["PRINT_PROCESSES"] = processes
                    start = time.perf_counter()
                    job = print_jobs.submit(db.session, clerk, "certificates", year=2025, base_url=BASE_URL)
                    elapsed = time.perf_counter() - start
                    assert job.status.value == "done", job.error
                    return elapsed * 1000 / job.pages, job.pages, job.pdf_size / 1024

                processes = int(app.config["PRINT_PROCESSES"])
                one_ms, _pages, one_kb = batch(1)
                cold_ms, _pages, _kb = batch(processes)
                warm = [batch(processes) for _ in range(args.batch_runs)]
                batch_ms_per_page = statistics.median(ms for ms, _pages, _kb in warm)
                batch_pages, batch_kb = warm[-1][1], warm[-1][2]

                weasyprint.pdf.fonts.harfbuzz_subset = None  # the baseline only: fontTools subsetting
                base_ms, base_pdf = p50(lambda: baseline_certificate(rec), args.baseline_runs)
                base_kb = len(base_pdf) / 1024

    rows = [
        ("certificate, warm p50", f"{cert_ms:.1f} ms", f"{cert_kb:.0f} KB", "≤ 150 ms, ≤ 300 KB"),
        (
            f"batch of {batch_pages}, one process",
            f"{one_ms:.1f} ms/page",
            f"{one_kb:.0f} KB",
            "laid out in the job's own process",
        ),
        (
            f"batch of {batch_pages}, pool starting",
            f"{cold_ms:.1f} ms/page",
            "",
            f"first job: {processes} worker processes start",
        ),
        (
            f"batch of {batch_pages}, warm pool p50",
            f"{batch_ms_per_page:.1f} ms/page",
            f"{batch_kb:.0f} KB",
            f"≤ 15 ms/page ({processes} processes, {args.batch_runs} jobs)",
        ),
        (
            "baseline certificate p50",
            f"{base_ms:.1f} ms",
            f"{base_kb:.0f} KB",
            "WeasyPrint defaults, fontTools",
        ),
    ]
    print(f"{'measure':<32}{'time':>16}{'size':>10}   note")
    for name, timing, size, note in rows:
        print(f"{name:<32}{timing:>16}{size:>10}   {note}")
    print(f"speed-up over the baseline: {base_ms / cert_ms:.1f}×")
    print(
        json.dumps(
            {
                "database": db_name,
                "cert_p50_ms": round(cert_ms, 1),
                "batch_ms_per_page": round(batch_ms_per_page, 2),
                "batch_one_process_ms_per_page": round(one_ms, 2),
                "batch_pool_start_ms_per_page": round(cold_ms, 2),
                "cert_kb": round(cert_kb, 1),
                "baseline_cert_p50_ms": round(base_ms, 1),
                "speedup": round(base_ms / cert_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
