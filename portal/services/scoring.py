"""Assessment rounds (考评批次): open, compute, score, finalise, reopen; points, averages, ranks and bands.

Rules an evaluator may be asked to defend:

- points of an auto criterion come from its figure (`services.indicators`) by the criterion's rule:
  区间线性 gives 0 at `low`, full points at `high` and a straight line between (`low` > `high` when
  smaller is better); 逐项扣分 takes `per_item` off the full points per item, at most `cap`; points
  never leave 0 … max; with nothing to measure the criterion gives `no_data_points` (default 0);
- a manual criterion's points are the mean of the evaluators' points; with five evaluators or more
  the highest and the lowest are dropped first (去掉一个最高分和一个最低分); rounded to 0.01;
- the total is the sum of the criteria's points; ranks are by total, equal totals share a rank;
  the band follows the template's cut-offs;
- an evaluator may not score a target of their own organisation, nor an organisation whose subtree
  holds their own (回避);
- a finalised round is locked for every role; only `reopen`, with a reason, unlocks it, and the
  reopen is kept as a `RoundEvent` (and in the audit log) beside the round.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.models.assessment import (
    Assessment,
    AssessmentCriterion,
    AssessmentRound,
    AssessmentTemplate,
    CriterionKind,
    CriterionResult,
    ManualScore,
    PeriodKind,
    RoundEvent,
    RoundEventKind,
    RoundStatus,
    ScoringRule,
    TargetKind,
)
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.org import Organization, OrgStatus
from portal.models.people import Mediator, MediatorStatus
from portal.models.review import DocumentCounter
from portal.services import DomainError
from portal.services.deadlines import DeadlineRules
from portal.services.indicators import Ledger
from portal.services.numbering import reserve
from portal.services.scope import can_reach_org, org_in_scope
from portal.text import strip_control

CENT = Decimal("0.01")
#: Roles that run rounds and enter scores.
EVALUATORS = frozenset({Role.EVALUATOR})
LOCKED = "该考评批次已定稿锁定，不能修改；如确需更正，请由考评员填写理由重新开启。"
STALE_ROUND = "该考评批次已被他人更新，请刷新页面后再操作（本次操作未保存）。"
#: Drop the highest and lowest manual score once this many evaluators have scored.
#: The 发文字号 series of 考评结果通知书 in `DocumentCounter`, one per tree (its root) and year.
NUMBER_SERIES = "assessment"
TRIM_FROM = 5


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


# --- points ----------------------------------------------------------------------------------------


def points_for(criterion: AssessmentCriterion, value: Decimal | None) -> Decimal:
    """Return the points a figure earns under the criterion's rule, within 0 … max."""
    top = Decimal(criterion.max_points)
    if value is None:
        return _q(min(top, Decimal(criterion.no_data_points or 0)))
    value = Decimal(value)
    if criterion.rule == ScoringRule.LINEAR:
        low, high = Decimal(criterion.low or 0), Decimal(criterion.high or 0)
        if low == high:
            share = Decimal(1) if value >= high else Decimal(0)
        else:
            share = min(Decimal(1), max(Decimal(0), (value - low) / (high - low)))
        return _q(top * share)
    if criterion.rule == ScoringRule.DEDUCTION:
        cap = Decimal(criterion.cap) if criterion.cap is not None else top
        deduction = min(cap, Decimal(criterion.per_item or 0) * value)
        return _q(max(Decimal(0), top - deduction))
    return _q(min(top, max(Decimal(0), value)))


def manual_average(points: Sequence[Decimal]) -> Decimal | None:
    """Return the evaluators' mean, dropping the highest and lowest when five or more scored."""
    if not points:
        return None
    ordered = sorted(Decimal(p) for p in points)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return _q(sum(ordered, Decimal(0)) / len(ordered))


# --- periods and access ----------------------------------------------------------------------------


def period_bounds(kind: PeriodKind, year: int, number: int = 1) -> tuple[date, date]:
    """Return the first and last day of a month (1–12), quarter (1–4) or year."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    if kind == PeriodKind.QUARTER:
        if not 1 <= number <= 4:
            raise DomainError("季度应为1至4", "number")
        first = 3 * (number - 1) + 1
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if not 1 <= number <= 12:
        raise DomainError("月份应为1至12", "number")
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def period_label(kind: PeriodKind, start: date) -> str:
    """Return 2026年度 / 2026年第2季度 / 2026年3月."""
    if kind == PeriodKind.YEAR:
        return f"{start.year}年度"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年{start.month}月"


def can_see_round(actor: User, rnd: AssessmentRound) -> bool:
    """Return whether the round lies in the actor's subtree."""
    return can_reach_org(actor, rnd.organization)


def conflict_of_interest(actor: User, assessment: Assessment) -> str | None:
    """Return why the actor must not score this target (回避), or None."""
    target = assessment.target_organization
    if actor.organization_id == target.id:
        if assessment.mediator_id is not None:
            return "被考评调解员与您同属一个单位，应当回避"
        return "不能为本单位打分，应当回避"
    if assessment.mediator_id is None and actor.organization.path.startswith(target.path):
        return "您所在单位隶属于被考评组织，应当回避"
    return None


def _check_evaluator(actor: User, rnd: AssessmentRound | None = None) -> None:
    if not actor.has_role(*EVALUATORS):
        raise DomainError("只有考评员可以办理考评")
    if rnd is not None and not can_see_round(actor, rnd):
        raise DomainError("该考评批次不在您单位的管辖范围内")


def _check_open(rnd: AssessmentRound, expected_version: int | None = None) -> None:
    if rnd.is_final:
        raise DomainError(LOCKED)
    if expected_version is not None and expected_version != rnd.version:
        raise DomainError(STALE_ROUND)


def _event(session: Session, rnd: AssessmentRound, actor: User, kind: RoundEventKind, reason=None) -> None:
    session.add(
        RoundEvent(round=rnd, kind=kind, actor_id=actor.id, actor_name=actor.full_name, reason=reason)
    )


def _touch(rnd: AssessmentRound) -> None:
    # Bump the round's version so that a page showing the old state cannot finalise it.
    rnd.updated_at = utcnow()


# --- the round's life ------------------------------------------------------------------------------


def open_round(
    session: Session,
    actor: User,
    *,
    template: AssessmentTemplate,
    period_kind: PeriodKind,
    year: int,
    number: int = 1,
    targets: Sequence[Mediator | Organization],
    title: str | None = None,
    today: date,
    rules: DeadlineRules | None = None,
) -> AssessmentRound:
    """Open a round for targets in the actor's subtree, compute its auto criteria, and commit."""
    _check_evaluator(actor)
    if template is None or not template.active:
        raise DomainError("请选择启用中的考评方案", "template")
    if not template.criteria:
        raise DomainError("该考评方案尚无考评项目", "template")
    start, end = period_bounds(period_kind, year, number)
    if start > today:
        raise DomainError("考评期间尚未开始", "number")
    if not targets:
        raise DomainError("请至少选择一个考评对象", "targets")
    rnd = AssessmentRound(
        title=(title or "").strip() or f"{period_label(period_kind, start)}{template.name}",
        template=template,
        period_kind=PeriodKind(period_kind),
        period_start=start,
        period_end=end,
        organization=actor.organization,
        opened_by=actor,
        status=RoundStatus.OPEN,
    )
    seen: set[int] = set()
    for target in targets:
        if target.id in seen:
            continue
        seen.add(target.id)
        rnd.assessments.append(_assessment_for(actor, template, target))
    session.add(rnd)
    _event(session, rnd, actor, RoundEventKind.OPEN)
    _compute(session, rnd, today, rules or DeadlineRules())
    session.commit()
    return rnd


def _assessment_for(actor: User, template: AssessmentTemplate, target: Mediator | Organization) -> Assessment:
    if template.target_kind == TargetKind.MEDIATOR:
        if not isinstance(target, Mediator):
            raise DomainError("该方案的考评对象为调解员", "targets")
        if not can_reach_org(actor, target.organization):
            raise DomainError(f"调解员{target.name}不在您单位的管辖范围内", "targets")
        return Assessment(mediator=target, target_organization=target.organization)
    if not isinstance(target, Organization):
        raise DomainError("该方案的考评对象为调解组织", "targets")
    if not can_reach_org(actor, target):
        raise DomainError(f"{target.name}不在您单位的管辖范围内", "targets")
    return Assessment(target_organization=target)


def recompute(
    session: Session,
    rnd: AssessmentRound,
    actor: User,
    *,
    today: date,
    rules: DeadlineRules | None = None,
    expected_version: int | None = None,
) -> AssessmentRound:
    """Recompute the auto criteria from today's ledger (only while the round is open), and commit."""
    _check_evaluator(actor, rnd)
    _check_open(rnd, expected_version)
    _compute(session, rnd, today, rules or DeadlineRules())
    _event(session, rnd, actor, RoundEventKind.COMPUTE)
    _touch(rnd)
    session.commit()
    return rnd


def _compute(session: Session, rnd: AssessmentRound, today: date, rules: DeadlineRules) -> None:
    as_of = today
    ledger = Ledger(session, rnd.organization, rnd.period_start, rnd.period_end, as_of, rules)
    for assessment in rnd.assessments:
        target = assessment.mediator or assessment.target_organization
        existing = {r.criterion_id: r for r in assessment.results if r.criterion_id is not None}
        for criterion in rnd.template.criteria:
            if criterion.kind != CriterionKind.AUTO or criterion.indicator is None:
                continue
            measure = ledger.measure(criterion.indicator, target)
            result = existing.get(criterion.id) or CriterionResult(criterion=criterion)
            if result not in assessment.results:
                assessment.results.append(result)
            result.value = measure.value
            result.points = points_for(criterion, measure.value)
            result.explanation = measure.explanation
            result.evidence = measure.evidence()
    rnd.computed_on = today
    tally(rnd)


def tally(rnd: AssessmentRound) -> None:
    """Average the manual scores, then total, rank and band every assessment of the round."""
    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    for assessment in rnd.assessments:
        results = {r.criterion.id if r.criterion else r.criterion_id: r for r in assessment.results}
        for criterion in manual:
            given = [s.points for s in assessment.scores if s.criterion_id == criterion.id]
            mean = manual_average(given)
            result = results.get(criterion.id)
            if result is None:
                result = CriterionResult(criterion=criterion, evidence={})
                assessment.results.append(result)
            result.value = mean
            result.points = None if mean is None else points_for(criterion, mean)
            result.explanation = (
                f"{len(given)}名考评员评分"
                + ("，去掉最高分和最低分后" if len(given) >= TRIM_FROM else "")
                + "取平均"
                if given
                else "尚未评分"
            )
        assessment.total = _q(sum((r.points or Decimal(0) for r in assessment.results), Decimal(0)))
        assessment.band = rnd.template.band_for(assessment.total)
    ordered = sorted(rnd.assessments, key=lambda a: a.total or Decimal(0), reverse=True)
    for position, assessment in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        same = previous is not None and previous.total == assessment.total
        assessment.rank = previous.rank if same and previous is not None else position


@dataclass(frozen=True)
class ScoreEntry:
    """One manual score as entered: points (None clears it) and an optional comment."""

    points: Decimal | None
    comment: str | None = None


def load_targets(session: Session, rnd: AssessmentRound) -> AssessmentRound:
    """Load the round's targets with their mediator, organisation, results and scores in one go.

    The round's pages and its tally read all four for every target: loaded lazily, that is four queries
    per target (160 for a round of 40).
    """
    session.scalars(
        select(AssessmentRound)
        .where(AssessmentRound.id == rnd.id)
        .options(
            selectinload(AssessmentRound.assessments).options(
                selectinload(Assessment.mediator),
                selectinload(Assessment.target_organization),
                selectinload(Assessment.results),
                selectinload(Assessment.scores),
            )
        )
    ).all()
    return rnd


def save_scores(
    session: Session,
    rnd: AssessmentRound,
    actor: User,
    entries: Mapping[tuple[int, int], ScoreEntry],
) -> int:
    """Save the actor's own manual scores, keyed by (assessment id, criterion id); return how many.

    Each evaluator's scores are their own rows, so two evaluators scoring at the same time never
    overwrite each other; the round row is locked while the totals are recalculated.
    """
    _check_evaluator(actor, rnd)
    session.refresh(rnd, with_for_update=True)
    _check_open(rnd)
    load_targets(session, rnd)
    assessments = {a.id: a for a in rnd.assessments}
    criteria = {c.id: c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL}
    saved = 0
    for (assessment_id, criterion_id), entry in entries.items():
        assessment, criterion = assessments.get(assessment_id), criteria.get(criterion_id)
        if assessment is None or criterion is None:
            raise DomainError("评分项目不属于本考评批次")
        existing = next(
            (s for s in assessment.scores if s.criterion_id == criterion_id and s.evaluator_id == actor.id),
            None,
        )
        if entry.points is None:
            if existing is not None:
                assessment.scores.remove(existing)
                saved += 1
            continue
        if reason := conflict_of_interest(actor, assessment):
            raise DomainError(f"{assessment.target_name}：{reason}")
        if not Decimal(0) <= entry.points <= Decimal(criterion.max_points):
            raise DomainError(
                f"{assessment.target_name}「{criterion.name}」的评分应在0至{criterion.max_points}分之间"
            )
        if existing is None:
            existing = ManualScore(criterion=criterion, evaluator=actor)
            assessment.scores.append(existing)
        existing.points = _q(entry.points)
        # The score grid posts raw fields (no WTForms filter): clean them here.
        existing.comment = strip_control(entry.comment or "").strip()[:500] or None
        saved += 1
    session.flush()  # the new scores get their criterion_id, by which `tally` groups them
    tally(rnd)
    _touch(rnd)
    session.commit()
    return saved


def missing_scores(rnd: AssessmentRound) -> list[str]:
    """Return 'target「criterion」' for each manual criterion nobody has scored yet."""
    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    return [
        f"{a.target_name}「{c.name}」"
        for a in rnd.assessments
        for c in manual
        if not any(s.criterion_id == c.id for s in a.scores)
    ]


def finalise(
    session: Session, rnd: AssessmentRound, actor: User, *, expected_version: int | None = None
) -> AssessmentRound:
    """定稿: fix totals, ranks and bands and lock the round; every manual criterion must be scored."""
    _check_evaluator(actor, rnd)
    _check_open(rnd, expected_version)
    missing = missing_scores(rnd)
    if missing:
        shown = "、".join(missing[:5]) + ("等" if len(missing) > 5 else "")
        raise DomainError(f"尚有{len(missing)}项人工评分未录入：{shown}")
    tally(rnd)
    rnd.status = RoundStatus.FINAL
    rnd.finalised_at = utcnow()
    rnd.finalised_by = actor
    number_round(session, rnd)
    _event(session, rnd, actor, RoundEventKind.FINALISE)
    session.commit()
    return rnd


def format_round_number(root_code: str, year: int, seq: int) -> str:
    """Return the 发文字号 of a round's 考评结果通知书: `<root code>司考〔2026〕3号`."""
    return f"{root_code}司考〔{year}〕{seq}号"


def number_round(session: Session, rnd: AssessmentRound) -> str:
    """Give the round its 发文字号 at its first 定稿, in the year of 定稿; keep it after. No commit.

    One series per tree (its root issues the notices, as with 调解能手 certificates). The counter row
    stays locked until the transaction ends, so numbers are unique and gapless; a reopened round keeps
    its number and prints it again when finalised again.
    """
    if rnd.number:
        return rnd.number
    root = session.get(Organization, rnd.organization.ancestor_ids[0])
    assert root is not None
    year = clock.local_date(rnd.finalised_at or utcnow()).year
    seq = reserve(session, DocumentCounter, kind=NUMBER_SERIES, organization_id=root.id, year=year)
    rnd.number_year, rnd.number_seq = year, seq
    rnd.number = format_round_number(root.code, year, seq)
    return rnd.number


def reopen(
    session: Session,
    rnd: AssessmentRound,
    actor: User,
    *,
    reason: str,
    expected_version: int | None = None,
) -> AssessmentRound:
    """重新开启 a finalised round, with the reason kept beside it; the only way to change it."""
    _check_evaluator(actor, rnd)
    if not rnd.is_final:
        raise DomainError("该考评批次尚未定稿")
    if expected_version is not None and expected_version != rnd.version:
        raise DomainError(STALE_ROUND)
    if not (reason or "").strip():
        raise DomainError("请填写重新开启的理由", "reason")
    rnd.status = RoundStatus.OPEN
    rnd.finalised_at = None
    rnd.finalised_by = None
    _event(session, rnd, actor, RoundEventKind.REOPEN, reason=reason.strip())
    session.commit()
    return rnd


def scoped_targets(session: Session, actor: User, kind: TargetKind) -> list[Mediator | Organization]:
    """Return what the actor may put in a round of this kind: active mediators or organisations."""
    if TargetKind(kind) == TargetKind.MEDIATOR:
        query = (
            select(Mediator)
            .where(org_in_scope(actor, Mediator.organization_id), Mediator.status == MediatorStatus.ACTIVE)
            .order_by(Mediator.organization_id, Mediator.name)
        )
        return list(session.scalars(query))
    query = (
        select(Organization)
        .where(org_in_scope(actor, Organization.id), Organization.status != OrgStatus.REVOKED)
        .order_by(Organization.path)
    )
    return list(session.scalars(query))
