"""Hand-built ledgers for the assessment, subsidy and recognition tests.

Cases go through the real workflow services on chosen days; each step's history row is dated to
that day (the services stamp the wall clock), so the figures computed from the history are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    Agreement,
    Case,
    CaseEvent,
    CaseEventKind,
    FollowUp,
    MediationSession,
    Mediator,
    User,
)
from portal.models.case import AgreementForm, Difficulty, Performance, SessionResult
from portal.models.org import Organization
from portal.services import case_records, cases
from tests.conftest import BEIJING
from tests.factories import four_fixed, new_case


def add_evaluator(county, username: str, org: Organization) -> User:
    """Add another evaluator (考评员) at `org`."""
    user = User(username=username, full_name=f"考评员{username}", organization=org)
    user.roles = ["evaluator"]
    user.set_password("Passw0rd2026")
    db.session.add(user)
    db.session.flush()
    return user


def at(day: date, hour: int = 10) -> datetime:
    """Return `hour` o'clock Beijing time on `day`, in UTC."""
    return datetime.combine(day, time(hour), BEIJING).astimezone(UTC)


def _date_last_event(case: Case, day: date) -> None:
    case.events[-1].at = at(day)


def registered(session: Session, actor: User, org: Organization, accepted: date, **fields) -> Case:
    """Register a case accepted on `accepted`."""
    case = new_case(session, actor, org, today=accepted, accepted_on=accepted, **fields)
    _date_last_event(case, accepted)
    return case


def in_mediation(
    session: Session, actor: User, org: Organization, mediators: list[Mediator], accepted: date, **fields
) -> Case:
    """Register, assign and start a case on its acceptance day."""
    case = registered(session, actor, org, accepted, **fields)
    cases.assign(
        session,
        case,
        actor,
        organization=org,
        mediators=mediators,
        today=accepted,
        **four_fixed(case, mediators[0].name),
    )
    _date_last_event(case, accepted)
    cases.start(session, case, actor, today=accepted)
    _date_last_event(case, accepted)
    return case


def mediate(session: Session, case: Case, actor: User, day: date, result=SessionResult.CONTINUE) -> None:
    """Record a 调解记录 on `day`."""
    record = MediationSession(
        held_at=at(day), place="调解室", content="听取双方陈述", result=result, mediators=list(case.mediators)
    )
    case_records.record_session(session, case, actor, record, today=day)
    _date_last_event(case, day)


def settled(
    session: Session,
    actor: User,
    org: Organization,
    mediators: list[Mediator],
    accepted: date,
    *,
    days: int = 5,
    sessions: int = 1,
    performed: bool = True,
    satisfaction: int | None = 5,
    difficulty: Difficulty = Difficulty.NORMAL,
    **fields,
) -> Case:
    """A case settled `days` after acceptance, with its sessions, agreement and (optionally) a visit."""
    case = in_mediation(session, actor, org, mediators, accepted, difficulty=difficulty, **fields)
    done = accepted + timedelta(days=days)
    for n in range(sessions):
        mediate(session, case, actor, accepted + timedelta(days=min(n, days)))
    agreement = Agreement(
        form=AgreementForm.WRITTEN,
        signed_on=done,
        terms="双方自愿达成协议",
        amount=Decimal(1000),
        performed=performed,
    )
    case_records.settle(session, case, actor, agreement, today=done)
    _date_last_event(case, done)
    if satisfaction is not None:
        visit = FollowUp(
            visited_on=done + timedelta(days=1),
            visitor="回访员",
            person_visited="张三",
            performance=Performance.FULL if performed else Performance.NONE,
            satisfaction=satisfaction,
        )
        case_records.follow_up(session, case, actor, visit, today=done + timedelta(days=1))
        _date_last_event(case, done + timedelta(days=1))
    return case


def failed(
    session: Session,
    actor: User,
    org: Organization,
    mediators: list[Mediator],
    accepted: date,
    *,
    days: int = 5,
) -> Case:
    """A case whose mediation failed `days` after acceptance."""
    case = in_mediation(session, actor, org, mediators, accepted)
    mediate(session, case, actor, accepted)
    done = accepted + timedelta(days=days)
    cases.fail(session, case, actor, reason="双方分歧较大", today=done)
    _date_last_event(case, done)
    return case


def petition(session: Session, case: Case, actor: User, day: date) -> None:
    """Mark a 越级上访 on the case on `day`."""
    session.add(
        CaseEvent(
            case=case,
            kind=CaseEventKind.PETITION,
            at=at(day),
            actor=actor,
            actor_name=actor.full_name,
            from_status=case.status,
            to_status=case.status,
        )
    )
    session.commit()


def decided_review(
    actor: User,
    mediator: Mediator,
    *,
    decided_on: date,
    deduction: Decimal | None = None,
    award_ban: bool = False,
):
    """Open, investigate and decide a 责任倒查 naming the mediator, through the reviews services."""
    from portal.models.review import IncidentKind, ResponsibilityCause, ResponsibleKind
    from portal.services.review_parties import Measures, name_party
    from portal.services.review_steps import decide, investigate, open_review

    session = db.session
    review = open_review(
        session,
        actor,
        title=f"{mediator.name}承办纠纷引发越级上访",
        incident_kind=IncidentKind.PETITION,
        incident_at=at(decided_on - timedelta(days=20)),
        incident_place="市信访局",
        people_involved="王某等2人",
        description="当事人因纠纷久调不决到市信访局上访",
        today=decided_on - timedelta(days=15),
    )
    investigate(session, review, actor, investigators=actor.full_name)
    name_party(
        session,
        review,
        actor,
        kind=ResponsibleKind.MEDIATOR,
        cause=ResponsibilityCause.HANDLING,
        facts="调处不力，未及时上报",
        mediator=mediator,
        measures=Measures(criticism=True, deduction_points=deduction, award_ban=award_ban),
    )
    decide(
        session,
        review,
        actor,
        finding="调处不力",
        rectification_deadline=decided_on + timedelta(days=30),
        decided_on=decided_on,
        today=decided_on,
    )
    return review
