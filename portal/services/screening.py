"""排查: plans, records and findings; a finding becomes a case or is dismissed, a record that found
nothing files the 零报告; and the figures of the dashboard (`overview`).

Scope (属地管理): records belong to their organisation and are seen in its subtree and above. A plan is
also read by the offices below its organisation (the county's plan is the townships' too), and a record
may be filed under an active plan of its organisation or of one above it; only the plan's side changes it.
Writers are the administrators and the 调解员/录入员 (`WRITERS`); the others read. Each function checks
the actor's role and scope, changes the rows and (except the `prepare_*` ones, which Flask-Admin's forms
commit) commits; a refusal raises `DomainError` with a Chinese message. The audit log records every
row written.

无纠纷 and the 零报告: a record that found nothing files, for the month it was made in, the 零报告 of
each committee it screened (its areas, or its own organisation when that is a reporting committee);
a 零报告 already there is linked instead, and a committee that registered a dispute that month is
skipped (it has nothing to report as zero). Voiding the record later leaves those reports standing:
a 零报告 is a statement of record (`services.zero_reports`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.case import Case, CaseSource, RiskLevel
from portal.models.meeting import Meeting
from portal.models.org import Organization, OrgStatus
from portal.models.people import Mediator
from portal.models.screening import (
    FindingStatus,
    PlanStatus,
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
)
from portal.models.zero_report import ZeroReport
from portal.services import DomainError, assignments, cases, zero_reports
from portal.services.deadlines import DeadlineRules
from portal.services.scope import can_reach_org, org_in_scope
from portal.services.screening_plans import WRITERS as WRITERS
from portal.services.screening_plans import check_fresh, check_writer, clean_text
from portal.services.screening_rhythm import coverage, is_monthly, period_of, previous_missing, units
from portal.services.workflow import not_future, required

# --- records --------------------------------------------------------------------------------------


def _check_people(actor: User, record: ScreeningRecord) -> None:
    for person in record.mediators:
        if not can_reach_org(actor, person.organization):
            raise DomainError(f"调解员{person.name}不在您单位的管辖范围内", "mediators")
    allowed = {*actor.organization.ancestor_ids}
    for user in record.screeners:
        if not (can_reach_org(actor, user.organization) or user.organization_id in allowed):
            raise DomainError(f"{user.full_name}不是本单位或上级单位的人员", "screeners")
    record.other_screeners = clean_text(record.other_screeners, 200, "其他排查人员", "other_screeners")
    if not (record.mediators or record.screeners or record.other_screeners):
        raise DomainError("请至少填写一名排查人", "mediators")


def _check_plan(record: ScreeningRecord) -> None:
    plan = record.plan
    if plan is None:
        return
    if plan.status == PlanStatus.CANCELLED:
        raise DomainError("该排查计划已撤销，不能据此登记", "plan")
    if not record.organization.path.startswith(plan.organization.path):
        raise DomainError(f"{record.organization.name}不在计划“{plan.title}”的组织范围内", "plan")
    if not plan.period_start <= record.screened_on <= plan.period_end:
        raise DomainError(
            f"排查日期不在计划期间（{plan.period_start:%Y-%m-%d}至{plan.period_end:%Y-%m-%d}）内",
            "screened_on",
        )
    record.kind = record.kind or plan.kind
    record.theme = record.theme or plan.theme


def _check_finding(finding: ScreeningFinding, today: date) -> None:
    required(finding.summary, "请填写排查发现的纠纷情况", "findings")
    finding.summary = clean_text(finding.summary, 5000, "纠纷情况", "findings") or ""
    finding.place = clean_text(finding.place, 200, "发生地点", "findings")
    finding.parties = clean_text(finding.parties, 200, "涉及当事人", "findings")
    if finding.people_involved is None or finding.people_involved < 1:
        raise DomainError("排查发现的涉及人数应为正整数", "findings")
    not_future(finding.occurred_on, today, "发生日期", "findings")
    finding.status = finding.status or FindingStatus.PENDING
    finding.risk_level = RiskLevel(finding.risk_level or RiskLevel.LOW)


def _check_text(record: ScreeningRecord, actor: User, today: date) -> None:
    """Check what a correction may change: the end date, the people and the text."""
    if record.ended_on is not None:
        not_future(record.ended_on, today, "结束日期", "ended_on")
        if record.screened_on and record.ended_on < record.screened_on:
            raise DomainError("结束日期不能早于排查日期", "ended_on")
    _check_people(actor, record)
    record.scope_note = clean_text(record.scope_note, 500, "排查范围", "scope_note")
    required(record.situation, "请填写排查情况", "situation")
    record.situation = clean_text(record.situation, 5000, "排查情况", "situation") or ""
    if record.households is not None and not 0 <= record.households <= 1_000_000:
        raise DomainError("走访户数应在0至1000000之间", "households")


def check_correction(session: Session, record: ScreeningRecord, actor: User, *, today: date) -> None:
    """Check a correction of a record's text and people (the admin form commits)."""
    check_writer(actor, "修改排查记录")
    if not can_reach_org(actor, record.organization):
        raise DomainError("该排查记录不在您单位的管辖范围内")
    if record.is_void:
        raise DomainError("该排查记录已作废，不能修改")
    with session.no_autoflush:
        _check_text(record, actor, today)


def prepare_record(session: Session, record: ScreeningRecord, actor: User, *, today: date) -> ScreeningRecord:
    """Check a new record (with its findings) and add it without committing; 无纠纷 files the 零报告."""
    check_writer(actor, "登记排查记录")
    org = record.organization
    if org is None:
        raise DomainError("请选择排查单位", "organization")
    if not can_reach_org(actor, org):
        raise DomainError("只能为本单位及下级单位登记排查记录", "organization")
    if org.status == OrgStatus.REVOKED:
        raise DomainError(f"{org.name}已撤销，不能登记排查", "organization")
    required(record.screened_on, "请填写排查日期", "screened_on")
    not_future(record.screened_on, today, "排查日期", "screened_on")
    with session.no_autoflush:
        _check_plan(record)
        required(record.kind, "请选择排查方式", "kind")
        record.kind = ScreeningKind(record.kind)  # a form hands in the value
        record.theme = clean_text(record.theme, 100, "排查主题", "theme")
        if record.kind == ScreeningKind.SPECIAL and not record.theme:
            raise DomainError("专项排查请填写排查主题", "theme")
        for area in record.areas:
            if not area.path.startswith(org.path):
                raise DomainError(f"{area.name}不在{org.name}的辖区内", "areas")
        _check_text(record, actor, today)
        required(record.result, "请选择排查结果", "result")
        record.result = RecordResult(record.result)
        if record.result == RecordResult.FOUND and not record.findings:
            raise DomainError("排查结果为“发现矛盾纠纷”的，请至少填写一条排查发现", "findings")
        if record.result == RecordResult.NONE and record.findings:
            raise DomainError("排查结果为“无纠纷”的，不应填写排查发现", "result")
        for seq, finding in enumerate(record.findings, start=1):
            finding.seq = seq
            _check_finding(finding, today)
        record.period_start = period_of(record.screened_on).start
        record.recorded_by = actor
        session.add(record)
        if record.result == RecordResult.NONE:
            file_zero_reports(session, record, actor, today=today)
    return record


def file_record(session: Session, record: ScreeningRecord, actor: User, *, today: date) -> ScreeningRecord:
    """File a record (登记排查记录) and commit."""
    prepare_record(session, record, actor, today=today)
    session.commit()
    return record


def _reporting(org: Organization) -> bool:
    return (
        org.kind in zero_reports.REPORTING_KINDS
        and org.level in zero_reports.REPORTING_LEVELS
        and org.status != OrgStatus.REVOKED
    )


def file_zero_reports(session: Session, record: ScreeningRecord, actor: User, *, today: date) -> list[str]:
    """File (or link) the 零报告 of the committees a 无纠纷 record screened; return what was skipped."""
    start, end = zero_reports.month_period(record.screened_on)
    targets = [a for a in record.areas if _reporting(a)] or (
        [record.organization] if _reporting(record.organization) else []
    )
    skipped: list[str] = []
    for org in targets:
        existing = session.scalar(
            select(ZeroReport).where(ZeroReport.organization_id == org.id, ZeroReport.period_start == start)
        )
        if existing is not None:
            if existing not in record.zero_reports:
                record.zero_reports.append(existing)
            continue
        if zero_reports.has_cases(session, org, start, end):
            skipped.append(org.name)
            continue
        report = ZeroReport(
            organization=org,
            period_start=start,
            period_end=end,
            reported_on=today,
            notes=f"{record.screened_on:%Y-%m-%d}{record.kind.label}未发现矛盾纠纷（排查记录）"[:1000],
        )
        zero_reports.prepare_report(session, report, actor, today=today)
        record.zero_reports.append(report)
    return skipped


def void_record(
    session: Session,
    record: ScreeningRecord,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> ScreeningRecord:
    """Void a record filed in error (作废), with a reason; commit."""
    check_writer(actor, "作废排查记录")
    if not can_reach_org(actor, record.organization):
        raise DomainError("该排查记录不在您单位的管辖范围内")
    if record.is_void:
        raise DomainError("该排查记录已作废")
    check_fresh(record, expected_version)
    if any(f.status == FindingStatus.REGISTERED for f in record.findings):
        raise DomainError("该记录已有排查发现登记为案件，不能作废")
    required(reason, "请填写作废原因", "reason")
    record.void_reason = clean_text(reason, 1000, "作废原因", "reason")
    record.voided_on = today
    session.commit()
    return record


# --- findings -------------------------------------------------------------------------------------


def _finding_step(finding: ScreeningFinding, actor: User, what: str, expected_version: int | None) -> None:
    check_writer(actor, what)
    if not can_reach_org(actor, finding.record.organization):
        raise DomainError("该排查记录不在您单位的管辖范围内")
    if finding.record.is_void:
        raise DomainError("该排查记录已作废")
    if finding.status != FindingStatus.PENDING:
        raise DomainError(f"该排查发现{finding.status.label}，不能再{what}")
    check_fresh(finding, expected_version)


def add_finding(
    session: Session,
    record: ScreeningRecord,
    finding: ScreeningFinding,
    actor: User,
    *,
    today: date,
    expected_version: int | None = None,
) -> ScreeningFinding:
    """Add a finding to a record filed as 发现矛盾纠纷; commit."""
    check_writer(actor, "添加排查发现")
    if not can_reach_org(actor, record.organization):
        raise DomainError("该排查记录不在您单位的管辖范围内")
    if record.is_void:
        raise DomainError("该排查记录已作废")
    if record.result == RecordResult.NONE:
        raise DomainError("该记录报为无纠纷（已据此报送零报告），不能再添加发现；如有遗漏请作废后重新登记")
    check_fresh(record, expected_version)
    with session.no_autoflush:
        finding.seq = max((f.seq for f in record.findings), default=0) + 1
        _check_finding(finding, today)
        record.findings.append(finding)
    session.commit()
    return finding


def dismiss_finding(
    session: Session,
    finding: ScreeningFinding,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> ScreeningFinding:
    """Record that a finding turned out to be no dispute (经核实不构成纠纷), with the reason; commit."""
    _finding_step(finding, actor, "核实", expected_version)
    required(reason, "请填写核实情况", "reason")
    finding.dismiss_reason = clean_text(reason, 1000, "核实情况", "reason")
    finding.status, finding.handled_on, finding.handled_by = FindingStatus.DISMISSED, today, actor
    session.commit()
    return finding


def case_prefill(finding: ScreeningFinding) -> dict[str, Any]:
    """Return the registration fields a finding fills in (the form lets the user complete them)."""
    record = finding.record
    reporting = [a for a in record.areas if _reporting(a)]
    return {
        "organization": reporting[0] if len(reporting) == 1 else record.organization,
        "source": CaseSource.SCREENING,
        "dispute_type": finding.dispute_type,
        "occurred_on": finding.occurred_on,
        "place": finding.place,
        "summary": finding.summary,
        "people_involved": finding.people_involved,
        "risk_level": finding.risk_level,
    }


def link_case(session: Session, finding: ScreeningFinding, case: Case, actor: User, *, today: date) -> None:
    """Mark a finding registered as `case` (just registered, not yet committed); no commit."""
    _finding_step(finding, actor, "登记为案件", None)
    if not can_reach_org(actor, case.organization):
        raise DomainError("只能为本单位及下级调解组织登记案件", "organization")
    case.source = CaseSource.SCREENING
    finding.case = case
    finding.status, finding.handled_on, finding.handled_by = FindingStatus.REGISTERED, today, actor


def register_finding(
    session: Session,
    finding: ScreeningFinding,
    case: Case,
    actor: User,
    *,
    today: date,
    rules: DeadlineRules | None = None,
) -> Case:
    """Register `case` (受理登记, numbered, through `services.cases`) for the finding and commit."""
    with session.no_autoflush:
        _finding_step(finding, actor, "登记为案件", None)
        cases.prepare_registration(session, case, actor, today=today, rules=rules)
        link_case(session, finding, case, actor, today=today)
    session.commit()
    return case


def scoped_mediators(session: Session, actor: User) -> Sequence[Mediator]:
    """Return the mediators who may be named as screeners (the actor's subtree)."""
    query = select(Mediator).where(org_in_scope(actor, Mediator.organization_id)).order_by(Mediator.name)
    return list(session.scalars(query))


# --- the dashboard's figures ----------------------------------------------------------------------


def overview(session: Session, user: User, today: date, rules: DeadlineRules | None = None) -> dict[str, Any]:
    """Return the 排查 and 交办 figures of the user's subtree for the current period.

    The period is the user's rhythm: the month for a county-level user, else the half month.
    Keys: period_start, period_end, period_label; plans (plans not cancelled overlapping the
    period); records (records filed in it); units, units_done, units_missing (organisations owing a
    screening in their own period containing today, and how many did / did not yet);
    previous_missing (how many missed their previous period: the warning); findings (found in the
    period's records); findings_pending (all findings not yet handled); meetings (held in the
    period); assignments_open, assignments_overdue, assignments_due_soon (open 交办事项 visible to the
    user, those past their deadline, those yellow by `rules`, the app's CASE_* settings: pass
    `DeadlineRules.from_config(app.config)`, the defaults otherwise). Counts are integers.
    """
    period = period_of(today, is_monthly(user.organization))
    scoped = org_in_scope(user, ScreeningRecord.organization_id)
    live = ScreeningRecord.voided_on.is_(None)
    in_period = ScreeningRecord.screened_on.between(period.start, period.end)
    plans = session.scalar(
        select(func.count(ScreeningPlan.id)).where(
            org_in_scope(user, ScreeningPlan.organization_id),
            ScreeningPlan.status != PlanStatus.CANCELLED,
            ScreeningPlan.period_start <= period.end,
            ScreeningPlan.period_end >= period.start,
        )
    )
    records = session.scalar(select(func.count(ScreeningRecord.id)).where(scoped, live, in_period))
    findings = session.scalar(
        select(func.count(ScreeningFinding.id))
        .join(ScreeningRecord, ScreeningFinding.record_id == ScreeningRecord.id)
        .where(scoped, live, in_period)
    )
    pending = session.scalar(
        select(func.count(ScreeningFinding.id))
        .join(ScreeningRecord, ScreeningFinding.record_id == ScreeningRecord.id)
        .where(scoped, live, ScreeningFinding.status == FindingStatus.PENDING)
    )
    org_units = units(session, user)
    done, missing = coverage(session, org_units, today)
    previous = len(previous_missing(session, org_units, today))
    items = assignments.counts(session, user, today, rules)
    meetings = session.scalar(
        select(func.count(Meeting.id)).where(
            org_in_scope(user, Meeting.organization_id),
            Meeting.voided_on.is_(None),
            Meeting.held_on.between(period.start, period.end),
        )
    )
    return {
        "period_start": period.start,
        "period_end": period.end,
        "period_label": period.label,
        "plans": plans or 0,
        "records": records or 0,
        "units": len(org_units),
        "units_done": len(done),
        "units_missing": len(missing),
        "previous_missing": previous,
        "findings": findings or 0,
        "findings_pending": pending or 0,
        "meetings": meetings or 0,
        **items,
    }
