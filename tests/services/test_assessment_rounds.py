"""Rounds: opening, several evaluators, conflict of interest, finalising, locking, reopening."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, RoundEvent
from portal.models.assessment import CriterionKind, PeriodKind, RoundEventKind, RoundStatus
from portal.services import DomainError, assessment_templates, scoring, sheets, standard_templates
from portal.services.scoring import ScoreEntry
from tests.assessment_ledger import add_evaluator, decided_review, settled

TODAY = date(2026, 1, 20)


@pytest.fixture
def templates(county):
    added = {t.target_kind.value: t for t in standard_templates.install(db.session)}
    db.session.commit()
    return added


def open_mediator_round(county, templates, actor=None):
    people = [county.mediators[n] for n in ("马集调解员", "前李调解员", "柳林调解员")]
    return scoring.open_round(
        db.session,
        actor or county.users["evaluator"],
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=people,
        today=TODAY,
    )


def manual(rnd):
    return [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]


def score_all(rnd, actor, points: Decimal) -> None:
    entries = {
        (a.id, c.id): ScoreEntry(points)
        for a in rnd.assessments
        for c in manual(rnd)
        if scoring.conflict_of_interest(actor, a) is None
    }
    scoring.save_scores(db.session, rnd, actor, entries)


def test_open_round_computes_auto_scores(county, templates):
    """Opening computes every auto criterion with its evidence; totals rank the targets."""
    entry, person = county.users["entry_a"], county.mediators["马集调解员"]
    case = settled(db.session, entry, county.mj, [person], date(2025, 3, 1))
    rnd = open_mediator_round(county, templates)
    assert rnd.title == "2025年度调解员年度绩效考评方案"
    assert (rnd.period_start, rnd.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    mine = next(a for a in rnd.assessments if a.mediator == person)
    handled = next(r for r in mine.results if r.criterion.name == "办案数量")
    assert (
        handled.value == 1 and handled.points == Decimal("0.75") and handled.evidence["case_ids"] == [case.id]
    )
    assert mine.rank == 1
    assert [e.kind for e in rnd.events] == [RoundEventKind.OPEN]


def test_two_evaluators_are_averaged(county, templates):
    """Two evaluators' scores are averaged per criterion."""
    rnd = open_mediator_round(county, templates)
    second = add_evaluator(county, "eval2", county.root)
    score_all(rnd, county.users["evaluator"], Decimal(4))
    score_all(rnd, second, Decimal(5))
    first = rnd.assessments[0]
    result = next(r for r in first.results if r.criterion.name == "培训参与")
    assert result.value == Decimal("4.50") and "2名考评员" in result.explanation


def test_score_outside_the_range_is_refused(county, templates):
    rnd = open_mediator_round(county, templates)
    crit = manual(rnd)[1]  # 培训参与, 5 points
    with pytest.raises(DomainError, match="0至5"):
        scoring.save_scores(
            db.session,
            rnd,
            county.users["evaluator"],
            {(rnd.assessments[0].id, crit.id): ScoreEntry(Decimal(6))},
        )


def test_conflict_of_interest(county, templates):
    """An evaluator of 马集 may not score 马集's own mediator or 马集 itself, but may score its village."""
    mj_evaluator = add_evaluator(county, "eval_mj", county.mj)
    people = [county.mediators["马集调解员"], county.mediators["前李调解员"]]
    rnd = scoring.open_round(
        db.session,
        mj_evaluator,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=people,
        today=TODAY,
    )
    own, village = rnd.assessments
    crit = manual(rnd)[0]
    assert scoring.conflict_of_interest(mj_evaluator, own)
    assert scoring.conflict_of_interest(mj_evaluator, village) is None
    with pytest.raises(DomainError, match="回避"):
        scoring.save_scores(db.session, rnd, mj_evaluator, {(own.id, crit.id): ScoreEntry(Decimal(8))})
    scoring.save_scores(db.session, rnd, mj_evaluator, {(village.id, crit.id): ScoreEntry(Decimal(8))})
    # Organisations: the county's evaluator may not score the county itself.
    org_round = scoring.open_round(
        db.session,
        county.users["evaluator"],
        template=templates["organization"],
        period_kind=PeriodKind.QUARTER,
        year=2025,
        number=4,
        targets=[county.root, county.mj],
        today=TODAY,
    )
    root_assessment, mj_assessment = org_round.assessments
    assert scoring.conflict_of_interest(county.users["evaluator"], root_assessment)
    assert scoring.conflict_of_interest(county.users["evaluator"], mj_assessment) is None
    # An evaluator inside 马集's subtree may not score 马集 (its own superior) either.
    village_evaluator = add_evaluator(county, "eval_v", county.mj_village)
    assert "隶属" in scoring.conflict_of_interest(village_evaluator, mj_assessment)


def test_targets_must_be_in_the_evaluators_subtree(county, templates):
    mj_evaluator = add_evaluator(county, "eval_mj", county.mj)
    with pytest.raises(DomainError, match="管辖范围"):
        scoring.open_round(
            db.session,
            mj_evaluator,
            template=templates["mediator"],
            period_kind=PeriodKind.MONTH,
            year=2025,
            number=6,
            targets=[county.mediators["柳林调解员"]],
            today=TODAY,
        )
    with pytest.raises(DomainError, match="只有考评员"):
        open_mediator_round(county, templates, actor=county.users["admin"])


def test_finalise_needs_every_manual_score_then_locks(county, templates):
    """Finalising locks the round for every role; only a reopen with a reason unlocks it."""
    rnd = open_mediator_round(county, templates)
    evaluator = county.users["evaluator"]
    with pytest.raises(DomainError, match="人工评分未录入"):
        scoring.finalise(db.session, rnd, evaluator)
    score_all(rnd, evaluator, Decimal(4))
    scoring.finalise(db.session, rnd, evaluator, expected_version=rnd.version)
    assert rnd.status == RoundStatus.FINAL and rnd.finalised_by == evaluator
    totals = [a.total for a in rnd.assessments]

    crit = manual(rnd)[0]
    entry = {(rnd.assessments[0].id, crit.id): ScoreEntry(Decimal(1))}
    for username in ("evaluator", "admin", "clerk", "entry_a"):
        with pytest.raises(DomainError):
            scoring.save_scores(db.session, rnd, county.users[username], entry)
        with pytest.raises(DomainError):
            scoring.recompute(db.session, rnd, county.users[username], today=TODAY)
    with pytest.raises(DomainError, match="理由"):
        scoring.reopen(db.session, rnd, evaluator, reason=" ")
    with pytest.raises(DomainError):
        scoring.reopen(db.session, rnd, county.users["admin"], reason="管理员想改")
    assert [a.total for a in rnd.assessments] == totals

    scoring.reopen(db.session, rnd, evaluator, reason="马集调解员培训记录漏报，更正培训参与得分")
    assert rnd.status == RoundStatus.OPEN
    reopen = db.session.scalar(select(RoundEvent).where(RoundEvent.kind == RoundEventKind.REOPEN))
    assert reopen.reason.startswith("马集调解员培训记录漏报") and reopen.actor_name == evaluator.full_name
    audit_rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "assessment_round", AuditEvent.step == "重新开启")
    ).all()
    # The reopen is in the audit log, as that step of the round, with its reason.
    assert [row.changes["reason"][1] for row in audit_rows] == [reopen.reason]
    scoring.save_scores(db.session, rnd, evaluator, entry)


def test_finalise_gives_the_round_a_gapless_number_once(county, templates):
    """定稿 numbers the round from the root's series of the year; a draft has none; a reopen keeps it."""
    evaluator = county.users["evaluator"]
    first = open_mediator_round(county, templates)
    second = open_mediator_round(county, templates)
    score_all(first, evaluator, Decimal(4))
    score_all(second, evaluator, Decimal(3))
    assert first.number is None and second.number is None
    # Finalised on New Year's Eve in Beijing, already 2027 there though 2026 in UTC.
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        scoring.finalise(db.session, second, evaluator)
        scoring.finalise(db.session, first, evaluator)
    assert (second.number, first.number) == ("QH司考〔2027〕1号", "QH司考〔2027〕2号")
    assert (first.number_year, first.number_seq) == (2027, 2)
    scoring.reopen(db.session, first, evaluator, reason="更正培训参与得分")
    scoring.finalise(db.session, first, evaluator)
    assert first.number == "QH司考〔2027〕2号"
    # A round of a township's evaluator draws from the same series: the county (root) issues them all.
    township = add_evaluator(county, "eval_mj_no", county.mj)
    third = scoring.open_round(
        db.session,
        township,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=2026,
        targets=[county.mediators["前李调解员"]],
        today=TODAY,
    )
    score_all(third, township, Decimal(2))
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        scoring.finalise(db.session, third, township)
    assert third.number == "QH司考〔2027〕3号"


def test_stale_version_cannot_finalise(county, templates):
    rnd = open_mediator_round(county, templates)
    seen = rnd.version
    score_all(rnd, county.users["evaluator"], Decimal(3))
    with pytest.raises(DomainError, match="已被他人更新"):
        scoring.finalise(db.session, rnd, county.users["evaluator"], expected_version=seen)


def test_used_template_is_frozen_and_can_be_copied(county, templates):
    rnd = open_mediator_round(county, templates)
    template = rnd.template
    template.criteria[0].max_points = Decimal(20)
    with pytest.raises(DomainError, match="复制为新方案"):
        assessment_templates.check_template(db.session, template)
    db.session.rollback()
    copy = assessment_templates.copy_template(db.session, template, "调解员考评方案（2026修订）")
    assert len(copy.criteria) == len(template.criteria)
    assessment_templates.check_template(db.session, copy)


def test_used_template_can_still_be_retired_and_described(county, templates):
    """Only `active` and the description may change once a round uses the template."""
    template = open_mediator_round(county, templates).template
    template.active, template.description = False, "已停用，请使用2026修订版"
    assessment_templates.check_template(db.session, template)
    template.pass_min = Decimal(50)
    with pytest.raises(DomainError, match="已被考评批次使用"):
        assessment_templates.check_template(db.session, template)


def test_deleting_a_used_criterion_is_refused_before_any_flush(county, templates):
    """The pending delete of a used criterion meets the Chinese message, not the rounds' foreign key."""
    template = open_mediator_round(county, templates).template
    db.session.delete(template.criteria[0])
    with pytest.raises(DomainError, match="已被考评批次使用"):
        assessment_templates.check_template(db.session, template)
    assert template.criteria[0] in db.session.deleted  # still pending: nothing was flushed
    db.session.rollback()


def test_copies_get_free_names(county, templates):
    template = templates["mediator"]
    first = assessment_templates.copy_template(db.session, template)
    second = assessment_templates.copy_template(db.session, template)
    assert (first.name, second.name) == (f"{template.name}（副本）", f"{template.name}（副本2）")


def test_review_deductions_reach_the_criterion(county, templates):
    """A decided 责任倒查 with 扣分 against the mediator is deducted, with the review as evidence."""
    evaluator, person = county.users["evaluator"], county.mediators["马集调解员"]
    review = decided_review(evaluator, person, decided_on=date(2025, 6, 1), deduction=Decimal(3))
    rnd = open_mediator_round(county, templates)
    mine = next(a for a in rnd.assessments if a.mediator == person)
    result = next(r for r in mine.results if r.criterion.name == "责任倒查扣分")
    assert result.value == 3 and result.points == Decimal("7.00")
    assert result.evidence["deductions"][0]["review"] == review.number


def test_round_workbook_writes_typed_text_as_text(county, templates):
    """A title, a name or a comment typed as a formula stays text in the xlsx (formula injection)."""
    county.mediators["马集调解员"].name = "@SUM(A1)"
    rnd = open_mediator_round(county, templates)
    rnd.title = "=1+1"
    score_all(rnd, county.users["evaluator"], Decimal(3))
    scores = next(s for a in rnd.assessments for s in a.scores)
    scores.comment = "-2+3"
    book = load_workbook(BytesIO(sheets.round_workbook(rnd, {})))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'-2+3" in texts and any(t.startswith("'@SUM(A1)（") for t in texts)
    assert book["考评结果"]["A1"].value.startswith("'=1+1")


def test_a_score_comment_is_stored_without_control_characters(county, templates):
    """The score grid posts raw fields: a NUL pasted into a comment is dropped (PostgreSQL refused it: a 500)."""
    rnd = open_mediator_round(county, templates)
    assessment, criterion = rnd.assessments[0], manual(rnd)[0]
    entry = ScoreEntry(Decimal(1), comment="调解\x00记录\x01完整\n")
    scoring.save_scores(db.session, rnd, county.users["evaluator"], {(assessment.id, criterion.id): entry})
    saved = next(s for s in assessment.scores if s.criterion == criterion)
    assert saved.comment == "调解记录完整"
