"""登记为案件: the ledger's registration form, opened from a 排查发现 (`/admin/cases/new/?finding=ID`).

The form is prefilled from the finding; the case is registered by the ledger's own path
(`services.cases.prepare_registration`: number, deadline, history, audit), and in the same
transaction the finding is marked registered and linked to the case (`services.screening.link_case`).
A finding outside the user's subtree answers 404; one already handled is left alone, with a message.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request
from flask_login import current_user

from portal.admin.guards import int_arg
from portal.extensions import db
from portal.models.screening import FindingStatus, ScreeningFinding
from portal.services import screening
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org


class FindingRegistrationMixin:
    """Mixed into the ledger's case view: prefill from a finding, link the finding when the case is saved."""

    def screening_finding(self) -> ScreeningFinding | None:
        """Return the pending finding named by `?finding=`, None when there is none to register."""
        if "finding" not in request.args:
            return None
        finding = db.session.get(ScreeningFinding, int_arg("finding") or 0)
        if finding is None or not can_reach_org(current_user, finding.record.organization):
            abort(404)
        if finding.status != FindingStatus.PENDING or finding.record.is_void:
            if request.method == "GET":
                flash(f"该排查发现{finding.status.label}，不再据此登记", "warning")
            return None
        return finding

    def prefill_from_finding(self, form: Any) -> Any:
        """Fill the registration form from the finding on its first showing."""
        finding = self.screening_finding()
        if finding is None or request.method != "GET":
            return form
        for name, value in screening.case_prefill(finding).items():
            if name in form and value is not None:
                enum_field = name in ("source", "risk_level")
                form[name].data = value.value if enum_field else value
        who = f"，当事人：{finding.parties}" if finding.parties else ""
        flash(f"根据排查发现登记（{finding.record}）{who}。请补充当事人身份信息后保存。", "info")
        return form

    def link_finding(self, case: Any) -> None:
        """Mark the finding registered as this case (before the create view commits)."""
        finding = self.screening_finding()
        if finding is not None:
            actor = current_user._get_current_object()
            screening.link_case(db.session, finding, case, actor, today=local_today())
