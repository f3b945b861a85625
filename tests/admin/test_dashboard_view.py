"""The 工作台 page: every number opens the ledger filtered to exactly its cases; charts are inline SVG."""

from __future__ import annotations

import re

from portal.admin.ledger.links import ledger_url
from portal.extensions import db
from portal.services import dashboard
from portal.services.deadlines import DeadlineRules, local_today
from portal.services.figures import Period
from tests import dashboard_ledger

ROW = re.compile(r"/admin/cases/details/\?id=(\d+)")


def listed(client, url: str) -> set[int]:
    """Return the ids of the cases a ledger URL lists (one page: the ledger here is small)."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert "的值无效" not in response.text, url
    return {int(i) for i in ROW.findall(response.text)}


def test_numbers_link_to_exactly_their_cases(app, county, login_as):
    today = local_today()
    c = dashboard_ledger.build(county, today)
    ids = {name: case.id for name, case in c.items()}
    client = login_as("admin")
    page = client.get("/admin/?period=12m").text
    # The charts are inline SVG, each bar a link; nothing is fetched from elsewhere, no inline style.
    assert page.count("<svg") == 2 and '<a href="/admin/cases/?flt' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert " style=" not in page
    assert c["f"].number in page and c["d"].number in page  # the overdue list
    board = dashboard.build(db.session, county.users["admin"], today, DeadlineRules(), Period.LAST_12)
    success, closure, on_time = board.rates
    rows = {row.name: row for row in board.by_org}
    expected = [
        (board.accepted, {"a", "b", "c", "d"}),
        (success.part, {"a"}),
        (success.rest, {"b"}),
        (closure.part, {"a", "b"}),
        (on_time.part, {"b"}),
        (on_time.rest, {"a"}),
        (board.open["open"], {"a", "b", "c", "d", "f"}),
        (board.open["overdue"], {"d", "f"}),
        (board.open["red_card"], {"c"}),
        (board.open["high_risk"], {"d"}),
        (board.open["group"], {"d"}),
        (rows[county.mj.name].accepted, {"a", "b", "c"}),
        (rows[county.ll.name].open, {"d", "f"}),
        (rows[county.ll.name].overdue, {"d", "f"}),
        (board.by_type[0][1], {"a", "b", "c", "d"}),
        (dict(board.by_status)[dashboard.S.VOIDED], {"e"}),
    ]
    with app.test_request_context():
        links = [(ledger_url(figure.criteria), figure.value, cases) for figure, cases in expected]
    for url, value, names in links:
        assert url is not None
        found = listed(client, url)
        assert found == {ids[name] for name in names}, url
        assert len(found) == value


def test_township_dashboard_and_its_links_hold_only_its_subtree(app, county, login_as):
    today = local_today()
    c = dashboard_ledger.build(county, today)
    client = login_as("admin_a")
    page = client.get("/admin/").text
    assert c["c"].number in page  # its red card
    assert c["d"].number not in page and c["f"].number not in page and county.ll.name not in page
    board = dashboard.build(db.session, county.users["admin_a"], today, DeadlineRules(), Period.LAST_12)
    own = next(row for row in board.by_org if row.own)
    with app.test_request_context():
        url = ledger_url(own.accepted.criteria)
    assert listed(client, url) == {c["c"].id}


def test_bad_period_falls_back_to_this_year(login_as):
    page = login_as("entry_b").get("/admin/?period=%00x").text
    assert 'btn-primary" href="/admin/?period=year"' in page
