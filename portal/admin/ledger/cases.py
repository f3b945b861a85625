"""The dispute ledger (矛盾纠纷排查调处登记册): list, case page, registration form and workflow steps."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload
from wtforms import validators

from portal.admin.base import (
    OrgSubtreeFilter,
    SecureModelView,
    attempt,
    enum_filter,
    local_time,
    org_path_text,
)
from portal.admin.ledger.answers import AnswerFilter, CaseAnswersMixin
from portal.admin.ledger.case_extras import CaseExtrasMixin
from portal.admin.ledger.columns import (
    LABELS,
    ColourFilter,
    DisputeTypeFilter,
    MediatorNameFilter,
    OutcomeFilter,
    OverdueFilter,
    PartyInline,
    ResponsiblePersonFilter,
    SupervisedFilter,
    colour_badge,
    outcome,
    parties,
    party_ids,
    party_phones,
    performance,
    rules,
    satisfaction,
    short,
    status_badge,
)
from portal.admin.ledger.export_rows import case_records
from portal.admin.ledger.extra_filters import HearingFilter, LeaderFilter, LiaisonFilter
from portal.admin.ledger.figure_filters import OrgOwnFilter, ProgressFilter
from portal.admin.ledger.prints import CasePrintMixin
from portal.admin.ledger.steps import STEP_FORMS, STEP_HINTS, run_agreement_update, run_step, step_form
from portal.admin.screening.case_link import FindingRegistrationMixin
from portal.extensions import db
from portal.models.auth import Role
from portal.models.case import (
    OPEN_STATUSES,
    Case,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Difficulty,
    Party,
    PartyRole,
    RiskLevel,
)
from portal.models.dictionary import DisputeType
from portal.models.people import Expert, Mediator, MediatorStatus
from portal.services import cases, list_plan, workflow
from portal.services import search as search_index
from portal.services.deadlines import (
    assess,
    at_risk_clause,
    local_today,
)
from portal.services.scope import org_in_scope, org_in_scope_or_above
from portal.validators import PastDate, mask_id_number, mask_phone


class CaseView(CaseExtrasMixin, CaseAnswersMixin, CasePrintMixin, FindingRegistrationMixin, SecureModelView):
    """矛盾纠纷排查调处登记册."""

    write_roles = frozenset({Role.ADMIN, Role.ENTRY})
    list_template = "admin/cases/list.html"
    details_template = "admin/cases/details.html"

    column_list = (
        "colour",
        "number",
        "accepted_on",
        "dispute_type",
        "party_names",
        "summary",
        "organization",
        "responsible_person",
        "leaders",
        "status",
        "deadline",
    )
    # The register's own column order (登记册), masked.
    column_export_list = (
        "number",
        "accepted_on",
        "source",
        "dispute_type",
        "applicants",
        "respondents",
        "party_ids",
        "party_phones",
        "summary",
        "claims",
        "people_involved",
        "amount",
        "risk_level",
        "difficulty",
        "is_group",
        "prevented_crime",
        "prevented_group_petition",
        "org_path",
        "mediators",
        "lead_leader",
        "responsible_unit",
        "responsible_person",
        "measures",
        "deadline",
        "status",
        "outcome",
        "agreement_amount",
        "performance",
        "satisfaction",
        "closed_on",
        "warnings",
    )
    column_labels = {**LABELS, "leaders": "包案领导"}
    column_searchable_list = ("number", "party_names", "summary")
    column_sortable_list = ("accepted_on", "deadline", "status", "risk_level", "difficulty")
    column_default_sort = [("accepted_on", True), ("id", True)]
    column_filters = (
        DisputeTypeFilter(),
        enum_filter(Case.status, "办理状态", CaseStatus),
        OrgSubtreeFilter(Case.organization_id, "承办组织（含下级）"),
        enum_filter(Case.risk_level, "风险等级", RiskLevel),
        ColourFilter(),
        filters.DateBetweenFilter(Case.accepted_on, "受理日期"),
        filters.DateBetweenFilter(Case.deadline, "办结时限"),
        OverdueFilter(),
        ResponsiblePersonFilter(),
        MediatorNameFilter(),
        enum_filter(Case.source, "纠纷来源", CaseSource),
        enum_filter(Case.difficulty, "难易程度", Difficulty),
        filters.BooleanEqualFilter(Case.is_group, "群体性纠纷"),
        OutcomeFilter(),
        filters.BooleanEqualFilter(Case.prevented_crime, "防止民转刑"),
        filters.BooleanEqualFilter(Case.prevented_group_petition, "防止群体性上访"),
        SupervisedFilter(),
        AnswerFilter(),
        ProgressFilter(),
        OrgOwnFilter(),
        HearingFilter(),
        LeaderFilter(),
        LiaisonFilter(),
    )
    column_formatters = {
        "colour": lambda v, c, m, n: colour_badge(m),
        "number": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".details_view", id=m.id), m.number
        ),
        "summary": lambda v, c, m, n: short(m.summary),
        "party_names": lambda v, c, m, n: short(m.party_names, 24),
        "status": lambda v, c, m, n: status_badge(m),
        "organization": lambda v, c, m, n: m.organization.name,
        "leaders": lambda v, c, m, n: v.leaders_of(m),
    }
    column_formatters_export = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "applicants": lambda v, c, m, n: parties(m, PartyRole.APPLICANT),
        "respondents": lambda v, c, m, n: parties(m, PartyRole.RESPONDENT),
        "party_ids": lambda v, c, m, n: party_ids(m),
        "party_phones": lambda v, c, m, n: party_phones(m),
        "mediators": lambda v, c, m, n: "、".join(p.name for p in m.mediators),
        "dispute_type": lambda v, c, m, n: str(m.dispute_type),
        "outcome": lambda v, c, m, n: outcome(m),
        "agreement_amount": lambda v, c, m, n: m.agreement.amount if m.agreement else None,
        "performance": lambda v, c, m, n: performance(m),
        "satisfaction": lambda v, c, m, n: satisfaction(m),
        "warnings": lambda v, c, m, n: "；".join(assess(m, local_today(), rules()).reasons),
    }

    form_columns = (
        "organization",
        "source",
        "dispute_type",
        "accepted_on",
        "occurred_on",
        "place",
        "summary",
        "claims",
        "people_involved",
        "amount",
        "risk_level",
        "difficulty",
        "prevented_crime",
        "prevented_group_petition",
        "lead_leader",
        "responsible_unit",
        "responsible_person",
        "measures",
        "mediators",
        "experts",
        "parties",
    )
    form_args = {
        "organization": {
            "label": "受理组织",
            "validators": [validators.InputRequired(message="请选择受理组织")],
        },
        "source": {"validators": [validators.InputRequired(message="请选择纠纷来源")]},
        "dispute_type": {
            # The blank choice of a new case posts "__None": InputRequired lets it through, DataRequired not.
            "validators": [
                validators.InputRequired(message="请选择纠纷类型"),
                validators.DataRequired(message="请选择纠纷类型"),
            ],
            "query_factory": lambda: db.session.scalars(
                select(DisputeType).where(DisputeType.active).order_by(DisputeType.sort_order)
            ).all(),
        },
        "accepted_on": {
            "validators": [validators.InputRequired(message="请填写受理日期"), PastDate()],
            "default": local_today,
        },
        "occurred_on": {"validators": [validators.Optional(), PastDate()]},
        "summary": {
            "validators": [
                validators.InputRequired(message="请填写纠纷简要情况"),
                validators.Length(max=5000),
            ]
        },
        "claims": {"validators": [validators.Optional(), validators.Length(max=5000)]},
        "people_involved": {
            "validators": [
                validators.InputRequired(message="请填写涉及人数"),
                validators.NumberRange(1, 100000, "涉及人数应为正整数"),
            ],
            "description": "5人以上为群体性纠纷",
        },
        "amount": {"validators": [validators.Optional()]},
        "risk_level": {"validators": [validators.InputRequired(message="请选择风险等级")]},
        "difficulty": {"validators": [validators.InputRequired(message="请选择难易程度")]},
        "measures": {
            "validators": [validators.Optional(), validators.Length(max=5000)],
            "description": "分流交办时确定；已交办的案件不能清空",
        },
        "prevented_crime": {"description": "经调解防止了民间纠纷转化为刑事案件（计入司法部统计表）"},
        "prevented_group_petition": {"description": "经调解防止了群体性上访（计入司法部统计表）"},
        "mediators": {"label": "承办调解员"},
        "experts": {"label": "邀请专家"},
    }
    form_widget_args = {"summary": {"rows": 4}, "claims": {"rows": 3}, "measures": {"rows": 3}}
    inline_models = (PartyInline(Party),)

    # --- queries ---------------------------------------------------------------------------------

    def get_query(self) -> Any:
        # The type's parent is shown with it (纠纷类型 reads 「大类 · 小类」): loaded in the same query,
        # not one query per distinct parent on every page.
        return (
            super()
            .get_query()
            .options(
                joinedload(Case.organization), joinedload(Case.dispute_type).joinedload(DisputeType.parent)
            )
        )

    def get_list(
        self,
        page: int | None,
        sort_column: str | None,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> Any:
        g.case_walk_by_date = self._walk_by_date(page, sort_column, search, filters, page_size)
        try:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        finally:
            g.pop("case_walk_by_date", None)

    def _walk_by_date(
        self, page: int | None, sort_column: str | None, search: str | None, filters: Any, size: int | None
    ) -> bool:
        """SQLite, below the root, newest first, no column filter: whether the page query should walk the
        date index rather than read the subtree by organisation (`services.list_plan`)."""
        if db.session.get_bind().dialect.name != "sqlite" or current_user.organization.parent_id is None:
            return False
        sort = sort_column or (self.column_default_sort[0][0] if self.column_default_sort else None)
        if page is None or filters or sort != "accepted_on":
            return False
        subtree, total = list_plan.subtree_share(db.session, current_user)
        kept = 1.0
        if search and search.strip():
            counts = search_index.dense_hits(db.session, search)
            if counts is None or total <= 0:
                return False
            for found in counts:
                kept *= found / total
        return list_plan.walk_by_date((page + 1) * (size or self.page_size), subtree, total, kept)

    def page_scope_clause(self) -> Any:
        if g.get("case_walk_by_date"):
            # The same rows; `+ 0` only keeps SQLite off the organisation index (services/list_plan.py).
            return org_in_scope(current_user, Case.organization_id + 0)
        return self.scope_clause()

    def export_records(self, query: Any, columns: list[tuple[str, str]]) -> Any:
        # Cases, parties, mediators, agreements and follow-ups read in bulk as rows (ledger.export_rows).
        return case_records(query, columns)

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        """Search the number, the parties' names and the summary (`services.search`), no join needed."""
        for term in search.split():
            page_clause, count_clause = search_index.term_clauses(db.session, term)
            query = query.filter(page_clause)
            if count_query is not None:
                count_query = count_query.filter(count_clause)
        return query, count_query, joins, count_joins

    def scoped_mediators(self) -> list[Mediator]:
        """Return the active mediators of the user's subtree."""
        query = (
            select(Mediator)
            .where(
                Mediator.status == MediatorStatus.ACTIVE, org_in_scope(current_user, Mediator.organization_id)
            )
            .order_by(Mediator.organization_id, Mediator.name)
        )
        return list(db.session.scalars(query))

    def scoped_experts(self) -> list[Expert]:
        """Return the experts the user may invite (their own pool and the pools above)."""
        query = (
            select(Expert)
            .where(org_in_scope_or_above(current_user, Expert.organization_id))
            .order_by(Expert.name)
        )
        return list(db.session.scalars(query))

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        # Mediators and the 化解措施 are fixed when the case is assigned (分流交办), not at registration.
        del form["mediators"]
        del form["measures"]
        # What mediation averted is known only once it has worked: ticked in a later correction.
        del form["prevented_crime"]
        del form["prevented_group_petition"]
        # No type is chosen for the user: the form starts at 请选择纠纷类型, and the type's own fields
        # appear once one is picked (the answers fragment).
        form.dispute_type.allow_blank = True
        form.dispute_type.blank_text = "请选择纠纷类型"
        return self.prefill_from_finding(form)  # 登记为案件 from a 排查发现 (admin/screening/case_link.py)

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        # The handling organisation changes only through 提级/移交, which leave a trace in the timeline.
        del form["organization"]
        return form

    def _limit_org_fields(self, form: Any) -> Any:
        form = super()._limit_org_fields(form)
        if "mediators" in form:
            form.mediators.query_factory = self.scoped_mediators
        if "experts" in form:
            form.experts.query_factory = self.scoped_experts
        return form

    # --- registration and corrections -----------------------------------------------------------

    def on_model_change(self, form: Any, model: Case, is_created: bool) -> None:
        self.apply_answers(model)
        if is_created:
            cases.prepare_registration(db.session, model, current_user, today=local_today(), rules=rules())
            self.link_finding(model)
        else:
            cases.check_correction(model, current_user, today=local_today())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Correct a case's registration, unless it is closed, voided or out of the user's hands."""
        case_id = get_mdict_item_or_list(request.args, "id")
        if case_id is not None:
            case = self.get_one(case_id)
            if not workflow.can_edit(case, current_user):
                flash("已结案或已作废的案件不能修改" if not case.is_open else "您不能修改该案件", "error")
                return redirect(self.get_url(".details_view", id=case.id))
        return super().edit_view()

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the case page and its steps --------------------------------------------------------------

    def case_page(self, case: Case) -> dict[str, Any]:
        """Return what the case page shows besides the case itself."""
        steps = workflow.available_steps(case, current_user) if self._holds(self.write_roles) else []
        return {
            "assessment": assess(case, local_today(), rules()),
            "steps": steps,
            "can_edit": self._holds(self.write_roles) and workflow.can_edit(case, current_user),
            "mask_id": mask_id_number,
            "mask_phone": mask_phone,
            "local_time": local_time,
            "Kind": CaseEventKind,
            "can_audit": current_user.has_role(Role.ADMIN),
        }

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """Show and take one workflow step (分流交办, 调解记录, 调解成功 …) on a case."""
        try:
            step = CaseEventKind(kind)
        except ValueError:
            abort(404)
        if step not in STEP_FORMS:
            abort(404)
        case = self.get_one(request.args.get("id"))
        back = self.get_url(".details_view", id=case.id)
        if not self._holds(self.write_roles):
            abort(403)
        if reason := workflow.refusal(case, current_user, step):
            flash(reason, "error")
            return redirect(back)
        form = step_form(self, step, case)
        if form.validate_on_submit() and attempt(
            form, lambda: run_step(self, step, case, form, today=local_today(), rules=rules())
        ):
            flash(f"已办理「{step.label}」：{case.number}", "success")
            return redirect(back)
        return self.render(
            "admin/cases/act.html",
            case=case,
            step=step,
            form=form,
            return_url=back,
            hint=STEP_HINTS.get(step),
        )

    @expose("/agreement/", methods=("GET", "POST"))
    def agreement(self) -> Any:
        """Record an agreement's performance or its 司法确认 after settlement."""
        case = self.get_one(request.args.get("id"))
        back = self.get_url(".details_view", id=case.id)
        if case.agreement is None:
            abort(404)
        if not self._holds(self.write_roles):
            abort(403)
        return run_agreement_update(self, case, back)


class CaseWarningView(CaseView):
    """超期预警: open cases showing red or yellow in the user's subtree, most urgent first."""

    can_create = False
    column_default_sort = [("deadline", False), ("id", False)]

    def get_query(self) -> Any:
        return super().get_query().filter(at_risk_clause(local_today(), rules()))

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(at_risk_clause(local_today(), rules()))


class MyCaseView(CaseView):
    """我的待办: open cases of the user's own organisation or registered by the user."""

    read_roles = frozenset({Role.ADMIN, Role.ENTRY})
    column_default_sort = [("deadline", False), ("id", False)]

    def _mine(self) -> Any:
        return and_(
            Case.status.in_(OPEN_STATUSES),
            or_(
                Case.organization_id == current_user.organization_id, Case.registered_by_id == current_user.id
            ),
        )

    def get_query(self) -> Any:
        return super().get_query().filter(self._mine())

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(self._mine())
