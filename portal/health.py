"""Health endpoints for the load balancer and the service manager, open without signing in.

`/healthz` (liveness) answers while the process can serve a request at all: it touches nothing else, so
a database outage does not make the supervisor restart every app host. `/readyz` (readiness) checks
that the database answers and, when `REDIS_URL` is set, that Redis does: a host that answers 503 is
taken out of the pool until it recovers. Both return JSON with no addresses, names or error text (the
log has the details), and are never cached.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from portal.extensions import csrf, db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

#: The endpoints `portal.PUBLIC_ENDPOINTS` opens to anonymous callers.
ENDPOINTS = frozenset({"health.healthz", "health.readyz"})
#: Seconds a readiness probe waits for Redis before calling it unavailable.
REDIS_TIMEOUT = 2


def init_app(app: Flask) -> None:
    """Register the health endpoints (GET only, so CSRF does not apply; exempt all the same)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)


def _answer(body: dict[str, Any], status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """Liveness: the process serves requests."""
    return _answer({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: the database (and Redis, when configured) answer; 503 otherwise."""
    checks = {"database": _database(), "redis": _redis()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    return _answer({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure means not ready; the log keeps the reason
        log.warning("readiness: the database does not answer", exc_info=True)
        db.session.rollback()
        return "unavailable"
    return "ok"


def _redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    client = current_app.extensions.get("health_redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        current_app.extensions["health_redis"] = client
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - as above
        log.warning("readiness: Redis does not answer", exc_info=True)
        return "unavailable"
    return "ok"
