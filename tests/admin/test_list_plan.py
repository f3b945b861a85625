"""SQLite: a township's ledger page walks the date index or reads by organisation, with the same rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal import clock
from portal.extensions import db
from portal.services import list_plan
from portal.services import search as search_index
from tests import factories

NUMBER = re.compile(r"（\d{4}）[^<\s]*?人调字第\d+号")


@pytest.mark.parametrize(
    ("wanted", "subtree", "total", "kept", "walk"),
    [
        # Measured at 1,000,000 cases (docs/performance.md): a township of 71,000 cases …
        (20, 70_911, 1_000_000, 1.0, True),  # first page: walk 0.2 ms, by organisation 300 ms
        (2_020, 70_911, 1_000_000, 1.0, True),  # page 101: walk 14 ms, by organisation 370 ms
        (20, 70_911, 1_000_000, 0.012, True),  # 秀英 (1.2 % of cases): walk 15 ms, by organisation 150 ms
        (2_020, 70_911, 1_000_000, 0.012, False),  # … its page 101: by organisation 154 ms, walk 546 ms
        # … and a village of 4,846.
        (20, 4_846, 1_000_000, 1.0, True),  # first page: walk 2 ms, by organisation 27 ms
        (2_020, 4_846, 1_000_000, 1.0, False),  # page 101: by organisation 46 ms, walk 204 ms
        (20, 4_846, 1_000_000, 0.012, False),  # 秀英: by organisation 10 ms, walk 147 ms
        # Nothing to go by: leave it to the planner.
        (20, 0, 1_000_000, 1.0, False),
        (20, 10, 0, 1.0, False),
    ],
)
def test_walk_by_date_chooses_the_cheaper_plan(wanted, subtree, total, kept, walk):
    assert list_plan.walk_by_date(wanted, subtree, total, kept) is walk


@pytest.fixture
def ledger(app, county):
    """Cases of 马集, its village and 柳林 on different days, and a fresh share cache."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is steered on SQLite only")
    today = clock.today()
    actor = county.users["admin"]
    for day, org in enumerate([county.mj, county.mj_village, county.ll, county.mj, county.ll_village] * 5):
        factories.new_case(
            db.session,
            actor,
            org,
            today=today,
            accepted_on=today - timedelta(days=day % 7),
            summary=f"第{day}件",
        )
    db.session.commit()
    list_plan._cache.clear()
    yield
    list_plan._cache.clear()


def _page(client, url: str, walk: bool, monkeypatch) -> tuple[list[str], list[str]]:
    """Return the case numbers of a list page and the SQL it ran, with the plan forced."""
    monkeypatch.setattr(list_plan, "walk_by_date", lambda *args, **kwargs: walk)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    return NUMBER.findall(response.text), statements


@pytest.mark.parametrize(
    "url", ["/admin/cases/", "/admin/cases/?page_size=20&page=1", "/admin/cases/?search=第1"]
)
def test_both_plans_show_the_same_rows_in_the_same_order(ledger, login_as, monkeypatch, url):
    # A search term counts as dense (the date walk finds its rows soon) above DENSE_HITS index hits.
    monkeypatch.setattr(search_index, "DENSE_HITS", 0)
    client = login_as("entry_a")
    walked, walked_sql = _page(client, url, True, monkeypatch)
    indexed, indexed_sql = _page(client, url, False, monkeypatch)
    assert walked == indexed
    page = [s for s in walked_sql if "ORDER BY dispute_case.accepted_on DESC" in s and "LIMIT" in s]
    assert page and all("dispute_case.organization_id + " in s for s in page)
    assert not any("dispute_case.organization_id + " in s for s in indexed_sql)
    if "search" not in url and "page=1" not in url:
        assert walked, "the township's first page shows its cases"
        assert all("LL" not in number for number in walked)


@pytest.mark.parametrize(("user", "url"), [("admin", "/admin/cases/"), ("entry_a", "/admin/cases/?sort=1")])
def test_the_root_and_other_orders_are_left_to_the_planner(ledger, login_as, monkeypatch, user, url):
    """The root has no subtree condition; sorted by number, the date walk would not help."""
    numbers, statements = _page(login_as(user), url, True, monkeypatch)
    assert numbers
    assert not any("organization_id + " in s for s in statements)
