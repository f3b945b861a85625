"""责任倒查: the list of reviews, the review page, the opening form and the steps of a review."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from portal.admin.assessment.review_forms import (
    STEP_FORMS,
    STEP_HINTS,
    TARGETS,
    OpenForm,
    incident_fields,
    prefill,
    run_step,
)
from portal.admin.base import (
    OrgSubtreeFilter,
    SecureModelView,
    attempt,
    enum_filter,
    link,
    local_time,
    org_path_text,
)
from portal.admin.documents.prints import ReviewPrints
from portal.admin.guards import int_arg
from portal.extensions import db
from portal.models.auth import Role
from portal.models.case import Case
from portal.models.review import (
    AccountabilityReview,
    IncidentKind,
    ResponsibleKind,
    ResponsibleParty,
    ReviewEventKind,
    ReviewStatus,
)
from portal.services import DomainError, review_steps, reviews
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org

K = ReviewEventKind


def _number(view: Any, context: Any, model: AccountabilityReview, name: str) -> Markup:
    return link(view.get_url(".details_view", id=model.id), model.number or "（未决定）")


def _parties_text(review: AccountabilityReview) -> str:
    return "；".join(
        f"{p.name}（{p.cause.label}：{p.measures_text or '未定措施'}）" for p in review.responsible
    )


class ReviewView(ReviewPrints, SecureModelView):
    """责任倒查: reviews of incidents (越级上访, 群体性事件 …) run by the user's subtree."""

    read_roles = reviews.READERS
    write_roles = reviews.WRITERS
    details_template = "admin/reviews/details.html"
    create_template = "admin/reviews/create.html"
    form = OpenForm

    column_list = (
        "number",
        "title",
        "incident_kind",
        "incident_at",
        "organization",
        "status",
        "opened_on",
        "decided_on",
        "rectification_deadline",
    )
    column_export_list = (
        "number",
        "title",
        "incident_kind",
        "incident_at",
        "incident_place",
        "people_involved",
        "people_count",
        "description",
        "org_path",
        "status",
        "opened_on",
        "investigators",
        "cases",
        "responsible",
        "finding",
        "decided_on",
        "rectification_deadline",
        "rectification_report",
        "archived_on",
    )
    column_labels = {
        "number": "倒查文号",
        "title": "倒查事项",
        "incident_kind": "事件类型",
        "incident_at": "发生时间",
        "incident_place": "发生地点",
        "people_involved": "涉及人员",
        "people_count": "涉及人数",
        "description": "事件经过",
        "organization": "主办单位",
        "org_path": "主办单位",
        "status": "状态",
        "opened_on": "立案日期",
        "investigators": "调查组",
        "cases": "关联案件",
        "responsible": "责任认定及处理措施",
        "finding": "倒查结论",
        "decided_on": "决定日期",
        "rectification_deadline": "整改期限",
        "rectification_report": "整改落实情况",
        "archived_on": "归档日期",
    }
    column_searchable_list = ("number", "title", "description", "people_involved", "incident_place")
    column_sortable_list = ("incident_at", "opened_on", "decided_on", "rectification_deadline", "status")
    column_default_sort = [("opened_on", True), ("id", True)]
    column_filters = (
        enum_filter(AccountabilityReview.status, "状态", ReviewStatus),
        enum_filter(AccountabilityReview.incident_kind, "事件类型", IncidentKind),
        OrgSubtreeFilter(AccountabilityReview.organization_id, "主办单位（含下级）"),
        filters.DateBetweenFilter(AccountabilityReview.opened_on, "立案日期"),
        filters.DateBetweenFilter(AccountabilityReview.decided_on, "决定日期"),
    )
    column_formatters = {
        "number": _number,
        "title": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), m.title),
        "incident_at": lambda v, c, m, n: local_time(m.incident_at),
        "organization": lambda v, c, m, n: m.organization.name,
        "status": lambda v, c, m, n: Markup(
            '<span class="badge review-status review-status-{}">{}</span>'
        ).format(m.status.value, m.status.label),
    }
    column_formatters_export = {
        "incident_at": lambda v, c, m, n: local_time(m.incident_at),
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "cases": lambda v, c, m, n: "、".join(str(link) for link in m.linked),
        "responsible": lambda v, c, m, n: _parties_text(m),
    }

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # Changes go through the steps (修改案情 …), each recorded in the review's history.
        return False

    # --- queries ---------------------------------------------------------------------------------

    def get_query(self) -> Any:
        query = super().get_query().options(joinedload(AccountabilityReview.organization))
        if request.endpoint and request.endpoint.endswith(".export"):
            query = query.options(
                selectinload(AccountabilityReview.case_links),
                selectinload(AccountabilityReview.parties).joinedload(ResponsibleParty.mediator),
                selectinload(AccountabilityReview.parties).joinedload(ResponsibleParty.organization),
            )
        return query

    # --- opening ---------------------------------------------------------------------------------

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        case_id = int_arg("case_id")
        if request.method == "GET" and case_id:
            case = db.session.get(Case, case_id)
            if case is not None and can_reach_org(current_user, case.organization):
                form.case_numbers.data = case.number
        return form

    def create_model(self, form: Any) -> Any:
        """Open the review through the service (立案), which snapshots the linked cases and commits."""
        actor = current_user._get_current_object()
        try:
            review = review_steps.open_review(
                db.session,
                actor,
                **incident_fields(form),
                cases=reviews.find_cases(db.session, actor, form.case_numbers.data),
                note=form.note.data,
                today=local_today(),
            )
        except DomainError as exc:
            db.session.rollback()
            _show_error(form, exc)
            return False
        return review

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the review page and its steps -----------------------------------------------------------

    def review_page(self, review: AccountabilityReview) -> dict[str, Any]:
        """Return what the review page shows besides the review itself."""
        steps = reviews.available_steps(review, current_user) if self._holds(self.write_roles) else []
        return {
            "steps": steps,
            "Kind": K,
            "Party": ResponsibleKind,
            "local_time": local_time,
            "can_audit": current_user.has_role(Role.ADMIN),
            "case_url": lambda case_id: self.get_url("cases.details_view", id=case_id),
        }

    def _target(self, step: ReviewEventKind, review: AccountabilityReview) -> Any:
        """Return the linked case or responsible party a step is taken on (404 unless it is this review's)."""
        if step not in TARGETS:
            return None
        arg, model = TARGETS[step]
        found = db.session.get(model, int_arg(arg) or 0)
        if found is None or found.review_id != review.id or found.withdrawn_at is not None:
            abort(404)
        return found

    def _step_form(self, step: ReviewEventKind, review: AccountabilityReview, target: Any) -> Any:
        form = STEP_FORMS[step]()
        if step == K.NAME_PARTY:
            form.organization.query_factory = lambda: reviews.responsible_organizations(
                db.session, current_user, review
            )
            form.mediator.query_factory = lambda: reviews.responsible_mediators(
                db.session, current_user, review
            )
        if not form.is_submitted():
            prefill(form, step, review, target, local_today())
        return form

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """Show and take one step of a review (开始调查, 认定责任, 作出决定 …)."""
        try:
            step = ReviewEventKind(kind)
        except ValueError:
            abort(404)
        if step not in STEP_FORMS:
            abort(404)
        review = self.get_one(request.args.get("id"))
        back = self.get_url(".details_view", id=review.id)
        if not self._holds(self.write_roles):
            abort(403)
        if reason := reviews.refusal(review, current_user, step):
            flash(reason, "error")
            return redirect(back)
        target = self._target(step, review)
        form = self._step_form(step, review, target)
        actor = current_user._get_current_object()
        if form.validate_on_submit() and attempt(
            form, lambda: run_step(db.session, actor, step, review, target, form, local_today())
        ):
            flash(f"已办理「{step.label}」：{review}", "success")
            return redirect(back)
        return self.render(
            "admin/reviews/act.html",
            review=review,
            step=step,
            target=target,
            form=form,
            return_url=back,
            hint=STEP_HINTS.get(step),
        )


def _show_error(form: Any, exc: DomainError) -> None:
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        flash(exc.message, "error")


def case_reviews(case: Case) -> list[AccountabilityReview]:
    """Return the reviews linking the case that the signed-in user may see (for the case page)."""
    return reviews.linked_to_case(db.session, case, current_user._get_current_object())
