"""以案定补申报: the list of claims, declaring a quarter, a claim's page and steps, the 发放清单.

The rules are in `services.subsidy_claims`; these views parse the request, call one service function,
flash the outcome and redirect. A claim outside the user's subtree is a 404 (the base view's
`get_one`), as is an organisation of another subtree named in `?org=` or `?organization=`.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, request, send_file
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup

from portal.admin.assessment.claim_forms import STEP_FORMS, STEP_HINTS, DeclareForm
from portal.admin.assessment.rewards import _standard_policy
from portal.admin.base import (
    ALL_ROLES,
    OrgSubtreeFilter,
    SecureModelView,
    attempt,
    enum_filter,
    link,
    local_time,
    org_path_text,
)
from portal.admin.documents.prints import PrintMixin, pdf_response, print_document
from portal.admin.guards import int_arg
from portal.extensions import db, start_writing
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.models.org import Organization
from portal.models.subsidy import ClaimEventKind, ClaimStatus, SubsidyClaim, SubsidyClaimLine
from portal.pdf import subsidy_documents
from portal.services import DomainError, audit, subsidy_claims, subsidy_payments, subsidy_sheets
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org

K = ClaimEventKind
S = ClaimStatus
#: Bootstrap badge of each status.
BADGES = {
    S.DECLARED: "badge-primary",
    S.REVIEWED: "badge-info",
    S.APPROVED: "badge-warning",
    S.PAID: "badge-success",
    S.WITHDRAWN: "badge-secondary",
}
#: The main steps (buttons in colour) and the others, in the order the page shows them.
MAIN_STEPS = (K.REVIEW, K.APPROVE, K.PAY, K.RESUBMIT)
OTHER_STEPS = (K.RETURN, K.WITHDRAW)
#: How many quarters back the period filter and pickers offer.
PERIODS_SHOWN = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_badge(claim: SubsidyClaim) -> Markup:
    """Return the claim's status as a badge (被退回 when it waits for its organisation)."""
    label = "被退回" if claim.is_returned else claim.status.label
    badge = "badge-danger" if claim.is_returned else BADGES[claim.status]
    return Markup('<span class="badge {} claim-status">{}</span>').format(badge, label)


class PeriodFilter(filters.FilterEqual):
    """申报季度: the recent quarters, as 2026年第四季度."""

    per_request_options = True

    def __init__(self, column: Any, name: str) -> None:
        super().__init__(column, name, options=self._choices)

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        periods = subsidy_claims.recent_periods(local_today(), PERIODS_SHOWN)
        return [(p, subsidy_claims.period_label(p)) for p in periods]

    def validate(self, value: Any) -> bool:
        return subsidy_claims.parse_period(value) is not None


def _money(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


class SubsidyClaimView(PrintMixin, SecureModelView):
    """以案定补申报: claims of the user's subtree, their steps, and the quarter's 发放清单."""

    read_roles = ALL_ROLES
    write_roles = frozenset({Role.ADMIN, Role.EVALUATOR, Role.ENTRY})
    details_template = "admin/assessment/claim_details.html"
    list_template = "admin/assessment/claims.html"
    column_list = (
        "number",
        "organization",
        "period",
        "status",
        "declared_total",
        "total",
        "declared_on",
        "paid_on",
    )
    column_export_list = (
        "number",
        "org_path",
        "period",
        "status",
        "case_count",
        "declared_total",
        "total",
        "declared_on",
        "reviewed_at",
        "approved_at",
        "paid_on",
        "payment_method",
        "voucher_number",
        "note",
        "return_reason",
        "withdraw_reason",
    )
    column_labels = {
        "number": "申报单号",
        "organization": "申报单位",
        "org_path": "申报单位",
        "period": "申报季度",
        "status": "状态",
        "case_count": "计补案件（件）",
        "declared_total": "申报金额（元）",
        "total": "核定金额（元）",
        "declared_on": "申报日期",
        "reviewed_at": "审核时间",
        "approved_at": "审批时间",
        "paid_on": "发放日期",
        "payment_method": "发放方式",
        "voucher_number": "凭证号",
        "note": "申报说明",
        "return_reason": "退回理由",
        "withdraw_reason": "撤回理由",
        "organization.name": "申报单位",
    }
    column_searchable_list = ("number", "organization.name", "voucher_number")
    column_sortable_list = ("number", "period", "status", "declared_total", "total", "declared_on", "paid_on")
    column_default_sort = [("declared_on", True), ("id", True)]
    column_filters = (
        PeriodFilter(SubsidyClaim.period, "申报季度"),
        enum_filter(SubsidyClaim.status, "状态", ClaimStatus),
        OrgSubtreeFilter(SubsidyClaim.organization_id, "申报单位（含下级）"),
        filters.DateBetweenFilter(SubsidyClaim.declared_on, "申报日期"),
        filters.DateBetweenFilter(SubsidyClaim.paid_on, "发放日期"),
    )
    column_formatters = {
        "number": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), m.number),
        "organization": lambda v, c, m, n: m.organization.name,
        "period": lambda v, c, m, n: subsidy_claims.period_label(m.period),
        "status": lambda v, c, m, n: status_badge(m),
        "declared_total": lambda v, c, m, n: _money(m.declared_total),
        "total": lambda v, c, m, n: _money(m.total),
    }
    column_formatters_export = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "period": lambda v, c, m, n: subsidy_claims.period_label(m.period),
        "case_count": lambda v, c, m, n: sum(1 for cc in m.cases),
        "reviewed_at": lambda v, c, m, n: local_time(m.reviewed_at),
        "approved_at": lambda v, c, m, n: local_time(m.approved_at),
    }

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # A claim changes only through its steps, each recorded in its history.
        return False

    def _actor(self) -> Any:
        return current_user._get_current_object()

    # --- the claim page and its steps --------------------------------------------------------------

    def claim_page(self, claim: SubsidyClaim) -> dict[str, Any]:
        """Return what the claim page shows besides the claim itself."""
        steps = subsidy_claims.available_steps(claim, current_user) if self._holds(self.write_roles) else []
        return {
            "steps": steps,
            "main": [k for k in MAIN_STEPS if k in steps],
            "other": [k for k in OTHER_STEPS if k in steps],
            "can_adjust": K.ADJUST in steps,
            "Kind": K,
            "badge": status_badge(claim),
            "label": subsidy_claims.period_label(claim.period),
            "local_time": local_time,
            "money": _money,
            "can_audit": current_user.has_role(Role.ADMIN),
            "can_print": current_user.has_role(Role.ADMIN, Role.CLERK, Role.EVALUATOR),
            "case_url": lambda case_id: self.get_url("cases.details_view", id=case_id),
        }

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """Show and take one step of a claim (审核, 核定金额, 退回, 审批, 发放 …)."""
        step = next((k for k in STEP_FORMS if k.value == kind), None)
        if step is None:
            abort(404)
        claim = self.get_one(request.args.get("id"))
        back = self.get_url(".details_view", id=claim.id)
        if not self._holds(self.write_roles):
            abort(403)
        line = None
        if step == K.ADJUST:
            line = db.session.get(SubsidyClaimLine, int_arg("line") or 0)
            if line is None or line.claim_id != claim.id:
                abort(404)
        if reason := subsidy_claims.refusal(claim, current_user, step):
            flash(reason, "error")
            return redirect(back)
        form = STEP_FORMS[step]()
        if not form.is_submitted():
            form.lock_version.data = claim.version
            if line is not None:
                form.amount.data = line.amount
            if step == K.PAY:
                form.paid_on.data = local_today()
        if form.validate_on_submit() and attempt(form, lambda: self._run(step, claim, line, form)):
            flash(f"已办理「{step.label}」：{claim.number}", "success")
            return redirect(back)
        return self.render(
            "admin/assessment/claim_act.html",
            claim=claim,
            step=step,
            line=line,
            form=form,
            hint=STEP_HINTS[step],
            badge=status_badge(claim),
            label=subsidy_claims.period_label(claim.period),
            money=_money,
            return_url=back,
        )

    def _run(self, step: ClaimEventKind, claim: SubsidyClaim, line: Any, form: Any) -> None:
        session, actor, seen = db.session, self._actor(), form.version()
        if seen is None:  # a step on money is never taken without the version the user saw
            raise DomainError(subsidy_claims.STALE)
        if step == K.ADJUST:
            subsidy_claims.adjust(
                session,
                claim,
                line,
                actor,
                amount=form.amount.data,
                reason=form.reason.data,
                expected_version=seen,
            )
        elif step == K.REVIEW:
            subsidy_claims.review(session, claim, actor, note=form.note.data, expected_version=seen)
        elif step == K.RETURN:
            subsidy_claims.return_claim(session, claim, actor, reason=form.reason.data, expected_version=seen)
        elif step == K.RESUBMIT:
            subsidy_claims.resubmit(session, claim, actor, note=form.note.data, expected_version=seen)
        elif step == K.WITHDRAW:
            subsidy_claims.withdraw(session, claim, actor, reason=form.reason.data, expected_version=seen)
        elif step == K.APPROVE:
            subsidy_claims.approve(session, claim, actor, note=form.note.data, expected_version=seen)
        else:
            subsidy_claims.pay(
                session,
                claim,
                actor,
                paid_on=form.paid_on.data,
                method=form.payment_method.data,
                voucher_number=form.voucher_number.data,
                note=form.note.data,
                today=local_today(),
                expected_version=seen,
            )

    # --- declaring -------------------------------------------------------------------------------

    def _organization(self, name: str) -> Organization:
        """Return the organisation named by the argument (the user's own by default); 404 outside scope."""
        org_id = int_arg(name, source=request.values)
        if org_id is None:
            if request.values.get(name):
                abort(404)
            return current_user.organization
        org = db.session.get(Organization, org_id)
        if org is None or not can_reach_org(current_user, org):
            abort(404)
        return org

    def _period(self, default: str) -> str:
        period = (request.values.get("period") or default).strip().upper()
        if subsidy_claims.parse_period(period) is None:
            abort(400)
        return period

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """申报: pick the organisation and quarter, see what the claim would hold, and declare it."""
        actor = self._actor()
        if not actor.has_role(*subsidy_claims.DECLARERS):
            flash("只有申报单位的录入员或管理员可以申报以案定补", "error")
            return redirect(self.get_url(".index_view"))
        today = local_today()
        org = self._organization("organization")
        period = self._period(subsidy_claims.last_ended_period(today))
        form = DeclareForm()
        if not form.is_submitted():
            form.organization.data, form.period.data = org.id, period
        if form.validate_on_submit():
            made: list[SubsidyClaim] = []
            if attempt(
                form,
                lambda: made.append(
                    subsidy_claims.declare(
                        db.session, actor, org, period=period, note=form.note.data, today=today
                    )
                ),
            ):
                claim = made[0]
                flash(f"已申报：{claim.number}，合计{_money(claim.total)}元，待县（区）司法局审核", "success")
                return redirect(self.get_url(".details_view", id=claim.id))
        draft, problem = None, None
        _standard_policy()
        try:
            subsidy_claims.check_declare(actor, org, period, today)
            existing = subsidy_claims.live_claim(db.session, org, period)
            if existing is not None:
                label = subsidy_claims.period_label(period)
                problem = f"{org.name}{label}已有申报单{existing.number}（{existing.status.label}）"
            draft = subsidy_claims.prepare(db.session, actor, org, period)
        except DomainError as exc:
            problem = exc.message
        periods = subsidy_claims.recent_periods(today, PERIODS_SHOWN)
        return self.render(
            "admin/assessment/claim_new.html",
            form=form,
            org=org,
            orgs=self.scoped_org_choices(),
            period=period,
            periods=[(p, subsidy_claims.period_label(p)) for p in periods],
            draft=draft,
            problem=problem,
            money=_money,
            return_url=self.get_url(".index_view"),
        )

    # --- the 发放清单 ------------------------------------------------------------------------------

    def _payment_list(self) -> subsidy_payments.PaymentList:
        self._check_print()
        org = self._organization("org")
        period = self._period(subsidy_claims.last_ended_period(local_today()))
        return subsidy_payments.payment_list(db.session, self._actor(), org, period)

    @expose("/payment/")
    def payment(self) -> Any:
        """The quarter's 发放清单 of an organisation's subtree, with its xlsx and PDF."""
        plist = self._payment_list()
        periods = subsidy_claims.recent_periods(local_today(), PERIODS_SHOWN)
        return self.render(
            "admin/assessment/claim_payment.html",
            plist=plist,
            orgs=self.scoped_org_choices(),
            periods=[(p, subsidy_claims.period_label(p)) for p in periods],
            money=_money,
            badge=status_badge,
            return_url=self.get_url(".index_view"),
        )

    @expose("/payment/xlsx/")
    def payment_xlsx(self) -> Any:
        """Download the 发放清单 as xlsx, and record the export."""
        plist = self._payment_list()
        data = subsidy_sheets.payment_workbook(plist, current_user.full_name, local_today())
        start_writing()
        audit.record(
            db.session,
            AuditAction.EXPORT,
            "subsidy_claim",
            None,
            f"导出{plist.title}（{len(plist.rows)}人次，{_money(plist.total)}元）",
        )
        db.session.commit()
        return send_file(
            BytesIO(data),
            mimetype=XLSX,
            as_attachment=True,
            download_name=f"subsidy_payment_{plist.period}_{plist.organization.id}.xlsx",
        )

    @expose("/payment/pdf/", methods=("POST",))
    def payment_pdf(self) -> Any:
        """Print the 发放清单 (草稿 while a claim of the quarter is under way): issued and recorded."""
        plist = self._payment_list()
        draft = subsidy_documents.is_draft(plist)
        name = current_user.full_name
        pdf = print_document(
            subsidy_documents.issue_fields(plist),
            lambda **kw: subsidy_documents.payment_list(plist, prepared_by=name, **kw),
            draft=draft,
        )
        return pdf_response(
            pdf, f"subsidy_payment_{plist.period}_{plist.organization.id}{'_draft' if draft else ''}.pdf"
        )
