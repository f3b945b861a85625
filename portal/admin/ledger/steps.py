"""Glue between the step forms and `services.cases`: which form each step shows and what it calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import flash, redirect
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.admin.base import STALE_MESSAGE, attempt
from portal.admin.ledger import forms as f
from portal.extensions import db
from portal.models.case import (
    Agreement,
    AgreementForm,
    Case,
    CaseEventKind,
    Evaluation,
    FollowUp,
    FollowUpMethod,
    MediationSession,
    PartyRole,
    Performance,
    RemainingRisk,
    SessionResult,
)
from portal.models.org import Organization, OrgStatus
from portal.services import case_records, cases
from portal.services.deadlines import DeadlineRules

K = CaseEventKind

STEP_FORMS: dict[CaseEventKind, type[f.StepForm]] = {
    K.ASSIGN: f.AssignForm,
    K.START: f.NoteForm,
    K.SESSION: f.SessionForm,
    K.SETTLE: f.SettleForm,
    K.FAIL: f.ReasonForm,
    K.REFER: f.ReferForm,
    K.FOLLOW_UP: f.FollowUpForm,
    K.ARCHIVE: f.NoteForm,
    K.ESCALATE: f.MoveForm,
    K.TRANSFER: f.MoveForm,
    K.SUPERVISE: f.SuperviseForm,
    K.PETITION: f.PetitionForm,
    K.SUSPEND: f.ReasonForm,
    K.RESUME: f.NoteForm,
    K.EXTEND: f.ExtendForm,
    K.VOID: f.ReasonForm,
}

#: What the step page says before the user confirms.
STEP_HINTS = {
    K.ASSIGN: "交办后案件进入「分流交办」状态，由承办组织和调解员负责调解。",
    K.START: "确认开始调解后，可填写调解记录。",
    K.SETTLE: "登记调解协议后案件进入「调解成功」状态，之后应进行回访。",
    K.FAIL: "调解不成的案件须引导当事人通过诉讼、仲裁或行政途径解决，并制定稳控方案。",
    K.ARCHIVE: "结案归档后案件不能再修改，请确认调解记录、协议和回访材料齐全。",
    K.ESCALATE: "提级后案件由上级调解组织重新受理分流，本组织可能无法再查看该案件。",
    K.TRANSFER: "移交后案件由接收组织重新分流办理，本组织可能无法再查看该案件。",
    K.SUPERVISE: "督办期限届满仍未结案的，案件在台账中标红。",
    K.PETITION: "登记后计入考评的“越级上访”指标，并可据此发起责任倒查。",
    K.SUSPEND: "中止期间不计入办结时限，恢复调解时自动顺延。",
    K.EXTEND: "延期一般应经双方当事人同意，延期理由将记入流转记录。",
    K.VOID: "作废仅用于错误登记的案件。作废后案件编号保留、不再计入统计，操作记入审计日志，不可撤销。",
}


def _active_orgs() -> list[Organization]:
    query = select(Organization).where(Organization.status != OrgStatus.REVOKED).order_by(Organization.path)
    return list(db.session.scalars(query))


def step_form(view: Any, step: CaseEventKind, case: Case) -> f.StepForm:
    """Build the form of a step for this case, with choices limited to what the user may pick."""
    form_class = STEP_FORMS[step]
    form = form_class()
    if step == K.ASSIGN:
        form.organization.query_factory = view.scoped_org_choices
        form.mediators.query_factory = view.scoped_mediators
        if not form.is_submitted():
            form.organization.data = case.organization
            form.responsible_person.data = case.responsible_person
            form.lead_leader.data = case.lead_leader
            form.responsible_unit.data = case.responsible_unit or case.organization.name
            form.deadline.data = case.deadline
            form.measures.data = case.measures
    elif step == K.ESCALATE:
        form.organization.query_factory = lambda: cases.organizations_above(case, _active_orgs())
    elif step == K.TRANSFER:
        form.organization.query_factory = lambda: [o for o in _active_orgs() if o.id != case.organization_id]
    elif step == K.SESSION:
        form.mediators.query_factory = view.scoped_mediators
        if not form.is_submitted():
            form.mediators.data = list(case.mediators)
            form.place.data = f"{case.organization.name}调解室"
            form.recorder.data = current_user.full_name
            form.participants.data = "、".join(p.name for p in case.parties)
    elif step == K.SETTLE and not form.is_submitted():
        form.amount.data = case.amount
        form.signed_on.data = clock.today()
    elif step == K.FOLLOW_UP and not form.is_submitted():
        form.visitor.data = current_user.full_name
        applicants = case.parties_in(PartyRole.APPLICANT) or case.parties
        form.person_visited.data = applicants[0].name if applicants else ""
        form.visited_on.data = clock.today()
    if not form.is_submitted():
        form.lock_version.data = case.version
    return form


def _version(form: f.StepForm) -> int | None:
    try:
        return int(form.lock_version.data)
    except (TypeError, ValueError):
        return None


def run_step(
    view: Any, step: CaseEventKind, case: Case, form: Any, *, today: date, rules: DeadlineRules
) -> None:
    """Call the service for the step with the form's data."""
    common = {"today": today, "expected_version": _version(form)}
    session, actor = db.session, current_user._get_current_object()
    handlers: dict[CaseEventKind, Callable[[], Any]] = {
        K.ASSIGN: lambda: cases.assign(
            session,
            case,
            actor,
            organization=form.organization.data,
            mediators=form.mediators.data,
            responsible_person=form.responsible_person.data,
            responsible_unit=form.responsible_unit.data,
            deadline=form.deadline.data,
            measures=form.measures.data,
            lead_leader=form.lead_leader.data,
            note=form.note.data,
            rules=rules,
            **common,
        ),
        K.START: lambda: cases.start(session, case, actor, note=form.note.data, **common),
        K.SESSION: lambda: case_records.record_session(
            session,
            case,
            actor,
            MediationSession(
                held_at=clock.from_wall(form.held_at.data),
                place=form.place.data,
                mediators=form.mediators.data,
                participants=form.participants.data,
                content=form.content.data,
                result=SessionResult(form.result.data),
                recorder=form.recorder.data,
            ),
            **common,
        ),
        K.SETTLE: lambda: case_records.settle(
            session,
            case,
            actor,
            Agreement(
                form=AgreementForm(form.form.data),
                signed_on=form.signed_on.data,
                terms=form.terms.data,
                amount=form.amount.data,
                performance_manner=form.performance_manner.data or None,
                performance_deadline=form.performance_deadline.data,
                performed=form.performed.data,
            ),
            **common,
        ),
        K.FAIL: lambda: cases.fail(session, case, actor, reason=form.reason.data, **common),
        K.REFER: lambda: cases.refer(
            session,
            case,
            actor,
            route=form.route.data,
            stability_plan=form.stability_plan.data,
            note=form.note.data,
            **common,
        ),
        K.FOLLOW_UP: lambda: case_records.follow_up(
            session,
            case,
            actor,
            FollowUp(
                visited_on=form.visited_on.data,
                method=FollowUpMethod(form.method.data),
                visitor=form.visitor.data,
                person_visited=form.person_visited.data,
                performance=Performance(form.performance.data),
                satisfaction=form.satisfaction.data,
                remaining_risk=RemainingRisk(form.remaining_risk.data),
                notes=form.notes.data or None,
                evaluation=Evaluation(form.evaluation.data),
                evaluation_comment=(form.evaluation_comment.data or "").strip() or None,
            ),
            **common,
        ),
        K.ARCHIVE: lambda: cases.archive(session, case, actor, note=form.note.data, **common),
        K.ESCALATE: lambda: cases.escalate(
            session, case, actor, to_org=form.organization.data, reason=form.reason.data, **common
        ),
        K.TRANSFER: lambda: cases.transfer(
            session, case, actor, to_org=form.organization.data, reason=form.reason.data, **common
        ),
        K.SUPERVISE: lambda: cases.supervise(
            session, case, actor, deadline=form.deadline.data, note=form.note.data, **common
        ),
        K.SUSPEND: lambda: cases.suspend(session, case, actor, reason=form.reason.data, **common),
        K.RESUME: lambda: cases.resume(session, case, actor, note=form.note.data, **common),
        K.EXTEND: lambda: cases.extend(
            session,
            case,
            actor,
            new_deadline=form.new_deadline.data,
            reason=form.reason.data,
            rules=rules,
            **common,
        ),
        K.VOID: lambda: cases.void(session, case, actor, reason=form.reason.data, **common),
        K.PETITION: lambda: cases.record_petition(
            session, case, actor, level=form.level.data, note=form.note.data, **common
        ),
    }
    handlers[step]()


def run_agreement_update(view: Any, case: Case, back: str) -> Any:
    """Show and save the agreement's performance and 司法确认."""
    agreement = case.agreement
    form = f.AgreementUpdateForm(obj=agreement)
    if not form.is_submitted():
        form.lock_version.data = agreement.version

    def save() -> None:
        for name in (
            "performed",
            "performed_on",
            "confirmation_court",
            "confirmation_date",
            "confirmation_number",
        ):
            value = form[name].data
            setattr(agreement, name, value if value != "" else None)
        case_records.update_agreement(
            db.session, agreement, current_user._get_current_object(), today=clock.today()
        )

    if form.validate_on_submit():
        if str(form.lock_version.data) != str(agreement.version):
            flash(STALE_MESSAGE, "error")
        elif attempt(None, save):
            flash("已更新协议履行及司法确认情况", "success")
            return redirect(back)
    return view.render(
        "admin/cases/act.html", case=case, step=None, title="协议履行与司法确认", form=form, return_url=back
    )
