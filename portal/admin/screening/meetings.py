"""研判会议: the list, the minutes form, the meeting's page with its decisions and the items handed out,
and the steps (添加议定事项, 交办, 撤销议定事项, 作废纪要)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_admin.model.helpers import get_mdict_item_or_list
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import TextAreaField, validators

from portal.admin.base import OrgSubtreeFilter, SecureModelView, enum_filter, link, org_path_text
from portal.admin.guards import int_arg
from portal.admin.ledger.columns import rules
from portal.admin.screening.common import actor, can_audit, colour_badge, seen_version, step_page
from portal.admin.screening.forms import AssignForm, DecisionForm, ReasonForm
from portal.extensions import db
from portal.models.auth import User
from portal.models.meeting import Meeting, MeetingDecision, MeetingKind
from portal.models.org import Organization, OrgStatus
from portal.models.people import Expert, Mediator, MediatorStatus
from portal.services import assignments, meetings
from portal.services.deadlines import local_today
from portal.services.scope import can_reach_org, org_in_scope, org_in_scope_or_above
from portal.validators import PastDate

LABELS = {
    "title": "会议名称",
    "kind": "会议类型",
    "organization": "召开单位",
    "org_path": "召开单位",
    "held_on": "会议日期",
    "place": "会议地点",
    "host": "主持人",
    "recorder": "记录人",
    "attendee_organizations": "参会单位",
    "attendee_users": "参会人员（工作人员）",
    "attendee_mediators": "参会人员（调解员）",
    "attendee_experts": "参会专家",
    "external_attendees": "其他参会人员",
    "attendees": "参会人员",
    "content": "会议内容",
    "cases": "研判案件",
    "case_numbers": "研判案件编号",
    "decisions": "议定事项",
    "assignments": "交办事项",
    "created_by": "记录人账户",
    "voided_on": "作废日期",
    "void_reason": "作废原因",
}


class MeetingView(SecureModelView):
    """研判会议 of the user's subtree."""

    write_roles = meetings.WRITERS
    details_template = "admin/screening/meeting_details.html"
    column_list = ("held_on", "title", "kind", "organization", "host", "decisions", "assignments")
    column_export_list = (
        "held_on",
        "title",
        "kind",
        "org_path",
        "place",
        "host",
        "recorder",
        "attendees",
        "content",
        "cases",
        "decisions",
        "assignments",
        "voided_on",
        "void_reason",
    )
    column_labels = LABELS
    column_searchable_list = ("title", "content", "host", "external_attendees")
    column_sortable_list = ("held_on", "kind")
    column_default_sort = [("held_on", True), ("id", True)]
    column_filters = (
        enum_filter(Meeting.kind, "会议类型", MeetingKind),
        OrgSubtreeFilter(Meeting.organization_id, "召开单位（含下级）"),
        filters.DateBetweenFilter(Meeting.held_on, "会议日期"),
    )
    column_formatters = {
        "held_on": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), f"{m.held_on:%Y-%m-%d}"),
        "title": lambda v, c, m, n: link(
            v.get_url(".details_view", id=m.id), m.title + ("（已作废）" if m.is_void else "")
        ),
        "organization": lambda v, c, m, n: m.organization.name,
        "decisions": lambda v, c, m, n: len(meetings.open_decisions(m)),
        "assignments": lambda v, c, m, n: sum(len(d.assignments) for d in m.decisions),
    }
    column_formatters_export = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "attendees": lambda v, c, m, n: m.attendee_names,
        "cases": lambda v, c, m, n: "、".join(case.number for case in m.cases),
        "decisions": lambda v, c, m, n: "；".join(
            f"{d.seq}. {d.content}" for d in meetings.open_decisions(m)
        ),
        "assignments": lambda v, c, m, n: "；".join(
            f"{a.number}（{a.organization.name}，{a.status.label}）"
            for d in m.decisions
            for a in d.assignments
        ),
    }
    form_columns = (
        "organization",
        "kind",
        "title",
        "held_on",
        "place",
        "host",
        "recorder",
        "attendee_organizations",
        "attendee_users",
        "attendee_mediators",
        "attendee_experts",
        "external_attendees",
        "content",
        "case_numbers",
        "decision_lines",
    )
    form_extra_fields = {
        "case_numbers": TextAreaField(
            "研判案件编号",
            validators=[validators.Optional(), validators.Length(max=5000)],
            description="每行一个案件编号，如（2026）MJ人调字第3号",
        ),
        "decision_lines": TextAreaField(
            "议定事项",
            validators=[validators.Optional(), validators.Length(max=20000)],
            description="每行一项；保存后可在会议页面逐项交办",
            render_kw={"rows": 4},
        ),
    }
    form_args = {
        "organization": {
            "label": "召开单位",
            "validators": [validators.InputRequired(message="请选择召开单位")],
        },
        "kind": {"validators": [validators.InputRequired(message="请选择会议类型")]},
        "title": {
            "validators": [validators.Optional(), validators.Length(max=200)],
            "description": "留空则按单位、月份和会议类型命名",
        },
        "held_on": {
            "validators": [validators.InputRequired(message="请填写会议日期"), PastDate()],
            "default": local_today,
        },
        "place": {
            "validators": [validators.InputRequired(message="请填写会议地点"), validators.Length(max=200)]
        },
        "host": {"validators": [validators.InputRequired(message="请填写主持人"), validators.Length(max=50)]},
        "recorder": {"validators": [validators.Optional(), validators.Length(max=50)]},
        "external_attendees": {
            "validators": [validators.Optional(), validators.Length(max=2000)],
            "description": "公安、信访、法院等单位人员，写明单位和姓名",
        },
        "content": {
            "validators": [validators.InputRequired(message="请填写会议内容"), validators.Length(max=20000)],
            "description": "通报的排查情况和研判意见",
        },
        "attendee_organizations": {"label": "参会单位"},
        "attendee_users": {"label": "参会人员（工作人员）"},
        "attendee_mediators": {"label": "参会人员（调解员）"},
        "attendee_experts": {"label": "参会专家"},
    }
    form_widget_args = {"content": {"rows": 6}, "external_attendees": {"rows": 2}}

    def get_query(self) -> Any:
        return super().get_query().options(joinedload(Meeting.organization))

    # --- the form --------------------------------------------------------------------------------

    def _above_or_within(self, model: Any, column: Any, *where: Any) -> Any:
        query = select(model).where(org_in_scope_or_above(actor(), column), *where)
        return lambda: list(db.session.scalars(query))

    def _limit_org_fields(self, form: Any) -> Any:
        form = super()._limit_org_fields(form)
        fields = {
            "attendee_organizations": self._above_or_within(
                Organization, Organization.id, Organization.status != OrgStatus.REVOKED
            ),
            "attendee_users": self._above_or_within(User, User.organization_id, User.active),
            "attendee_experts": self._above_or_within(Expert, Expert.organization_id),
            "attendee_mediators": lambda: list(
                db.session.scalars(
                    select(Mediator).where(
                        Mediator.status == MediatorStatus.ACTIVE,
                        org_in_scope(actor(), Mediator.organization_id),
                    )
                )
            ),
        }
        for name, factory in fields.items():
            if name in form:
                form[name].query_factory = factory
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        del form["organization"]
        form.decision_lines.label.text = "新增议定事项"
        if request.method == "GET" and obj is not None:
            form.case_numbers.data = "\n".join(case.number for case in obj.cases)
        return form

    def on_model_change(self, form: Any, model: Meeting, is_created: bool) -> None:
        meetings.prepare_meeting(
            db.session,
            model,
            actor(),
            today=local_today(),
            case_numbers=form.case_numbers.data or "",
            decisions=form.decision_lines.data,
        )

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Correct minutes, unless they were voided."""
        meeting_id = get_mdict_item_or_list(request.args, "id")
        if meeting_id is not None and (meeting := self.get_one(meeting_id)).is_void:
            flash("会议纪要已作废，不能修改", "error")
            return redirect(self.get_url(".details_view", id=meeting.id))
        return super().edit_view()

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the meeting's page and its steps --------------------------------------------------------

    def meeting_page(self, meeting: Meeting) -> dict[str, Any]:
        """Return what the meeting's page shows besides the minutes."""
        who, today = actor(), local_today()
        writable = self._holds(self.write_roles) and not meeting.is_void
        return {
            "can_write": writable,
            "can_audit": can_audit(),
            "today": today,
            "badge": lambda item: colour_badge(assignments.assess(item, today, rules())),
            "case_link": lambda case: (
                url_for("cases.details_view", id=case.id) if can_reach_org(who, case.organization) else None
            ),
            "item_url": lambda item: url_for("assignments.details_view", id=item.id),
            "org_path_text": org_path_text,
        }

    def _decision(self, meeting: Meeting) -> MeetingDecision:
        found = db.session.get(MeetingDecision, int_arg("decision") or 0)
        if found is None or found.meeting_id != meeting.id or found.withdrawn_on is not None:
            abort(404)
        return found

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """添加议定事项, 交办 or 撤销 a decision, 作废 the minutes."""
        if kind not in ("decide", "assign", "withdraw", "void"):
            abort(404)
        meeting = self.get_one(request.args.get("id"))
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=meeting.id)
        who, today = actor(), local_today()
        if kind == "decide":
            form = DecisionForm()
            form.case.query_factory = lambda: meeting.cases
            return step_page(
                self,
                form,
                lambda: meetings.add_decision(
                    db.session,
                    meeting,
                    who,
                    content=form.content.data,
                    case=form.case.data,
                    expected_version=seen_version(form),
                ),
                title="添加议定事项",
                subject=str(meeting),
                back=back,
                success="已添加议定事项",
                version=meeting.version,
            )
        if kind == "void":
            form = ReasonForm()
            return step_page(
                self,
                form,
                lambda: meetings.void_meeting(
                    db.session,
                    meeting,
                    who,
                    reason=form.reason.data,
                    today=today,
                    expected_version=seen_version(form),
                ),
                title="作废会议纪要",
                subject=str(meeting),
                back=back,
                success=f"会议纪要已作废：{meeting}",
                hint="纪要作废后不再计入会议统计；会议交办的事项须已办结或撤销。",
                version=meeting.version,
            )
        decision = self._decision(meeting)
        if kind == "withdraw":
            form = ReasonForm()
            return step_page(
                self,
                form,
                lambda: meetings.withdraw_decision(
                    db.session, decision, who, reason=form.reason.data, today=today
                ),
                title="撤销议定事项",
                subject=str(decision),
                back=back,
                success=f"已撤销：{decision}",
            )
        form = AssignForm()
        form.organization.query_factory = lambda: list(
            db.session.scalars(
                select(Organization)
                .where(
                    Organization.path.startswith(meeting.organization.path, autoescape=True),
                    Organization.status != OrgStatus.REVOKED,
                )
                .order_by(Organization.path)
            )
        )
        return step_page(
            self,
            form,
            lambda: assignments.assign(
                db.session,
                decision,
                who,
                organization=form.organization.data,
                owner_person=form.owner_person.data,
                content=form.content.data,
                deadline=form.deadline.data,
                today=today,
            ),
            title="交办",
            subject=str(decision),
            back=back,
            success="已交办，承办单位可在“交办督办”中查看和办理",
            hint="交办后生成交办文号；承办单位报告进展、办结，交办单位可催办、挂牌督办、延期或撤销。",
        )
