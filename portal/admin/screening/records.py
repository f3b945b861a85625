"""排查记录: the list, the record form (findings inline), the record's page with its findings and their
steps (登记为案件, 核实不构成纠纷, 添加发现, 作废), and the 排查预警 page of missing screenings."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_admin.model.helpers import get_mdict_item_or_list
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import validators

from portal.admin.base import OrgSubtreeFilter, SecureModelView, enum_filter, link, org_path_text
from portal.admin.guards import int_arg
from portal.admin.screening.columns import LABELS, PendingFilter, VoidFilter, pending, result_badge
from portal.admin.screening.common import (
    active_subtree,
    actor,
    can_audit,
    local_time,
    seen_version,
    step_page,
)
from portal.admin.screening.forms import AddFindingForm, FindingInline, ReasonForm
from portal.extensions import db
from portal.models.auth import User
from portal.models.dictionary import DisputeType
from portal.models.people import Mediator, MediatorStatus
from portal.models.screening import (
    FindingStatus,
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningRecord,
)
from portal.services import screening, screening_plans
from portal.services.deadlines import local_today
from portal.services.scope import org_in_scope, org_in_scope_or_above
from portal.services.screening_rhythm import coverage, period_of, previous_missing, units
from portal.validators import PastDate


class ScreeningRecordView(SecureModelView):
    """排查记录 of the user's subtree."""

    write_roles = screening.WRITERS
    details_template = "admin/screening/record_details.html"
    list_template = "admin/screening/record_list.html"
    column_list = (
        "screened_on",
        "organization",
        "kind",
        "theme",
        "areas",
        "screener_names",
        "result",
        "pending",
    )
    column_export_list = (
        "screened_on",
        "ended_on",
        "org_path",
        "kind",
        "theme",
        "plan",
        "areas",
        "scope_note",
        "screener_names",
        "households",
        "situation",
        "result",
        "findings",
        "pending",
        "zero_reports",
        "recorded_by",
        "voided_on",
        "void_reason",
    )
    column_labels = LABELS
    column_searchable_list = ("situation", "scope_note", "theme", "other_screeners")
    column_sortable_list = ("screened_on", "kind", "result")
    column_default_sort = [("screened_on", True), ("id", True)]
    column_filters = (
        OrgSubtreeFilter(ScreeningRecord.organization_id, "排查单位（含下级）"),
        filters.DateBetweenFilter(ScreeningRecord.screened_on, "排查日期"),
        enum_filter(ScreeningRecord.kind, "排查方式", ScreeningKind),
        enum_filter(ScreeningRecord.result, "排查结果", RecordResult),
        PendingFilter(),
        VoidFilter(),
        filters.FilterEqual(ScreeningRecord.plan_id, "排查计划编号"),
    )
    column_formatters = {
        "screened_on": lambda v, c, m, n: link(
            v.get_url(".details_view", id=m.id), f"{m.screened_on:%Y-%m-%d}"
        ),
        "organization": lambda v, c, m, n: m.organization.name,
        "areas": lambda v, c, m, n: "、".join(a.name.removesuffix("人民调解委员会") for a in m.areas),
        "result": result_badge,
        "pending": lambda v, c, m, n: pending(m) or "",
    }
    column_formatters_export = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "plan": lambda v, c, m, n: m.plan.title if m.plan else "",
        "areas": lambda v, c, m, n: "、".join(a.name for a in m.areas),
        "result": lambda v, c, m, n: "已作废" if m.is_void else m.result.label,
        "findings": lambda v, c, m, n: "；".join(f"{f.summary}（{f.status.label}）" for f in m.findings),
        "pending": lambda v, c, m, n: pending(m),
        "zero_reports": lambda v, c, m, n: "、".join(z.organization.name for z in m.zero_reports),
        "recorded_by": lambda v, c, m, n: m.recorded_by.full_name if m.recorded_by else "",
    }
    form_columns = (
        "plan",
        "organization",
        "kind",
        "theme",
        "screened_on",
        "ended_on",
        "areas",
        "scope_note",
        "mediators",
        "screeners",
        "other_screeners",
        "households",
        "situation",
        "result",
        "findings",
    )
    form_args = {
        "plan": {"label": "排查计划", "description": "按计划排查的请选择，排查方式和主题随计划"},
        "organization": {
            "label": "排查单位",
            "validators": [validators.InputRequired(message="请选择排查单位")],
        },
        "kind": {"validators": [validators.InputRequired(message="请选择排查方式")]},
        "theme": {
            "validators": [validators.Optional(), validators.Length(max=100)],
            "description": "专项排查必填",
        },
        "screened_on": {
            "validators": [validators.InputRequired(message="请填写排查日期"), PastDate()],
            "default": local_today,
        },
        "ended_on": {"validators": [validators.Optional(), PastDate()], "description": "多日排查时填写"},
        "areas": {
            "label": "排查村（社区）",
            "description": "报无纠纷的，将为所选村（社区）调委会报送本月零报告",
        },
        "scope_note": {"validators": [validators.Optional(), validators.Length(max=500)]},
        "other_screeners": {
            "validators": [validators.Optional(), validators.Length(max=200)],
            "description": "网格员、村干部等未在系统中的人员",
        },
        "households": {
            "validators": [
                validators.Optional(),
                validators.NumberRange(0, 1_000_000, "走访户数应在0至1000000之间"),
            ]
        },
        "situation": {
            "validators": [validators.InputRequired(message="请填写排查情况"), validators.Length(max=5000)]
        },
        "result": {
            "validators": [validators.InputRequired(message="请选择排查结果")],
            "description": "发现矛盾纠纷的请在下方逐条填写排查发现；报无纠纷的不填",
        },
        "mediators": {"label": "排查人（调解员）"},
        "screeners": {"label": "排查人（工作人员）"},
    }
    form_widget_args = {"situation": {"rows": 4}}
    inline_models = (FindingInline(ScreeningFinding),)
    # The related rows are loaded by get_query, in bulk (selectinload), not joined into the page query.
    column_auto_select_related = False

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # Corrections of the text only; findings, result and areas are steps (or a new record).
        return self._holds(self.write_roles)

    def get_query(self) -> Any:
        query = (
            super()
            .get_query()
            .options(
                joinedload(ScreeningRecord.organization),
                selectinload(ScreeningRecord.areas),
                selectinload(ScreeningRecord.findings),
                selectinload(ScreeningRecord.mediators),
                selectinload(ScreeningRecord.screeners),
            )
        )
        return query

    # --- the form --------------------------------------------------------------------------------

    def _scoped_mediators(self) -> list[Mediator]:
        query = select(Mediator).where(
            Mediator.status == MediatorStatus.ACTIVE, org_in_scope(actor(), Mediator.organization_id)
        )
        return list(db.session.scalars(query.order_by(Mediator.organization_id, Mediator.name)))

    def _users(self) -> list[User]:
        query = select(User).where(User.active, org_in_scope_or_above(actor(), User.organization_id))
        return list(db.session.scalars(query.order_by(User.organization_id, User.full_name)))

    def _limit_org_fields(self, form: Any) -> Any:
        form = super()._limit_org_fields(form)
        if "plan" in form:
            form.plan.query_factory = lambda: screening_plans.open_plans(db.session, actor())
        if "areas" in form:
            form.areas.query_factory = active_subtree
        if "mediators" in form:
            form.mediators.query_factory = self._scoped_mediators
        if "screeners" in form:
            form.screeners.query_factory = self._users
        return form

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        plan_id = request.args.get("plan_id")
        if request.method == "GET" and plan_id:
            plan = next(
                (p for p in screening_plans.open_plans(db.session, actor()) if str(p.id) == plan_id), None
            )
            if plan is not None:
                form.plan.data, form.kind.data, form.theme.data = plan, plan.kind.value, plan.theme
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        for name in ("plan", "organization", "kind", "theme", "screened_on", "areas", "result", "findings"):
            if name in form:
                del form[name]
        return form

    def on_model_change(self, form: Any, model: ScreeningRecord, is_created: bool) -> None:
        if is_created:
            screening.prepare_record(db.session, model, actor(), today=local_today())
        else:
            screening.check_correction(db.session, model, actor(), today=local_today())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Correct a record's text and people, unless it is voided."""
        record_id = get_mdict_item_or_list(request.args, "id")
        if record_id is not None and (record := self.get_one(record_id)).is_void:
            flash("该排查记录已作废，不能修改", "error")
            return redirect(self.get_url(".details_view", id=record.id))
        return super().edit_view()

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the record's page and its steps ---------------------------------------------------------

    def record_page(self, record: ScreeningRecord) -> dict[str, Any]:
        """Return what the record's page shows besides the record."""
        writable = self._holds(self.write_roles) and not record.is_void
        return {
            "can_write": writable,
            "can_add": writable and record.result == RecordResult.FOUND,
            "can_void": writable and not any(f.status == FindingStatus.REGISTERED for f in record.findings),
            "can_audit": can_audit(),
            "local_time": local_time,
            "org_path_text": org_path_text,
            "Status": FindingStatus,
            "register_url": lambda f: url_for("cases.create_view", finding=f.id),
            "case_url": lambda case_id: url_for("cases.details_view", id=case_id),
        }

    def _finding(self, record: ScreeningRecord) -> ScreeningFinding:
        found = db.session.get(ScreeningFinding, int_arg("finding") or 0)
        if found is None or found.record_id != record.id:
            abort(404)
        return found

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """添加发现, 核实不构成纠纷 (of a finding) or 作废 (the record)."""
        if kind not in ("add_finding", "dismiss", "void"):
            abort(404)
        record = self.get_one(request.args.get("id"))
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=record.id)
        today, who = local_today(), actor()
        if kind == "add_finding":
            form = AddFindingForm()
            form.dispute_type.query_factory = lambda: db.session.scalars(
                select(DisputeType).where(DisputeType.active).order_by(DisputeType.sort_order)
            ).all()

            def action() -> Any:
                finding = ScreeningFinding()
                form.populate_obj(finding)
                return screening.add_finding(
                    db.session, record, finding, who, today=today, expected_version=seen_version(form)
                )

            return step_page(
                self,
                form,
                action,
                title="添加排查发现",
                subject=str(record),
                back=back,
                success="已添加排查发现",
                version=record.version,
            )
        if kind == "dismiss":
            finding = self._finding(record)
            form = ReasonForm()
            form.reason.label.text = "核实情况"
            return step_page(
                self,
                form,
                lambda: screening.dismiss_finding(
                    db.session,
                    finding,
                    who,
                    reason=form.reason.data,
                    today=today,
                    expected_version=seen_version(form),
                ),
                title="核实不构成纠纷",
                subject=str(finding),
                back=back,
                success=f"已记录核实情况：{finding}",
                hint="经核实不构成矛盾纠纷的，写明核实经过；需要调解的请“登记为案件”。",
                version=finding.version,
            )
        form = ReasonForm()
        return step_page(
            self,
            form,
            lambda: screening.void_record(
                db.session,
                record,
                who,
                reason=form.reason.data,
                today=today,
                expected_version=seen_version(form),
            ),
            title="作废排查记录",
            subject=str(record),
            back=back,
            success=f"排查记录已作废：{record}",
            hint="作废后本记录不再计入排查完成情况；据此报送的零报告不随之撤销。",
            version=record.version,
        )

    # --- 排查预警 ---------------------------------------------------------------------------------

    @expose("/missing/")
    def missing(self) -> Any:
        """List the units that have not screened in the period containing a day, and the one before."""
        today = local_today()
        try:
            day = date.fromisoformat(request.args.get("day") or today.isoformat())
        except ValueError:
            day = today
        day = min(max(day, date(2000, 1, 1)), today)
        org_units = units(db.session, actor())
        done, missing = coverage(db.session, org_units, day)
        previous = previous_missing(db.session, org_units, day)
        half = period_of(day)
        return self.render(
            "admin/screening/missing.html",
            day=day,
            half=half,
            done=done,
            missing=missing,
            previous=previous,
            earlier=half.previous().start,
            later=min(half.following().start, today),
            at_end=half.end >= today,
            org_path_text=org_path_text,
        )
