"""Auto indicators of assessments: figures measured from the ledger for a target and a period.

Every figure comes with the cases behind it (the evidence an evaluator opens in the meeting) and a
sentence saying how it was reached. The rules, in the words used on the evidence page:

- the target's cases: cases accepted (受理) within the period and not voided; a mediator's are those
  naming them as 承办调解员, an organisation's those handled by it or a node below it;
- 调解成功率 = settled ÷ (settled + failed) of those cases, in %; nothing decided → no figure;
- 按期办结率 = cases concluded (调解成功 or 调解不成) by their 办结时限 ÷ cases concluded or already
  past their 办结时限 on the day of computation, in %;
- 超期案件数 = concluded after the 办结时限, or still in mediation past it, on the day of computation;
- 红牌案件数 = cases that at some point sat 分流交办/调解中 untouched for the red-card period
  (`DeadlineRules.untouched_days`), read from their history (流转记录);
- 回访满意度 = mean satisfaction (1–5) of all follow-up visits made to those cases (群众评议);
- 群众满意率 = visits whose party rated the work 满意 or 基本满意 ÷ visits with a rating (群众评议, each
  visit one party's verdict), made to those cases by the day of computation, in %; visits without a
  rating (recorded before it was asked) are left out;
- 越级上访 = cases of the target (accepted at any time) with a 越级上访 marker dated within the period;
- 责任倒查扣分 = points deducted by decided accountability reviews against the target in the period;
- 排查完成率 = screening periods (half months; months for a county body) of the period in which the
  organisation screened ÷ those it owed by the day of computation (`services.screening_rhythm`), in %;
- 交办事项按期办结率 = 交办事项 given to the organisation's subtree in the period and completed by their
  deadline ÷ those completed or already past their deadline (`services.assignments.timeliness`), in %.
  Both concern organisations; a mediator has no figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.models.assessment import Indicator
from portal.models.case import Case, CaseEvent, CaseEventKind, CaseStatus, Evaluation, case_mediator
from portal.models.org import Organization
from portal.models.people import Mediator
from portal.services import assignments, screening_rhythm
from portal.services.deadlines import DeadlineRules

K = CaseEventKind
#: Steps that are not the handlers' own work and do not count as activity.
NOT_ACTIVITY = frozenset({K.SUPERVISE, K.PETITION})
UNTOUCHABLE = frozenset({CaseStatus.ASSIGNED, CaseStatus.MEDIATING})


@dataclass
class Measure:
    """A figure, how it was reached, and its evidence."""

    value: Decimal | None
    explanation: str
    case_ids: list[int] = field(default_factory=list)
    deductions: list[dict[str, Any]] = field(default_factory=list)

    def evidence(self) -> dict[str, Any]:
        """Return the evidence as stored with the result."""
        if self.deductions:
            return {"case_ids": self.case_ids, "deductions": self.deductions}
        return {"case_ids": self.case_ids}


def percent(part: int, whole: int) -> Decimal:
    """Return part ÷ whole in %, to the hundredth."""
    return (Decimal(100) * part / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Return the UTC instants bounding the office's days start … end."""
    first = clock.from_wall(datetime.combine(start, time.min))
    after = clock.from_wall(datetime.combine(end + timedelta(days=1), time.min))
    return first, after


def conclusion_date(case: Case) -> date | None:
    """Return the day the mediation was concluded (调解成功 or 调解不成), if it was."""
    for event in case.events:
        if event.kind in (K.SETTLE, K.FAIL):
            return clock.local_date(event.at)
    if case.agreement is not None:
        return case.agreement.signed_on
    return None


def outcomes(cases: Iterable[Case], as_of: date) -> tuple[list[int], list[int]]:
    """Return the ids of the cases settled and failed (调解成功 / 调解不成) by `as_of`.

    The one definition behind 调解成功率, in the assessment and in the 调解能手 selection alike:
    a case concluded with an agreement is settled, one concluded without is failed, and one not
    concluded by `as_of` is left out. Cases need `events` and `agreement` loaded.
    """
    settled: list[int] = []
    failed: list[int] = []
    for case in cases:
        done = conclusion_date(case)
        if done is not None and done <= as_of:
            (settled if case.agreement is not None else failed).append(case.id)
    return settled, failed


def was_red_carded(case: Case, as_of: date, rules: DeadlineRules) -> bool:
    """Return whether the case ever sat assigned/in mediation untouched for the red-card period."""
    status: CaseStatus | None = None
    last: date | None = None
    for event in case.events:
        day = clock.local_date(event.at)
        if event.kind in NOT_ACTIVITY:
            continue
        if status in UNTOUCHABLE and last is not None and (day - last).days >= rules.untouched_days:
            return True
        status = event.to_status or status
        last = day
    return bool(status in UNTOUCHABLE and last is not None and (as_of - last).days >= rules.untouched_days)


class Ledger:
    """The cases of one round's scope and period, loaded once and shared out to the targets."""

    def __init__(
        self, session: Session, scope: Organization, start: date, end: date, as_of: date, rules: DeadlineRules
    ) -> None:
        self.session, self.start, self.end, self.as_of, self.rules = session, start, end, as_of, rules
        in_scope = select(Organization.id).where(Organization.path.startswith(scope.path, autoescape=True))
        query = (
            select(Case)
            .where(
                Case.organization_id.in_(in_scope),
                Case.accepted_on.between(start, end),
                Case.status != CaseStatus.VOIDED,
            )
            .options(
                selectinload(Case.events),
                selectinload(Case.mediators),
                selectinload(Case.agreement),
                selectinload(Case.follow_ups),
            )
            .order_by(Case.accepted_on, Case.id)
        )
        self.cases: list[Case] = list(session.scalars(query))
        first, after = day_bounds(start, end)
        petitions = session.execute(
            select(CaseEvent.case_id, Case.organization_id)
            .join(Case, CaseEvent.case_id == Case.id)
            .where(
                CaseEvent.kind == K.PETITION,
                CaseEvent.at >= first,
                CaseEvent.at < after,
                Case.organization_id.in_(in_scope),
                Case.status != CaseStatus.VOIDED,
            )
        ).all()
        self.petition_cases = sorted({case_id for case_id, _ in petitions})
        self.org_paths = dict(session.execute(select(Organization.id, Organization.path)).all())

    def cases_of(self, target: Mediator | Organization) -> list[Case]:
        """Return the period's cases of a mediator or an organisation (with its subtree)."""
        if isinstance(target, Mediator):
            return [c for c in self.cases if any(m.id == target.id for m in c.mediators)]
        return [c for c in self.cases if self.org_paths.get(c.organization_id, "").startswith(target.path)]

    def petitions_of(self, target: Mediator | Organization) -> list[int]:
        """Return the ids of the target's cases with a 越级上访 in the period."""
        if not self.petition_cases:
            return []
        if isinstance(target, Mediator):
            query = select(case_mediator.c.case_id).where(
                case_mediator.c.mediator_id == target.id, case_mediator.c.case_id.in_(self.petition_cases)
            )
            return sorted(self.session.scalars(query))
        query = select(Case.id).where(
            Case.id.in_(self.petition_cases),
            Case.organization_id.in_(
                select(Organization.id).where(Organization.path.startswith(target.path, autoescape=True))
            ),
        )
        return sorted(self.session.scalars(query))

    def measure(self, indicator: Indicator, target: Mediator | Organization) -> Measure:
        """Return one indicator of one target."""
        if indicator == Indicator.PETITION_COUNT:
            ids = self.petitions_of(target)
            return Measure(Decimal(len(ids)), f"期内越级上访{len(ids)}件", ids)
        if indicator == Indicator.REVIEW_DEDUCTIONS:
            return review_deductions(self.session, target, self.start, self.end)
        if indicator == Indicator.SCREENING_RATE:
            return screening_rate(self.session, target, self.start, self.end, self.as_of)
        if indicator == Indicator.ASSIGNMENT_ON_TIME_RATE:
            return assignment_on_time_rate(self.session, target, self.start, self.end, self.as_of)
        return figure(indicator, self.cases_of(target), self.as_of, self.rules)


def figure(indicator: Indicator, cases: Sequence[Case], as_of: date, rules: DeadlineRules) -> Measure:
    """Return a ledger figure over the given cases (all accepted in the period)."""
    ids = [c.id for c in cases]
    if indicator == Indicator.CASES_HANDLED:
        return Measure(Decimal(len(cases)), f"期内受理{len(cases)}件", ids)
    if indicator == Indicator.SUCCESS_RATE:
        settled, failed = outcomes(cases, as_of)
        decided = len(settled) + len(failed)
        if not decided:
            return Measure(None, "期内受理案件尚无调解结果", [])
        return Measure(
            percent(len(settled), decided),
            f"调解成功{len(settled)}件 ÷（成功{len(settled)}件 + 不成{len(failed)}件）",
            settled + failed,
        )
    if indicator in (Indicator.ON_TIME_RATE, Indicator.OVERDUE_COUNT):
        on_time, late = _timeliness(cases, as_of)
        if indicator == Indicator.OVERDUE_COUNT:
            return Measure(Decimal(len(late)), f"超过办结时限{len(late)}件（截至{as_of:%Y-%m-%d}）", late)
        due = len(on_time) + len(late)
        if not due:
            return Measure(None, "期内受理案件尚无已办结或已到期的", [])
        return Measure(
            percent(len(on_time), due),
            f"按期办结{len(on_time)}件 ÷ 已办结或已到期{due}件（截至{as_of:%Y-%m-%d}）",
            on_time + late,
        )
    if indicator == Indicator.RED_CARD_COUNT:
        red = [c.id for c in cases if was_red_carded(c, as_of, rules)]
        return Measure(Decimal(len(red)), f"交办后{rules.untouched_days}天以上未处理{len(red)}件", red)
    if indicator == Indicator.SATISFACTION:
        visits = [(c.id, f.satisfaction) for c in cases for f in c.follow_ups if f.visited_on <= as_of]
        if not visits:
            return Measure(None, "期内受理案件尚无回访记录", [])
        mean = (Decimal(sum(s for _, s in visits)) / len(visits)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return Measure(mean, f"回访{len(visits)}次满意度平均", sorted({i for i, _ in visits}))
    if indicator == Indicator.SATISFACTION_RATE:
        return satisfaction_rate(cases, as_of)
    raise ValueError(indicator)


def satisfaction_rate(cases: Iterable[Case], as_of: date) -> Measure:
    """Return the 群众满意率: 满意 and 基本满意 ÷ the ratings given at the visits made by `as_of`, in %."""
    rated = [
        (c.id, f.evaluation) for c in cases for f in c.follow_ups if f.evaluation and f.visited_on <= as_of
    ]
    if not rated:
        return Measure(None, "期内受理案件尚无群众评议", [])
    counts = Counter(e for _, e in rated)
    content = counts[Evaluation.SATISFIED] + counts[Evaluation.BASIC]
    text = (
        f"满意{counts[Evaluation.SATISFIED]}人次 + 基本满意{counts[Evaluation.BASIC]}人次"
        f" ÷ 评议{len(rated)}人次（不满意{counts[Evaluation.DISSATISFIED]}人次）"
    )
    return Measure(percent(content, len(rated)), text, sorted({i for i, _ in rated}))


def _timeliness(cases: Iterable[Case], as_of: date) -> tuple[list[int], list[int]]:
    on_time: list[int] = []
    late: list[int] = []
    for case in cases:
        done = conclusion_date(case)
        if done is not None and done <= as_of:
            (on_time if done <= case.deadline else late).append(case.id)
        elif case.deadline < as_of:
            late.append(case.id)
    return on_time, late


def review_deductions(session: Session, target: Mediator | Organization, start: date, end: date) -> Measure:
    """Return the points deducted by decided 责任倒查 reviews against the target in the period."""
    from portal.services import reviews  # provided by the accountability-review module

    if isinstance(target, Mediator):
        found = reviews.deductions(session, mediator_id=target.id, start=start, end=end)
    else:
        found = reviews.deductions(session, organization_id=target.id, start=start, end=end)
    total = sum((Decimal(d.points) for d in found), Decimal(0))
    items = [
        {
            "review": d.review.number,
            "review_id": d.review.id,
            "title": d.review.title,
            "points": str(d.points),
            "reason": d.reason,
        }
        for d in found
    ]
    text = "；".join(f"{d.review.number}扣{d.points}分" for d in found) or "期内无责任倒查扣分"
    return Measure(total, text, [], items)


def screening_rate(
    session: Session, target: Mediator | Organization, start: date, end: date, as_of: date
) -> Measure:
    """Return the 排查完成率 of an organisation: periods screened ÷ periods owed, in %."""
    if isinstance(target, Mediator):
        return Measure(None, "排查完成率只适用于调解组织", [])
    done = screening_rhythm.completion(session, target, start, end, as_of)
    if not done.owed:
        return Measure(None, f"截至{as_of:%Y-%m-%d}尚无应排查的期次", [])
    missed = "、".join(p.label for p in done.missed[:12]) + ("等" if len(done.missed) > 12 else "")
    text = f"已排查{len(done.screened)}期 ÷ 应排查{len(done.owed)}期（{done.owed[0].cadence}一次）"
    return Measure(
        percent(len(done.screened), len(done.owed)), text + (f"；未排查：{missed}" if missed else ""), []
    )


def assignment_on_time_rate(
    session: Session, target: Mediator | Organization, start: date, end: date, as_of: date
) -> Measure:
    """Return the 交办事项按期办结率 of an organisation: items done on time ÷ items done or due, in %."""
    if isinstance(target, Mediator):
        return Measure(None, "交办事项按期办结率只适用于调解组织", [])
    found = assignments.timeliness(session, target, start, end, as_of)
    due = len(found.on_time) + len(found.late)
    if not due:
        return Measure(None, "期内交办事项尚无已办结或已到期的", [])
    late = "、".join(a.number for a in found.late[:10]) + ("等" if len(found.late) > 10 else "")
    text = f"按期办结{len(found.on_time)}项 ÷ 已办结或已到期{due}项（截至{as_of:%Y-%m-%d}）"
    case_ids = sorted({a.case_id for a in found.on_time + found.late if a.case_id is not None})
    return Measure(percent(len(found.on_time), due), text + (f"；逾期：{late}" if late else ""), case_ids)
