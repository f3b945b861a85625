"""Demo 排查 and 研判会议: a year of screening plans and records, and monthly meetings with their 交办 items.

Records are loaded in bulk (audited as one summary, like the cases): each 司法所 screens its committee
and a few villages every half month (a few are missed, the last one by two townships so that the
warning page has something to say), the county every month. A screening finds the demo cases that came
from screening (来源 主动排查) and were accepted within a week of it, which become its registered
findings; now and then a finding turns out to be no dispute, and the last fortnight's wait to be
handled. A record that found nothing links the villages' 零报告 of that month where there is one.

Meetings are built the same way, as the services would leave them (numbers from the 交办 counters,
one dated history row per 督办 step; `tests/services/test_demo_seed.py` checks them): the county's
月排查分析例会 every month and a 联席会议 every quarter, the township's own monthly meeting for the
last half year, held by the county administrator and the township's 录入员. Their decisions are handed
out and followed up, so past items are mostly done (some late, one cancelled) and recent ones open,
some overdue, reminded or escalated. Everything is one summary row in the audit log.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.audit import AuditAction
from portal.models.auth import User
from portal.models.case import Case, CaseSource, CaseStatus, RiskLevel
from portal.models.org import Organization
from portal.models.screening import (
    FindingStatus,
    PlanStatus,
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
)
from portal.models.zero_report import ZeroReport
from portal.services import audit
from portal.services.deadlines import add_months
from portal.services.demo.meetings import Township, build_meetings, townships
from portal.services.screening_plans import default_title
from portal.services.screening_rhythm import Period, period_of, periods_between

# (theme, month, day, days): the 专项排查 of a year.
SPECIAL = (
    ("元旦春节前", 1, 5, 25),
    ("五一节前", 4, 15, 14),
    ("汛期安全", 6, 10, 20),
    ("国庆节前", 9, 15, 14),
)
DISMISSED = (
    ("两户因院墙滴水发生口角", "经走访，双方已自行协商解决，不构成矛盾纠纷。"),
    ("村民反映邻居饲养犬只扰民", "经核实系偶发，已提醒饲养人规范饲养，无需调解。"),
    ("夫妻因琐事争吵", "经回访，双方已和好，无纠纷隐患。"),
    ("租户与房东就押金退还有分歧", "经核实双方已按合同结清，不构成纠纷。"),
)
PENDING = ("两户因承包地界桩移位发生争执", "外出务工人员反映工资被拖欠", "村民因宅前排水沟堵塞发生争执")


def _plans(
    session: Session, root: Organization, admin: User, today: date, first: date
) -> dict[Any, ScreeningPlan]:
    """Add the county's monthly 集中排查 plans and the year's 专项排查; return them by month / theme."""
    plans: dict[Any, ScreeningPlan] = {}
    month = first
    while month <= today:
        end = add_months(month, 1) - timedelta(days=1)
        plans[month] = ScreeningPlan(
            organization=root,
            title=default_title(root, ScreeningKind.CONCENTRATED, month, None),
            kind=ScreeningKind.CONCENTRATED,
            period_start=month,
            period_end=end,
            leader="县司法局副局长",
            responsible_person="人民参与和促进法治科科长",
            requirements="各司法所组织调委会、网格员逐村逐户排查，重点排查婚姻家庭、邻里、土地承包等纠纷，每半月报送排查记录。",
            created_by=admin,
        )
        month = add_months(month, 1)
    for theme, month_no, day, days in SPECIAL:
        for year in (first.year, first.year + 1):
            start = date(year, month_no, day)
            if first <= start <= today:
                plans[theme, year] = ScreeningPlan(
                    organization=root,
                    title=default_title(root, ScreeningKind.SPECIAL, start, theme),
                    kind=ScreeningKind.SPECIAL,
                    theme=theme,
                    period_start=start,
                    period_end=start + timedelta(days=days),
                    responsible_person="人民参与和促进法治科科长",
                    requirements=f"围绕“{theme}”开展专项排查，对排查出的纠纷逐件登记、限期化解。",
                    created_by=admin,
                )
    for key, plan in plans.items():
        if plan.period_end < today:
            plan.status, plan.closed_on = PlanStatus.COMPLETED, plan.period_end + timedelta(days=3)
            plan.summary = "已按计划完成排查，排查出的纠纷均已登记分流，重点纠纷纳入月度研判。"
        if key == ("汛期安全", first.year) or key == ("汛期安全", first.year + 1):
            plan.status, plan.closed_on = PlanStatus.CANCELLED, plan.period_start
            plan.cancel_reason, plan.summary = "与全县防汛安全大检查合并开展", None
    session.add_all(plans.values())
    return plans


class _Screenings:
    """Builds the records of a year from the demo ledger."""

    def __init__(
        self, session: Session, rng: random.Random, today: date, plans: dict[Any, ScreeningPlan]
    ) -> None:
        self.session, self.rng, self.today, self.plans = session, rng, today, plans
        self.specials = [
            p for p in plans.values() if p.kind == ScreeningKind.SPECIAL and p.status != PlanStatus.CANCELLED
        ]
        self.reports = {(z.organization_id, z.period_start): z for z in session.scalars(select(ZeroReport))}
        self.cases = list(
            session.scalars(
                select(Case)
                .where(Case.source == CaseSource.SCREENING, Case.status != CaseStatus.VOIDED)
                .order_by(Case.accepted_on, Case.id)
            )
        )
        self.paths = dict(session.execute(select(Organization.id, Organization.path)).all())
        self.taken: set[int] = set()

    def _kind(self, day: date) -> tuple[ScreeningKind, str | None, ScreeningPlan | None]:
        special = next((p for p in self.specials if p.period_start <= day <= p.period_end), None)
        if special is not None:
            return ScreeningKind.SPECIAL, special.theme, special
        if day.day <= 15:
            return ScreeningKind.CONCENTRATED, None, self.plans.get(day.replace(day=1))
        return ScreeningKind.ROLLING, None, None

    def _findings(self, town: Township, day: date) -> list[ScreeningFinding]:
        found = []
        for case in self.cases:
            if case.id in self.taken or not day <= case.accepted_on <= day + timedelta(days=7):
                continue
            if not self.paths.get(case.numbering_organization_id, "").startswith(town.office.path):
                continue
            self.taken.add(case.id)
            found.append(
                ScreeningFinding(
                    summary=case.summary[:500],
                    parties=case.party_names[:200],
                    people_involved=case.people_involved,
                    dispute_type_id=case.dispute_type_id,
                    risk_level=case.risk_level,
                    place=case.place,
                    status=FindingStatus.REGISTERED,
                    case_id=case.id,
                    handled_on=case.accepted_on,
                )
            )
        if self.rng.random() < 0.12:
            text, reason = self.rng.choice(DISMISSED)
            found.append(
                ScreeningFinding(
                    summary=text,
                    people_involved=2,
                    status=FindingStatus.DISMISSED,
                    dismiss_reason=reason,
                    handled_on=min(day + timedelta(days=3), self.today),
                )
            )
        if (self.today - day).days <= 12 and self.rng.random() < 0.35:
            found.append(
                ScreeningFinding(
                    summary=self.rng.choice(PENDING), people_involved=2, risk_level=RiskLevel.MEDIUM
                )
            )
        for seq, finding in enumerate(found, start=1):
            finding.seq = seq
        return found

    def township(self, town: Township, period: Period, recorder: User | None) -> ScreeningRecord:
        rng = self.rng
        day = min(period.start + timedelta(days=rng.randint(0, 9)), self.today)
        kind, theme, plan = self._kind(day)
        areas = ([town.committee] if town.committee else []) + rng.sample(
            town.villages, min(len(town.villages), rng.randint(2, 5))
        )
        findings = self._findings(town, day)
        record = ScreeningRecord(
            organization=town.office,
            plan=plan,
            kind=kind,
            theme=theme,
            screened_on=day,
            period_start=period_of(day).start,
            scope_note=f"{theme or '矛盾纠纷'}排查，重点关注婚姻家庭、邻里、土地承包和劳资纠纷",
            other_screeners=rng.choice(("村网格员", "村“两委”成员、网格员", None)),
            households=rng.randint(20, 120),
            situation=f"走访{len(areas)}个村（社区）、重点户，召开村组座谈会，"
            + (f"排查出矛盾纠纷{len(findings)}件。" if findings else "未发现矛盾纠纷。"),
            result=RecordResult.FOUND if findings else RecordResult.NONE,
            recorded_by=recorder,
        )
        record.areas = areas
        record.mediators = rng.sample(town.mediators, min(len(town.mediators), 2))
        record.findings = findings
        if not findings:
            month = day.replace(day=1)
            record.zero_reports = [z for a in areas if (z := self.reports.get((a.id, month))) is not None]
        return record


def seed_screening(session: Session, today: date, seed: int = 2026) -> dict[str, int]:
    """Add a year of plans, records, meetings and 交办 items (see the module's docstring); commit."""
    admin = session.scalar(select(User).where(User.username == "admin"))
    entry = session.scalar(select(User).where(User.username == "entry"))
    root = session.scalar(
        select(Organization).where(Organization.parent_id.is_(None)).order_by(Organization.id)
    )
    towns = townships(session)
    if admin is None or root is None or not towns:
        return {}
    rng = random.Random(seed * 7 + 15)
    first = add_months(today.replace(day=1), -11)
    with audit.paused():
        plans = _plans(session, root, admin, today, first)
        builder = _Screenings(session, rng, today, plans)
        records: list[ScreeningRecord] = []
        halves = periods_between(first, today, monthly=False)
        for index, town in enumerate(towns):
            recorder = entry if entry is not None and entry.organization_id == town.office.id else admin
            for period in halves:
                last = period == halves[-1]
                missed = (period == halves[-2] and index >= len(towns) - 2) or rng.random() < 0.04
                if missed or (last and rng.random() < 0.4):
                    continue
                records.append(builder.township(town, period, recorder))
        for month in periods_between(first, today, monthly=True):
            day = month.start + timedelta(days=rng.randint(3, 12))
            if day <= today:
                records.append(
                    ScreeningRecord(
                        organization=root,
                        plan=plans.get(month.start),
                        kind=ScreeningKind.CONCENTRATED,
                        screened_on=day,
                        period_start=period_of(day).start,
                        scope_note="会同公安、信访、法院开展全县集中排查",
                        situation="县级层面对重点领域、重点人群集中排查，各乡镇（街道）排查情况见其排查记录。",
                        result=RecordResult.NONE,
                        screeners=[admin],
                        recorded_by=admin,
                    )
                )
        session.add_all(records)
        minutes, follow = build_meetings(session, rng, today, first, root, towns, admin, entry)
        session.add_all(minutes)
        session.add_all(follow.counter_rows())
        session.flush()
    items = sum(len(d.assignments) for m in minutes for d in m.decisions)
    audit.record(
        session,
        AuditAction.CREATE,
        "screening_record",
        None,
        f"载入演示排查计划 {len(plans)} 个、排查记录 {len(records)} 条、研判会议 {len(minutes)} 次、"
        f"交办事项 {items} 项（批量载入，未逐条审计）",
    )
    session.commit()
    return {
        "screening_plans": len(plans),
        "screening_records": len(records),
        "meetings": len(minutes),
        "assignments": items,
    }
