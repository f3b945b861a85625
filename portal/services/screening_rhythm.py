"""The rhythm of 排查: a township screens every half month (1–15, 16 to the month's end), a county every
month; who owes a screening, which are missing, and the 排查完成率 of an organisation.

Who owes a screening (the units):
- a township: each 乡镇（街道）人民调解委员会 (a committee at township level) that is not revoked; it has
  screened in a half month when a record (not voided) was filed by it or by an organisation below it,
  or by anyone who listed it among the areas screened (the 司法所 above it, for example);
- a county: the root of the tree at county level; it has screened in a month when a county-level
  organisation of its tree (the 协调中心, a 行业性专业性调委会) filed a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.org import Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.screening import ScreeningRecord, screening_record_area
from portal.services.deadlines import add_months
from portal.services.scope import scoped_organizations

HALF_NAMES = ("上半月", "下半月")


@dataclass(frozen=True, order=True)
class Period:
    """A screening period: a whole month (`monthly`) or one half of it."""

    start: date
    end: date
    monthly: bool = False

    @property
    def label(self) -> str:
        """Return 2026年3月 or 2026年3月上半月."""
        base = f"{self.start.year}年{self.start.month}月"
        return base if self.monthly else base + HALF_NAMES[self.start.day > 1]

    @property
    def cadence(self) -> str:
        """Return 每月 or 每半月."""
        return "每月" if self.monthly else "每半月"

    def previous(self) -> Period:
        """Return the period just before, of the same length."""
        return period_of(self.start - timedelta(days=1), self.monthly)

    def following(self) -> Period:
        """Return the period just after, of the same length."""
        return period_of(self.end + timedelta(days=1), self.monthly)


def period_of(day: date, monthly: bool = False) -> Period:
    """Return the half month (or, `monthly`, the month) containing `day`."""
    first = day.replace(day=1)
    last = add_months(first, 1) - timedelta(days=1)
    if monthly:
        return Period(first, last, True)
    if day.day <= 15:
        return Period(first, first.replace(day=15))
    return Period(first.replace(day=16), last)


def is_monthly(org: Organization) -> bool:
    """Return whether the organisation screens monthly (a county body) rather than every half month."""
    return org.level == OrgLevel.COUNTY


def periods_between(start: date, end: date, monthly: bool) -> list[Period]:
    """Return the periods overlapping start … end, in order."""
    found: list[Period] = []
    period = period_of(start, monthly)
    while period.start <= end:
        found.append(period)
        period = period.following()
    return found


def units(session: Session, user: User) -> list[Organization]:
    """Return the organisations in the user's subtree that owe screenings: the county, then townships."""
    query = scoped_organizations(user).where(
        Organization.status != OrgStatus.REVOKED,
        (
            (Organization.level == OrgLevel.TOWNSHIP) & (Organization.kind == OrgKind.COMMITTEE)
            | ((Organization.level == OrgLevel.COUNTY) & Organization.parent_id.is_(None))
        ),
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Screened:
    """What one filed record tells about who screened: its organisation's path and level, its areas."""

    day: date
    path: str
    county_level: bool
    area_ids: frozenset[int]

    def covers(self, unit: Organization) -> bool:
        """Return whether this record counts for the unit (see the module's docstring)."""
        if unit.level == OrgLevel.COUNTY:
            return self.county_level and self.path.startswith(unit.path)
        return self.path.startswith(unit.path) or unit.id in self.area_ids


def screened(session: Session, start: date, end: date, under: Iterable[Organization] = ()) -> list[Screened]:
    """Return the records (not voided) screened start … end, optionally only those that may cover `under`."""
    query = (
        select(ScreeningRecord.id, ScreeningRecord.screened_on, Organization.path, Organization.level)
        .join(Organization, ScreeningRecord.organization_id == Organization.id)
        .where(
            ScreeningRecord.screened_on.between(start, end),
            ScreeningRecord.voided_on.is_(None),
        )
    )
    rows = session.execute(query).all()
    areas: dict[int, set[int]] = {}
    ids = [row.id for row in rows]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for record_id, org_id in session.execute(
            select(screening_record_area.c.record_id, screening_record_area.c.organization_id).where(
                screening_record_area.c.record_id.in_(part)
            )
        ):
            areas.setdefault(record_id, set()).add(org_id)
    prefixes = [u.path for u in under]
    found = [
        Screened(row.screened_on, row.path, row.level == OrgLevel.COUNTY, frozenset(areas.get(row.id, ())))
        for row in rows
    ]
    if prefixes:
        wanted = {u.id for u in under}
        found = [s for s in found if any(s.path.startswith(p) for p in prefixes) or s.area_ids & wanted]
    return found


@dataclass(frozen=True)
class Missing:
    """A unit that filed no screening for a period."""

    organization: Organization
    period: Period


def coverage(
    session: Session, org_units: Sequence[Organization], day: date
) -> tuple[list[Missing], list[Missing]]:
    """Return (done, missing) for the units' periods containing `day` (half month; month for a county)."""
    if not org_units:
        return [], []
    month = period_of(day, monthly=True)
    records = screened(session, month.start, month.end)
    done: list[Missing] = []
    missing: list[Missing] = []
    for unit in org_units:
        period = period_of(day, is_monthly(unit))
        hit = any(period.start <= r.day <= period.end and r.covers(unit) for r in records)
        (done if hit else missing).append(Missing(unit, period))
    return done, missing


def previous_missing(session: Session, org_units: Sequence[Organization], day: date) -> list[Missing]:
    """Return the units that missed the period before their period containing `day`."""
    found: list[Missing] = []
    for monthly in (False, True):
        group = [u for u in org_units if is_monthly(u) == monthly]
        if group:
            found += coverage(session, group, period_of(day, monthly).previous().start)[1]
    return found


def missing_screenings(session: Session, user: User, day: date) -> list[Missing]:
    """Return the units in the user's subtree with no screening in their period containing `day`."""
    return coverage(session, units(session, user), day)[1]


@dataclass(frozen=True)
class Completion:
    """排查完成率 of an organisation: periods owed and periods screened."""

    owed: list[Period]
    screened: list[Period]

    @property
    def missed(self) -> list[Period]:
        return [p for p in self.owed if p not in self.screened]


def completion(session: Session, target: Organization, start: date, end: date, as_of: date) -> Completion:
    """Return the periods start … end the target owed (those ended by `as_of`, or screened already)."""
    monthly = is_monthly(target)
    last = min(end, as_of)
    periods = [p for p in periods_between(start, end, monthly) if p.start <= last]
    records = screened(session, start, last, [target])
    done = [p for p in periods if any(p.start <= r.day <= p.end and r.covers(target) for r in records)]
    owed = [p for p in periods if p.end <= as_of or p in done]
    return Completion(owed, done)
