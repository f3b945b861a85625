"""Faults injected during a load run (`bench/load.py --fault …`), and all three in a row from here.

- `pg-restart`: restart the PostgreSQL server (this machine's cluster, `pg_ctlcluster … restart`). It
  drops every session of every database on the server, so it is refused while a pytest run on
  PostgreSQL is in progress on this machine (other work shares the server).
- `worker-kill`: SIGKILL one gunicorn worker; the master starts another.
- `rq-kill`: start a long batch print (every 考评结果通知书 of the largest round), wait until an RQ worker
  is laying it out, SIGKILL that worker and its work-horse, start a new worker; RQ runs the job again and
  the new attempt takes it over (portal/pdf/jobs.py). `rq-kill-horse` kills only the work-horse.

Only processes this script's load run started are signalled, by their ids.

    .venv/bin/python bench/faults.py --users 10 --seconds 60     # every fault, one short run each

The last line is one JSON object: per fault, the run's errors and whether every check held.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FAULTS = ("pg-restart", "worker-kill", "rq-kill", "rq-kill-horse")


def children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces, so split after its closing parenthesis.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def pytest_on_postgres() -> list[int]:
    """Return the ids of pytest processes on this machine that run against PostgreSQL."""
    busy = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            if b"pytest" not in command:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(item.startswith(b"DATABASE_URL=postgresql") for item in environ):
            busy.append(int(entry.name))
    return busy


def restart_postgresql(log: Callable[[str], None], wait: float = 120) -> dict[str, Any]:
    """Restart the local cluster unless PostgreSQL tests are running (waiting up to `wait` s for them)."""
    deadline = time.monotonic() + wait
    while (busy := pytest_on_postgres()) and time.monotonic() < deadline:
        time.sleep(5)
    if busy:
        log(f"PostgreSQL NOT restarted: pytest on PostgreSQL is running (pids {busy})")
        return {"done": False, "reason": f"pytest on PostgreSQL running: {busy}"}
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").is_dir() else []
    )
    if versions:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]
    else:
        command = ["service", "postgresql", "restart"]
    log(f"restarting PostgreSQL: {' '.join(command)}")
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    took = time.monotonic() - started
    log(f"PostgreSQL restart: exit {done.returncode} after {took:.1f} s {done.stderr.strip()[:200]}")
    return {"done": done.returncode == 0, "seconds": round(took, 1), "command": " ".join(command)}


def kill_gunicorn_worker(master: int, log: Callable[[str], None]) -> dict[str, Any]:
    workers = children(master)
    if not workers:
        return {"done": False, "reason": "no gunicorn worker found"}
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    log(f"SIGKILL gunicorn worker {victim} (master {master})")
    return {"done": True, "pid": victim}


def kill_rq_worker(worker: subprocess.Popen, horse_only: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """SIGKILL the RQ worker's work-horse (and, unless `horse_only`, the worker itself)."""
    horses = children(worker.pid)
    if horse_only:
        if not horses:
            return {"done": False, "reason": "the worker has no work-horse (no job running)"}
        os.kill(horses[0], signal.SIGKILL)
        log(f"SIGKILL RQ work-horse {horses[0]} (worker {worker.pid})")
        return {"done": True, "horse": horses[0]}
    for pid in [*horses, worker.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(timeout=30)
    log(f"SIGKILL RQ worker {worker.pid} and work-horse {horses}")
    return {"done": True, "worker": worker.pid, "horses": horses}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="The three fault runs of docs/reliability.md, one after another."
    )
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--faults", default="worker-kill,rq-kill-horse,rq-kill,pg-restart", help="comma-separated, in order"
    )
    args, rest = parser.parse_known_args()
    results = {}
    for fault in args.faults.split(","):
        if fault not in FAULTS:
            parser.error(f"unknown fault {fault}; choose from {', '.join(FAULTS)}")
        command = [sys.executable, str(HERE / "load.py"), "--users", str(args.users)]
        command += ["--seconds", str(args.seconds), "--fault", fault, *rest]
        print(f"== {fault}: {' '.join(command)}", flush=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        print(done.stdout, end="", flush=True)
        if done.returncode not in (0, 1):
            print(done.stderr[-3000:], file=sys.stderr)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        results[fault] = json.loads(lines[-1]) if lines else {"error": f"exit {done.returncode}"}
    summary = {
        fault: {
            "errors": r.get("errors"),
            "fault": r.get("fault_result"),
            "checks_ok": not r.get("problems"),
            "problems": r.get("problems"),
        }
        for fault, r in results.items()
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
