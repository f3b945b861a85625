"""Demo 责任倒查 reviews: a handful in every status, taken through the real services from past dates.

The reviews link real demo cases (high-risk disputes that failed or were referred), so their
snapshots hold those cases' histories, and they name the cases' mediators and committees. Every
choice is made by ordering, not at random, so the same ledger always gives the same reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models.auth import User
from portal.models.case import Case, CaseStatus, RiskLevel
from portal.models.review import IncidentKind, ResponsibilityCause, ResponsibleKind
from portal.services import review_steps
from portal.services.review_parties import Measures, name_party


@dataclass(frozen=True)
class _Plan:
    """One demo review: the incident, how far it got, and who is named with which measures."""

    kind: IncidentKind
    title: str
    place: str
    people: str
    count: int
    story: str
    age: int  # days before today it was opened
    stage: str  # opened / investigating / decided / archived
    mediator: Measures | None = None
    committee: Measures | None = None
    cause: ResponsibilityCause = ResponsibilityCause.HANDLING
    finding: str = ""


PLANS = (
    _Plan(
        IncidentKind.PETITION,
        "{party}等人越级赴市上访",
        "市信访局接待大厅",
        "{party}及其亲属",
        3,
        "当事人认为调解员久拖不决，携亲属赴市信访局反映，要求解决{type}问题。",
        150,
        "archived",
        mediator=Measures(notice=True, deduction_points=Decimal(3), award_ban=True, note="年度考评扣3分"),
        committee=Measures(criticism=True),
        finding="承办调解员三次调解均未形成书面记录，未按规定上报风险，调处不力，导致当事人越级上访。",
    ),
    _Plan(
        IncidentKind.MASS_INCIDENT,
        "{party}等村民聚集事件",
        "{org}门前",
        "村民二十余人",
        23,
        "{type}久未化解，村民聚集要求答复，经镇村干部劝返后散去。",
        90,
        "decided",
        committee=Measures(supervision=True, deduction_points=Decimal(5), note="挂牌督办，限期整改"),
        cause=ResponsibilityCause.SCREENING,
        finding="调委会未按月开展矛盾纠纷排查，对群体性纠纷苗头未及时发现、未及时报告。",
    ),
    _Plan(
        IncidentKind.CRIMINAL,
        "{party}纠纷激化为伤害案件",
        "{org}辖区",
        "{party}（受伤一人）",
        2,
        "{type}调解不成后双方再起冲突，一方受轻伤，公安机关已立案侦查。",
        30,
        "investigating",
        mediator=Measures(interview=True),
        cause=ResponsibilityCause.REPORTING,
    ),
    _Plan(
        IncidentKind.OPINION,
        "网络反映{party}纠纷无人过问",
        "网络平台",
        "网民及当事人{party}",
        1,
        "有网民发帖称{type}反映多次无人过问，帖子转发量较大。",
        6,
        "opened",
    ),
    _Plan(
        IncidentKind.PETITION,
        "{party}到县信访局反映调解问题",
        "县信访局",
        "{party}",
        1,
        "当事人对调解结果不满，到县信访局反映调解员偏袒对方。",
        60,
        "decided",
        finding="经调阅卷宗、询问双方当事人，调解程序合法、协议系双方自愿达成，不存在责任，不予追究。",
    ),
)


def _cases(session: Session, count: int) -> list[Case]:
    """Return high-risk cases that went wrong, with mediators, oldest first."""
    query = (
        select(Case)
        .where(
            Case.risk_level == RiskLevel.HIGH,
            Case.status.in_((CaseStatus.FAILED, CaseStatus.REFERRED, CaseStatus.CLOSED)),
        )
        .options(selectinload(Case.mediators), selectinload(Case.events))
        .order_by(Case.accepted_on, Case.id)
    )
    return [case for case in session.scalars(query) if case.mediators][:count]


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Beijing


def seed_reviews(session: Session, evaluator: User, today: date) -> int:
    """Take the demo reviews through the services as the county evaluator; return how many were made."""
    cases = _cases(session, len(PLANS))
    made = 0
    for plan, case in zip(PLANS, cases, strict=False):
        opened = today - timedelta(days=plan.age)
        if opened < case.accepted_on:
            continue
        names = {
            "party": case.party_names.split("、")[0],
            "type": str(case.dispute_type),
            "org": case.organization.name,
        }
        review = review_steps.open_review(
            session,
            evaluator,
            title=plan.title.format(**names),
            incident_kind=plan.kind,
            incident_at=_morning(opened - timedelta(days=2)),
            incident_place=plan.place.format(**names),
            people_involved=plan.people.format(**names),
            people_count=plan.count,
            description=plan.story.format(**names),
            cases=[case],
            today=opened,
        )
        made += 1
        if plan.stage == "opened":
            continue
        review_steps.investigate(session, review, evaluator, investigators="县司法局人民参与和促进法治科")
        if plan.mediator is not None:
            name_party(
                session,
                review,
                evaluator,
                kind=ResponsibleKind.MEDIATOR,
                mediator=case.mediators[0],
                cause=plan.cause,
                facts=f"承办{case.number}，{plan.story.format(**names)}",
                measures=plan.mediator,
            )
        if plan.committee is not None:
            name_party(
                session,
                review,
                evaluator,
                kind=ResponsibleKind.ORGANIZATION,
                organization=case.numbering_organization,
                cause=plan.cause,
                facts=f"{case.numbering_organization.name}对{case.number}未按规定排查、报告。",
                measures=plan.committee,
            )
        if plan.stage == "investigating":
            continue
        decided_on = opened + timedelta(days=20)
        has_parties = plan.mediator is not None or plan.committee is not None
        review_steps.decide(
            session,
            review,
            evaluator,
            finding=plan.finding,
            rectification_deadline=decided_on + timedelta(days=30) if has_parties else None,
            decided_on=decided_on,
            today=decided_on,
        )
        if plan.stage == "archived":
            review_steps.archive(
                session,
                review,
                evaluator,
                rectification_report="已组织全体调解员学习卷宗规范，补齐调解记录，建立风险周报制度。",
                today=decided_on + timedelta(days=35),
            )
    return made
