"""gunicorn settings of an app host: `gunicorn -c deploy/gunicorn.conf.py app:app` (docs/deploy.md).

Every value can be set from the environment (GUNICORN_*), so the same file serves a laptop
(`make serve`) and a province's app hosts. The choices:

- **Workers**: `GUNICORN_WORKERS`, default 2 × cores + 1 (gunicorn's advice). Each worker is a
  process with its own database pool (`DB_POOL_SIZE`, `DB_MAX_OVERFLOW`), so connections to PostgreSQL
  are at most hosts × workers × (pool size + overflow): keep that under `max_connections`.
- **Threads** (`gthread`, `GUNICORN_THREADS`, default 4): a worker serves a few requests at once while
  others wait on the database; the rendering of pages and PDFs is CPU work that threads do not speed
  up, so more processes, not more threads, is the way to use more cores. With gthread a long request
  (a 10,000-row export) does not make the arbiter kill its worker: `timeout` only catches a worker
  that stopped answering altogether.
- **No preload** (`GUNICORN_PRELOAD=1` turns it on): each worker builds the app after the fork, so no
  database connection, Redis client or background thread is shared across processes, and
  `kill -HUP <master>` (`systemctl reload portal-web`) starts workers with the new code after an
  in-place upgrade while the old ones finish their requests. Preloading would save the app's start
  (~1 s of CPU) and some memory per worker, but HUP would then keep serving the old code.
- **Recycling**: a worker restarts after `GUNICORN_MAX_REQUESTS` (1000) requests plus up to 10 %
  jitter, so memory held by WeasyPrint and xlsx exports is given back and workers do not all restart
  at once.
- **Graceful**: on TERM or HUP a worker gets `GUNICORN_GRACEFUL_TIMEOUT` (30 s) to finish its requests.
- **Access log** to stdout (journald under systemd): method and path without the query string — a
  search string may hold a party's name or ID number, which must not end up in log files — status,
  bytes, duration in ms, the proxy's X-Forwarded-For and the user agent.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = _env_int("GUNICORN_WORKERS", 2 * _cores() + 1)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)
preload_app = os.environ.get("GUNICORN_PRELOAD", "").lower() in {"1", "true", "yes", "on"}

timeout = _env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)  # nginx keeps upstream connections open (docs/deploy.md)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)
# Uploads (seals, xlsx imports) are at most MAX_CONTENT_LENGTH; headers stay within gunicorn's limits.
limit_request_line = 8190

# The heartbeat files of the workers: in memory, so a slow disk does not make the arbiter kill them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's advice

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = os.environ.get("GUNICORN_PROC_NAME", "portal-web")
# gunicorn's control socket (gunicornc, 25.1+) defaults to one path per user, which two instances on a host
# would share; systemd and signals manage the hosts here, so it is off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")


def post_worker_init(worker) -> None:
    """The portal's own log lines (the app's warnings, the print jobs) go to gunicorn's error log."""
    import logging

    portal_log = logging.getLogger("portal")
    portal_log.handlers = list(worker.log.error_log.handlers)
    portal_log.setLevel(logging.INFO)
    portal_log.propagate = False


def worker_abort(worker) -> None:
    """A worker killed for not answering within `timeout` says so before it goes."""
    worker.log.warning("worker %s aborted after %ss without answering", worker.pid, timeout)
