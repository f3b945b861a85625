"""调解民间纠纷分类统计表: the 司法部 statistics of people's mediation by dispute type.

One row per top-level category of the dispute-type dictionary (the 司法部 classification, loaded by
migration 0001), each followed by its sub-types as "其中" rows, and a 合计 row. A category's figures
include its sub-types and the cases recorded under the category itself. Columns: disputes mediated
(the cases accepted in the span, voided ones left out), settled (with an agreement) and of those written
and oral agreements, people involved, the amount involved in 万元, and what mediation averted: 防止民转刑
and 防止群体性上访 (flags on the case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.models.case import Agreement, AgreementForm, Case
from portal.models.dictionary import DisputeType
from portal.models.org import Organization
from portal.services.analysis_scope import in_period

TEN_THOUSAND = Decimal(10000)

#: The figures of a row, in the table's column order: (key, header), the header as the 司法部 form words it.
COLUMNS = (
    ("cases", "调解纠纷"),
    ("settled", "小计"),
    ("written", "书面协议"),
    ("oral", "口头协议"),
    ("people", "涉及人数"),
    ("amount", "涉及金额"),
    ("prevented_crime", "防止民转刑"),
    ("prevented_petition", "防止群体性上访"),
)
#: Which cases each count is, as ledger filter criteria (people and amount are sums, linked by `cases`).
CRITERIA: dict[str, dict[str, Any] | None] = {
    "cases": {"outcome": "valid"},
    "settled": {"outcome": "settled"},
    "written": {"outcome": "written"},
    "oral": {"outcome": "oral"},
    "people": None,
    "amount": None,
    "prevented_crime": {"outcome": "valid", "prevented_crime": True},
    "prevented_petition": {"outcome": "valid", "prevented_petition": True},
}


@dataclass
class Line:
    """One row: a category, a sub-type (其中) or the 合计."""

    label: str
    kind: str  # "category", "sub" or "total"
    type_id: int | None
    cases: int = 0
    settled: int = 0
    written: int = 0
    oral: int = 0
    people: int = 0
    amount: Decimal = Decimal(0)  # in 元; `amount_wan` is what the table prints
    prevented_crime: int = 0
    prevented_petition: int = 0

    @property
    def amount_wan(self) -> Decimal:
        return self.amount / TEN_THOUSAND

    def add(self, other: Line) -> None:
        for key, _header in COLUMNS:
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def value(self, key: str) -> Any:
        """Return the printed value of a column (the amount in 万元)."""
        return self.amount_wan if key == "amount" else getattr(self, key)


@dataclass
class DisputeTable:
    """The table of an organisation's subtree over a span, optionally one branch of the dictionary."""

    org: Organization
    start: date
    end: date
    type_root: DisputeType | None
    lines: list[Line] = field(default_factory=list)
    total: Line = field(default_factory=lambda: Line("合计", "total", None))

    @property
    def span(self) -> str:
        return f"{chinese_day(self.start)}至{chinese_day(self.end)}"


def chinese_day(day: date) -> str:
    """Return 2026年11月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _counts(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def figures_by_type(session: Session, org: Organization, start: date, end: date) -> dict[int, Line]:
    """Return {dispute type id: its figures} over the span."""
    rows = session.execute(
        select(
            Case.dispute_type_id,
            func.count(Case.id),
            _counts(Agreement.id.is_not(None)),
            _counts(Agreement.form == AgreementForm.WRITTEN),
            _counts(Agreement.form == AgreementForm.ORAL),
            func.coalesce(func.sum(Case.people_involved), 0),
            func.coalesce(func.sum(Case.amount), 0),
            _counts(Case.prevented_crime.is_(True)),
            _counts(Case.prevented_group_petition.is_(True)),
        )
        .select_from(Case)
        .outerjoin(Agreement, Agreement.case_id == Case.id)
        .where(*in_period(org, start, end))
        .group_by(Case.dispute_type_id)
    ).all()
    return {
        row[0]: Line(
            "",
            "sub",
            row[0],
            cases=int(row[1]),
            settled=int(row[2]),
            written=int(row[3]),
            oral=int(row[4]),
            people=int(row[5]),
            amount=Decimal(row[6] or 0),
            prevented_crime=int(row[7]),
            prevented_petition=int(row[8]),
        )
        for row in rows
    }


def _descendants(node: DisputeType, children: dict[int | None, list[DisputeType]]) -> list[DisputeType]:
    found, todo = [], [node]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current.id, []))
    return found


def build_table(
    session: Session, org: Organization, start: date, end: date, type_root: DisputeType | None = None
) -> DisputeTable:
    """Return the table of the subtree's cases accepted in [start, end] (the caller checked the scope)."""
    types = sorted(session.scalars(select(DisputeType)), key=lambda t: (t.sort_order, t.code))
    children: dict[int | None, list[DisputeType]] = {}
    for t in types:
        children.setdefault(t.parent_id, []).append(t)
    by_type = figures_by_type(session, org, start, end)
    table = DisputeTable(org=org, start=start, end=end, type_root=type_root)
    tops = [type_root] if type_root is not None else children.get(None, [])
    for top in tops:
        branch = _descendants(top, children)
        if not top.active and not any(t.id in by_type for t in branch):
            continue  # a retired category without cases in the span
        line = Line(top.name, "category", top.id)
        for t in branch:
            if t.id in by_type:
                line.add(by_type[t.id])
        table.lines.append(line)
        for sub in children.get(top.id, []):
            sub_branch = _descendants(sub, children)
            if not sub.active and not any(t.id in by_type for t in sub_branch):
                continue
            sub_line = Line(f"其中：{sub.name}", "sub", sub.id)
            for t in sub_branch:
                if t.id in by_type:
                    sub_line.add(by_type[t.id])
            table.lines.append(sub_line)
        table.total.add(line)
    return table
