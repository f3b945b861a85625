"""The case page's 听证, 领导包案 and 三调联动 (services/case_extras.py): forms, voiding, and the ledger's
包案领导 column.

Mixed into the ledger's case view, so every route reads the case through the view's scoped query (a case
outside the user's subtree, or a record of another case, answers 404) and answers a role that may not
write with 403. A step the case's status or the user's scope does not allow is refused with the
workflow's reason. New records check the version of the case the user saw; feedback, notes, ending and
voiding check the record's own version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import InputRequired

from portal import clock
from portal.admin.base import attempt
from portal.admin.guards import int_arg
from portal.admin.ledger import extra_forms as f
from portal.extensions import db
from portal.models.auth import User
from portal.models.case import Case, CaseEventKind
from portal.models.case_extras import (
    Hearing,
    HearingOutcome,
    LeaderCharge,
    LeaderLevel,
    LeaderNote,
    LeaderNoteKind,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
)
from portal.models.org import Organization
from portal.models.people import Expert, ExpertStatus
from portal.services import DomainError, case_extras, workflow
from portal.services.deadlines import local_today
from portal.services.scope import org_in_scope_or_above
from portal.validators import PastDate

K = CaseEventKind
#: What each record's page says before the user confirms.
HINTS = {
    K.HEARING: "听证记录保存后记入流转记录，不能修改；记录有误的，作废后重新登记。",
    K.LEADER: "包案领导对案件化解负总责，案件结案归档时包案自动结束。",
    K.LIAISON_OUT: "移出后案件仍在本台账，由本组织跟踪对方办理结果并登记反馈。",
    K.LIAISON_IN: "登记从法院、公安派出所或信访部门移入的案件的来文信息，办结后向对方反馈。",
    K.RECORD_VOID: "作废后记录仍保留在案件中（注明作废），不再计入统计，操作记入审计日志，不可撤销。",
}
RECORDS: dict[str, tuple[type, str]] = {
    "hearing": (Hearing, "hearings"),
    "leader": (LeaderCharge, "leader_charges"),
    "liaison": (Liaison, "liaisons"),
}


def _version(form: Any) -> int | None:
    try:
        return int(form.lock_version.data)
    except (TypeError, ValueError):
        return None


class CaseExtrasMixin:
    """Routes of the records kept beside the workflow, on the ledger's case view."""

    # --- helpers ---------------------------------------------------------------------------------

    def _extra_case(self, kind: CaseEventKind) -> tuple[Case, str, Any]:
        """Return the case of `?id=` (404 outside the scope), where to go back, and a refusal response."""
        case = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        back = self.get_url(".details_view", id=case.id)  # type: ignore[attr-defined]
        if not self._holds(self.write_roles):  # type: ignore[attr-defined]
            abort(403)
        if reason := workflow.refusal(case, current_user, kind):
            flash(reason, "error")
            return case, back, redirect(back)
        return case, back, None

    @staticmethod
    def _record_of(case: Case, kind: str, arg: str) -> Any:
        """Return the case's record named by the query argument `arg`, else 404."""
        if kind not in RECORDS:
            abort(404)
        record_id = int_arg(arg)
        record = next((r for r in getattr(case, RECORDS[kind][1]) if r.id == record_id), None)
        if record is None:
            abort(404)
        return record

    def _extra_page(
        self,
        case: Case,
        back: str,
        form: Any,
        title: str,
        save: Callable[[], Any],
        done: str,
        hint: str | None = None,
        danger: bool = False,
    ) -> Any:
        if form.validate_on_submit() and attempt(form, save):
            flash(done, "success")
            return redirect(back)
        return self.render(  # type: ignore[attr-defined]
            "admin/cases/extra_form.html",
            case=case,
            form=form,
            title=title,
            hint=hint,
            danger=danger,
            return_url=back,
        )

    @staticmethod
    def _invitable_experts() -> list[Expert]:
        """Return the experts in the pools of the user's subtree and of the organisations above it."""
        query = (
            select(Expert)
            .where(
                Expert.status == ExpertStatus.ACTIVE,
                org_in_scope_or_above(current_user, Expert.organization_id),
            )
            .order_by(Expert.name)
        )
        return list(db.session.scalars(query))

    @staticmethod
    def _leader_choices() -> list[User]:
        """Return the active users of the user's subtree and of the organisations above it."""
        query = (
            select(User)
            .join(Organization, Organization.id == User.organization_id)
            .where(User.active, org_in_scope_or_above(current_user, User.organization_id))
            .order_by(Organization.path, User.full_name)
        )
        return list(db.session.scalars(query))

    # --- 听证 --------------------------------------------------------------------------------------

    @expose("/hearing/", methods=("GET", "POST"))
    def hearing(self) -> Any:
        """Record a 听证 held on the case."""
        case, back, refused = self._extra_case(K.HEARING)
        if refused:
            return refused
        form = f.HearingForm()
        form.mediators.query_factory = self.scoped_mediators  # type: ignore[attr-defined]
        form.experts.query_factory = self._invitable_experts
        if not form.is_submitted():
            form.lock_version.data = case.version
            form.place.data = f"{case.organization.name}调解室"
            form.parties_present.data = "、".join(p.name for p in case.parties)
            form.mediators.data = list(case.mediators)
            form.experts.data = list(case.experts)
            form.recorder.data = current_user.full_name

        def save() -> None:
            for name, what in (("mediators", "调解员"), ("experts", "专家")):
                # An id the choices do not hold (another township's, a made-up one) is dropped by the
                # field; say so instead of saving the hearing without it.
                if len(set(request.form.getlist(name))) != len(form[name].data or []):
                    raise DomainError(f"所选{what}不在您可选择的范围内", name)
            hearing = Hearing(
                held_at=clock.from_wall(form.held_at.data),
                place=form.place.data,
                presiding=form.presiding.data,
                parties_present=form.parties_present.data,
                representatives=form.representatives.data,
                questions=form.questions.data,
                outcome=HearingOutcome(form.outcome.data),
                summary=form.summary.data,
                recorder=form.recorder.data,
                mediators=list(form.mediators.data or []),
                experts=list(form.experts.data or []),
            )
            case_extras.record_hearing(
                db.session,
                case,
                current_user._get_current_object(),
                hearing,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(
            case, back, form, "登记听证", save, f"已登记听证：{case.number}", HINTS[K.HEARING]
        )

    # --- 领导包案 ----------------------------------------------------------------------------------

    @expose("/leader/", methods=("GET", "POST"))
    def leader(self) -> Any:
        """A leader takes personal charge of the case (领导包案)."""
        case, back, refused = self._extra_case(K.LEADER)
        if refused:
            return refused
        form = f.LeaderForm()
        form.leader.query_factory = self._leader_choices
        form.leader.get_label = lambda u: f"{u.full_name}（{u.organization.name}）"
        if not form.is_submitted():
            form.lock_version.data = case.version
            form.started_on.data = local_today()
            form.level.data = LeaderLevel.TOWNSHIP.value

        def save() -> None:
            charge = LeaderCharge(
                leader=form.leader.data,
                leader_name=(form.leader_name.data or "").strip()
                or (form.leader.data.full_name if form.leader.data else ""),
                leader_post=form.leader_post.data,
                level=LeaderLevel(form.level.data),
                started_on=form.started_on.data,
                instructions=form.instructions.data,
            )
            case_extras.take_charge(
                db.session,
                case,
                current_user._get_current_object(),
                charge,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(
            case, back, form, "领导包案", save, f"已登记领导包案：{case.number}", HINTS[K.LEADER]
        )

    @expose("/leader/note/", methods=("GET", "POST"))
    def leader_note(self) -> Any:
        """Record a 批示 of the leader, or progress reported to the leader."""
        case, back, refused = self._extra_case(K.LEADER_NOTE)
        if refused:
            return refused
        charge = self._record_of(case, "leader", "charge")
        form = f.LeaderNoteForm()
        if not form.is_submitted():
            form.lock_version.data = charge.version
            form.noted_on.data = local_today()
            form.kind.data = LeaderNoteKind.PROGRESS.value

        def save() -> None:
            note = LeaderNote(
                kind=LeaderNoteKind(form.kind.data), noted_on=form.noted_on.data, content=form.content.data
            )
            case_extras.add_note(
                db.session,
                case,
                current_user._get_current_object(),
                charge,
                note,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(case, back, form, f"包案批示及进展：{charge}", save, "已登记包案批示/进展")

    @expose("/leader/end/", methods=("GET", "POST"))
    def leader_end(self) -> Any:
        """End a 领导包案 before the case closes."""
        case, back, refused = self._extra_case(K.LEADER_END)
        if refused:
            return refused
        charge = self._record_of(case, "leader", "charge")
        form = f.LeaderEndForm()
        if not form.is_submitted():
            form.lock_version.data = charge.version
            form.ended_on.data = local_today()

        def save() -> None:
            case_extras.end_charge(
                db.session,
                case,
                current_user._get_current_object(),
                charge,
                ended_on=form.ended_on.data,
                note=form.note.data,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(case, back, form, f"结束包案：{charge}", save, "已结束包案")

    # --- 三调联动 ----------------------------------------------------------------------------------

    @expose("/liaison/<direction>/", methods=("GET", "POST"))
    def liaison(self, direction: str) -> Any:
        """移出 (refer the case to the court, police or petition office) or 移入 (where it came from)."""
        try:
            way = LiaisonDirection(direction)
        except ValueError:
            abort(404)
        kind = K.LIAISON_OUT if way == LiaisonDirection.OUT else K.LIAISON_IN
        case, back, refused = self._extra_case(kind)
        if refused:
            return refused
        form = f.LiaisonForm()
        if way == LiaisonDirection.OUT:
            form.sent_on.validators = [InputRequired("请填写移送日期"), PastDate()]
            del form["received_on"]
        else:
            form.received_on.label.text = "本单位接收日期"
            form.sent_on.label.text = "对方移送日期"
            form.received_on.validators = [InputRequired("请填写接收日期"), PastDate()]
        if not form.is_submitted():
            form.lock_version.data = case.version
            if way == LiaisonDirection.OUT:
                form.sent_on.data = local_today()
            else:
                form.received_on.data = case.accepted_on
                channel = next(
                    (c for c, s in case_extras.SOURCE_OF_CHANNEL.items() if s == case.source), None
                )
                form.channel.data = channel.value if channel else ""

        def save() -> None:
            liaison = Liaison(
                channel=LiaisonChannel(form.channel.data),
                direction=way,
                partner=form.partner.data,
                partner_contact=form.partner_contact.data,
                partner_reference=form.partner_reference.data,
                reason=form.reason.data,
                sent_on=form.sent_on.data,
                received_on=form.received_on.data if "received_on" in form else None,
            )
            case_extras.open_liaison(
                db.session,
                case,
                current_user._get_current_object(),
                liaison,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(
            case, back, form, kind.label, save, f"已登记{kind.label}：{case.number}", HINTS[kind]
        )

    @expose("/liaison/feedback/", methods=("GET", "POST"))
    def liaison_feedback(self) -> Any:
        """对接反馈: what came of a referral."""
        case, back, refused = self._extra_case(K.LIAISON_FEEDBACK)
        if refused:
            return refused
        liaison = self._record_of(case, "liaison", "liaison")
        form = f.LiaisonFeedbackForm()
        if liaison.direction == LiaisonDirection.IN:
            del form["received_on"]
        if not form.is_submitted():
            form.lock_version.data = liaison.version
            form.feedback_on.data = local_today()
            form.partner_reference.data = liaison.partner_reference
            if "received_on" in form:
                form.received_on.data = liaison.received_on

        def save() -> None:
            case_extras.record_feedback(
                db.session,
                case,
                current_user._get_current_object(),
                liaison,
                feedback_on=form.feedback_on.data,
                outcome=LiaisonOutcome(form.outcome.data),
                feedback=form.feedback.data,
                partner_reference=form.partner_reference.data,
                received_on=form.received_on.data if "received_on" in form else None,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(
            case, back, form, f"对接反馈：{liaison}（{liaison.partner}）", save, "已登记对接反馈"
        )

    # --- voiding -----------------------------------------------------------------------------------

    @expose("/record/void/<kind>/", methods=("GET", "POST"))
    def void_record(self, kind: str) -> Any:
        """作废 a hearing, 包案 or 三调联动 record entered in error (it stays on the case, marked void)."""
        if kind not in RECORDS:
            abort(404)
        case, back, refused = self._extra_case(K.RECORD_VOID)
        if refused:
            return refused
        record = self._record_of(case, kind, "record")
        form = f.VoidRecordForm()
        if not form.is_submitted():
            form.lock_version.data = record.version

        def save() -> None:
            case_extras.void_record(
                db.session,
                case,
                current_user._get_current_object(),
                record,
                reason=form.reason.data,
                today=local_today(),
                expected_version=_version(form),
            )

        return self._extra_page(
            case,
            back,
            form,
            f"作废记录：{record}",
            save,
            f"已作废：{record}",
            HINTS[K.RECORD_VOID],
            danger=True,
        )

    # --- the ledger's 包案领导 column ---------------------------------------------------------------

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, data = super().get_list(*args, **kwargs)  # type: ignore[misc]
        g.case_leaders = case_extras.active_leaders(db.session, [case.id for case in data])
        return count, data

    @staticmethod
    def leaders_of(case: Case) -> str:
        """Return the leaders in charge of a listed case now (read once per page by `get_list`)."""
        found = g.get("case_leaders")
        if found is None:
            found = g.case_leaders = case_extras.active_leaders(db.session, [case.id])
        return found.get(case.id, "")

    def extras_page(self, case: Case) -> dict[str, Any]:
        """Return what the case page's 听证/包案/三调联动 cards need: which buttons to show."""
        steps = workflow.available_steps(case, current_user) if self._holds(self.write_roles) else []  # type: ignore[attr-defined]
        return {"steps": steps, "Kind": K, "Direction": LiaisonDirection}
