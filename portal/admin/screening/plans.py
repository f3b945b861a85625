"""排查计划: the list, the plan form, the plan's page with its records, and 完成 / 撤销."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_admin.model.helpers import get_mdict_item_or_list
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms import validators

from portal.admin.base import OrgSubtreeFilter, SecureModelView, enum_filter, link, org_path_text
from portal.admin.screening.common import actor, can_audit, seen_version, step_page
from portal.admin.screening.forms import ReasonForm, SummaryForm
from portal.extensions import db
from portal.models.screening import PlanStatus, ScreeningKind, ScreeningPlan
from portal.services import screening, screening_plans
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org, org_in_scope_or_above
from portal.services.screening_rhythm import Period, is_monthly, period_of, units
from portal.validators import SaneDate

LABELS = {
    "title": "计划名称",
    "organization": "组织单位",
    "org_path": "组织单位",
    "kind": "排查方式",
    "theme": "排查主题",
    "period_start": "开始日期",
    "period_end": "结束日期",
    "leader": "带队领导",
    "responsible_person": "责任人",
    "requirements": "工作要求",
    "status": "状态",
    "summary": "排查工作总结",
    "cancel_reason": "撤销原因",
    "closed_on": "完成/撤销日期",
    "created_by": "制定人",
    "records": "排查记录",
}


def _own_period() -> Period:
    """Return the user's current screening period: the month for a county body, else the half month."""
    return period_of(local_today(), is_monthly(actor().organization))


def _status(view: Any, context: Any, model: ScreeningPlan, name: str) -> Markup:
    return Markup('<span class="badge screening-status screening-status-{}">{}</span>').format(
        model.status.value, model.status.label
    )


class ScreeningPlanView(SecureModelView):
    """排查计划 of the user's subtree."""

    write_roles = screening.WRITERS
    details_template = "admin/screening/plan_details.html"
    column_list = (
        "title",
        "kind",
        "theme",
        "organization",
        "period_start",
        "period_end",
        "responsible_person",
        "status",
    )
    column_export_list = (
        "title",
        "kind",
        "theme",
        "org_path",
        "period_start",
        "period_end",
        "leader",
        "responsible_person",
        "requirements",
        "status",
        "records",
        "summary",
        "cancel_reason",
        "closed_on",
    )
    column_labels = LABELS
    column_searchable_list = ("title", "theme", "responsible_person")
    column_sortable_list = ("period_start", "period_end", "status", "kind")
    column_default_sort = [("period_start", True), ("id", True)]
    column_filters = (
        enum_filter(ScreeningPlan.kind, "排查方式", ScreeningKind),
        enum_filter(ScreeningPlan.status, "状态", PlanStatus),
        OrgSubtreeFilter(ScreeningPlan.organization_id, "组织单位（含下级）"),
        filters.DateBetweenFilter(ScreeningPlan.period_start, "开始日期"),
        filters.FilterLike(ScreeningPlan.theme, "排查主题"),
    )
    column_formatters = {
        "title": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), m.title),
        "organization": lambda v, c, m, n: m.organization.name,
        "status": _status,
    }
    column_formatters_export = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "records": lambda v, c, m, n: len([r for r in m.records if not r.is_void]),
    }
    form_columns = (
        "organization",
        "kind",
        "theme",
        "title",
        "period_start",
        "period_end",
        "leader",
        "responsible_person",
        "requirements",
    )
    form_args = {
        "organization": {
            "label": "组织单位",
            "validators": [validators.InputRequired(message="请选择组织单位")],
        },
        "theme": {
            "validators": [validators.Optional(), validators.Length(max=100)],
            "description": "专项排查必填，如：春节前、婚恋家庭、土地承包",
        },
        "title": {
            "validators": [validators.Optional(), validators.Length(max=200)],
            "description": "留空则按单位、期间和排查方式自动命名",
        },
        "period_start": {
            "validators": [validators.InputRequired(message="请填写开始日期"), SaneDate()],
            "default": lambda: _own_period().start,
        },
        "period_end": {
            "validators": [validators.InputRequired(message="请填写结束日期"), SaneDate()],
            "default": lambda: _own_period().end,
        },
        "leader": {"validators": [validators.Optional(), validators.Length(max=50)]},
        "responsible_person": {
            "validators": [validators.InputRequired(message="请填写责任人"), validators.Length(max=50)]
        },
        "requirements": {
            "validators": [validators.Optional(), validators.Length(max=5000)],
            "description": "排查范围、重点和报送要求",
        },
    }
    form_widget_args = {"requirements": {"rows": 4}}

    def scope_clause(self) -> Any:
        # A plan is seen by its organisation's subtree and above, and by the offices below it that it
        # applies to (the county's plan is the townships' too); only its organisation's side changes it.
        return org_in_scope_or_above(actor(), ScreeningPlan.organization_id)

    def can_write_row(self, model: ScreeningPlan) -> bool:
        return can_reach_org(actor(), model.organization)

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(ScreeningPlan.organization))

    def on_model_change(self, form: Any, model: ScreeningPlan, is_created: bool) -> None:
        screening_plans.prepare_plan(db.session, model, actor(), today=local_today())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Correct a plan while it is in progress."""
        plan_id = get_mdict_item_or_list(request.args, "id")
        if plan_id is not None:
            plan = self.get_one(plan_id)
            if plan.status != PlanStatus.ACTIVE or not self.can_write_row(plan):
                flash(
                    f"排查计划{plan.status.label}，不能修改"
                    if plan.status != PlanStatus.ACTIVE
                    else "该计划由上级单位制定，您只能查看",
                    "error",
                )
                return redirect(self.get_url(".details_view", id=plan.id))
        return super().edit_view()

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    def plan_page(self, plan: ScreeningPlan) -> dict[str, Any]:
        """Return what the plan's page shows: its records and the units that have not filed under it."""
        # A township reads its county's plan, but only the records of its own subtree under it.
        user = actor()
        records = [r for r in plan.records if can_reach_org(user, r.organization)]
        filed = [r for r in records if not r.is_void]
        org_units = [u for u in units(db.session, user) if u.path.startswith(plan.organization.path)]
        waiting = []
        if plan.status == PlanStatus.ACTIVE:
            done = {r.organization_id for r in filed} | {a.id for r in filed for a in r.areas}
            paths = [r.organization.path for r in filed]
            waiting = [
                u for u in org_units if u.id not in done and not any(p.startswith(u.path) for p in paths)
            ]
        return {
            "records": records,
            "filed": len(filed),
            "waiting": waiting,
            "can_write": self._holds(self.write_roles)
            and plan.status == PlanStatus.ACTIVE
            and self.can_write_row(plan),
            "can_file": self._holds(self.write_roles) and plan.status == PlanStatus.ACTIVE,
            "can_audit": can_audit(),
            "org_path_text": org_path_text,
        }

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """完成 (with the summary) or 撤销 (with the reason) a plan."""
        if kind not in ("complete", "cancel"):
            abort(404)
        plan = self.get_one(request.args.get("id"))
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=plan.id)
        if not self.can_write_row(plan):
            flash("该计划由上级单位制定，您只能查看", "error")
            return redirect(back)
        today = local_today()
        if kind == "complete":
            form = SummaryForm()
            action = lambda: screening_plans.complete_plan(  # noqa: E731
                db.session,
                plan,
                actor(),
                summary=form.summary.data,
                today=today,
                expected_version=seen_version(form),
            )
            title, success = "完成排查计划", f"排查计划已完成：{plan.title}"
        else:
            form = ReasonForm()
            action = lambda: screening_plans.cancel_plan(  # noqa: E731
                db.session,
                plan,
                actor(),
                reason=form.reason.data,
                today=today,
                expected_version=seen_version(form),
            )
            title, success = "撤销排查计划", f"排查计划已撤销：{plan.title}"
        return step_page(
            self,
            form,
            action,
            title=title,
            subject=plan.title,
            back=back,
            success=success,
            version=plan.version,
        )
