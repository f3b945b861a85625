"""Deadlines and warnings of the ledger: 办结时限, 红牌 for untouched cases, and the 红/黄/蓝 badge.

The rules are settings (`CASE_*` in the config), read once into `DeadlineRules`; the same rules are
applied to one case in Python (`assess`) and to the whole ledger in SQL (`colour_clause`), and the
tests check that both agree at every boundary.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_

from portal import clock
from portal.models.base import LabeledEnum
from portal.models.case import MEDIATION_STATUSES, OPEN_STATUSES, Case, CaseStatus, RiskLevel

#: Statuses in which a case untouched too long is red-carded: handed to someone who has not acted.
RED_CARD_STATUSES = frozenset({CaseStatus.ASSIGNED, CaseStatus.MEDIATING})


def local_today() -> date:
    """Return the office's date (`portal.clock.today`), the date every deadline is counted in."""
    return clock.today()


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DeadlineRules:
    """The configurable deadline rules (docs/architecture.md §2)."""

    #: Days allowed for mediation after acceptance, unless the dispute type says otherwise.
    mediation_days: int = 30
    #: A case assigned and untouched for this many days is red-carded (交办未处理红牌).
    untouched_days: int = 15
    #: No case may stay open longer than this many months without a red flag.
    max_open_months: int = 3
    #: A deadline this many days away or fewer turns the badge yellow.
    warn_days: int = 5
    #: An extension may move the deadline at most this many days past the original one.
    max_extension_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeadlineRules:
        """Read the rules from the app config (keys CASE_MEDIATION_DAYS …)."""
        return cls(
            mediation_days=int(config.get("CASE_MEDIATION_DAYS", cls.mediation_days)),
            untouched_days=int(config.get("CASE_UNTOUCHED_DAYS", cls.untouched_days)),
            max_open_months=int(config.get("CASE_MAX_OPEN_MONTHS", cls.max_open_months)),
            warn_days=int(config.get("CASE_WARN_DAYS", cls.warn_days)),
            max_extension_days=int(config.get("CASE_MAX_EXTENSION_DAYS", cls.max_extension_days)),
        )

    def due_date(self, accepted_on: date, type_days: int | None = None) -> date:
        """Return the mediation deadline of a case accepted on `accepted_on`."""
        return accepted_on + timedelta(days=type_days or self.mediation_days)

    def untouched_since(self, today: date) -> date:
        """Return the last activity date at or before which an assigned case is red-carded."""
        return today - timedelta(days=self.untouched_days)

    def open_too_long_since(self, today: date) -> date:
        """Return the acceptance date at or before which an open case is red-flagged."""
        return add_months(today, -self.max_open_months)


class Colour(LabeledEnum):
    """The ledger badge: 红 needs action now, 黄 needs attention, 蓝 is on track."""

    RED = "red", "红"
    YELLOW = "yellow", "黄"
    BLUE = "blue", "蓝"


@dataclass(frozen=True)
class Assessment:
    """A case's badge and the reasons for it."""

    colour: Colour | None
    reasons: tuple[str, ...]
    #: Whether the case is red-carded (assigned and untouched).
    red_card: bool = False


def assess(case: Case, today: date, rules: DeadlineRules) -> Assessment:
    """Return the badge of one case on `today`; closed and voided cases have none."""
    if case.status not in OPEN_STATUSES:
        return Assessment(None, ())
    red: list[str] = []
    yellow: list[str] = []
    in_mediation = case.status in MEDIATION_STATUSES
    if case.risk_level == RiskLevel.HIGH:
        red.append("高风险")
    elif case.risk_level == RiskLevel.MEDIUM:
        yellow.append("中风险")
    if in_mediation and today > case.deadline:
        red.append(f"已超期{(today - case.deadline).days}天")
    elif in_mediation and (case.deadline - today).days <= rules.warn_days:
        left = (case.deadline - today).days
        yellow.append("今日到期" if left == 0 else f"{left}天后到期")
    red_card = case.status in RED_CARD_STATUSES and case.last_activity_on <= rules.untouched_since(today)
    if red_card:
        red.append(f"交办后{(today - case.last_activity_on).days}天未处理（红牌）")
    if case.accepted_on <= rules.open_too_long_since(today):
        red.append(f"受理已超{rules.max_open_months}个月未结案")
    if case.supervision_deadline is not None:
        if today > case.supervision_deadline:
            red.append("督办逾期")
        else:
            yellow.append("督办中")
    if red:
        return Assessment(Colour.RED, tuple(red + yellow), red_card)
    if yellow:
        return Assessment(Colour.YELLOW, tuple(yellow))
    return Assessment(Colour.BLUE, ())


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Return the condition for cases past their 办结时限 on `today` (the clock runs only in mediation)."""
    return and_(Case.status.in_(MEDIATION_STATUSES), Case.deadline < today)


def red_card_clause(today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    """Return the condition for red-carded cases: assigned and untouched too long (交办未处理红牌)."""
    return and_(Case.status.in_(RED_CARD_STATUSES), Case.last_activity_on <= rules.untouched_since(today))


def _red(today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    return or_(
        Case.risk_level == RiskLevel.HIGH,
        overdue_clause(today),
        red_card_clause(today, rules),
        Case.accepted_on <= rules.open_too_long_since(today),
        # Spelled out so that a missing deadline gives false, not NULL: NOT(NULL) would hide blue cases.
        and_(Case.supervision_deadline.is_not(None), Case.supervision_deadline < today),
    )


def _yellow(today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    return or_(
        Case.risk_level == RiskLevel.MEDIUM,
        and_(
            Case.status.in_(MEDIATION_STATUSES),
            Case.deadline <= today + timedelta(days=rules.warn_days),
        ),
        Case.supervision_deadline.is_not(None),
    )


def colour_clause(colour: Colour | str, today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    """Return the SQL condition for cases showing `colour` on `today`, the same rule as `assess`."""
    is_open = Case.status.in_(OPEN_STATUSES)
    red = _red(today, rules)
    if colour == Colour.RED:
        return and_(is_open, red)
    if colour == Colour.YELLOW:
        return and_(is_open, not_(red), _yellow(today, rules))
    if colour == Colour.BLUE:
        return and_(is_open, not_(red), not_(_yellow(today, rules)))
    return false()


def at_risk_clause(today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    """Return the condition of the 超期预警 view: open cases showing red or yellow."""
    return and_(Case.status.in_(OPEN_STATUSES), or_(_red(today, rules), _yellow(today, rules)))
