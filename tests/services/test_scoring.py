"""Auto criteria on hand-built ledgers with known answers, and the points rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models.assessment import AssessmentCriterion, CriterionKind, Indicator, ScoringRule
from portal.services.deadlines import DeadlineRules
from portal.services.indicators import Ledger
from portal.services.scoring import manual_average, points_for
from tests.assessment_ledger import at, failed, in_mediation, petition, registered, settled

AS_OF = date(2026, 1, 20)
RULES = DeadlineRules()
I = Indicator  # noqa: E741


def ledger(county, start=date(2025, 1, 1), end=date(2025, 12, 31), as_of=AS_OF) -> Ledger:
    return Ledger(db.session, county.root, start, end, as_of, RULES)


def figures(county, target, **kwargs) -> dict[Indicator, Decimal | None]:
    book = ledger(county, **kwargs)
    return {i: book.measure(i, target).value for i in I if i != I.REVIEW_DEDUCTIONS}


@pytest.fixture
def year_2025(county):
    """Six cases of 马集 around 2025, each with a known effect on the figures."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    built = {
        # on time, satisfaction 5
        "a": settled(db.session, entry, county.mj, [person], date(2025, 3, 1), days=5, satisfaction=5),
        # settled on day 40: late, untouched for 40 days (red card), satisfaction 3
        "b": settled(db.session, entry, county.mj, [person], date(2025, 4, 1), days=40, satisfaction=3),
        # failed on day 10: decided, on time
        "c": failed(db.session, entry, county.mj, [person], date(2025, 5, 1), days=10),
        # still in mediation, untouched since June: overdue and red card
        "d": in_mediation(db.session, entry, county.mj, [person], date(2025, 6, 1)),
        # the day before the period: not counted
        "e": settled(db.session, entry, county.mj, [person], date(2024, 12, 31)),
        # the last day of the period: counted for the organisation, no mediator yet, not yet due
        "f": registered(db.session, entry, county.mj, date(2025, 12, 31)),
    }
    return built


def test_mediator_figures_on_a_known_ledger(county, year_2025):
    """Each figure of the mediator matches the hand count."""
    got = figures(county, county.mediators["马集调解员"])
    assert got[I.CASES_HANDLED] == 4  # a b c d
    assert got[I.SUCCESS_RATE] == Decimal("66.67")  # 2 settled of 3 decided
    assert got[I.ON_TIME_RATE] == Decimal("50.00")  # a c on time; b late, d past its deadline
    assert got[I.OVERDUE_COUNT] == 2
    assert got[I.SATISFACTION] == Decimal("4.00")  # (5 + 3) / 2
    assert got[I.RED_CARD_COUNT] == 2  # b sat 40 days, d since June
    assert got[I.PETITION_COUNT] == 0


def test_evidence_lists_the_cases_counted(county, year_2025):
    """The evidence behind a figure is exactly the cases counted."""
    book = ledger(county)
    person = county.mediators["马集调解员"]
    ids = {k: c.id for k, c in year_2025.items()}
    assert set(book.measure(I.CASES_HANDLED, person).case_ids) == {ids["a"], ids["b"], ids["c"], ids["d"]}
    assert set(book.measure(I.OVERDUE_COUNT, person).case_ids) == {ids["b"], ids["d"]}
    assert set(book.measure(I.RED_CARD_COUNT, person).case_ids) == {ids["b"], ids["d"]}
    assert "成功2件" in book.measure(I.SUCCESS_RATE, person).explanation


def test_organisation_counts_its_subtree_and_the_boundary_day(county, year_2025):
    """The township counts the case accepted on 31 December, not the one of the day before 1 January."""
    entry = county.users["entry_a"]
    registered(db.session, entry, county.mj_village, date(2025, 7, 1))
    registered(db.session, entry, county.mj, date(2026, 1, 1))  # next period
    got = figures(county, county.mj)
    assert got[I.CASES_HANDLED] == 6  # a b c d f + the village's
    assert figures(county, county.ll)[I.CASES_HANDLED] == 0


def test_no_cases_gives_no_rates_and_full_deduction_criteria(county):
    """A mediator without cases has counts of 0 and no rates; deduction criteria keep full points."""
    got = figures(county, county.mediators["柳林调解员"])
    assert got[I.CASES_HANDLED] == 0
    assert got[I.SUCCESS_RATE] is None and got[I.ON_TIME_RATE] is None and got[I.SATISFACTION] is None
    assert got[I.OVERDUE_COUNT] == 0 and got[I.RED_CARD_COUNT] == 0
    rate = AssessmentCriterion(
        name="成功率",
        kind=CriterionKind.AUTO,
        rule=ScoringRule.LINEAR,
        max_points=Decimal(15),
        low=60,
        high=98,
    )
    assert points_for(rate, None) == 0
    rate.no_data_points = Decimal(5)
    assert points_for(rate, None) == 5


def test_all_overdue(county):
    """Two cases, both concluded late: on-time rate 0, two overdue."""
    entry, person = county.users["entry_b"], county.mediators["柳林调解员"]
    settled(db.session, entry, county.ll, [person], date(2025, 2, 1), days=35)
    failed(db.session, entry, county.ll, [person], date(2025, 3, 1), days=31)
    got = figures(county, person)
    assert got[I.ON_TIME_RATE] == Decimal("0.00")
    assert got[I.OVERDUE_COUNT] == 2
    assert got[I.SUCCESS_RATE] == Decimal("50.00")


def test_petitions_are_counted_by_the_day_they_happened_in_beijing(county, year_2025):
    """A 越级上访 at 23:00 on 31 December (Beijing) is in 2025; one on 1 January is not."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    petition(db.session, year_2025["d"], entry, date(2025, 12, 31))
    year_2025["d"].events[-1].at = at(date(2025, 12, 31), 23)
    petition(db.session, year_2025["a"], entry, date(2026, 1, 1))
    db.session.flush()
    assert figures(county, person)[I.PETITION_COUNT] == 1
    # The January petition on a 2025 case counts in the period it happened in.
    january = figures(county, person, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert january[I.PETITION_COUNT] == 1 and january[I.CASES_HANDLED] == 0


def test_a_case_concluded_after_the_period_counts_for_the_period_it_was_accepted(county):
    """Accepted on 20 December, settled on 5 January: in 2025's figures, on time."""
    entry, person = county.users["entry_a"], county.mediators["前李调解员"]
    settled(db.session, entry, county.mj_village, [person], date(2025, 12, 20), days=16)
    got = figures(county, person)
    assert got[I.CASES_HANDLED] == 1 and got[I.ON_TIME_RATE] == Decimal("100.00")
    # Computed on 31 December it was neither due nor concluded.
    early = figures(county, person, as_of=date(2025, 12, 31))
    assert early[I.ON_TIME_RATE] is None and early[I.SUCCESS_RATE] is None


def criterion(rule, **kw) -> AssessmentCriterion:
    return AssessmentCriterion(name="x", kind=CriterionKind.AUTO, rule=rule, max_points=Decimal(10), **kw)


@pytest.mark.parametrize(
    ("low", "high", "value", "points"),
    [
        (60, 100, 60, "0.00"),
        (60, 100, 80, "5.00"),
        (60, 100, 100, "10.00"),
        (60, 100, 120, "10.00"),  # capped at the maximum
        (60, 100, 10, "0.00"),
        (5, 0, 0, "10.00"),  # smaller is better
        (5, 0, 4, "2.00"),
        (3, 3, 3, "10.00"),  # a single threshold
        (3, 3, 2, "0.00"),
    ],
)
def test_linear_points(low, high, value, points):
    """Linear between the zero line and the full line, clamped to 0 … max."""
    rule = criterion(ScoringRule.LINEAR, low=Decimal(low), high=Decimal(high))
    assert points_for(rule, Decimal(value)) == Decimal(points)


@pytest.mark.parametrize(
    ("per_item", "cap", "count", "points"),
    [
        (1, None, 0, "10.00"),
        (1, None, 3, "7.00"),
        (2.5, None, 5, "0.00"),
        (2, 4, 5, "6.00"),
        (1, None, 2.5, "7.50"),
    ],
)
def test_deduction_points(per_item, cap, count, points):
    """Per-item deductions, at most the cap, never below zero."""
    rule = criterion(
        ScoringRule.DEDUCTION, per_item=Decimal(str(per_item)), cap=None if cap is None else Decimal(cap)
    )
    assert points_for(rule, Decimal(str(count))) == Decimal(points)


def test_manual_average_drops_extremes_from_five_evaluators():
    """Mean of the evaluators; with five or more the highest and lowest are dropped."""
    assert manual_average([]) is None
    assert manual_average([Decimal(8), Decimal(9)]) == Decimal("8.50")
    assert manual_average([Decimal(x) for x in (8, 9, 9, 7)]) == Decimal("8.25")
    assert manual_average([Decimal(x) for x in (2, 8, 9, 9, 10)]) == Decimal("8.67")
