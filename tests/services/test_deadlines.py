"""Deadline colours at their boundaries, in Python and in SQL, with a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseStatus, RiskLevel
from portal.services.deadlines import Colour, DeadlineRules, add_months, assess, colour_clause, local_today
from tests.factories import new_case

TODAY = date(2026, 5, 20)
RULES = DeadlineRules()
S = CaseStatus


def _case(county, today: date = TODAY, **fields) -> Case:
    """A case accepted ten days ago, in mediation, low risk, touched today; then `fields` applied."""
    case = new_case(
        db.session, county.users["admin"], county.mj, today=today, accepted_on=today - timedelta(days=10)
    )
    case.status = S.MEDIATING
    case.last_activity_on = today
    for name, value in fields.items():
        setattr(case, name, value)
    db.session.flush()
    return case


CASES = {
    "on track": ({}, Colour.BLUE),
    "high risk": ({"risk_level": RiskLevel.HIGH}, Colour.RED),
    "medium risk": ({"risk_level": RiskLevel.MEDIUM}, Colour.YELLOW),
    "due today": ({"deadline": TODAY}, Colour.YELLOW),
    "one day late": ({"deadline": TODAY - timedelta(days=1)}, Colour.RED),
    "due in warn days": ({"deadline": TODAY + timedelta(days=RULES.warn_days)}, Colour.YELLOW),
    "due after warn days": ({"deadline": TODAY + timedelta(days=RULES.warn_days + 1)}, Colour.BLUE),
    "late but suspended": ({"deadline": TODAY - timedelta(days=3), "status": S.SUSPENDED}, Colour.BLUE),
    "untouched 15 days": ({"status": S.ASSIGNED, "last_activity_on": TODAY - timedelta(days=15)}, Colour.RED),
    "untouched 14 days": (
        {"status": S.ASSIGNED, "last_activity_on": TODAY - timedelta(days=14)},
        Colour.BLUE,
    ),
    "open 3 months": (
        {"status": S.SETTLED, "accepted_on": add_months(TODAY, -3), "deadline": TODAY},
        Colour.RED,
    ),
    "open 3 months less a day": (
        {"status": S.SETTLED, "accepted_on": add_months(TODAY, -3) + timedelta(days=1)},
        Colour.BLUE,
    ),
    "supervision due today": ({"supervision_deadline": TODAY}, Colour.YELLOW),
    "supervision overdue": ({"supervision_deadline": TODAY - timedelta(days=1)}, Colour.RED),
    "closed and late": ({"status": S.CLOSED, "deadline": TODAY - timedelta(days=40)}, None),
    "voided and high risk": ({"status": S.VOIDED, "risk_level": RiskLevel.HIGH}, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_colour_at_boundary(county, name):
    """Python and SQL give the same colour on each side of every boundary."""
    fields, expected = CASES[name]
    case = _case(county, **fields)
    assert assess(case, TODAY, RULES).colour == expected
    for colour in Colour:
        found = db.session.scalar(
            select(Case.id).where(Case.id == case.id, colour_clause(colour, TODAY, RULES))
        )
        assert (found is not None) == (colour == expected), colour


def test_red_card_is_flagged_with_its_reason(county):
    """The reasons name the red card and its days."""
    case = _case(county, status=S.ASSIGNED, last_activity_on=TODAY - timedelta(days=20))
    result = assess(case, TODAY, RULES)
    assert result.red_card
    assert "交办后20天未处理（红牌）" in result.reasons


def test_rules_come_from_config():
    """The rules are settings: a shorter untouched limit changes the colour."""
    rules = DeadlineRules.from_config({"CASE_UNTOUCHED_DAYS": "7", "CASE_MEDIATION_DAYS": 15})
    assert rules.untouched_days == 7
    assert rules.due_date(TODAY) == TODAY + timedelta(days=15)


def test_month_arithmetic_clamps_to_month_end():
    """Three months before 31 May is 28 (or 29) February."""
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)
    assert add_months(date(2024, 5, 31), -3) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_local_today_is_beijing_date():
    """Just after midnight in Beijing it is already the next day, though still yesterday in UTC."""
    with time_machine.travel(datetime(2026, 5, 20, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        assert local_today() == date(2026, 5, 20)


@pytest.mark.usefixtures("frozen_clock")
def test_the_ledger_counts_deadlines_in_beijing_days(county, login_as):
    """Due on Beijing's today is yellow, due on its yesterday red: on the page and in the ledger's filter."""
    today = local_today()
    due_today = _case(county, today, deadline=today)
    overdue = _case(county, today, deadline=today - timedelta(days=1))
    client = login_as("admin")
    assert "今日到期" in client.get(f"/admin/cases/details/?id={due_today.id}").text
    assert "已超期1天" in client.get(f"/admin/cases/details/?id={overdue.id}").text
    for case, colour in ((due_today, Colour.YELLOW), (overdue, Colour.RED)):
        assert db.session.scalar(
            select(Case.id).where(Case.id == case.id, colour_clause(colour, today, RULES))
        )


def test_ledger_badge_follows_the_frozen_clock(county, login_as):
    """On the deadline day the ledger shows yellow; a day later, red."""
    case = _case(county, deadline=TODAY)
    beijing_noon = datetime(2026, 5, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    # Signed in at each instant: a session cookie signed later than "now" is refused as from the future.
    with time_machine.travel(beijing_noon, tick=False):
        page = login_as("admin").get(f"/admin/cases/details/?id={case.id}").text
        assert "黄色预警" in page and "今日到期" in page
    with time_machine.travel(beijing_noon + timedelta(days=1), tick=False):
        page = login_as("admin").get(f"/admin/cases/details/?id={case.id}").text
        assert "红色预警" in page and "已超期1天" in page
