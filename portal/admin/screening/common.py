"""What the 排查, meeting and 交办 views share: the step page, the version a form saw, badges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from flask_login import current_user
from markupsafe import Markup

from portal.admin.base import attempt, local_time
from portal.admin.guards import parse_int
from portal.extensions import db
from portal.models.auth import Role, User
from portal.models.org import Organization, OrgStatus
from portal.services.deadlines import Assessment
from portal.services.scope import scoped_organizations

CATEGORY = "排查督办"


def actor() -> User:
    """Return the signed-in user as a plain model object (for the services)."""
    return current_user._get_current_object()


def seen_version(form: Any) -> int | None:
    """Return the version of the record the form was shown with (its hidden lock_version)."""
    return parse_int(form.lock_version.data) if "lock_version" in form else None


def step_page(
    view: Any,
    form: Any,
    action: Callable[[], Any],
    *,
    title: str,
    subject: str,
    back: str,
    success: str,
    hint: str | None = None,
    version: int | None = None,
) -> Any:
    """Show a step's form, or run the step (a service call) and go back with a message."""
    if not form.is_submitted() and version is not None and "lock_version" in form:
        form.lock_version.data = version
    if form.validate_on_submit() and attempt(form, action):
        flash(success, "success")
        return redirect(back)
    return view.render(
        "admin/screening/act.html", form=form, title=title, subject=subject, return_url=back, hint=hint
    )


def colour_badge(result: Assessment) -> Markup:
    """Return the 红/黄/蓝 badge of a warning, with its reasons as a tooltip (as the ledger shows it)."""
    if result.colour is None:
        return Markup('<span class="badge badge-light">—</span>')
    title = "；".join(result.reasons) or "进展正常"
    return Markup('<span class="badge badge-risk-{}" title="{}">{}</span>').format(
        result.colour.value, title, result.colour.label
    )


def active_subtree() -> list[Organization]:
    """Return the active organisations of the user's subtree, in tree order."""
    query = scoped_organizations(current_user).where(Organization.status != OrgStatus.REVOKED)
    return list(db.session.scalars(query))


def can_audit() -> bool:
    """Return whether the user may open the audit log."""
    return current_user.has_role(Role.ADMIN)


__all__ = [
    "CATEGORY",
    "active_subtree",
    "actor",
    "can_audit",
    "colour_badge",
    "local_time",
    "seen_version",
    "step_page",
]
