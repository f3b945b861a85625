"""群众满意率 from the 回访 verdicts, and the case checks of 听证/包案/三调联动 records."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import (
    Evaluation,
    FollowUp,
    Hearing,
    HearingOutcome,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
    Performance,
)
from portal.models.assessment import Indicator
from portal.services import case_checks, case_records
from portal.services.deadlines import DeadlineRules
from portal.services.indicators import Ledger
from tests.assessment_ledger import at, in_mediation, settled

AS_OF = date(2026, 1, 20)


def _visit(case, actor, day: date, evaluation: Evaluation | None, comment: str | None = None) -> None:
    visit = FollowUp(
        visited_on=day,
        visitor="回访员",
        person_visited="张三",
        performance=Performance.FULL,
        satisfaction=4,
        evaluation=evaluation,
        evaluation_comment=comment,
    )
    case_records.follow_up(db.session, case, actor, visit, today=day)


def test_satisfaction_rate_for_mediators_and_organisations(county):
    """群众满意率 = (满意 + 基本满意) ÷ verdicts given by the day of computation; unrated visits left out."""
    entry_a, entry_b = county.users["entry_a"], county.users["entry_b"]
    mj, ll = county.mediators["马集调解员"], county.mediators["柳林调解员"]
    a = settled(db.session, entry_a, county.mj, [mj], date(2025, 3, 1), satisfaction=None)
    b = settled(db.session, entry_a, county.mj, [mj], date(2025, 4, 1), satisfaction=None)
    c = settled(db.session, entry_b, county.ll, [ll], date(2025, 5, 1), satisfaction=None)
    _visit(a, entry_a, date(2025, 3, 10), Evaluation.SATISFIED)
    _visit(a, entry_a, date(2025, 3, 20), Evaluation.BASIC)
    _visit(b, entry_a, date(2025, 4, 10), Evaluation.DISSATISFIED, "还没给钱")
    _visit(b, entry_a, date(2025, 4, 12), None)  # recorded without a verdict: not counted
    _visit(c, entry_b, date(2025, 5, 10), Evaluation.SATISFIED)
    _visit(c, entry_b, AS_OF + timedelta(days=1), Evaluation.DISSATISFIED, "不服")  # after the computation
    book = Ledger(db.session, county.root, date(2025, 1, 1), date(2025, 12, 31), AS_OF, DeadlineRules())
    rate = Indicator.SATISFACTION_RATE
    person = book.measure(rate, mj)
    assert person.value == Decimal("66.67") and person.case_ids == sorted([a.id, b.id])
    assert "满意1人次 + 基本满意1人次 ÷ 评议3人次（不满意1人次）" == person.explanation
    assert book.measure(rate, county.mj).value == Decimal("66.67")
    assert book.measure(rate, county.ll).value == Decimal("100.00")
    assert book.measure(rate, county.root).value == Decimal("75.00")
    nothing = Ledger(db.session, county.root, date(2024, 1, 1), date(2024, 12, 31), AS_OF, DeadlineRules())
    assert nothing.measure(rate, county.root).value is None


def test_case_checks_hold_the_records_to_the_services_rules(county):
    """A stored hearing before the acceptance, or a 移入 on a case not sent by that partner with feedback
    before it was received, is reported by `case_checks` like the services would refuse it."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    accepted = date(2025, 6, 1)
    case = in_mediation(db.session, entry, county.mj, [person], accepted)
    db.session.commit()
    db.session.expire_all()  # the history as stored (the helper dated it in memory)
    assert case_checks.problems(case, AS_OF) == []
    case.hearings.append(
        Hearing(
            held_at=at(accepted - timedelta(days=2)),
            place="调解室",
            presiding="李明",
            parties_present="张三、李四",
            questions="赔偿",
            outcome=HearingOutcome.OPINION,
            summary="意见",
        )
    )
    case.liaisons.append(
        Liaison(
            channel=LiaisonChannel.COURT,
            direction=LiaisonDirection.IN,
            partner="清河县人民法院",
            reason="委派调解",
            received_on=accepted,
            feedback_on=accepted + timedelta(days=3),
            outcome=LiaisonOutcome.SETTLED,
            feedback="成功",
        )
    )
    found = case_checks.problems(case, AS_OF)
    assert "听证时间不能早于受理日期" in found
    case.hearings[0].held_at = at(accepted + timedelta(days=1))
    found = case_checks.problems(case, AS_OF)
    assert found == ["诉调对接移入的案件，纠纷来源应为「人民法院移交」"]
