"""The periods of 分析研判: a month (the county's rhythm) or half a month (a township's: 1–15, 16–end).

A period is named in URLs as `2026-11` (the month) or `2026-11-1` / `2026-11-2` (its first or second
half). What a user types is checked here: a period that is not one of these, before 2000 or not yet
begun is a `DomainError` with a Chinese message, never an exception the page cannot answer.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from portal.models.analysis import PeriodKind
from portal.models.org import Organization, OrgLevel
from portal.services import DomainError

#: The earliest year a report may cover (the portal holds no ledger before).
FIRST_YEAR = 2000
_KEY = re.compile(r"([0-9]{4})-([0-9]{1,2})(?:-([12]))?")
HALF_NAMES = {1: "上半月", 2: "下半月"}


@dataclass(frozen=True, order=True)
class Period:
    """A month (`half` None) or one half of it (1: days 1–15, 2: 16 to the month's end)."""

    year: int
    month: int
    half: int | None = None

    @property
    def kind(self) -> PeriodKind:
        return PeriodKind.MONTH if self.half is None else PeriodKind.HALF

    @property
    def start(self) -> date:
        return date(self.year, self.month, 16 if self.half == 2 else 1)

    @property
    def end(self) -> date:
        if self.half == 1:
            return date(self.year, self.month, 15)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def key(self) -> str:
        """Return the period as URLs name it: 2026-11, 2026-11-1, 2026-11-2."""
        base = f"{self.year}-{self.month:02d}"
        return base if self.half is None else f"{base}-{self.half}"

    @property
    def month_key(self) -> str:
        """Return the month as an `<input type=month>` holds it: 2026-11."""
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Return 2026年11月 or 2026年11月上半月."""
        return f"{self.year}年{self.month}月{HALF_NAMES.get(self.half or 0, '')}"

    @property
    def span(self) -> str:
        """Return the days covered: 2026年11月1日至15日 / 2026年11月16日至30日."""
        return f"{self.year}年{self.month}月{self.start.day}日至{self.end.day}日"

    def previous(self) -> Period:
        """Return the period just before (环比)."""
        if self.half == 2:
            return Period(self.year, self.month, 1)
        year, month = (self.year, self.month - 1) if self.month > 1 else (self.year - 1, 12)
        return Period(year, month, None if self.half is None else 2)

    def following(self) -> Period:
        """Return the period just after."""
        if self.half == 1:
            return Period(self.year, self.month, 2)
        year, month = (self.year, self.month + 1) if self.month < 12 else (self.year + 1, 1)
        return Period(year, month, None if self.half is None else 1)

    def last_year(self) -> Period:
        """Return the same period a year before (同比)."""
        return Period(self.year - 1, self.month, self.half)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def kind_for(org: Organization) -> PeriodKind:
    """Return the organisation's rhythm: monthly for a county body, every half month below."""
    return PeriodKind.MONTH if org.level == OrgLevel.COUNTY else PeriodKind.HALF


def period_of(day: date, kind: PeriodKind) -> Period:
    """Return the period of `kind` containing `day`."""
    if kind == PeriodKind.MONTH:
        return Period(day.year, day.month)
    return Period(day.year, day.month, 1 if day.day <= 15 else 2)


def default_period(org: Organization, today: date) -> Period:
    """Return the last period of the organisation's rhythm that has ended: what the meeting reviews."""
    return period_of(today, kind_for(org)).previous()


def parse_period(text: str, today: date) -> Period:
    """Return the period named `2026-11`, `2026-11-1` or `2026-11-2`; refuse anything else with a reason."""
    match = _KEY.fullmatch((text or "").strip())
    if match is None:
        raise DomainError("统计期间格式不正确，应为“年-月”，半月报再选择上半月或下半月")
    year, month = int(match[1]), int(match[2])
    half = int(match[3]) if match[3] else None
    if not 1 <= month <= 12:
        raise DomainError("月份应在1至12之间")
    if year < FIRST_YEAR:
        raise DomainError(f"统计期间不能早于{FIRST_YEAR}年")
    period = Period(year, month, half)
    if period.start > today:
        raise DomainError(f"{period.label}尚未开始，不能研判")
    return period


def period_from_parts(month: str | None, half: str | None, today: date) -> Period:
    """Return the period chosen with a month field (2026-11) and a half (空: whole month, 1 or 2)."""
    half = (half or "").strip()
    if half not in ("", "0", "1", "2"):
        raise DomainError("请选择全月、上半月或下半月")
    return parse_period(f"{(month or '').strip()}{'-' + half if half in ('1', '2') else ''}", today)


def days_between(start: date, end: date) -> int:
    """Return how many days a span covers, both ends included."""
    return (end - start).days + 1


def as_of(period: Period, today: date) -> date:
    """Return the day a report's 'open and overdue' picture is taken: the period's end, or today."""
    return min(period.end, today)


def last_day_before(day: date) -> date:
    return day - timedelta(days=1)
