"""The public verification page: /verify/<serial> confirms a document is genuine, without signing in."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from portal.extensions import db, limiter
from portal.services import documents

bp = Blueprint("verify", __name__)


@bp.route("/verify/", methods=("GET",))
@bp.route("/verify/<serial>", methods=("GET",))
@limiter.limit(lambda: current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute"))
def verify(serial: str | None = None):
    """Show whether a document with this code was issued, when, by whom, and whether it still stands."""
    serial = serial or request.args.get("serial", "")
    document = documents.find(db.session, serial) if serial else None
    status = 200 if document is not None or not serial else 404
    return render_template("verify/verify.html", serial=serial, document=document), status
