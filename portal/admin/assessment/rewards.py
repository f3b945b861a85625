"""考核评价 rewards: the 以案定补 settings and sheet, and 调解能手 criteria, candidates and recognitions."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select
from wtforms import validators

from portal.admin.assessment.forms import LockedForm, NominateForm, NoticeForm, ReasonForm
from portal.admin.assessment.rounds import READERS
from portal.admin.base import (
    SecureModelView,
    attempt,
    enum_filter,
    link,
    local_time,
    org_names,
)
from portal.admin.documents.prints import RecognitionPrints
from portal.admin.guards import int_arg
from portal.extensions import db, start_writing
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.models.people import Mediator
from portal.models.recognition import Recognition, RecognitionStatus, SubsidyPolicy
from portal.services import DomainError, audit, recognition, sheets, subsidies
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org


class SubsidyPolicyView(SecureModelView):
    """以案定补标准: the tier amounts and exclusions (one row, kept by admins)."""

    read_roles = READERS
    scope_column = None
    column_list = (
        "simple_amount",
        "normal_amount",
        "hard_amount",
        "major_amount",
        "exclude_administrative",
        "exclude_judicial",
        "split_among_mediators",
        "updated_at",
    )
    column_labels = {
        "simple_amount": "简易（元/件）",
        "normal_amount": "一般（元/件）",
        "hard_amount": "疑难（元/件）",
        "major_amount": "重大（元/件）",
        "exclude_administrative": "不计行政调解",
        "exclude_judicial": "不计司法调解",
        "split_among_mediators": "多人承办平分",
        "notes": "说明",
        "updated_at": "修改时间",
    }
    column_descriptions = {
        "exclude_judicial": "诉调对接中心办理或人民法院移交（委派）的案件",
        "split_among_mediators": "否：每名承办调解员各按全额计补",
    }
    form_columns = (
        "simple_amount",
        "normal_amount",
        "hard_amount",
        "major_amount",
        "exclude_administrative",
        "exclude_judicial",
        "split_among_mediators",
        "notes",
    )
    form_args = {
        name: {
            "validators": [
                validators.InputRequired(message="请填写金额"),
                validators.NumberRange(0, 100000, message="金额应在0至100000元之间"),
            ]
        }
        for name in ("simple_amount", "normal_amount", "hard_amount", "major_amount")
    }

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return False

    @expose("/")
    def index_view(self) -> Any:
        """List the policy, creating the standard tiers on first use."""
        if self._holds(self.write_roles):
            _standard_policy()
        return super().index_view()


def _standard_policy() -> None:
    """Create the standard 以案定补 tiers on first use (the pages that show them are GET pages)."""
    if not db.session.scalar(select(SubsidyPolicy.id).limit(1)):
        start_writing()
        subsidies.policy(db.session)
        db.session.commit()


def _period(args: Any) -> tuple[date, date, bool]:
    """Read ?start=&end= (defaults: last year), in order; the flag tells whether they were swapped.

    The sheet page, the detail page and the export all read the period here, so the download is
    always the sheet on screen.
    """
    year = local_today().year - 1
    try:
        start = date.fromisoformat(args.get("start") or f"{year}-01-01")
        end = date.fromisoformat(args.get("end") or f"{year}-12-31")
    except ValueError:
        start, end = date(year, 1, 1), date(year, 12, 31)
    if start > end:
        return end, start, True
    return start, end, False


def _year(value: str | None) -> int | None:
    """Return the year given, or None unless it is a whole number within the accepted years."""
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if recognition.FIRST_YEAR <= year <= recognition.LAST_YEAR else None


class SubsidyView(BaseView):
    """以案定补 sheet of a period: per mediator, with the cases behind each amount and an xlsx export."""

    read_roles = READERS

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.has_role(*self.read_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @expose("/")
    def index_view(self) -> Any:
        """Show the sheet of the period."""
        start, end, swapped = _period(request.args)
        if swapped:
            flash("开始日期不能晚于结束日期，已按先后顺序显示", "error")
        _standard_policy()
        sheet = subsidies.compute_sheet(db.session, current_user, start=start, end=end)
        return self.render(
            "admin/assessment/subsidies.html", sheet=sheet, start=start, end=end, names=org_names()
        )

    @expose("/details/")
    def details(self) -> Any:
        """Show one mediator's cases for the period."""
        start, end, _ = _period(request.args)
        mediator_id = int_arg("id")
        person = subsidies.reachable_mediator(db.session, current_user, mediator_id) if mediator_id else None
        if person is None:
            abort(404)
        _standard_policy()
        sheet = subsidies.compute_sheet(db.session, current_user, start=start, end=end, mediator_id=person.id)
        row = sheet.rows[0] if sheet.rows else subsidies.MediatorSubsidy(person)
        return self.render("admin/assessment/subsidy_detail.html", row=row, sheet=sheet, start=start, end=end)

    @expose("/new/")
    @expose("/edit/")
    def elsewhere(self) -> Any:
        """The sheet is computed, never typed: send create/edit links back to it."""
        return redirect(self.get_url(".index_view"))

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        """Download the sheet (xlsx), and record the export."""
        if export_type != "xlsx":
            abort(404)
        start, end, _ = _period(request.args)
        _standard_policy()
        sheet = subsidies.compute_sheet(db.session, current_user, start=start, end=end)
        data = sheets.subsidy_workbook(sheet, org_names())
        start_writing()
        audit.record(db.session, AuditAction.EXPORT, "subsidy", None, f"导出以案定补表（{start}至{end}）")
        db.session.commit()
        return send_file(
            BytesIO(data),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"subsidies_{start:%Y%m%d}_{end:%Y%m%d}.xlsx",
        )


class RecognitionCriteriaView(SecureModelView):
    """调解能手评选条件, one row per year, kept by admins."""

    read_roles = READERS
    scope_column = None
    column_list = (
        "year",
        "title",
        "min_cases",
        "min_success_rate",
        "min_band",
        "require_clean_review",
        "min_training_hours",
        "notice_days",
        "serial_prefix",
    )
    column_labels = {
        "year": "年度",
        "title": "荣誉名称",
        "min_cases": "最少办案数",
        "min_success_rate": "最低成功率（%）",
        "min_band": "最低考评等次",
        "require_clean_review": "无责任倒查认定",
        "min_training_hours": "最少培训学时",
        "notice_days": "公示天数",
        "serial_prefix": "证书编号前缀",
        "notes": "说明",
    }
    form_columns = column_list + ("notes",)
    form_args = {
        "year": {
            "validators": [validators.InputRequired(message="请填写年度"), validators.NumberRange(2000, 2100)]
        },
        "min_success_rate": {"validators": [validators.NumberRange(0, 100, "成功率应在0至100之间")]},
        "notice_days": {"validators": [validators.NumberRange(1, 60, "公示天数应在1至60之间")]},
        "serial_prefix": {"description": "如“QH能手”，证书编号为 QH能手〔2026〕001号"},
    }
    column_default_sort = ("year", True)


def _mediator_link(view: Any, context: Any, model: Recognition, name: str) -> Any:
    return link(url_for("mediators.details_view", id=model.mediator_id), model.mediator.name)


class RecognitionView(RecognitionPrints, SecureModelView):
    """调解能手: candidates, nominations, 公示, approval with a certificate serial, revocation."""

    read_roles = READERS
    write_roles = frozenset({Role.EVALUATOR})
    details_template = "admin/assessment/recognition.html"
    list_template = "admin/assessment/recognitions.html"
    column_list = ("year", "mediator", "organization", "status", "notice_start", "notice_end", "serial")
    column_export_list = column_list + ("nominated_on", "reason", "revoke_reason")
    column_labels = {
        "year": "年度",
        "mediator": "调解员",
        "organization": "所属组织",
        "status": "状态",
        "notice_start": "公示自",
        "notice_end": "公示至",
        "serial": "证书编号",
        "nominated_on": "提名日期",
        "reason": "推荐理由",
        "revoke_reason": "撤销理由",
    }
    column_formatters = {"mediator": _mediator_link, "organization": lambda v, c, m, n: m.organization.name}
    column_formatters_export = {"mediator": lambda v, c, m, n: m.mediator.name}
    column_filters = (enum_filter(Recognition.status, "状态", RecognitionStatus),)
    column_default_sort = [("year", True), ("id", False)]

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return False

    def _actor(self) -> Any:
        return current_user._get_current_object()

    @expose("/new/", methods=("GET",))
    def create_view(self) -> Any:
        """The candidate list of a year (推荐名单) with the evidence of every criterion."""
        if not self.can_create:
            return redirect(self.get_url(".index_view"))
        year = _year(request.args.get("year") or str(local_today().year - 1))
        if year is None:
            flash(f"年度应为{recognition.FIRST_YEAR}至{recognition.LAST_YEAR}之间的整数", "error")
            return redirect(self.get_url(".create_view"))
        # Read only: the year's criteria are stored when an admin saves them or at the first nomination.
        candidates = recognition.evaluate(db.session, current_user, year, as_of=local_today())
        rules = recognition.rules_of(db.session, year)
        only = request.args.get("all") != "1"
        shown = [c for c in candidates if c.eligible] if only else candidates
        return self.render(
            "admin/assessment/candidates.html",
            year=year,
            rules=rules,
            candidates=shown,
            total=len(candidates),
            eligible=sum(c.eligible for c in candidates),
            only=only,
            form=NominateForm(),
        )

    @expose("/nominate/", methods=("POST",))
    def nominate(self) -> Any:
        """Nominate one candidate."""
        if not self.can_create:
            abort(403)
        form = NominateForm()
        year = _year(request.form.get("year"))
        if year is None:
            abort(400)
        back = self.get_url(".create_view", year=year)
        if not form.validate_on_submit():
            flash("提交无效，请刷新页面后重试", "error")
            return redirect(back)
        try:
            mediator_id = int(form.mediator_id.data)
        except ValueError:
            abort(400)
        if not 0 < mediator_id < 2**31:  # beyond the database's integers: no such mediator
            abort(404)
        person = db.session.get(Mediator, mediator_id)
        if person is None or not can_reach_org(current_user, person.organization):
            abort(404)  # another subtree's mediator is not named, exactly like a missing one
        try:
            rec = recognition.nominate(
                db.session,
                self._actor(),
                person,
                year=year,
                reason=form.reason.data,
                today=local_today(),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"已提名{person.name}为{rec.year}年度{rec.title}", "success")
        return redirect(back)

    def _step(self, title: str, hint: str, run: Any, form_class: type = LockedForm) -> Any:
        rec = self.get_one(request.args.get("id"))
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=rec.id)
        form = form_class()
        if not form.is_submitted():
            form.lock_version.data = rec.version
        if form.validate_on_submit() and attempt(form, lambda: run(rec, form)):
            flash(f"已{title}：{rec}", "success")
            return redirect(back)
        return self.render(
            "admin/assessment/confirm.html",
            rnd=None,
            subject=str(rec),
            form=form,
            title=title,
            hint=hint,
            return_url=back,
        )

    @expose("/notice/", methods=("GET", "POST"))
    def notice(self) -> Any:
        """Put a nomination on 公示."""
        return self._step(
            "公示",
            "公示期间接受群众监督；公示期满且无异议的，方可批准。公示内容不含身份证号和电话。",
            lambda rec, form: recognition.start_notice(
                db.session,
                rec,
                self._actor(),
                start=form.notice_start.data,
                end=form.notice_end.data,
                expected_version=form.version(),
            ),
            NoticeForm,
        )

    @expose("/approve/", methods=("GET", "POST"))
    def approve(self) -> Any:
        """Approve after the 公示 and give the certificate serial."""
        return self._step(
            "批准",
            "批准后生成唯一的证书编号，荣誉记入调解员档案。批准前系统将再次核查本年度责任倒查情况。",
            lambda rec, form: recognition.approve(
                db.session, rec, self._actor(), today=local_today(), expected_version=form.version()
            ),
        )

    @expose("/revoke/", methods=("GET", "POST"))
    def revoke(self) -> Any:
        """Revoke a nomination or an honour, with the reason on record."""
        return self._step(
            "撤销",
            "撤销后不可恢复，撤销理由记入记录和审计日志；已发证书编号作废，不再重复使用。",
            lambda rec, form: recognition.revoke(
                db.session, rec, self._actor(), reason=form.reason.data, expected_version=form.version()
            ),
            ReasonForm,
        )

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("local_time", local_time)
        kwargs.setdefault("print_year", local_today().year - 1)  # the batch print's default year
        return super().render(template, **kwargs)
