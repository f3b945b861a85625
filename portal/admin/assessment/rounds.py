"""考核评价: assessment templates (方案) with their criteria, and rounds (考评批次) with scoring and results.

Roles: admins keep the templates; evaluators open rounds, score, finalise and reopen; admins and
clerks read rounds of their subtree; entry clerks, who are the ones assessed, have no access.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from sqlalchemy import select
from wtforms import validators

from portal import clock
from portal.admin.assessment.forms import LockedForm, ReasonForm, RoundForm
from portal.admin.base import (
    SecureModelView,
    attempt,
    enum_filter,
    link,
    local_time,
    org_path_text,
)
from portal.admin.documents.prints import RoundPrints
from portal.admin.fields import numeric_limit
from portal.admin.guards import int_arg
from portal.extensions import db, start_writing
from portal.models.assessment import (
    POINTS,
    AssessmentCriterion,
    AssessmentRound,
    AssessmentTemplate,
    CriterionKind,
    CriterionResult,
    PeriodKind,
    RoundStatus,
    TargetKind,
)
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.models.case import Case
from portal.services import DomainError, assessment_templates, audit, scoring, sheets
from portal.services.deadlines import DeadlineRules, local_today
from portal.services.scope import org_in_scope
from portal.validators import number_error, parse_decimal

READERS = frozenset({Role.ADMIN, Role.EVALUATOR, Role.CLERK})
POINTS_LIMIT = numeric_limit(POINTS.precision, POINTS.scale)  # a score is Numeric(7, 2)


class CriterionInline(InlineFormAdmin):
    """考评项目, edited inside the template form."""

    # The criterion's own settings: the ones a template copy carries over, plus the id inline forms need.
    form_columns = ("id", *assessment_templates.COPIED)
    column_labels = {
        "sort_order": "序号",
        "name": "考评项目",
        "kind": "类型",
        "indicator": "自动指标",
        "rule": "计分方式",
        "max_points": "分值",
        "low": "零分线",
        "high": "满分线",
        "per_item": "每项扣分",
        "cap": "最多扣分",
        "no_data_points": "无数据时得分",
        "standard": "评分标准",
    }
    form_args = {
        "name": {
            "validators": [validators.InputRequired(message="请填写考评项目"), validators.Length(max=100)]
        },
        "max_points": {"validators": [validators.InputRequired(message="请填写分值")]},
        "low": {"description": "区间线性：达到此值得0分"},
        "high": {"description": "区间线性：达到此值得满分（越小越好时小于零分线）"},
        "per_item": {"description": "逐项扣分：每件（每分）扣多少分"},
        "cap": {"description": "逐项扣分：最多扣多少分，留空为扣完为止"},
    }


class AssessmentTemplateView(SecureModelView):
    """考评方案: criteria, rules and band cut-offs; frozen once a round uses it."""

    read_roles = READERS
    scope_column = None
    column_list = ("name", "target_kind", "max_total", "excellent_min", "good_min", "pass_min", "active")
    column_details_list = (
        "name",
        "target_kind",
        "description",
        "criteria",
        "excellent_min",
        "good_min",
        "pass_min",
    )
    column_labels = {
        "name": "方案名称",
        "target_kind": "考评对象",
        "description": "说明",
        "max_total": "满分",
        "excellent_min": "优秀（≥）",
        "good_min": "良好（≥）",
        "pass_min": "合格（≥）",
        "active": "启用",
        "criteria": "考评项目",
    }
    column_formatters = {"max_total": lambda v, c, m, n: m.max_total}
    column_formatters_detail = {
        "criteria": lambda v, c, m, n: "；".join(
            f"{x.name}（{x.max_points}分，{x.rule.label}）" for x in m.criteria
        )
    }
    form_columns = (
        "name",
        "target_kind",
        "description",
        "excellent_min",
        "good_min",
        "pass_min",
        "active",
        "criteria",
    )
    form_args = {
        "name": {
            "validators": [validators.InputRequired(message="请填写方案名称"), validators.Length(max=100)]
        },
        "target_kind": {"validators": [validators.InputRequired(message="请选择考评对象")]},
    }
    inline_models = (CriterionInline(AssessmentCriterion),)

    def on_model_change(self, form: Any, model: AssessmentTemplate, is_created: bool) -> None:
        # Runs before the commit; the check itself keeps the form's pending deletes unflushed.
        assessment_templates.check_template(db.session, model)

    @action("copy", "复制为新方案", "复制所选方案（含全部考评项目）为新方案？")
    def action_copy(self, ids: list[str]) -> None:
        """Copy the selected templates, so that a frozen one can be revised."""
        for template in self.selected(ids):
            name = template.name
            try:
                copy = assessment_templates.copy_template(db.session, template)
            except DomainError as exc:
                db.session.rollback()
                flash(f"「{name}」未能复制：{exc.message}", "error")
            else:
                flash(f"已复制为「{copy.name}」", "success")


class AssessmentRoundView(RoundPrints, SecureModelView):
    """考评批次: open, score, finalise and reopen; results with evidence and an xlsx export."""

    read_roles = READERS
    write_roles = frozenset({Role.EVALUATOR})
    details_template = "admin/assessment/round.html"
    column_list = (
        "title",
        "template",
        "period_kind",
        "period_start",
        "period_end",
        "org_path",
        "status",
        "computed_on",
    )
    column_labels = {
        "title": "批次名称",
        "template": "考评方案",
        "period_kind": "周期",
        "period_start": "期间自",
        "period_end": "至",
        "org_path": "组织单位",
        "status": "状态",
        "computed_on": "指标计算日",
    }
    column_formatters = {
        "title": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), m.title),
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
    }
    column_formatters_export = {"org_path": column_formatters["org_path"]}
    column_filters = (enum_filter(AssessmentRound.status, "状态", RoundStatus),)
    column_default_sort = [("period_start", True), ("id", True)]

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # Scores change through the scoring page; everything else is fixed when the round opens.
        return False

    def _round(self) -> AssessmentRound:
        return scoring.load_targets(db.session, self.get_one(request.args.get("id")))

    def _actor(self) -> Any:
        return current_user._get_current_object()

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """Open a round: template, period and targets of the evaluator's subtree."""
        if not self.can_create:
            return redirect(self.get_url(".index_view"))
        form = RoundForm()
        form.template.query_factory = lambda: db.session.scalars(
            select(AssessmentTemplate).where(AssessmentTemplate.active).order_by(AssessmentTemplate.id)
        ).all()
        form.mediators.query_factory = lambda: scoring.scoped_targets(
            db.session, current_user, TargetKind.MEDIATOR
        )
        form.organizations.query_factory = lambda: scoring.scoped_targets(
            db.session, current_user, TargetKind.ORGANIZATION
        )
        if not form.is_submitted():
            form.year.data = local_today().year - 1
        if form.validate_on_submit():
            template = form.template.data
            kind = template.target_kind
            chosen = form.mediators.data if kind == TargetKind.MEDIATOR else form.organizations.data
            targets = list(chosen) or scoring.scoped_targets(db.session, current_user, kind)
            try:
                rnd = scoring.open_round(
                    db.session,
                    self._actor(),
                    template=template,
                    period_kind=PeriodKind(form.period_kind.data),
                    year=form.year.data,
                    number=form.number.data or 1,
                    targets=targets,
                    title=form.title.data,
                    today=local_today(),
                    rules=DeadlineRules.from_config(current_app.config),
                )
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                flash(
                    f"已开启考评批次「{rnd.title}」，共{len(rnd.assessments)}个考评对象，自动指标已计算",
                    "success",
                )
                return redirect(self.get_url(".details_view", id=rnd.id))
        return self.render(
            "admin/assessment/round_new.html", form=form, return_url=self.get_url(".index_view")
        )

    @expose("/details/")
    def details_view(self) -> Any:
        """Show the round: ranking, every criterion's points, and the round's history."""
        rnd = self._round()
        criteria = list(rnd.template.criteria)
        ranked = sorted(rnd.assessments, key=lambda a: (a.rank or 0, a.target_name))
        return self.render(
            self.details_template,
            rnd=rnd,
            criteria=criteria,
            ranked=ranked,
            points={(r.assessment_id, r.criterion_id): r for a in ranked for r in a.results},
            can_write=self._holds(self.write_roles),
            local_time=local_time,
            form=LockedForm(lock_version=rnd.version),
        )

    @expose("/evidence/")
    def evidence(self) -> Any:
        """List the cases (or reviews) behind one figure, with links to them."""
        result = db.session.get(CriterionResult, int_arg("result") or 0)
        if result is None:
            abort(404)
        rnd = self.get_one(result.assessment.round_id)
        ids = (result.evidence or {}).get("case_ids", [])
        found = db.session.scalars(
            select(Case).where(Case.id.in_(ids), org_in_scope(current_user, Case.organization_id))
        ).all()
        return self.render(
            "admin/assessment/evidence.html",
            rnd=rnd,
            result=result,
            cases=sorted(found, key=lambda c: (c.accepted_on, c.id)),
            hidden=len(ids) - len(found),
            deductions=(result.evidence or {}).get("deductions", []),
        )

    @expose("/score/", methods=("GET", "POST"))
    def score(self) -> Any:
        """Enter the signed-in evaluator's own manual scores for every target."""
        rnd = self._round()
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=rnd.id)
        if rnd.is_final:
            flash(scoring.LOCKED, "error")
            return redirect(back)
        actor = self._actor()
        form = LockedForm()
        manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
        saved: list[int] = []
        if form.validate_on_submit() and attempt(
            None,
            lambda: saved.append(
                scoring.save_scores(db.session, rnd, actor, self._parse_scores(rnd, manual))
            ),
        ):
            flash(f"已保存{saved[0]}项评分", "success")
            return redirect(back)
        mine = {
            (s.assessment_id, s.criterion_id): s
            for a in rnd.assessments
            for s in a.scores
            if s.evaluator_id == actor.id
        }
        return self.render(
            "admin/assessment/score.html",
            rnd=rnd,
            manual=manual,
            mine=mine,
            conflicts={a.id: scoring.conflict_of_interest(actor, a) for a in rnd.assessments},
            form=form,
            return_url=back,
        )

    def _parse_scores(
        self, rnd: AssessmentRound, manual: list[Any]
    ) -> dict[tuple[int, int], scoring.ScoreEntry]:
        entries = {}
        for a in rnd.assessments:
            for c in manual:
                key = f"s-{a.id}-{c.id}"
                if key not in request.form:
                    continue
                raw = request.form.get(key, "").strip()
                if raw and (error := number_error(raw, limit=POINTS_LIMIT, places=2, what="评分")):
                    raise DomainError(f"{a.target_name}「{c.name}」：{error}")
                points = parse_decimal(raw) if raw else None
                entries[(a.id, c.id)] = scoring.ScoreEntry(points, request.form.get(f"c-{a.id}-{c.id}"))
        return entries

    def _step(self, template: str, title: str, hint: str, run: Any, form_class: type = LockedForm) -> Any:
        rnd = self._round()
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=rnd.id)
        form = form_class()
        if not form.is_submitted():
            form.lock_version.data = rnd.version
        if form.validate_on_submit() and attempt(form, lambda: run(rnd, form)):
            flash(f"已{title}：{rnd.title}", "success")
            return redirect(back)
        return self.render(template, rnd=rnd, form=form, title=title, hint=hint, return_url=back)

    @expose("/finalise/", methods=("GET", "POST"))
    def finalise(self) -> Any:
        """Confirm and finalise (定稿) the round."""
        return self._step(
            "admin/assessment/confirm.html",
            "定稿",
            "定稿后总分、名次和等次即锁定，任何角色都不能再修改评分；确需更正的，须填写理由重新开启，并记入批次记录和审计日志。",
            lambda rnd, form: scoring.finalise(
                db.session, rnd, self._actor(), expected_version=form.version()
            ),
        )

    @expose("/reopen/", methods=("GET", "POST"))
    def reopen(self) -> Any:
        """Reopen a finalised round, with the reason on record."""
        return self._step(
            "admin/assessment/confirm.html",
            "重新开启",
            "重新开启后可修改评分，理由将记入批次记录和审计日志。",
            lambda rnd, form: scoring.reopen(
                db.session, rnd, self._actor(), reason=form.reason.data, expected_version=form.version()
            ),
            ReasonForm,
        )

    @expose("/recompute/", methods=("GET", "POST"))
    def recompute(self) -> Any:
        """Recompute the auto criteria from today's ledger."""
        return self._step(
            "admin/assessment/confirm.html",
            "重新计算自动指标",
            "将按台账当前数据重新计算全部自动指标（计算日改为今天），人工评分不变。",
            lambda rnd, form: scoring.recompute(
                db.session,
                rnd,
                self._actor(),
                today=local_today(),
                rules=DeadlineRules.from_config(current_app.config),
                expected_version=form.version(),
            ),
        )

    @expose("/results.xlsx")
    def results(self) -> Any:
        """Download the results, the evidence of every figure and every evaluator's scores (xlsx)."""
        rnd = self._round()
        ids = {i for a in rnd.assessments for r in a.results for i in (r.evidence or {}).get("case_ids", [])}
        numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())
        data = sheets.round_workbook(rnd, numbers)
        start_writing()
        audit.record(db.session, AuditAction.EXPORT, "assessment_round", rnd.id, f"导出考评结果：{rnd.title}")
        db.session.commit()
        return send_file(
            BytesIO(data),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"assessment_round_{rnd.id}_{clock.today():%Y%m%d}.xlsx",
        )
