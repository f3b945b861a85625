"""分析研判: the figures of one organisation's period, for the monthly (county) or half-monthly (township)
meeting that reviews disputes and warns the leadership of major ones and of trends.

Every figure counts the cases the organisation's subtree accepted (受理日期) in the period, voided ones
left out, by their outcome now: 调解成功 is a case with an agreement, 调解不成 one with a failure
reason and no agreement, the rest have no result yet. The same counts for the period before (环比) and
for the same period a year before (同比) make the comparisons. Overdue cases are taken as they stood at
the period's end (today, while it runs): in mediation past their 办结时限, replayed from the cases'
recorded steps for a period that is over.

Each figure carries `Criteria`: which cases it counts, in terms the ledger's filters understand, so the
pages can link every number to the list of its cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from portal.models.analysis import AnalysisReport
from portal.models.case import Agreement, Case, Difficulty, RiskLevel
from portal.models.dictionary import DisputeType
from portal.models.org import Organization, OrgLevel
from portal.services.analysis_cases import Overdue, overdue_cases, serious_cases
from portal.services.analysis_periods import Period, as_of
from portal.services.analysis_scope import in_period

TOP_TYPES = 5
TOP_VILLAGES = 10
TEN_THOUSAND = Decimal(10000)

#: Which cases a figure counts, as ledger filter criteria (`admin/ledger/links.py`): accepted=(start, end),
#: org=id (its subtree), org_own=id (本级), type=id, outcome=valid|settled|written|oral|failed|pending,
#: difficulty, risk, group, overdue, prevented_*.
Criteria = dict[str, Any]


# --- figures ---------------------------------------------------------------------------------------


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Figures:
    """The counts of one period."""

    accepted: int = 0
    settled: int = 0
    failed: int = 0
    people: int = 0
    amount: Decimal = Decimal(0)
    group: int = 0
    major: int = 0
    high_risk: int = 0

    @property
    def pending(self) -> int:
        """Cases without a result yet (still being mediated, or suspended)."""
        return self.accepted - self.settled - self.failed

    @property
    def success_rate(self) -> Decimal | None:
        """调解成功率: settled among the cases with a result, in percent (one place)."""
        decided = self.settled + self.failed
        if not decided:
            return None
        return (Decimal(100 * self.settled) / decided).quantize(Decimal("0.1"))

    @property
    def amount_wan(self) -> Decimal:
        """涉及金额 in 万元."""
        return self.amount / TEN_THOUSAND


def figures(session: Session, org: Organization, period: Period) -> Figures:
    """Return the counts of the cases the subtree accepted in the period."""
    row = session.execute(
        select(
            func.count(Case.id),
            _count(Agreement.id.is_not(None)),
            _count(and_(Agreement.id.is_(None), Case.failure_reason.is_not(None))),
            func.coalesce(func.sum(Case.people_involved), 0),
            func.coalesce(func.sum(Case.amount), 0),
            _count(Case.is_group.is_(True)),
            _count(Case.difficulty == Difficulty.MAJOR),
            _count(Case.risk_level == RiskLevel.HIGH),
        )
        .select_from(Case)
        .outerjoin(Agreement, Agreement.case_id == Case.id)
        .where(*in_period(org, period.start, period.end))
    ).one()
    return Figures(
        accepted=int(row[0]),
        settled=int(row[1]),
        failed=int(row[2]),
        people=int(row[3]),
        amount=Decimal(row[4] or 0),
        group=int(row[5]),
        major=int(row[6]),
        high_risk=int(row[7]),
    )


@dataclass
class Change:
    """A figure against a base (the period before, or a year before)."""

    current: Decimal | int | None
    base: Decimal | int | None

    @property
    def diff(self) -> Decimal | int | None:
        if self.current is None or self.base is None:
            return None
        return self.current - self.base

    @property
    def ratio(self) -> Decimal | None:
        """Return the relative change (0.125 for +12.5%), None when the base is zero or missing."""
        if self.current is None or not self.base:
            return None
        return (Decimal(self.current) - Decimal(self.base)) / Decimal(self.base)

    @property
    def text(self) -> str:
        """Return 上升12.5% / 下降3.0% / 持平 / 新增5 / —, as the report words it."""
        if self.current is None or self.base is None:
            return "—"
        if self.current == self.base:
            return "持平"
        ratio = self.ratio
        if ratio is None:
            shown = f"{self.current:.2f}" if isinstance(self.current, Decimal) else str(self.current)
            return f"新增{shown}"
        word = "上升" if ratio > 0 else "下降"
        return f"{word}{abs(ratio) * 100:.1f}%"

    @property
    def points_text(self) -> str:
        """Return a rate's change in percentage points: 上升5.0个百分点 / 下降2.5个百分点 / 持平 / —."""
        diff = self.diff
        if diff is None:
            return "—"
        if diff == 0:
            return "持平"
        return f"{'上升' if diff > 0 else '下降'}{abs(Decimal(diff)):.1f}个百分点"


@dataclass
class Metric:
    """One line of the comparison table: this period, the one before and a year before."""

    key: str
    label: str
    unit: str
    current: Decimal | int | None
    previous: Decimal | int | None
    last_year: Decimal | int | None
    #: What the figure counts (None: a rate or sum, linked through its count).
    criteria: Criteria | None

    @property
    def vs_previous(self) -> Change:
        return Change(self.current, self.previous)

    @property
    def vs_last_year(self) -> Change:
        return Change(self.current, self.last_year)

    @property
    def previous_text(self) -> str:
        return self.vs_previous.points_text if self.unit == "%" else self.vs_previous.text

    @property
    def last_year_text(self) -> str:
        return self.vs_last_year.points_text if self.unit == "%" else self.vs_last_year.text


#: (attribute of Figures, label, unit, criteria beyond the period and the subtree).
METRICS: tuple[tuple[str, str, str, Criteria | None], ...] = (
    ("accepted", "受理纠纷", "件", {"outcome": "valid"}),
    ("settled", "调解成功", "件", {"outcome": "settled"}),
    ("failed", "调解不成", "件", {"outcome": "failed"}),
    ("pending", "尚无调解结果", "件", {"outcome": "pending"}),
    ("success_rate", "调解成功率", "%", None),
    ("people", "涉及人数", "人", None),
    ("amount_wan", "涉及金额", "万元", None),
    ("group", "群体性纠纷", "件", {"outcome": "valid", "group": True}),
    ("major", "重大纠纷", "件", {"outcome": "valid", "difficulty": Difficulty.MAJOR.value}),
    ("high_risk", "高风险纠纷", "件", {"outcome": "valid", "risk": RiskLevel.HIGH.value}),
)


def period_criteria(org: Organization, period: Period, /, **more: Any) -> Criteria:
    """Return the criteria of the cases the subtree accepted in the period (plus `more`)."""
    return {"accepted": (period.start, period.end), "org": org.id, "outcome": "valid"} | more


# --- types and places ------------------------------------------------------------------------------


@dataclass
class Row:
    """A dispute type or a place with its counts in the three periods."""

    name: str
    current: int
    previous: int
    last_year: int
    #: What the row counts in this period, as ledger filter criteria (None: no ledger filter says it).
    criteria: Criteria | None
    share: Decimal | None = None  # of this period's total, in percent
    order: int = 0

    @property
    def vs_previous(self) -> Change:
        return Change(self.current, self.previous)

    @property
    def vs_last_year(self) -> Change:
        return Change(self.current, self.last_year)


def top_level_of(types: list[DisputeType]) -> dict[int, DisputeType]:
    """Return {type id: its top-level category} for the whole dictionary."""
    by_id = {t.id: t for t in types}
    tops = {}
    for t in types:
        node, seen = t, set()
        while node.parent_id is not None and node.parent_id in by_id and node.id not in seen:
            seen.add(node.id)
            node = by_id[node.parent_id]
        tops[t.id] = node
    return tops


def _counts_by(session: Session, column: Any, org: Organization, period: Period) -> dict[int, int]:
    rows = session.execute(
        select(column, func.count(Case.id)).where(*in_period(org, period.start, period.end)).group_by(column)
    ).all()
    return {key: int(n) for key, n in rows}


def _share(part: int, total: int) -> Decimal | None:
    return (Decimal(100 * part) / total).quantize(Decimal("0.1")) if total else None


def _grouped(counted: list[dict[int, int]], mapping: dict[int, int]) -> list[dict[int, int]]:
    """Return the counts of each period summed by `mapping` (keys it does not map are left out)."""
    out = []
    for counts in counted:
        summed: dict[int, int] = {}
        for key, n in counts.items():
            if key in mapping:
                summed[mapping[key]] = summed.get(mapping[key], 0) + n
        out.append(summed)
    return out


def _ranked(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (-r.current, -r.previous, r.order, r.name))


def type_rows(session: Session, org: Organization, periods: tuple[Period, Period, Period]) -> list[Row]:
    """Return the top-level dispute types with cases in any of the three periods, most frequent first."""
    types = list(session.scalars(select(DisputeType)))
    tops = {type_id: top.id for type_id, top in top_level_of(types).items()}
    by_id = {t.id: t for t in types}
    counts = _grouped([_counts_by(session, Case.dispute_type_id, org, p) for p in periods], tops)
    total = sum(counts[0].values())
    return _ranked(
        [
            Row(
                name=by_id[top].name,
                current=counts[0].get(top, 0),
                previous=counts[1].get(top, 0),
                last_year=counts[2].get(top, 0),
                criteria=period_criteria(org, periods[0], type=top),
                share=_share(counts[0].get(top, 0), total),
                order=by_id[top].sort_order,
            )
            for top in set().union(*counts)
        ]
    )


def place_rows(
    session: Session, org: Organization, periods: tuple[Period, Period, Period]
) -> tuple[list[Row], list[Row]]:
    """Return the distribution over the organisation's direct subdivisions (with 本级, the cases it handles
    itself) and the villages (村/社区, their grids and rooms included) with the most cases: the hot spots."""
    nodes = session.execute(
        select(Organization.id, Organization.name, Organization.path, Organization.level).where(
            Organization.path.startswith(org.path, autoescape=True)
        )
    ).all()
    names = {i: name for i, name, _path, _level in nodes}
    level_of = {i: level for i, _name, _path, level in nodes}
    depth = len(org.ancestor_ids)
    child_of: dict[int, int] = {}
    village_of: dict[int, int] = {}
    for i, _name, path, _level in nodes:
        ids = [int(part) for part in path.strip("/").split("/")]
        child_of[i] = ids[depth] if len(ids) > depth else org.id
        village = next((a for a in ids[depth - 1 :] if level_of.get(a) == OrgLevel.VILLAGE), None)
        if village is not None:
            village_of[i] = village
    counted = [_counts_by(session, Case.organization_id, org, period) for period in periods]
    total = sum(counted[0].values())

    def rows(groups: list[dict[int, int]]) -> list[Row]:
        return _ranked(
            [
                Row(
                    name=f"{names[key]}（本级）" if key == org.id else names[key],
                    current=groups[0].get(key, 0),
                    previous=groups[1].get(key, 0),
                    last_year=groups[2].get(key, 0),
                    criteria=period_criteria(org, periods[0], org_own=key)
                    if key == org.id
                    else period_criteria(org, periods[0], org=key),
                    share=_share(groups[0].get(key, 0), total),
                )
                for key in set().union(*groups)
            ]
        )

    areas = rows(_grouped(counted, child_of))
    spots = [r for r in rows(_grouped(counted, village_of)) if r.current][:TOP_VILLAGES]
    return areas, spots


# --- the report ------------------------------------------------------------------------------------


@dataclass
class Report:
    """Everything one 分析研判 shows, for the page, the workbook and the documents."""

    org: Organization
    period: Period
    previous: Period
    last_year: Period
    as_of: date
    metrics: list[Metric]
    current: Figures
    types: list[Row]
    areas: list[Row]
    hot_spots: list[Row]
    serious: list[Case]
    serious_total: int
    overdue: list[Overdue]
    #: All the overdue cases; `overdue` lists at most LIST_LIMIT of them.
    overdue_total: int
    notes: AnalysisReport | None
    #: Whether `as_of` is today, so the overdue list is the ledger's live 超期 list.
    live: bool = False
    criteria: Criteria = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Return whether the period has not ended yet (its figures still move)."""
        return self.as_of < self.period.end

    @property
    def top_types(self) -> list[Row]:
        return [r for r in self.types if r.current][:TOP_TYPES]

    @property
    def area_word(self) -> str:
        """Return how the report names its ground: 全县 for the county, the organisation's name below."""
        return "全县" if self.org.parent_id is None else self.org.name

    @property
    def overdue_criteria(self) -> Criteria | None:
        """Return the ledger criteria of the overdue list: only today's picture is a ledger filter."""
        return {"org": self.org.id, "overdue": True} if self.live else None


def notes_of(session: Session, org: Organization, period: Period) -> AnalysisReport | None:
    """Return the analyst's notes of the organisation's period, if any were written or a circular issued."""
    return session.scalar(
        select(AnalysisReport).where(
            AnalysisReport.organization_id == org.id,
            AnalysisReport.period_kind == period.kind,
            AnalysisReport.period_start == period.start,
        )
    )


def build_report(session: Session, org: Organization, period: Period, today: date) -> Report:
    """Return the 分析研判 of `org` (the caller checked it is in the user's scope) for `period`."""
    periods = (period, period.previous(), period.last_year())
    current, previous, last_year = (figures(session, org, p) for p in periods)
    metrics = [
        Metric(
            key=key,
            label=label,
            unit=unit,
            current=getattr(current, key),
            previous=getattr(previous, key),
            last_year=getattr(last_year, key),
            criteria=period_criteria(org, period, **more) if more is not None else None,
        )
        for key, label, unit, more in METRICS
    ]
    areas, spots = place_rows(session, org, periods)
    serious, serious_total = serious_cases(session, org, period)
    day = as_of(period, today)
    overdue, overdue_total = overdue_cases(session, org, day, today)
    return Report(
        org=org,
        period=period,
        previous=periods[1],
        last_year=periods[2],
        as_of=day,
        metrics=metrics,
        current=current,
        types=type_rows(session, org, periods),
        areas=areas,
        hot_spots=spots,
        serious=serious,
        serious_total=serious_total,
        overdue=overdue,
        overdue_total=overdue_total,
        notes=notes_of(session, org, period),
        live=day >= today,
        criteria=period_criteria(org, period),
    )


def metric(report: Report, key: str) -> Metric:
    """Return one line of the comparison table by its key."""
    return next(m for m in report.metrics if m.key == key)
