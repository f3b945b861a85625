"""分析研判 on a hand-built ledger (tests/analysis_ledger.py) with known answers: totals and their changes
against the period before and a year before, types and places, major cases, the overdue picture replayed
at the period's end, a township's halves split on the 15th/16th, the analyst's notes and the default
period in the office's calendar."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, CaseStatus
from portal.models.analysis import PeriodKind
from portal.services import DomainError, analysis, analysis_cases, analysis_notes, analysis_sheets
from portal.services.analysis_periods import Period, default_period, parse_period, period_from_parts
from tests import analysis_ledger
from tests.conftest import BEIJING

D = date
LATER = D(2026, 6, 1)  # "today" for the reports of 2025: every period asked for has ended


@pytest.fixture
def ledger(county):
    return analysis_ledger.build(county)


def test_county_month_against_the_month_before_and_a_year_before(county, ledger):
    report = analysis.build_report(db.session, county.root, Period(2025, 10), LATER)
    got = {m.key: (m.current, m.previous, m.last_year) for m in report.metrics}
    assert got["accepted"] == (5, 2, 1)  # the voided c9 is left out
    assert got["settled"] == (2, 1, 1) and got["failed"] == (1, 0, 0) and got["pending"] == (2, 1, 0)
    assert got["success_rate"] == (Decimal("66.7"), Decimal("100.0"), Decimal("100.0"))
    assert got["people"] == (20, 4, 2) and got["amount_wan"][0] == Decimal(5)
    assert got["group"][0] == got["major"][0] == got["high_risk"][0] == 1
    accepted = analysis.metric(report, "accepted")
    assert (accepted.previous_text, accepted.last_year_text) == ("上升150.0%", "上升400.0%")
    assert analysis.metric(report, "success_rate").previous_text == "下降33.3个百分点"
    assert accepted.criteria == {
        "accepted": (D(2025, 10, 1), D(2025, 10, 31)),
        "org": county.root.id,
        "outcome": "valid",
    }

    assert [(r.name, r.current, r.previous, r.last_year, r.share) for r in report.types] == [
        ("邻里纠纷", 3, 1, 1, Decimal("60.0")),
        ("婚姻家庭纠纷", 1, 0, 0, Decimal("20.0")),  # c2 is a 婚姻纠纷, counted in its category
        ("征地拆迁纠纷", 1, 0, 0, Decimal("20.0")),
        ("劳动争议纠纷", 0, 1, 0, Decimal("0.0")),
    ]
    assert [(r.name, r.current, r.previous, r.last_year) for r in report.areas] == [
        (county.mj.name, 3, 2, 0),
        (county.ll.name, 2, 0, 1),
    ]
    assert {r.name: r.current for r in report.hot_spots} == {
        county.mj_village.name: 1,
        county.ll_village.name: 1,
    }
    assert report.areas[0].criteria["org"] == county.mj.id
    assert [c.id for c in report.serious] == [ledger["c3"].id] and report.serious_total == 1

    # Overdue on 31 October, replayed: c10b was settled only in November, c10c before; c7 ran out on 20 Oct.
    assert not report.live and report.overdue_criteria is None
    overdue = {o.case.id: (o.days, o.status) for o in report.overdue}
    assert overdue == {
        ledger["c10a"].id: (42, CaseStatus.MEDIATING),
        ledger["c10b"].id: (37, CaseStatus.MEDIATING),
        ledger["c7"].id: (11, CaseStatus.REGISTERED),
    }
    assert [o.case.id for o in report.overdue][0] == ledger["c10a"].id  # longest overdue first

    # The 情况通报 words the same figures.
    text = "\n".join(analysis_notes.circular_paragraphs(report))
    assert "2025年10月，全县各级调解组织共受理矛盾纠纷5件，环比上升150.0%，同比上升400.0%" in text
    assert "调解成功2件，调解成功率66.7%；涉及当事人20人、金额5.00万元" in text
    assert "邻里纠纷3件（占60.0%）" in text and "前李村（1件）" in text
    assert "群体性纠纷1件、重大纠纷1件、高风险纠纷1件" in text
    assert "截至10月31日，超过办结时限仍在调解的纠纷3件" in text

    # The workbook: numbers as numbers, rates as percentages, dates as dates, typed text never a formula.
    ledger["c3"].responsible_person = '=HYPERLINK("http://x")'
    book = load_workbook(io.BytesIO(analysis_sheets.report_workbook(report, "文书甲", D(2026, 1, 5))))
    assert book.sheetnames == [
        "总体情况",
        "纠纷类型",
        "区域分布",
        "纠纷高发村（社区）",
        "重大群体性纠纷",
        "超期未化解",
        "研判意见",
    ]
    summary = book["总体情况"]
    assert summary["A4"].value == "受理纠纷" and summary["C4"].value == 5 and summary["E4"].value == 1.5
    assert summary["E4"].number_format == "0.0%"
    rate = next(r for r in range(4, 14) if summary.cell(r, 1).value == "调解成功率")
    assert abs(summary.cell(rate, 3).value - 0.667) < 1e-9 and summary.cell(rate, 3).number_format == "0.0%"
    serious = book["重大群体性纠纷"]
    assert isinstance(serious["B4"].value, datetime) and serious["B4"].number_format == "yyyy-mm-dd"
    assert serious["E4"].value == 12 and serious["K4"].value.startswith("'=")  # shown, never run
    overdue_sheet = book["超期未化解"]
    assert [overdue_sheet.cell(r, 6).value for r in (4, 5, 6)] == [42, 37, 11]
    assert "A1:L1" in {str(r) for r in overdue_sheet.merged_cells.ranges}


def test_a_long_overdue_list_is_cut_but_counted_in_full(county, ledger, monkeypatch):
    """The page and the PDF list at most LIST_LIMIT overdue cases; the figures and the 情况通报 count all."""
    monkeypatch.setattr(analysis_cases, "LIST_LIMIT", 2)
    report = analysis.build_report(db.session, county.root, Period(2025, 10), LATER)
    assert len(report.overdue) == 2 and report.overdue_total == 3
    assert "超过办结时限仍在调解的纠纷3件" in "\n".join(analysis_notes.circular_paragraphs(report))


def test_township_halves_split_on_the_fifteenth_and_a_running_period(county, ledger):
    first = analysis.build_report(db.session, county.mj, Period(2025, 10, 1), LATER)
    second = analysis.build_report(db.session, county.mj, Period(2025, 10, 2), LATER)
    assert (first.period.start, first.period.end) == (D(2025, 10, 1), D(2025, 10, 15))
    assert first.previous == Period(2025, 9, 2) and second.previous == Period(2025, 10, 1)
    assert second.last_year == Period(2024, 10, 2)
    assert analysis.metric(first, "accepted").current == 2  # c1 on the 3rd (its village), c2 on the 15th
    assert analysis.metric(first, "accepted").previous == 1  # c7 on 20 September; c6 (10th) is the first half
    assert analysis.metric(second, "accepted").current == 1  # c3 on the 16th
    assert analysis.metric(second, "accepted").previous_text == "下降50.0%"
    # On the 15th c7 still had five days: only the August cases were overdue.
    assert {o.case.id: o.days for o in first.overdue} == {ledger["c10a"].id: 26, ledger["c10b"].id: 21}
    liulin = analysis.build_report(db.session, county.ll, Period(2025, 10, 2), LATER)
    assert analysis.metric(liulin, "accepted").current == 2 and liulin.overdue == []
    assert analysis.metric(liulin, "accepted").previous_text == "新增2"
    assert [r.name for r in liulin.areas] == [county.ll_village.name, f"{county.ll.name}（本级）"]
    assert liulin.areas[1].criteria["org_own"] == county.ll.id  # 本级: the ledger's 仅本级 filter

    # While October runs, the overdue list is today's ledger (its 超期 filter).
    today = D(2025, 10, 25)
    report = analysis.build_report(db.session, county.root, Period(2025, 10), today)
    assert report.running and report.live and report.as_of == today
    assert report.overdue_criteria == {"org": county.root.id, "overdue": True}
    # Today's ledger: c10b and c10c are settled now, c10a and c7 still wait.
    assert {o.case.id for o in report.overdue} == {ledger["c10a"].id, ledger["c7"].id}


def test_notes_are_saved_audited_and_a_stale_save_is_refused(county):
    evaluator, period = county.users["evaluator"], Period(2025, 10, 1)
    saved = analysis_notes.save_notes(
        db.session,
        evaluator,
        county.mj,
        period,
        texts={"situation": " 婚姻家庭纠纷多发\x00 ", "risks": "", "suggestions": "加强排查"},
        expected_version=None,
    )
    assert (saved.situation, saved.risks, saved.suggestions) == ("婚姻家庭纠纷多发", None, "加强排查")
    assert saved.period_kind == PeriodKind.HALF and saved.period_end == D(2025, 10, 15)
    with pytest.raises(DomainError, match="已被他人修改"):
        analysis_notes.save_notes(
            db.session, evaluator, county.mj, period, texts={"situation": "x"}, expected_version=None
        )
    analysis_notes.save_notes(
        db.session, evaluator, county.mj, period, texts={"situation": "改"}, expected_version=saved.version
    )
    entries = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "analysis_report").order_by(AuditEvent.id)
    ).all()
    assert len(entries) == 2 and entries[-1].changes["situation"] == ["婚姻家庭纠纷多发", "改"]
    for user, org in ((county.users["clerk"], county.mj), (county.users["admin_a"], county.ll)):
        with pytest.raises(DomainError, match="无权"):
            analysis_notes.save_notes(db.session, user, org, period, texts={}, expected_version=None)
    with pytest.raises(DomainError, match="不能超过5000字"):
        analysis_notes.save_notes(
            db.session, evaluator, county.ll, period, texts={"risks": "险" * 5001}, expected_version=None
        )


def test_periods_are_parsed_or_refused_in_chinese():
    today = D(2026, 11, 20)
    assert parse_period("2026-02-2", today) == Period(2026, 2, 2)
    assert Period(2024, 2, 2).end == D(2024, 2, 29) and Period(2025, 2, 2).end == D(2025, 2, 28)
    assert Period(2026, 1).previous() == Period(2025, 12) and Period(2026, 1, 1).previous() == Period(
        2025, 12, 2
    )
    assert period_from_parts("2026-11", "2", today) == Period(2026, 11, 2)
    assert period_from_parts("2026-11", "", today).kind == PeriodKind.MONTH
    for bad in ("", "2026", "2026-13", "1999-12", "2026-11-3", "2026-12", "２０２６-11", "2026-11\x00"):
        with pytest.raises(DomainError):
            parse_period(bad, today)
    with pytest.raises(DomainError):
        period_from_parts("2026-11", "x", today)


@pytest.mark.usefixtures("frozen_clock")
def test_the_default_period_is_the_last_one_ended_in_beijing(county, frozen_clock):
    local = frozen_clock.astimezone(BEIJING).date()
    assert clock.today() == local
    month_before = (local.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert default_period(county.root, clock.today()) == Period(month_before.year, month_before.month)
    township = default_period(county.mj, clock.today())
    if local.day <= 15:
        assert township == Period(month_before.year, month_before.month, 2)
    else:
        assert township == Period(local.year, local.month, 1)
    assert township.end < local
