"""The dashboard's figures on a hand-built ledger (tests/dashboard_ledger.py), county and township."""

from __future__ import annotations

from portal.extensions import db
from portal.models import CaseStatus
from portal.services import dashboard
from portal.services.deadlines import DeadlineRules, local_today
from portal.services.figures import Period
from tests import dashboard_ledger

S = CaseStatus


def values(figures: dict) -> dict[str, int]:
    return {key: figure.value for key, figure in figures.items()}


def test_county_figures_match_the_ledger(county):
    today = local_today()
    c = dashboard_ledger.build(county, today)
    board = dashboard.build(db.session, county.users["admin"], today, DeadlineRules(), Period.LAST_12)
    assert board.accepted.value == 4
    success, closure, on_time = board.rates
    assert (success.part.value, success.rest.value, success.percent) == (1, 1, 50.0)
    assert (closure.part.value, closure.whole.value, closure.percent) == (2, 4, 50.0)
    assert (on_time.part.value, on_time.rest.value) == (1, 1)
    statuses = {status: figure.value for status, figure in board.by_status if figure.value}
    assert statuses == {S.FOLLOWED_UP: 1, S.FAILED: 1, S.MEDIATING: 1, S.REGISTERED: 1, S.VOIDED: 1}
    assert values(board.open) == {
        "open": 5,
        "overdue": 2,
        "red_card": 1,
        "high_risk": 1,
        "group": 1,
        "supervised": 0,
    }
    rows = {
        row.name: (row.accepted.value, row.settled.value, row.open.value, row.overdue.value)
        for row in board.by_org
    }
    assert rows == {"本级": (0, 0, 0, 0), county.mj.name: (3, 1, 3, 0), county.ll.name: (1, 0, 2, 2)}
    assert [(name, figure.value) for name, figure in board.by_type] == [("邻里纠纷", 4)]
    assert [case.number for case in board.overdue_cases] == [c["f"].number, c["d"].number, c["c"].number]
    assert [case.number for case in board.major_cases] == [c["d"].number]
    trend = {month: (accepted.value, settled.value) for month, accepted, settled in board.trend}
    assert len(trend) == 24 and sum(n for n, _ in trend.values()) == 5  # f is 13 months back
    assert trend[c["a"].accepted_on.replace(day=1)][1] >= 1


def test_township_figures_hold_only_its_subtree(county):
    today = local_today()
    dashboard_ledger.build(county, today)
    board = dashboard.build(db.session, county.users["admin_a"], today, DeadlineRules(), Period.LAST_12)
    assert board.accepted.value == 3
    assert values(board.open)["open"] == 3 and values(board.open)["overdue"] == 0
    rows = {row.name: (row.accepted.value, row.open.value) for row in board.by_org}
    assert rows == {"本级": (1, 1), county.mj_village.name: (2, 2)}
    assert sum(accepted.value for _month, accepted, _settled in board.trend) == 3
    assert board.zero.reporting == 2  # 马集镇 and 前李村 committees


def test_moving_an_organisation_moves_its_figures(county):
    today = local_today()
    dashboard_ledger.build(county, today)
    county.mj_village.parent = county.ll  # 前李村 (cases a and b) now lies under 柳林镇
    db.session.flush()
    mj = dashboard.build(db.session, county.users["admin_a"], today, DeadlineRules(), Period.LAST_12)
    ll = dashboard.build(db.session, county.users["entry_b"], today, DeadlineRules(), Period.LAST_12)
    assert (mj.accepted.value, ll.accepted.value) == (1, 3)
    assert {row.name: row.accepted.value for row in ll.by_org}[county.mj_village.name] == 2
