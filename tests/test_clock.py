"""One clock: the office's date and time come from `portal.clock`, in the configured zone, at any hour.

The source guard walks every module of the portal (and app.py, bench/, migrations/) and fails on any
other way of reading the time: `date.today()`, `datetime.now()`, `datetime.utcnow()`, `time.localtime()`,
a hard-coded `ZoneInfo(...)` and the like. Only `portal/clock.py` may read the time.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from portal import clock
from portal.config import timezone_name
from tests.conftest import frozen_at, make_app

ROOT = Path(__file__).resolve().parent.parent
CLOCK_MODULE = ROOT / "portal" / "clock.py"

# (receiver, attribute) pairs, matched on the last name of the receiver: `date.today()`,
# `datetime.date.today()`, `dt.datetime.now(UTC)` all count.
FORBIDDEN_CALLS = {
    ("date", "today"),
    ("date", "fromtimestamp"),
    ("datetime", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "fromtimestamp"),
    ("datetime", "utcfromtimestamp"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("time", "mktime"),
    ("time", "strftime"),
    ("func", "current_date"),
    ("func", "localtime"),
    ("func", "localtimestamp"),
}
# Names that read the clock when imported bare (`from time import localtime`).
FORBIDDEN_IMPORTS = {
    "time": {"time", "time_ns", "localtime", "gmtime", "ctime", "mktime", "strftime"},
    "zoneinfo": {"ZoneInfo"},
}


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def clock_violations(source: str, filename: str = "<source>") -> list[str]:
    """Return "file:line: what" for every read of the time that bypasses portal.clock."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and (_last_name(func.value), func.attr) in FORBIDDEN_CALLS:
                found.append(f"{filename}:{node.lineno}: {_last_name(func.value)}.{func.attr}()")
            elif _last_name(func) == "ZoneInfo":
                found.append(f"{filename}:{node.lineno}: ZoneInfo() (the zone is the config's)")
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_IMPORTS:
            for alias in node.names:
                if alias.name in FORBIDDEN_IMPORTS[node.module]:
                    found.append(f"{filename}:{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime":
            # `from datetime import datetime as DT` would hide a later DT.now() from the check above.
            for alias in node.names:
                if alias.asname and alias.asname != alias.name:
                    found.append(f"{filename}:{node.lineno}: datetime.{alias.name} as {alias.asname}")
    return found


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in ("portal", "bench", "migrations"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if f != CLOCK_MODULE]


def test_nothing_but_portal_clock_reads_the_time():
    sources = _sources()
    assert len(sources) > 50 and ROOT / "portal" / "validators.py" in sources
    found = [v for path in sources for v in clock_violations(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "read the time through portal.clock (today/now/utcnow):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "from datetime import date\nx = date.today()",
        "import datetime\nx = datetime.date.today()",
        "import datetime as dt\nx = dt.datetime.now()",
        "from datetime import datetime, UTC\nx = datetime.now(UTC)",
        "from datetime import datetime\nx = datetime.utcnow()",
        "import time\nx = time.localtime()",
        "import time\nx = time.time()",
        "from time import localtime",
        "from datetime import datetime as DT",
        "from zoneinfo import ZoneInfo",
        "import zoneinfo\nz = zoneinfo.ZoneInfo('Asia/Shanghai')",
        "from sqlalchemy import func\nq = func.current_date()",
    ],
)
def test_the_guard_catches_each_way_of_reading_the_time(snippet):
    assert clock_violations(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "from portal import clock\nx = clock.today()",
        "import time\nx = time.perf_counter() + time.monotonic()",
        "from datetime import date, timedelta\nx = date(2026, 1, 1) + timedelta(days=1)",
        "from zoneinfo import ZoneInfoNotFoundError",
    ],
)
def test_the_guard_lets_durations_and_fixed_dates_pass(snippet):
    assert clock_violations(snippet) == []


# --- the clock itself -------------------------------------------------------------------------------


@pytest.fixture
def host_behind_utc() -> Iterator[None]:
    """Run with the host's zone twelve hours behind UTC, where its calendar day lags Beijing's most."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Etc/GMT+12"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.parametrize(
    ("instant", "beijing_day"),
    [
        ("2026-12-07T15:59:59Z", date(2026, 12, 7)),
        ("2026-12-07T16:00:00Z", date(2026, 12, 8)),
        ("2026-12-07T23:59:00Z", date(2026, 12, 8)),
        ("2026-12-31T15:59:00Z", date(2026, 12, 31)),
        ("2026-12-31T16:00:00Z", date(2027, 1, 1)),
    ],
)
def test_today_is_the_beijing_date_whatever_the_hosts_zone(instant, beijing_day, host_behind_utc):
    with time_machine.travel(datetime.fromisoformat(instant), tick=False):
        moment = datetime.fromisoformat(instant)
        assert date.today() == (moment - timedelta(hours=12)).date()  # the host's own calendar
        assert clock.today() == beijing_day  # outside an app: the default zone
        assert clock.now().utcoffset().total_seconds() == 8 * 3600
        assert clock.utcnow() == datetime.fromisoformat(instant)
        assert clock.utcnow().tzinfo is UTC


def test_the_zone_comes_from_the_config(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'clock.sqlite3'}", PORTAL_TIMEZONE="America/New_York")
    instant = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # 11:00 in Beijing, 22:00 the day before in New York
    with time_machine.travel(instant, tick=False):
        assert clock.today() == date(2026, 12, 8)
        with app.app_context():
            assert clock.today() == date(2026, 12, 7)
            assert clock.as_local(instant).hour == 22
            assert clock.from_wall(datetime(2026, 12, 7, 22, 0)) == instant
            assert clock.to_wall(instant) == datetime(2026, 12, 7, 22, 0)


def test_a_naive_stored_time_is_taken_as_utc():
    assert clock.as_local(datetime(2026, 12, 31, 16, 0)) == datetime(2027, 1, 1, 0, 0, tzinfo=clock.zone())
    assert clock.local_date(datetime(2026, 12, 31, 16, 0)) == date(2027, 1, 1)


def test_an_unknown_zone_refuses_to_start(monkeypatch, tmp_path):
    assert timezone_name(None) == "Asia/Shanghai"
    assert timezone_name("Asia/Urumqi") == "Asia/Urumqi"
    for wrong in ("Asia/Beijing", "../etc/passwd"):
        with pytest.raises(RuntimeError, match="PORTAL_TIMEZONE"):
            timezone_name(wrong)
    monkeypatch.setenv("PORTAL_TIMEZONE", "Asia/Beijing")
    with pytest.raises(RuntimeError, match="PORTAL_TIMEZONE"):
        make_app(f"sqlite:///{tmp_path / 'bad.sqlite3'}")


def test_portal_test_frozen_at_names_an_aware_instant(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_FROZEN_AT", "2026-12-07T16:00:00Z")
    assert frozen_at() == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    monkeypatch.setenv("PORTAL_TEST_FROZEN_AT", "2026-12-07T16:00:00")
    with pytest.raises(pytest.UsageError, match="needs a zone"):
        frozen_at()
    monkeypatch.delenv("PORTAL_TEST_FROZEN_AT")
    assert frozen_at() is None


def test_with_portal_test_frozen_at_each_test_starts_at_that_instant():
    moment = frozen_at()
    if moment is None:
        pytest.skip("runs when the suite is run at one instant (PORTAL_TEST_FROZEN_AT)")
    assert timedelta(0) <= clock.utcnow() - moment < timedelta(seconds=30)
