"""以案定补: eligibility, tiers, splitting, exclusions, a dispute mediated three times paying once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.models.case import CaseSource, Difficulty
from portal.models.org import OrgKind
from portal.services import subsidies
from tests.assessment_ledger import failed, in_mediation, settled

START, END = date(2025, 1, 1), date(2025, 12, 31)


def sheet(county, username="evaluator"):
    return subsidies.compute_sheet(db.session, county.users[username], start=START, end=END)


def amounts(result) -> dict[str, Decimal]:
    return {row.mediator.name: row.total for row in result.rows}


def test_tiers_and_three_sessions_pay_once(county):
    """Each settled, performed, complete case pays its tier once, however many sessions it took."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    settled(db.session, entry, county.mj, [person], date(2025, 3, 1), difficulty=Difficulty.SIMPLE)
    three = settled(
        db.session, entry, county.mj, [person], date(2025, 4, 1), sessions=3, difficulty=Difficulty.HARD
    )
    settled(db.session, entry, county.mj, [person], date(2025, 5, 1), difficulty=Difficulty.MAJOR)
    assert len(three.sessions) == 3
    result = sheet(county)
    assert amounts(result) == {"马集调解员": Decimal(550)}  # 50 + 200 + 300
    (row,) = result.rows
    assert [line.case.id for line in row.lines].count(three.id) == 1


def test_incomplete_or_unperformed_cases_do_not_count(county):
    """Not performed, no follow-up visit, failed or still open: no subsidy, with the reason listed."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    unpaid = settled(db.session, entry, county.mj, [person], date(2025, 3, 1), performed=False)
    unvisited = settled(db.session, entry, county.mj, [person], date(2025, 4, 1), satisfaction=None)
    failed(db.session, entry, county.mj, [person], date(2025, 5, 1))
    in_mediation(db.session, entry, county.mj, [person], date(2025, 6, 1))
    result = sheet(county)
    assert result.rows == []
    reasons = {case.id: why for case, why in result.excluded}
    assert reasons == {unpaid.id: "协议尚未履行完毕", unvisited.id: "卷宗不全：无回访记录"}


def test_agreement_signed_outside_the_period_is_left_out(county):
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    settled(db.session, entry, county.mj, [person], date(2024, 12, 20), days=11)  # signed 31 Dec 2024
    settled(db.session, entry, county.mj, [person], date(2025, 12, 25), days=6)  # signed 31 Dec 2025
    assert amounts(sheet(county)) == {"马集调解员": Decimal(100)}


def test_shared_case_is_split_or_paid_in_full(county):
    """Two mediators share 100 元 equally; with splitting off each gets 100 元; odd cents go to the first."""
    entry = county.users["entry_a"]
    pair = [county.mediators["马集调解员"], county.mediators["前李调解员"]]
    settled(db.session, entry, county.mj, pair, date(2025, 3, 1))
    assert amounts(sheet(county)) == {"马集调解员": Decimal(50), "前李调解员": Decimal(50)}
    policy = subsidies.policy(db.session)
    policy.split_among_mediators = False
    assert amounts(sheet(county)) == {"马集调解员": Decimal(100), "前李调解员": Decimal(100)}
    assert subsidies.shares(Decimal(100), 3, True) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_odd_cent_goes_to_the_mediator_registered_first(county):
    """Whatever order the 承办调解员 were named in, the lowest mediator id takes the odd cent."""
    entry = county.users["entry_a"]
    pair = sorted([county.mediators["马集调解员"], county.mediators["前李调解员"]], key=lambda m: m.id)
    first, second = pair
    case = settled(db.session, entry, county.mj, [second, first], date(2025, 3, 1))
    subsidies.policy(db.session).normal_amount = Decimal("100.01")
    assert [m.id for m in subsidies.payees(case)] == [first.id, second.id]
    result = sheet(county)
    assert amounts(result) == {first.name: Decimal("50.01"), second.name: Decimal("50.00")}
    detail = subsidies.compute_sheet(
        db.session, county.users["evaluator"], start=START, end=END, mediator_id=first.id
    )
    assert detail.rows[0].total == Decimal("50.01")


def test_tier_table_is_configurable(county):
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    settled(db.session, entry, county.mj, [person], date(2025, 3, 1), difficulty=Difficulty.NORMAL)
    subsidies.policy(db.session).normal_amount = Decimal(120)
    assert amounts(sheet(county)) == {"马集调解员": Decimal(120)}


def test_judicial_and_administrative_cases_are_excluded_where_configured(county):
    """A court-referred case and one handled by a 行政调解组织 are left out unless the settings allow them."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    court = settled(db.session, entry, county.mj, [person], date(2025, 3, 1), source=CaseSource.COURT)
    result = sheet(county)
    assert result.rows == [] and "司法" in {c.id: r for c, r in result.excluded}[court.id]
    subsidies.policy(db.session).exclude_judicial = False
    assert amounts(sheet(county)) == {"马集调解员": Decimal(100)}
    county.mj.kind = OrgKind.ADMINISTRATIVE
    assert sheet(county).rows == []


def test_sheet_is_scoped(county):
    """马集's admin sees 马集's mediators only; 柳林's entry clerk sees none of them."""
    settled(
        db.session, county.users["entry_a"], county.mj, [county.mediators["马集调解员"]], date(2025, 3, 1)
    )
    settled(
        db.session, county.users["entry_b"], county.ll, [county.mediators["柳林调解员"]], date(2025, 3, 1)
    )
    assert set(amounts(sheet(county, "admin_a"))) == {"马集调解员"}
    assert set(amounts(sheet(county))) == {"马集调解员", "柳林调解员"}
    assert (
        subsidies.reachable_mediator(db.session, county.users["admin_a"], county.mediators["柳林调解员"].id)
        is None
    )
