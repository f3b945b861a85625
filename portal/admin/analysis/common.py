"""What the 分析研判 pages share: who may open them, and reading the organisation and period asked for.

Readers are administrators, evaluators and clerks (司法局 staff); each sees only its subtree. An
organisation id outside it, or one that does not exist, is a 404 like any record out of scope. A period
or date that cannot be used is a Chinese message over the default on a page, and the Chinese 400 page
for a download or a print, which must not silently give something else than what was asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import clock
from portal.admin import guards
from portal.errors import render_error
from portal.extensions import db
from portal.models.auth import Role
from portal.models.org import Organization, OrgLevel
from portal.services import DomainError
from portal.services.analysis_periods import Period, default_period, period_from_parts
from portal.services.scope import can_reach_org, scoped_organizations

READERS = frozenset({Role.ADMIN, Role.EVALUATOR, Role.CLERK})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AnalysisBaseView(BaseView):
    """A page of 分析研判: signed-in readers only."""

    read_roles = READERS
    #: Roles that may change anything here (none: read only).
    write_roles: frozenset[Role] = frozenset()

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.has_role(*self.read_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @expose("/new/")
    @expose("/edit/")
    @expose("/details/")
    def elsewhere(self) -> Any:
        """A report is computed, never typed: send register-style links back to it (403 to non-writers)."""
        if self.write_roles and not current_user.has_role(*self.write_roles):
            abort(403)
        return redirect(self.get_url(".index"))


def refuse(message: str) -> None:
    """Answer the Chinese 400 page with `message` (a download or print asked for something unusable)."""
    abort(make_response(render_error(400, message)))


def chosen_org() -> Organization:
    """Return the organisation of ?org= (default: the user's own); out of scope or unknown is a 404."""
    raw = request.args.get("org", "")
    if raw == "":
        return current_user.organization
    org_id = guards.int_arg("org")
    org = db.session.get(Organization, org_id) if org_id is not None and org_id > 0 else None
    if org is None or not can_reach_org(current_user, org):
        abort(404)
    return org


def chosen_period(org: Organization, *, strict: bool) -> Period:
    """Return the period of ?month=2026-11&half=1|2 (none: the default for the organisation's rhythm)."""
    today = clock.today()
    month, half = request.args.get("month"), request.args.get("half")
    if not month and not half:
        return default_period(org, today)
    try:
        return period_from_parts(month, half, today)
    except DomainError as exc:
        if strict:
            refuse(exc.message)
        flash(f"{exc.message}。已显示默认期间。", "error")
        return default_period(org, today)


def period_args(org: Organization, period: Period) -> dict[str, Any]:
    """Return the query arguments naming an organisation's period (for links, forms and downloads)."""
    return {"org": org.id, "month": period.month_key, "half": period.half or ""}


def report_orgs() -> list[tuple[Organization, int]]:
    """Return the organisations a report may be made for (county and township bodies of the subtree),
    each with its depth below the user's organisation, for an indented picker."""
    base = current_user.organization
    levels = (OrgLevel.COUNTY, OrgLevel.TOWNSHIP)
    found: list[Organization] = list(
        db.session.scalars(scoped_organizations(current_user).where(Organization.level.in_(levels)))
    )
    orgs = found if base in found else [base, *found]
    top = len(base.ancestor_ids)
    return [(o, max(len(o.ancestor_ids) - top, 0)) for o in orgs]


def parse_day(raw: str | None, default: date) -> date:
    """Return an ISO date from the query string, `default` when absent; raise DomainError when unusable."""
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(f"日期“{guards.search_text(raw) or ''}”无效，应为年-月-日") from None
    if day.year < 2000 or day > clock.today():
        raise DomainError("统计期间应在2000年1月1日至今天之间")
    return day
