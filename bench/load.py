"""Load test: N signed-in users against gunicorn + PostgreSQL + RQ for S seconds, on loopback only.

    .venv/bin/python bench/load.py                              # 50 users, 300 s (the issue's figures)
    .venv/bin/python bench/load.py --users 10 --seconds 30      # a short proof run
    .venv/bin/python bench/load.py --fault pg-restart           # restart PostgreSQL half-way through
    .venv/bin/python bench/load.py --fault worker-kill          # SIGKILL a gunicorn worker half-way
    .venv/bin/python bench/load.py --fault rq-kill              # kill -9 an RQ worker in a batch print

What it does: takes a fresh copy of the load database (a seeded demo county with 200 load accounts and
open assessment rounds, built once into `portal_load_template`; bench/load_prepare.py), starts the app
as in production — gunicorn with deploy/gunicorn.conf.py behind PROXY_FIX, one RQ `print-worker` on its
own Redis queue — waits for /readyz, runs locust headless (bench/locustfile.py: township 录入员 register
and carry cases through the workflow, 考评员 enter scores, 文书 print documents and batches), injects the
fault if asked, waits for the batch prints to finish, stops everything it started and checks the database
against what the portal confirmed (bench/load_check.py). Every wait is bounded; the database server and
Redis must be on this machine (127.0.0.1), and the app listens on 127.0.0.1 only.

Output: a table per action (count, errors, p50/p95/p99 ms, requests/s), what was committed, what the
check found; the last line is one JSON object `{"users", "seconds", "rps", "p95_ms", "errors", …}`
where p95_ms is over page requests (PDF prints and batch starts are reported apart, as p95_pdf_ms).
The exit status is 0 when there were no errors and every check held.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import faults  # noqa: E402
import load_check  # noqa: E402
import load_prepare  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from portal import clock  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the portal on port {port} was not ready within {timeout:.0f} s")


def stop(process: subprocess.Popen | None, name: str, grace: float = 30) -> None:
    """TERM a process this run started, then KILL it if it has not exited within `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop within {grace:.0f} s: SIGKILL")
        process.kill()
        process.wait(timeout=10)


class Stack:
    """The processes of one run: gunicorn and the RQ workers, with their logs in the run's folder."""

    def __init__(self, env: dict[str, str], out: Path, port: int) -> None:
        self.env, self.out, self.port = env, out, port
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        handle = (self.out / log_name).open("ab")
        return subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, "-m", *args], cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )

    def start_web(self) -> None:
        args = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}", "app:app"]
        self.web = self._spawn(args, "gunicorn.log")

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn(["flask", "--app", "app", "print-worker"], f"rq-worker-{len(self.workers)}.log")
        self.workers.append(worker)
        return worker

    def live_worker(self) -> subprocess.Popen | None:
        return next((w for w in reversed(self.workers) if w.poll() is None), None)

    def stop(self) -> None:
        stop(self.web, "gunicorn")
        for worker in self.workers:
            # RQ: the first TERM is a warm shutdown (an idle worker may sit in its blocking dequeue), the
            # second a cold one.
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    stop(worker, "rq worker", 20)


def submit_long_batch(url: str, env: dict[str, str], config: dict[str, Any]) -> int:
    """Start a batch of every 考评结果通知书 of the largest round, as a load clerk; return the job id."""
    for key in ("REDIS_URL", "PRINT_JOBS_QUEUE"):
        os.environ[key] = env[key]
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.models.auth import User
    from portal.pdf import jobs

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": env["SECRET_KEY"]})
    with app.test_request_context(base_url="http://127.0.0.1/"):
        clerk = db.session.scalar(select(User).where(User.username == config["users"]["clerk"][0]))
        job = jobs.submit(db.session, clerk, "evaluations", round_id=config["big_round"])
        job_id = job.id
        db.session.remove()
        db.engine.dispose()
    return job_id


def job_state(url: str, job_id: int) -> tuple[str, int, int]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT status, done, total FROM print_job WHERE id = :id"), {"id": job_id}
            ).one()
    finally:
        engine.dispose()
    return row[0], row[1], row[2]


def wait_jobs(url: str, ids: list[int], timeout: float) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    if not ids:
        return
    engine = create_engine(url, poolclass=NullPool)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                open_jobs = conn.execute(
                    text(
                        "SELECT count(*) FROM print_job"
                        " WHERE id = ANY(:ids) AND status IN ('queued', 'running')"
                    ),
                    {"ids": ids},
                ).scalar_one()
            if not open_jobs:
                return
            time.sleep(2)
        log(f"batch jobs still unfinished after {timeout:.0f} s")
    finally:
        engine.dispose()


def inject(fault: str, stack: Stack, url: str, config: dict[str, Any], ledger: Path, result: dict) -> None:
    """Run the fault (in the fault thread, at its time) and note what happened in `result`."""
    if fault == "pg-restart":
        result.update(faults.restart_postgresql(log))
    elif fault == "worker-kill":
        assert stack.web is not None
        result.update(faults.kill_gunicorn_worker(stack.web.pid, log))
    elif fault in ("rq-kill", "rq-kill-horse"):
        job_id = submit_long_batch(url, stack.env, config)
        with ledger.open("a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"t": "batch", "at": clock.utcnow().timestamp(), "job": job_id, "user": "fault"})
                + "\n"
            )
        deadline = time.monotonic() + 300
        state = job_state(url, job_id)
        while time.monotonic() < deadline and not (state[0] == "running" and state[1] >= 20):
            time.sleep(0.5)
            state = job_state(url, job_id)
        log(f"batch job {job_id}: {state[0]} {state[1]}/{state[2]} when the RQ worker is killed")
        worker = stack.live_worker()
        if worker is None or state[0] != "running":
            result.update(done=False, reason=f"job {job_id} was {state[0]} {state[1]}/{state[2]}", job=job_id)
            return
        result.update(faults.kill_rq_worker(worker, fault == "rq-kill-horse", log), job=job_id)
        result["progress_at_kill"] = f"{state[1]}/{state[2]}"
        killed = time.monotonic()
        if fault == "rq-kill":
            stack.start_worker()
            log("started a new RQ worker")
        while time.monotonic() < deadline and job_state(url, job_id)[0] in ("queued", "running"):
            time.sleep(2)
        state = job_state(url, job_id)
        result.update(job_status=state[0], recovered_after_s=round(time.monotonic() - killed, 1))
        after = result["recovered_after_s"]
        log(f"batch job {job_id}: {state[0]} {state[1]}/{state[2]}, {after} s after the kill")


def report(figures: dict[str, Any], checks: dict[str, Any], fault: dict[str, Any]) -> None:
    print(f"{'action':<26}{'count':>7}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}")
    for name, row in figures["actions"].items():
        print(
            f"{name:<26}{row['count']:>7}{row['errors']:>7}{row['p50']:>9.0f}{row['p95']:>9.0f}"
            f"{row['p99']:>9.0f}{row['rps']:>8.2f}"
        )
    print(
        f"requests {figures['requests']}, {figures['rps']:.1f}/s, errors {figures['errors']}, "
        f"p95 pages {figures['p95_pages_ms']:.0f} ms, p95 all {figures['p95_all_ms']:.0f} ms"
    )
    for kind, count in figures["error_kinds"].items():
        print(f"  error ×{count}: {kind}")
    print(
        f"committed: {checks['cases']} cases, {checks['steps']} steps, {checks['edits']} corrections, "
        f"{checks['scores']} scores, {checks['documents']} documents, batches {checks['batches']}"
    )
    if fault:
        print(f"fault: {json.dumps(fault, ensure_ascii=False)}")
    print(
        "check: every confirmed write is in the database, case numbers unique and gapless"
        if not checks["problems"]
        else "check FAILED:"
    )
    for problem in checks["problems"][:30]:
        print(f"  - {problem}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument(
        "--wait", default="2,8", help="a user's pause between two actions, min,max seconds (reading, typing)"
    )
    parser.add_argument("--fault", choices=faults.FAULTS, help="inject this fault half-way through")
    parser.add_argument("--fault-at", type=float, help="seconds into the run (default: half-way)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py's)")
    parser.add_argument(
        "--server",
        default=os.environ.get("LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="the PostgreSQL server (any database on it; LOAD_DATABASE_URL)",
    )
    parser.add_argument(
        "--database", default="portal_load", help="the run's database (dropped and made anew)"
    )
    parser.add_argument("--template", default="portal_load_template")
    parser.add_argument("--rebuild", action="store_true", help="build the template database again")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--keep", action="store_true", help="keep the run's database afterwards")
    parser.add_argument("--out", type=Path, help="folder for the logs (default: a new one under /tmp)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    for address in (args.server, args.redis):
        host = make_url(address).host if "postgresql" in address else address.split("//")[1].split(":")[0]
        if host not in LOOPBACK:
            raise SystemExit(f"{address}: the load test runs on loopback only (127.0.0.1)")
    stamp = clock.utcnow().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(f"/tmp/portal-load-{stamp}")  # noqa: S108 - the run's own new folder
    out.mkdir(parents=True, exist_ok=True)
    log(f"logs in {out}")

    if args.rebuild or not load_prepare.template_ready(args.server, args.template):
        load_prepare.build_template(args.server, args.template, log)
    url = load_prepare.fresh_copy(args.server, args.template, args.database, log)
    config = load_prepare.run_config(url)
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    baseline = load_check.numbering_problems(url)
    ledger, times = out / "ledger.jsonl", out / "times.jsonl"

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "load-test-secret-shared-by-every-host",
        "PORTAL_PRODUCTION": "1",
        "REDIS_URL": args.redis,
        "PRINT_JOBS_QUEUE": f"portal-load-{stamp}",
        "PROXY_FIX": "1",
        "PRINT_PROCESSES": "1",
    }
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    stack = Stack(env, out, port)
    fault_result: dict[str, Any] = {}
    code = 1
    try:
        stack.start_worker()
        stack.start_web()
        wait_ready(port, 120)
        log(f"portal ready on 127.0.0.1:{port}; locust: {args.users} users for {args.seconds} s")
        locust_env = {
            **os.environ,
            "LOAD_CONFIG": str(out / "config.json"),
            "LOAD_LEDGER": str(ledger),
            "LOAD_TIMES": str(times),
            "LOAD_WAIT": args.wait,
        }
        command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
        command += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s"]
        command += ["--host", f"http://127.0.0.1:{port}", "--stop-timeout", "10", "--only-summary"]
        with (out / "locust.log").open("wb") as locust_log:
            started = time.monotonic()
            locust = subprocess.Popen(  # noqa: S603 - our interpreter, our locustfile
                command, cwd=ROOT, env=locust_env, stdout=locust_log, stderr=subprocess.STDOUT
            )
            fault_thread = None
            if args.fault:
                at = args.fault_at if args.fault_at is not None else args.seconds / 2
                timer = threading.Event()

                def later() -> None:
                    if not timer.wait(at):
                        inject(args.fault, stack, url, config, ledger, fault_result)

                fault_thread = threading.Thread(target=later, daemon=True)
                fault_thread.start()
            try:
                locust.wait(timeout=args.seconds + 180)
            except subprocess.TimeoutExpired:
                log("locust did not finish in time: stopped")
                stop(locust, "locust", 15)
            elapsed = min(time.monotonic() - started, args.seconds + 15)
            if fault_thread is not None:
                fault_thread.join(timeout=600)
        batches = [row["job"] for row in load_check.read_ledger(ledger) if row["t"] == "batch"]
        wait_jobs(url, batches, 600)
    finally:
        stack.stop()
    figures = (
        load_check.timings(times, args.seconds)
        if times.exists()
        else {
            "actions": {},
            "requests": 0,
            "errors": 0,
            "error_kinds": {},
            "rps": 0.0,
            "p95_pages_ms": 0.0,
            "p95_all_ms": 0.0,
        }
    )
    checks = load_check.verify(url, load_check.read_ledger(ledger), baseline)
    if args.fault and not fault_result.get("done"):
        checks["problems"].append(f"the fault was not injected: {fault_result.get('reason', 'no result')}")
    report(figures, checks, fault_result)
    pdf_times = [row for name, row in figures["actions"].items() if name.startswith("print ")]
    summary = {
        "users": args.users,
        "seconds": args.seconds,
        "rps": round(figures["rps"], 2),
        "p95_ms": round(figures["p95_pages_ms"]),
        "errors": figures["errors"],
        "p95_all_ms": round(figures["p95_all_ms"]),
        "p95_pdf_ms": round(max((row["p95"] for row in pdf_times), default=0)),
        "requests": figures["requests"],
        "elapsed_s": round(elapsed, 1) if "elapsed" in locals() else None,
        "committed": {k: checks[k] for k in ("cases", "steps", "edits", "scores", "documents")},
        "batches": checks["batches"],
        "fault": args.fault,
        "fault_result": fault_result or None,
        "problems": checks["problems"],
    }
    if not args.keep:
        load_prepare.drop(args.server, args.database)
    code = 0 if not figures["errors"] and not checks["problems"] else 1
    print(json.dumps(summary, ensure_ascii=False))
    return code


if __name__ == "__main__":
    sys.exit(main())
