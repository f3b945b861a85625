"""排查 services: plans, records, a finding registered as a case or dismissed, 无纠纷 and the 零报告,
missing screenings, the dashboard's figures and the 排查完成率."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Case,
    CaseSource,
    DisputeType,
    FindingStatus,
    PlanStatus,
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
    ZeroReport,
)
from portal.models.assessment import Indicator
from portal.models.screening import LedgerDeleteError
from portal.services import DomainError, screening, screening_plans, screening_rhythm
from portal.services.deadlines import DeadlineRules
from portal.services.indicators import Ledger
from tests.factories import new_case, person

TODAY = date(2026, 3, 20)  # the second half of March


def record(actor, org, *, on=TODAY, areas=(), findings=(), plan=None, kind=ScreeningKind.ROLLING, **fields):
    """File a record through the service: 无纠纷 unless findings are given."""
    row = ScreeningRecord(
        organization=org,
        plan=plan,
        kind=kind,
        screened_on=on,
        situation="走访农户，查看重点人员和重点领域",
        result=RecordResult.FOUND if findings else RecordResult.NONE,
        **{"other_screeners": "网格员王某", **fields},
    )
    row.areas = list(areas)
    row.findings = [
        ScreeningFinding(summary=text, parties="张三、李四", people_involved=2) for text in findings
    ]
    return screening.file_record(db.session, row, actor, today=max(on, TODAY))


def test_a_finding_becomes_a_case_through_registration_or_is_dismissed(county):
    entry = county.users["entry_a"]
    found = record(entry, county.mj, areas=[county.mj_village], findings=["宅基地边界争执", "邻里噪音"])
    assert found.period_start == date(2026, 3, 16) and found.recorded_by == entry
    first, second = found.findings
    assert screening.case_prefill(first)["organization"] == county.mj_village
    case = Case(
        **screening.case_prefill(first), accepted_on=TODAY, parties=[person("张三"), person("李四", seq=2)]
    )
    case.dispute_type = db.session.scalar(select(DisputeType).where(DisputeType.code == "02"))
    screening.register_finding(db.session, first, case, entry, today=TODAY)
    assert case.number.startswith("（2026）MJQL人调字第") and case.source == CaseSource.SCREENING
    assert (
        first.status == FindingStatus.REGISTERED
        and first.case == case
        and case.events[0].kind.label == "受理登记"
    )
    with pytest.raises(DomainError, match="已登记案件"):
        screening.dismiss_finding(db.session, first, entry, reason="重复", today=TODAY)
    screening.dismiss_finding(
        db.session, second, entry, reason="经走访系正常生活噪音，双方无争议", today=TODAY
    )
    assert second.status == FindingStatus.DISMISSED
    with pytest.raises(DomainError, match="不能作废"):
        screening.void_record(db.session, found, entry, reason="误登", today=TODAY)
    # Another township cannot touch it; nothing is deleted.
    with pytest.raises(DomainError, match="管辖范围"):
        screening.add_finding(
            db.session, found, ScreeningFinding(summary="x"), county.users["entry_b"], today=TODAY
        )
    db.session.delete(found)
    with pytest.raises(LedgerDeleteError):
        db.session.flush()
    db.session.rollback()
    logged = db.session.scalars(select(AuditEvent.entity).where(AuditEvent.entity.like("screening_%"))).all()
    assert {"screening_record", "screening_finding"} <= set(logged)


def test_no_dispute_files_or_links_the_zero_report_of_the_villages_screened(county):
    entry = county.users["entry_a"]
    first = record(entry, county.mj, on=date(2026, 3, 5), areas=[county.mj_village])
    [report] = first.zero_reports
    assert (report.organization, report.period_start, report.reported_by) == (
        county.mj_village,
        date(2026, 3, 1),
        entry,
    )
    second = record(entry, county.mj, on=date(2026, 3, 18), areas=[county.mj_village])
    assert second.zero_reports == [report]
    assert db.session.scalar(select(ZeroReport.id).where(ZeroReport.id != report.id)) is None
    # A committee that registered a dispute that month has no 零报告 to file.
    new_case(db.session, county.users["entry_b"], county.ll_village, today=date(2026, 4, 2))
    april = record(county.users["entry_b"], county.ll, on=date(2026, 4, 3), areas=[county.ll_village])
    assert april.zero_reports == []
    with pytest.raises(DomainError, match="无纠纷"):
        screening.add_finding(
            db.session, april, ScreeningFinding(summary="遗漏"), county.users["entry_b"], today=TODAY
        )


def test_plans_and_the_rules_of_a_record(county):
    entry, admin = county.users["entry_a"], county.users["admin"]
    plan = ScreeningPlan(
        organization=county.root,
        kind=ScreeningKind.SPECIAL,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 14),
        responsible_person="王科长",
    )
    with pytest.raises(DomainError, match="排查主题"):
        screening_plans.prepare_plan(db.session, plan, admin, today=TODAY)
    plan.theme = "春节前"
    screening_plans.prepare_plan(db.session, plan, admin, today=TODAY)
    db.session.commit()
    assert plan.title == "清河县司法局2026年2月春节前矛盾纠纷专项排查"
    assert plan in screening_plans.open_plans(db.session, entry)
    with pytest.raises(DomainError, match="计划期间"):
        record(entry, county.mj, plan=plan, kind=None, on=date(2026, 2, 20))
    db.session.rollback()
    done = record(entry, county.mj, plan=plan, kind=None, on=date(2026, 2, 10))
    assert (done.kind, done.theme) == (ScreeningKind.SPECIAL, "春节前")
    with pytest.raises(DomainError, match="辖区"):
        record(entry, county.mj, areas=[county.ll_village])
    db.session.rollback()
    with pytest.raises(DomainError, match="排查人"):
        record(entry, county.mj, other_screeners=None)
    db.session.rollback()
    with pytest.raises(DomainError, match="管辖范围"):
        screening_plans.cancel_plan(db.session, plan, entry, reason="x", today=TODAY)
    screening_plans.cancel_plan(db.session, plan, admin, reason="与节前安全检查合并开展", today=TODAY)
    assert plan.status == PlanStatus.CANCELLED and plan.closed_on == TODAY


def test_missing_screenings_and_the_overview(county):
    admin, entry = county.users["admin"], county.users["entry_a"]
    record(entry, county.mj_village, on=date(2026, 3, 17), findings=["土地流转纠纷"])
    record(entry, county.mj, on=date(2026, 3, 3))
    missing = screening_rhythm.missing_screenings(db.session, admin, TODAY)
    assert [(m.organization.code, m.period.label) for m in missing] == [
        ("QH", "2026年3月"),
        ("LL", "2026年3月下半月"),
    ]
    figures = screening.overview(db.session, entry, TODAY)
    assert figures["period_label"] == "2026年3月下半月"
    assert (figures["records"], figures["units"], figures["units_done"], figures["units_missing"]) == (
        1,
        1,
        1,
        0,
    )
    assert (figures["findings"], figures["findings_pending"], figures["previous_missing"]) == (1, 1, 0)
    county_view = screening.overview(db.session, admin, TODAY)
    assert (county_view["period_label"], county_view["records"], county_view["units_missing"]) == (
        "2026年3月",
        2,
        2,
    )
    # Before: 柳林 missed the first half of March, the county February.
    assert county_view["previous_missing"] == 2
    assert screening.overview(db.session, county.users["entry_b"], TODAY)["records"] == 0


def test_the_screening_rate_indicator(county):
    entry = county.users["entry_a"]
    for day in (date(2026, 1, 3), date(2026, 1, 20), date(2026, 2, 25)):
        record(entry, county.mj, on=day)
    ledger = Ledger(db.session, county.root, date(2026, 1, 1), date(2026, 12, 31), TODAY, DeadlineRules())
    measure = ledger.measure(Indicator.SCREENING_RATE, county.mj)
    # Owed by 20 March: Jan ×2, Feb ×2, March first half; screened in three of them.
    assert measure.value == Decimal("60.00")
    assert "2026年2月上半月、2026年3月上半月" in measure.explanation
    assert ledger.measure(Indicator.SCREENING_RATE, county.ll).value == Decimal("0.00")
    assert ledger.measure(Indicator.SCREENING_RATE, county.mediators["马集调解员"]).value is None
    assert screening_rhythm.period_of(date(2026, 2, 16)).end == date(2026, 2, 28)
    assert screening_rhythm.period_of(date(2026, 2, 16)).previous().label == "2026年2月上半月"
    assert ledger.measure(Indicator.SCREENING_RATE, county.root).value == Decimal("0.00")
