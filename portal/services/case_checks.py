"""Whether a stored case holds together: the rules of its steps, applied to the whole record at once.

The workflow's steps (`cases`, `case_records`) refuse bad input as it comes, one step at a time. A case
that did not come through them one by one (the demo ledger, an import, a repaired row) is checked here
with the very same functions, plus what the steps keep true by construction:

- its history follows the workflow (`workflow.STEPS`), from 受理登记 to the status it shows;
- a case settled by agreement has the agreement and no failure reason; a failed one the reverse;
- dates run in order: 发生 ≤ 受理 ≤ 交办 ≤ 调解 ≤ 协议 ≤ 回访 ≤ 归档, none after today;
- an assigned case has its 四定 and its mediators;
- its 听证, 领导包案 and 三调联动 records hold together (`case_extras.check_records`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from portal import clock
from portal.lowcode import engine, schema
from portal.models.case import Case, CaseEventKind, CaseStatus
from portal.services import DomainError, case_extras, case_records, cases
from portal.services.deadlines import DeadlineRules
from portal.services.workflow import STEPS

S = CaseStatus
K = CaseEventKind

#: Statuses a case reaches only through 分流交办: it has an organisation's mediators and its 四定.
ASSIGNED_STATUSES = frozenset(
    {S.ASSIGNED, S.MEDIATING, S.SETTLED, S.FAILED, S.REFERRED, S.FOLLOWED_UP, S.CLOSED}
)


def problems(case: Case, today: date, rules: DeadlineRules | None = None) -> list[str]:
    """Return what is wrong with a stored case, in Chinese, one message per broken rule ([] if nothing)."""
    return [message for _field, message in problem_fields(case, today, rules)]


def problem_fields(
    case: Case, today: date, rules: DeadlineRules | None = None
) -> list[tuple[str | None, str]]:
    """Return (field, message) for each broken rule: the field the check names (`summary`, `parties`,
    `held_at`, …) or None, and the Chinese message. The xlsx import places each on its column."""
    rules = rules or DeadlineRules()
    found: list[tuple[str | None, str]] = []

    def run(check: Callable[..., None], *args: Any) -> None:
        try:
            check(*args)
        except DomainError as exc:
            found.append((exc.field, exc.message))

    run(cases.check_particulars, case, today)
    run(cases.check_assigned_four_fixed, case)
    for record in case.sessions:
        run(case_records.check_session, record, case, today)
    if case.agreement is not None:
        run(case_records.check_agreement, case.agreement, case, today)
    for visit in case.follow_ups:
        run(case_records.check_follow_up, visit, case, today)
    run(case_extras.check_records, case, today)
    run(check_answers, case)
    run(check_history, case, rules)
    run(check_outcome, case)
    run(check_dates, case, today)
    return found


def check_answers(case: Case) -> None:
    """Check the answers to the dispute type's form (附加信息) as the registration form checked them, on the
    day the case was registered."""
    version = case.form_version
    if version is None:
        if case.answers:
            raise DomainError("附加信息缺少所依据的表单版本")
        return
    registered = next((e for e in case.events if e.kind == K.REGISTER), None)
    day = clock.local_date(registered.at) if registered is not None else case.accepted_on
    outcome = engine.check(version.body, case.answers or {}, day.isoformat())
    if not outcome.ok:
        fields = schema.fields_by_key(version.body)
        wrong = "；".join(
            f"{fields.get(path.split('.')[-1], {}).get('label', path)}：{message}"
            for path, message in sorted(outcome.errors.items())
        )
        raise DomainError(f"附加信息不符合{version.title}第{version.number}版：{wrong}")


def check_history(case: Case, rules: DeadlineRules) -> None:
    """Check that the case's 流转记录 is a walk through the workflow, in time order, ending in its status.

    (The steps' times are the clock's, not typed in: a case may be registered days after its 受理日期.)
    """
    events = sorted(case.events, key=lambda e: (e.at, e.id or 0))
    if not events or events[0].kind != K.REGISTER:
        raise DomainError("流转记录应以受理登记开始")
    status = S.REGISTERED
    for event in events[1:]:
        if event.from_status != status or status not in STEPS[event.kind].from_statuses:
            raise DomainError(f"流转记录中「{event.kind.label}」不能在「{status.label}」状态下办理")
        status = event.to_status or status
        if (
            event.kind == K.EXTEND
            and event.details.get("deadline", "") > cases.extension_limit(case, rules).isoformat()
        ):
            raise DomainError("延期超过了最长可延长的期限")
    if status != case.status:
        raise DomainError(f"流转记录止于「{status.label}」，与案件状态「{case.status.label}」不符")


def check_outcome(case: Case) -> None:
    """Check that the case's records match its outcome: agreement or failure, never both."""
    kinds = {event.kind for event in case.events}
    settled = K.SETTLE in kinds or case.status in (S.SETTLED, S.FOLLOWED_UP)
    failed = K.FAIL in kinds or case.status in (S.FAILED, S.REFERRED)
    if settled and failed:
        raise DomainError("案件不能既调解成功又调解不成")
    if settled:
        if case.agreement is None:
            raise DomainError("调解成功的案件应有调解协议")
        if case.failure_reason or case.referral_route is not None:
            raise DomainError("调解成功的案件不应有调解不成原因或引导途径")
    elif case.agreement is not None:
        raise DomainError("未调解成功的案件不应有调解协议")
    if failed and not case.failure_reason:
        raise DomainError("调解不成的案件应写明原因")
    if not failed and case.failure_reason:
        raise DomainError("未登记调解不成的案件不应有调解不成原因")
    if (K.REFER in kinds or case.status == S.REFERRED) and not (case.referral_route and case.stability_plan):
        raise DomainError("引导诉讼/仲裁的案件应有引导途径和稳控方案")
    if (settled or failed) and not case.sessions:
        raise DomainError("登记调解结果的案件应有调解记录")
    if case.status == S.CLOSED and not (case.agreement or case.referral_route):
        raise DomainError("结案归档的案件应有调解协议或引导途径")
    if case.status == S.VOIDED and not case.void_reason:
        raise DomainError("作废的案件应写明作废原因")
    if case.status == S.SUSPENDED and not (case.suspended_on and case.suspended_from):
        raise DomainError("中止的案件应有中止日期和中止前状态")
    assigned = case.status in ASSIGNED_STATUSES or (
        case.status == S.SUSPENDED and case.suspended_from in ASSIGNED_STATUSES
    )
    if assigned and (case.assigned_on is None or not case.mediators):
        raise DomainError("已交办的案件应有交办日期和承办调解员")


def check_dates(case: Case, today: date) -> None:
    """Check that the case's dates run in order and none lies after today."""
    if case.deadline < case.accepted_on:
        raise DomainError("办结时限不能早于受理日期")
    if case.assigned_on is not None and not case.accepted_on <= case.assigned_on <= today:
        raise DomainError("交办日期应在受理日期和今天之间")
    if not case.accepted_on <= case.last_activity_on <= today:
        raise DomainError("最近办理日期应在受理日期和今天之间")
    if case.closed_on is None:
        if case.status == S.CLOSED:
            raise DomainError("结案归档的案件应有结案日期")
        return
    if case.closed_on > today:
        raise DomainError("结案日期不能晚于今天")
    days = [case.accepted_on, case.assigned_on]
    days += [case_records.held_on(record) for record in case.sessions]
    days += [visit.visited_on for visit in case.follow_ups]
    if case.agreement is not None:
        days += [case.agreement.signed_on]
    latest = max(day for day in days if day is not None)
    if case.closed_on < latest:
        raise DomainError(f"结案日期不能早于调解、协议和回访（{latest:%Y-%m-%d}）")
