"""交办督办: the items handed out by meetings, with their 红/黄/蓝 warnings, the item's page with its
督办 history, and the steps of either side (`services.assignments`)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from sqlalchemy.orm import joinedload

from portal.admin.base import OrgSubtreeFilter, SecureModelView, enum_filter, link, local_time, org_path_text
from portal.admin.ledger.columns import rules
from portal.admin.screening.common import actor, can_audit, colour_badge, seen_version, step_page
from portal.admin.screening.forms import CompleteForm, ExtendForm, NoteForm
from portal.extensions import db
from portal.models.meeting import Assignment, AssignmentEventKind, AssignmentStatus
from portal.services import assignments
from portal.services.deadlines import Colour, local_today
from portal.services.scope import can_reach_org

K = AssignmentEventKind
LABELS = {
    "colour": "预警",
    "number": "交办文号",
    "content": "交办内容",
    "organization": "承办单位",
    "org_path": "承办单位",
    "assigning_organization": "交办单位",
    "owner_person": "责任人",
    "assigned_on": "交办日期",
    "deadline": "办理期限",
    "status": "状态",
    "reminders": "催办次数",
    "escalated_on": "挂牌督办日期",
    "last_progress_on": "最近报告进展",
    "completed_on": "办结日期",
    "result": "办理结果",
    "cancel_reason": "撤销原因",
    "decision": "议定事项",
    "meeting": "会议",
    "case": "相关案件",
    "created_by": "交办人",
    "warnings": "预警原因",
    "year": "年度",
    "seq": "序号",
}
NOTE_STEPS = {
    K.PROGRESS: ("进展情况", "已报告进展"),
    K.REMIND: ("催办要求", "已催办"),
    K.ESCALATE: ("督办要求", "已挂牌督办"),
    K.CANCEL: ("撤销原因", "交办事项已撤销"),
}


class ColourFilter(filters.BaseSQLAFilter):
    """预警颜色 of open items (today)."""

    def __init__(self) -> None:
        super().__init__(Assignment.deadline, "预警", options=[(c.value, c.label) for c in Colour])

    def validate(self, value: Any) -> bool:
        return value in {c.value for c in Colour}

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(assignments.colour_clause(value, local_today(), rules()))

    def operation(self) -> str:
        return "为"


class EscalatedFilter(filters.BaseSQLAFilter):
    """Items under 挂牌督办, or not."""

    def __init__(self) -> None:
        super().__init__(Assignment.escalated_on, "挂牌督办", options=(("1", "是"), ("0", "否")))

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        column = Assignment.escalated_on
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self) -> str:
        return "为"


class AssignmentView(SecureModelView):
    """交办事项 the user's subtree assigned or carries out."""

    write_roles = assignments.WRITERS
    details_template = "admin/screening/assignment_details.html"
    column_list = (
        "colour",
        "number",
        "content",
        "organization",
        "owner_person",
        "assigned_on",
        "deadline",
        "status",
        "reminders",
    )
    column_export_list = (
        "number",
        "meeting",
        "decision",
        "content",
        "assigning_organization",
        "org_path",
        "owner_person",
        "case",
        "assigned_on",
        "deadline",
        "status",
        "warnings",
        "reminders",
        "escalated_on",
        "last_progress_on",
        "completed_on",
        "result",
        "cancel_reason",
    )
    column_labels = LABELS
    column_searchable_list = ("number", "content", "owner_person", "result")
    column_sortable_list = ("assigned_on", "deadline", "status", "number")
    column_default_sort = [("deadline", False), ("id", False)]
    column_filters = (
        enum_filter(Assignment.status, "状态", AssignmentStatus),
        ColourFilter(),
        OrgSubtreeFilter(Assignment.organization_id, "承办单位（含下级）"),
        OrgSubtreeFilter(Assignment.assigning_organization_id, "交办单位（含下级）"),
        filters.DateBetweenFilter(Assignment.deadline, "办理期限"),
        filters.DateBetweenFilter(Assignment.assigned_on, "交办日期"),
        EscalatedFilter(),
    )
    column_formatters = {
        "colour": lambda v, c, m, n: colour_badge(assignments.assess(m, local_today(), rules())),
        "number": lambda v, c, m, n: link(v.get_url(".details_view", id=m.id), m.number),
        "content": lambda v, c, m, n: (m.content or "")[:40] + ("…" if len(m.content or "") > 40 else ""),
        "organization": lambda v, c, m, n: m.organization.name,
    }
    column_formatters_export = {
        "meeting": lambda v, c, m, n: str(m.decision.meeting),
        "decision": lambda v, c, m, n: m.decision.content,
        "assigning_organization": lambda v, c, m, n: m.assigning_organization.name,
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "case": lambda v, c, m, n: m.case.number if m.case else "",
        "warnings": lambda v, c, m, n: "；".join(assignments.assess(m, local_today(), rules()).reasons),
    }

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        # Items are handed out from a meeting's decision (研判会议 → 交办).
        return False

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # Changes are 督办 steps, each in the item's history.
        return False

    def scope_clause(self) -> Any:
        return assignments.visible_clause(actor())

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(joinedload(Assignment.organization), joinedload(Assignment.assigning_organization))
        )

    def assignment_page(self, item: Assignment) -> dict[str, Any]:
        """Return what the item's page shows besides the item."""
        who = actor()
        meeting = item.decision.meeting
        steps = assignments.available_steps(item, who) if self._holds(self.write_roles) else []
        return {
            "assessment": assignments.assess(item, local_today(), rules()),
            "steps": steps,
            "Kind": K,
            "meeting": meeting,
            "meeting_url": (
                url_for("meetings.details_view", id=meeting.id)
                if can_reach_org(who, meeting.organization)
                else None
            ),
            "case_url": (
                url_for("cases.details_view", id=item.case.id)
                if item.case is not None and can_reach_org(who, item.case.organization)
                else None
            ),
            "local_time": local_time,
            "can_audit": can_audit(),
        }

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """Take one 督办 step (报告进展, 办结, 催办, 挂牌督办, 延期, 撤销交办)."""
        try:
            step = AssignmentEventKind(kind)
        except ValueError:
            abort(404)
        if step not in assignments.STEPS:
            abort(404)
        item = self.get_one(request.args.get("id"))
        if not self._holds(self.write_roles):
            abort(403)
        back = self.get_url(".details_view", id=item.id)
        if reason := assignments.refusal(item, actor(), step):
            flash(reason, "error")
            return redirect(back)
        who, today = actor(), local_today()
        form: Any
        if step == K.EXTEND:
            form = ExtendForm()
        elif step == K.COMPLETE:
            form = CompleteForm()
            if not form.is_submitted():
                form.completed_on.data = today
        else:
            form = NoteForm()
            form.note.label.text = NOTE_STEPS[step][0]

        def action() -> Any:
            data = {
                name: form[name].data
                for name in ("note", "deadline", "result", "completed_on")
                if name in form
            }
            return assignments.take_step(
                db.session, item, who, step, today=today, expected_version=seen_version(form), **data
            )

        success = NOTE_STEPS[step][1] if step in NOTE_STEPS else f"已办理「{step.label}」"
        return step_page(
            self,
            form,
            action,
            title=step.label,
            subject=str(item),
            back=back,
            success=f"{success}：{item.number}",
            version=item.version,
        )
