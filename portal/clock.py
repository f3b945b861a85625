"""The office clock: the one place that reads the time.

Every deadline, default date, "not in the future" check and file name counts in the office's time zone
(`PORTAL_TIMEZONE` in the config, default Asia/Shanghai), whatever zone the host runs in; stored
timestamps are aware UTC (`utcnow`). No other module reads the host's clock through the `date`,
`datetime` or `time` modules — `tests/test_clock.py` walks the source to keep it so.

The module sits below the models (it imports only Flask), so every layer may use it. Outside an app
context (scripts, module import time) the zone is the default, Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"

__all__ = [
    "DEFAULT_TIMEZONE",
    "as_local",
    "from_wall",
    "local_date",
    "now",
    "now_wall",
    "office_zone",
    "to_wall",
    "today",
    "utcnow",
    "zone",
]


@cache
def office_zone(name: str) -> ZoneInfo:
    """Return the zone called `name`; raises ZoneInfoNotFoundError (a KeyError) for an unknown name."""
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """Return the office's time zone: the app's `PORTAL_TIMEZONE`, else Asia/Shanghai."""
    name = current_app.config.get("PORTAL_TIMEZONE") if has_app_context() else None
    return office_zone(name or DEFAULT_TIMEZONE)


def now() -> datetime:
    """Return the current time in the office's zone, timezone-aware."""
    return datetime.now(zone())


def today() -> date:
    """Return the office's calendar date: the date every deadline and default is counted in."""
    return now().date()


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC, for stored timestamps."""
    return datetime.now(UTC)


def as_local(value: datetime) -> datetime:
    """Return a stored time in the office's zone; a naive value is taken as UTC (SQLite hands those back)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone())


def local_date(value: datetime) -> date:
    """Return the office's calendar date of a stored time."""
    return as_local(value).date()


def now_wall() -> datetime:
    """Return the office's wall time to the minute, naive, as a date-time picker shows it."""
    return now().replace(tzinfo=None, second=0, microsecond=0)


def from_wall(value: datetime) -> datetime:
    """Return a picker's naive office wall time as an aware UTC time to store (an aware value is kept)."""
    return (value if value.tzinfo else value.replace(tzinfo=zone())).astimezone(UTC)


def to_wall(value: datetime) -> datetime:
    """Return a stored time as naive office wall time, for a date-time picker."""
    return as_local(value).replace(tzinfo=None)
