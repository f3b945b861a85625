"""The 工作台's figures for a user's subtree: the period's intake and outcomes, open cases and warnings,
the monthly trend and 零报告 compliance.

Period figures are summed from the summary tables (`services.tally`), which hold the ledger's counts
by organisation and month; figures about open cases depend on today's date and are counted on the
ledger itself through `ix_dispute_case_status_figures`, which holds every column they test. Each figure
carries the criteria of the ledger filters that list exactly its cases (`admin/ledger/links.py`);
tests/services/test_dashboard.py checks that the two agree. Definitions: `services.figures`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session, joinedload

from portal.models.auth import User
from portal.models.case import MEDIATION_STATUSES, OPEN_STATUSES, Case, CaseStatus, RiskLevel
from portal.models.case_extras import LiaisonChannel
from portal.models.dictionary import DisputeType
from portal.models.org import Organization, OrgStatus
from portal.models.tally import CaseStatusTally, CaseTypeTally
from portal.models.zero_report import ZeroReport
from portal.services import case_extras, zero_reports
from portal.services.deadlines import (
    RED_CARD_STATUSES,
    DeadlineRules,
    add_months,
)
from portal.services.figures import (
    CONCLUDED_STATUSES,
    RATE_HELP,
    Period,
    Progress,
    month_end,
    period_range,
    trend_months,
)
from portal.services.scope import org_in_scope, scoped_organizations
from portal.services.tally import FAILED, LATE, ON_TIME, SUCCESS

S = CaseStatus
#: How many cases the dashboard lists in full under 超期/红牌 and 重大/群体性.
LISTED = 10


@dataclass(frozen=True)
class Figure:
    """A count and the ledger criteria that list exactly its cases."""

    value: int
    criteria: dict[str, Any]


@dataclass(frozen=True)
class Rate:
    """A rate: `part` over `part` + `rest` (or over `whole` when the rest is not a group of its own)."""

    key: str
    label: str
    part: Figure
    whole: Figure | None = None
    rest: Figure | None = None

    @property
    def denominator(self) -> int:
        if self.whole is not None:
            return self.whole.value
        return self.part.value + (self.rest.value if self.rest else 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.part.value / self.denominator, 1) if self.denominator else None

    @property
    def help(self) -> str:
        return RATE_HELP[self.key]


@dataclass
class OrgRow:
    """One line of the table by organisation: a direct child (with its subtree) or the user's own."""

    name: str
    own: bool
    accepted: Figure
    settled: Figure
    open: Figure
    overdue: Figure


@dataclass
class Dashboard:
    """Everything the 工作台 shows about the ledger."""

    period: Period
    start: date
    end: date
    accepted: Figure
    by_status: list[tuple[CaseStatus, Figure]]
    by_type: list[tuple[str, Figure]]
    by_org: list[OrgRow]
    rates: list[Rate]
    open: dict[str, Figure]
    overdue_cases: list[Case]
    major_cases: list[Case]
    trend: list[tuple[date, Figure, Figure]]
    zero: ZeroCompliance
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ZeroCompliance:
    """零报告 of a month: the reporting committees, those with cases, those that reported none, the rest."""

    month: date
    reporting: int
    with_cases: int
    reported: int
    missing: list[zero_reports.MissingReport]


def build(session: Session, user: User, today: date, rules: DeadlineRules, period: Period) -> Dashboard:
    """Return the dashboard of the user's subtree on `today` for the period."""
    start, end = period_range(period, today)
    span = {"accepted": (start, end)}
    tree = _Tree(session, user)
    counts = _period_counts(session, user, start, end)
    open_counts = _open_counts(session, user, today, rules, tree)
    valid = {**span, "outcome": "valid"}
    # A child's row sums the organisations below it; the user's own row ("本级") its own cases.
    valid_by: Counter[int] = Counter()
    settled_by: Counter[int] = Counter()
    for org_id, (valid_n, settled_n) in counts.by_org.items():
        valid_by[tree.child_of(org_id)] += valid_n
        settled_by[tree.child_of(org_id)] += settled_n
    rows = []
    for node in tree.rows():
        own = node.id == user.organization_id
        where = {"org_own": node.id} if own else {"org": node.id}
        rows.append(
            OrgRow(
                name=node.name,
                own=own,
                accepted=Figure(valid_by[node.id], {**valid, **where}),
                settled=Figure(settled_by[node.id], {**span, "outcome": "settled", **where}),
                open=Figure(open_counts.open_by_child[node.id], {**where, "progress": Progress.OPEN.value}),
                overdue=Figure(open_counts.overdue_by_child[node.id], {**where, "overdue": True}),
            )
        )
    return Dashboard(
        period=period,
        start=start,
        end=end,
        accepted=Figure(counts.valid, valid),
        by_status=[(status, Figure(counts.status[status], {**span, "status": status.value})) for status in S],
        by_type=_by_type(session, user, start, end, valid),
        by_org=rows,
        rates=[
            Rate(
                "success",
                "调解成功率",
                Figure(counts.success, {**span, "outcome": "settled"}),
                rest=Figure(counts.failed, {**span, "outcome": "failed"}),
            ),
            Rate(
                "closure",
                "办结率",
                Figure(counts.concluded, {**span, "progress": Progress.CONCLUDED.value}),
                whole=Figure(counts.valid, valid),
            ),
            Rate(
                "on_time",
                "按期办结率",
                Figure(counts.on_time, {**span, "progress": Progress.ON_TIME.value}),
                rest=Figure(counts.late, {**span, "progress": Progress.LATE.value}),
            ),
        ],
        open=open_counts.figures(),
        # 超期 or 红牌: `overdue_clause` or `red_card_clause`, the status tests taken out of the OR (a red
        # card is in mediation too), which lets PostgreSQL read the index instead of OR-ing bitmaps.
        overdue_cases=_cases(
            session,
            user,
            and_(
                Case.status.in_(MEDIATION_STATUSES),
                or_(
                    Case.deadline < today,
                    and_(
                        Case.status.in_(RED_CARD_STATUSES),
                        Case.last_activity_on <= rules.untouched_since(today),
                    ),
                ),
            ),
            Case.deadline,
        ),
        # 领导包案 cases are major by definition: listed with their leaders (services.case_extras).
        major_cases=(
            major := _cases(
                session,
                user,
                and_(
                    Case.status.in_(OPEN_STATUSES),
                    or_(
                        Case.risk_level == RiskLevel.HIGH,
                        Case.is_group,
                        Case.id.in_(case_extras.active_charge_cases()),
                    ),
                ),
                Case.accepted_on,
                newest=True,
            )
        ),
        trend=_trend(session, user, today),
        zero=zero_compliance(session, user, add_months(today.replace(day=1), -1)),
        extra={
            "leaders": case_extras.active_leaders(session, [case.id for case in major]),
            "liaisons": _liaisons(session, user, start, end),
        },
    )


def _liaisons(session: Session, user: User, start: date, end: date) -> list[tuple[str, Figure, Figure]]:
    """Return 三调联动 per partner: cases accepted in the period that came in from it, and went out to it."""
    counts = case_extras.liaison_counts(session, user, start, end)
    valid = {"accepted": (start, end), "outcome": "valid"}
    return [
        (
            channel.label,
            Figure(counts.get(f"{channel.value}_in", 0), {**valid, "liaison": f"{channel.value}_in"}),
            Figure(counts.get(f"{channel.value}_out", 0), {**valid, "liaison": f"{channel.value}_out"}),
        )
        for channel in LiaisonChannel
    ]


# --- the period, from the summary tables -----------------------------------------------------------


@dataclass
class _Counts:
    status: Counter[CaseStatus] = field(default_factory=Counter)
    valid: int = 0
    success: int = 0
    failed: int = 0
    concluded: int = 0
    on_time: int = 0
    late: int = 0
    by_org: dict[int, tuple[int, int]] = field(default_factory=dict)


def _period_counts(session: Session, user: User, start: date, end: date) -> _Counts:
    tally = CaseStatusTally
    rows = session.execute(
        select(tally.organization_id, tally.status, tally.outcome, tally.timeliness, func.sum(tally.cases))
        .where(org_in_scope(user, tally.organization_id), tally.month.between(start, end))
        .group_by(tally.organization_id, tally.status, tally.outcome, tally.timeliness)
    ).all()
    counts = _Counts()
    per_org: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, status, outcome, timeliness, cases in rows:  # status: a CaseStatus (the column's type)
        counts.status[status] += cases
        if status == S.VOIDED:
            continue
        counts.valid += cases
        per_org[org_id][0] += cases
        if outcome == SUCCESS:
            counts.success += cases
            per_org[org_id][1] += cases
        elif outcome == FAILED:
            counts.failed += cases
        if status in CONCLUDED_STATUSES:
            counts.concluded += cases
        if timeliness == ON_TIME:
            counts.on_time += cases
        elif timeliness == LATE:
            counts.late += cases
    counts.by_org = {org_id: (v, s) for org_id, (v, s) in per_org.items()}
    return counts


def _by_type(
    session: Session, user: User, start: date, end: date, valid: dict[str, Any]
) -> list[tuple[str, Figure]]:
    """Return (first-level type, figure) by count, a type counted with its sub-types."""
    tally = CaseTypeTally
    rows = session.execute(
        select(tally.dispute_type_id, func.sum(tally.cases))
        .where(org_in_scope(user, tally.organization_id), tally.month.between(start, end))
        .group_by(tally.dispute_type_id)
    ).all()
    types = {t.id: t for t in session.scalars(select(DisputeType))}
    totals: Counter[int] = Counter()
    for type_id, cases in rows:
        kind = types.get(type_id)
        top = kind.parent_id if kind is not None and kind.parent_id else type_id
        totals[top] += cases
    return [
        (types[type_id].name if type_id in types else str(type_id), Figure(n, {**valid, "type": type_id}))
        for type_id, n in totals.most_common()
        if n
    ]


def _trend(session: Session, user: User, today: date) -> list[tuple[date, Figure, Figure]]:
    """Return (month, accepted, settled) for the last 24 months, oldest first."""
    months = trend_months(today)
    tally = CaseStatusTally
    rows = session.execute(
        select(tally.month, tally.outcome, func.sum(tally.cases))
        .where(
            org_in_scope(user, tally.organization_id),
            tally.month >= months[0],
            tally.status != S.VOIDED,
        )
        .group_by(tally.month, tally.outcome)
    ).all()
    accepted: Counter[date] = Counter()
    settled: Counter[date] = Counter()
    for month, outcome, cases in rows:
        month = date.fromisoformat(month) if isinstance(month, str) else month
        accepted[month] += cases
        if outcome == SUCCESS:
            settled[month] += cases
    result = []
    for month in months:
        span = (month, month_end(month))
        result.append(
            (
                month,
                Figure(accepted[month], {"accepted": span, "outcome": "valid"}),
                Figure(settled[month], {"accepted": span, "outcome": "settled"}),
            )
        )
    return result


# --- open cases, from the ledger -------------------------------------------------------------------


@dataclass
class _Open:
    totals: Counter[str] = field(default_factory=Counter)
    open_by_child: Counter[int] = field(default_factory=Counter)
    overdue_by_child: Counter[int] = field(default_factory=Counter)

    #: figure key -> the ledger criteria of its cases
    CRITERIA: ClassVar[dict[str, dict[str, Any]]] = {
        "open": {"progress": Progress.OPEN.value},
        "overdue": {"overdue": True},
        "red_card": {"progress": Progress.RED_CARD.value},
        "high_risk": {"progress": Progress.OPEN.value, "risk": RiskLevel.HIGH.value},
        "group": {"progress": Progress.OPEN.value, "group": True},
        "supervised": {"supervised": True},
    }

    def figures(self) -> dict[str, Figure]:
        return {key: Figure(self.totals[key], criteria) for key, criteria in self.CRITERIA.items()}


def _open_counts(session: Session, user: User, today: date, rules: DeadlineRules, tree: _Tree) -> _Open:
    """Count the open cases and their warnings by handling organisation, in one pass over the index.

    Grouped by status first, so that each status's range of the figures index is read in order (grouped
    by organisation alone, SQLite would walk the organisation index and every row), and so that the
    conditions on the status (超期 only in mediation, 红牌 only when assigned or in mediation) are
    applied here to whole groups instead of to every row: what remains per row are plain comparisons.
    Each figure is the very condition its ledger filter applies (`overdue_clause`, `red_card_clause`).
    """
    per_row = {
        "overdue": Case.deadline < today,
        "red_card": Case.last_activity_on <= rules.untouched_since(today),
        "high_risk": Case.risk_level == RiskLevel.HIGH,
        "group": Case.is_group,
        "supervised": Case.supervision_deadline.is_not(None),
    }
    only_in = {"overdue": MEDIATION_STATUSES, "red_card": RED_CARD_STATUSES}
    sums = [func.count(when((condition, 1))) for condition in per_row.values()]
    rows = session.execute(
        select(Case.status, Case.organization_id, func.count(), *sums)
        .where(Case.status.in_(OPEN_STATUSES), org_in_scope(user, Case.organization_id))
        .group_by(Case.status, Case.organization_id)
    ).all()
    result = _Open()
    for status, org_id, count, *values in rows:
        child = tree.child_of(org_id)
        found = {
            key: value if key not in only_in or status in only_in[key] else 0
            for key, value in zip(per_row, values, strict=True)
        }
        result.totals["open"] += count
        result.totals.update(found)
        result.open_by_child[child] += count
        result.overdue_by_child[child] += found["overdue"]
    return result


def _cases(session: Session, user: User, condition: Any, key: Any, newest: bool = False) -> list[Case]:
    """Return the first LISTED cases meeting `condition`, by `key` (oldest first unless `newest`).

    The ids are picked from the figures index alone and sorted there: the ORDER BY is on an expression
    (coalesce(key, key)), so that SQLite does not walk a date index instead, which for a township would
    read its whole history to find ten of its cases. Then the ten cases are loaded.
    """
    order = func.coalesce(key, key)
    ids = list(
        session.scalars(
            select(Case.id)
            .where(condition, org_in_scope(user, Case.organization_id))
            .order_by(order.desc() if newest else order, Case.id)
            .limit(LISTED)
        )
    )
    found = {
        case.id: case
        for case in session.scalars(
            select(Case)
            .options(joinedload(Case.organization), joinedload(Case.dispute_type))
            .where(Case.id.in_(ids))
        )
    }
    return [found[i] for i in ids if i in found]


# --- the organisation tree -------------------------------------------------------------------------


@dataclass
class _Node:
    id: int
    name: str


class _Tree:
    """The user's organisation and its direct children, and which child each organisation lies under."""

    def __init__(self, session: Session, user: User) -> None:
        own = user.organization
        self.own_id, self.prefix = own.id, own.path
        children = session.execute(
            select(Organization.id, Organization.name, Organization.status)
            .where(Organization.parent_id == own.id)
            .order_by(Organization.sort_order, Organization.id)
        ).all()
        revoked = "（已撤销）"
        self.children = [
            _Node(i, name + (revoked if status == OrgStatus.REVOKED else "")) for i, name, status in children
        ]
        self.paths = dict(session.execute(select(Organization.id, Organization.path)).all())

    def rows(self) -> list[_Node]:
        return [_Node(self.own_id, "本级"), *self.children]

    def child_of(self, org_id: int) -> int:
        """Return the direct child whose subtree holds `org_id` (the user's own id for its own rows)."""
        rest = (self.paths.get(org_id) or "")[len(self.prefix) :]
        head = rest.split("/", 1)[0]
        return int(head) if head else self.own_id


# --- 零报告 ------------------------------------------------------------------------------------------


def zero_compliance(session: Session, user: User, month: date) -> ZeroCompliance:
    """Return the 零报告 figures of the month starting on `month` for the user's subtree."""
    start, end = zero_reports.month_period(month)
    reporting = (
        scoped_organizations(user)
        .where(
            Organization.kind.in_(zero_reports.REPORTING_KINDS),
            Organization.level.in_(zero_reports.REPORTING_LEVELS),
            Organization.status != OrgStatus.REVOKED,
        )
        .with_only_columns(Organization.id)
        .order_by(None)
    )
    has_cases = exists().where(
        Case.numbering_organization_id == Organization.id,
        Case.accepted_on.between(start, end),
        Case.status != S.VOIDED,
    )
    total = session.scalar(select(func.count()).select_from(reporting.subquery())) or 0
    with_cases = session.scalar(select(func.count()).select_from(reporting.where(has_cases).subquery())) or 0
    reported = (
        session.scalar(
            select(func.count())
            .select_from(ZeroReport)
            .where(ZeroReport.organization_id.in_(reporting), ZeroReport.period_start == start)
        )
        or 0
    )
    missing = zero_reports.missing_reports(session, user, start)
    return ZeroCompliance(start, total, with_cases, reported, missing)
