"""调解能手: candidates with evidence, a review finding removing one, nomination, 公示, approval."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.assessment import Indicator, PeriodKind
from portal.models.people import Training, TrainingLevel
from portal.models.recognition import RecognitionCriteria, RecognitionStatus
from portal.models.review import DocumentCounter
from portal.services import DomainError, recognition, scoring, standard_templates
from portal.services.deadlines import DeadlineRules
from portal.services.indicators import Ledger
from portal.services.scoring import ScoreEntry
from tests.assessment_ledger import add_evaluator, decided_review, failed, settled

YEAR = 2025
TODAY = date(2026, 1, 20)


@pytest.fixture
def strong_year(county):
    """马集调解员 and 前李调解员: 3 settled cases in 2025, 12 training hours, rated in a final round."""
    criteria = recognition.criteria_for(db.session, YEAR)
    criteria.min_cases = 3
    entry = county.users["entry_a"]
    names = ("马集调解员", "前李调解员")
    for name in names:
        person = county.mediators[name]
        for month in (3, 4, 5):
            settled(db.session, entry, person.organization, [person], date(YEAR, month, 1))
        person.trainings.append(
            Training(
                held_on=date(YEAR, 6, 1), level=TrainingLevel.COUNTY, hours=Decimal(12), topic="人民调解实务"
            )
        )
    templates = {t.target_kind.value: t for t in standard_templates.install(db.session)}
    evaluator = county.users["evaluator"]
    rnd = scoring.open_round(
        db.session,
        evaluator,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=YEAR,
        targets=[county.mediators[n] for n in names],
        today=TODAY,
    )
    manual = [c for c in rnd.template.criteria if c.kind.value == "manual"]
    scoring.save_scores(
        db.session,
        rnd,
        evaluator,
        {(a.id, c.id): ScoreEntry(Decimal(c.max_points)) for a in rnd.assessments for c in manual},
    )
    scoring.finalise(db.session, rnd, evaluator)
    return rnd


def eligible(county) -> list[str]:
    found = recognition.evaluate(db.session, county.users["evaluator"], YEAR)
    return [c.mediator.name for c in found if c.eligible]


def test_candidates_come_with_evidence(county, strong_year):
    """Both strong mediators are proposed; each check shows what was required and found."""
    assert sorted(eligible(county)) == ["前李调解员", "马集调解员"]
    first = recognition.evaluate(db.session, county.users["evaluator"], YEAR)[0]
    checks = {c.name: c for c in first.checks}
    assert checks["办案数量"].found == "3件" and len(checks["办案数量"].case_ids) == 3
    assert checks["考评等次"].ok and "2025年度" in checks["考评等次"].items[0]
    assert checks["培训学时"].found == "12学时"


def test_a_review_finding_removes_the_candidate(county, strong_year):
    """The candidate list changes when a 责任倒查 finding against the mediator lands."""
    assert "马集调解员" in eligible(county)
    decided_review(county.users["evaluator"], county.mediators["马集调解员"], decided_on=date(YEAR, 9, 1))
    assert eligible(county) == ["前李调解员"]
    found = recognition.evaluate(db.session, county.users["evaluator"], YEAR)
    review_check = next(c for c in found if c.mediator.name == "马集调解员").checks[3]
    assert not review_check.ok and review_check.items


def test_nominate_notice_approve_and_serials(county, strong_year):
    """Nominate two, put them on notice, approve after the notice: serials 001 and 002, unique."""
    evaluator = county.users["evaluator"]
    recs = []
    for name in ("马集调解员", "前李调解员"):
        rec = recognition.nominate(
            db.session, evaluator, county.mediators[name], year=YEAR, reason="办案质量高", today=TODAY
        )
        assert rec.status == RecognitionStatus.NOMINATED and rec.evidence[0]["name"] == "办案数量"
        with pytest.raises(DomainError, match="须经公示"):
            recognition.approve(db.session, rec, evaluator, today=TODAY)
        with pytest.raises(DomainError, match="不得少于5天"):
            recognition.start_notice(db.session, rec, evaluator, start=TODAY, end=TODAY + timedelta(days=2))
        recognition.start_notice(db.session, rec, evaluator, start=TODAY, end=TODAY + timedelta(days=6))
        for day in (3, 6):  # the last day of the notice is still the notice
            with pytest.raises(DomainError, match="期满后方可批准"):
                recognition.approve(db.session, rec, evaluator, today=TODAY + timedelta(days=day))
        recs.append(recognition.approve(db.session, rec, evaluator, today=TODAY + timedelta(days=7)))
    assert [r.serial for r in recs] == ["能手〔2025〕001号", "能手〔2025〕002号"]
    # Serials come from the locked counter of the tree's root, not from max + 1 over the table.
    counter = db.session.get(DocumentCounter, ("recognition", county.root.id, YEAR))
    assert counter is not None and counter.last_value == 2
    assert recognition.honours_of(db.session, county.mediators["马集调解员"].id) == [recs[0]]
    with pytest.raises(DomainError, match="已有2025年度"):
        recognition.nominate(
            db.session, evaluator, county.mediators["马集调解员"], year=YEAR, reason=None, today=TODAY
        )


def test_ineligible_or_conflicted_nomination_is_refused(county, strong_year):
    evaluator = county.users["evaluator"]
    with pytest.raises(DomainError, match="不符合"):
        recognition.nominate(
            db.session, evaluator, county.mediators["柳林调解员"], year=YEAR, reason=None, today=TODAY
        )
    mj_evaluator = add_evaluator(county, "eval_mj", county.mj)
    with pytest.raises(DomainError, match="回避"):
        recognition.nominate(
            db.session, mj_evaluator, county.mediators["马集调解员"], year=YEAR, reason=None, today=TODAY
        )


def test_finding_during_notice_blocks_approval_and_revoke_needs_reason(county, strong_year):
    evaluator = county.users["evaluator"]
    rec = recognition.nominate(
        db.session, evaluator, county.mediators["马集调解员"], year=YEAR, reason=None, today=TODAY
    )
    recognition.start_notice(db.session, rec, evaluator, start=TODAY, end=TODAY + timedelta(days=6))
    decided_review(evaluator, county.mediators["马集调解员"], decided_on=date(YEAR, 12, 20), award_ban=True)
    with pytest.raises(DomainError, match="责任倒查"):
        recognition.approve(db.session, rec, evaluator, today=TODAY + timedelta(days=7))
    with pytest.raises(DomainError, match="撤销理由"):
        recognition.revoke(db.session, rec, evaluator, reason="")
    recognition.revoke(db.session, rec, evaluator, reason="公示期间收到责任倒查决定")
    assert rec.status == RecognitionStatus.REVOKED and rec.serial is None


def test_notice_cannot_be_back_dated_before_the_nomination(county, strong_year):
    """A 公示 dated before the nomination would let an honour be approved on the day it is proposed."""
    evaluator = county.users["evaluator"]
    rec = recognition.nominate(
        db.session, evaluator, county.mediators["马集调解员"], year=YEAR, reason=None, today=TODAY
    )
    back = TODAY - timedelta(days=20)
    with pytest.raises(DomainError, match="不得早于提名日期") as refused:
        recognition.start_notice(db.session, rec, evaluator, start=back, end=back + timedelta(days=6))
    assert refused.value.field == "notice_start"
    db.session.rollback()
    assert rec.status == RecognitionStatus.NOMINATED and rec.notice_start is None
    recognition.start_notice(db.session, rec, evaluator, start=TODAY, end=TODAY + timedelta(days=4))
    assert rec.status == RecognitionStatus.NOTICE


def test_revoked_serial_is_not_reused(county, strong_year):
    """A revoked honour keeps its serial; the next approval takes the following number."""
    evaluator = county.users["evaluator"]
    serials = []
    for name in ("马集调解员", "前李调解员"):
        rec = recognition.nominate(
            db.session, evaluator, county.mediators[name], year=YEAR, reason=None, today=TODAY
        )
        recognition.start_notice(db.session, rec, evaluator, start=TODAY, end=TODAY + timedelta(days=4))
        recognition.approve(db.session, rec, evaluator, today=TODAY + timedelta(days=5))
        serials.append(rec.serial)
        if name == "马集调解员":
            recognition.revoke(db.session, rec, evaluator, reason="材料不实")
    assert serials == ["能手〔2025〕001号", "能手〔2025〕002号"]


def test_success_rate_is_the_assessment_indicator(county, strong_year):
    """调解成功率 counts as in the assessment: a case failing after the evaluation day is not yet decided."""
    evaluator, person = county.users["evaluator"], county.mediators["马集调解员"]
    late = failed(
        db.session, county.users["entry_a"], person.organization, [person], date(YEAR, 12, 20), days=36
    )
    measure = Ledger(
        db.session, county.root, date(YEAR, 1, 1), date(YEAR, 12, 31), TODAY, DeadlineRules()
    ).measure(Indicator.SUCCESS_RATE, person)
    found = recognition.evaluate(db.session, evaluator, YEAR, as_of=TODAY)
    check = next(c for c in next(c for c in found if c.mediator == person).checks if c.name == "调解成功率")
    assert measure.value == Decimal(100)
    assert check.found.startswith(f"{measure.value}%") and sorted(check.case_ids) == sorted(measure.case_ids)
    assert late.id not in check.case_ids
    # Once it has failed, both count it.
    later = recognition.evaluate(db.session, evaluator, YEAR, as_of=date(2026, 2, 1))
    check = next(c for c in next(c for c in later if c.mediator == person).checks if c.name == "调解成功率")
    assert check.found.startswith("75.00%") and late.id in check.case_ids


def test_candidate_list_stores_no_criteria(county):
    """Reading the candidates of a year leaves the criteria table alone; nominating stores them."""
    recognition.evaluate(db.session, county.users["evaluator"], 2031, as_of=TODAY)
    db.session.flush()
    assert db.session.scalar(select(RecognitionCriteria).where(RecognitionCriteria.year == 2031)) is None
    assert recognition.rules_of(db.session, 2031).min_cases == 10
