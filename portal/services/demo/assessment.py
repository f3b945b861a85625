"""Demo 考核评价: the two shipped templates, last year's finalised rounds, and a few 调解能手."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.assessment import Band, CriterionKind, PeriodKind, TargetKind
from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.org import Organization, OrgKind, OrgLevel
from portal.services import audit, recognition, scoring, standard_templates
from portal.services.scoring import ScoreEntry


def _second_evaluator(session: Session, first: User, password: str) -> User:
    user = User(username="evaluator2", full_name="考评员乙（县司法局）", organization=first.organization)
    user.roles = [Role.EVALUATOR]
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def seed_assessment(session: Session, today: date, password: str, seed: int = 2026) -> dict[str, int]:
    """Load templates, one finalised round per template for last year, and recognitions; commit."""
    rng = random.Random(seed)
    year = today.year - 1
    first = session.scalar(select(User).where(User.username == "evaluator"))
    if first is None:
        return {}
    with audit.paused():
        templates = {t.target_kind: t for t in standard_templates.install(session)}
        session.commit()
        evaluators = [first, _second_evaluator(session, first, password)]
        rounds = 0
        for kind, template in templates.items():
            if kind == TargetKind.MEDIATOR:
                targets = scoring.scoped_targets(session, first, kind)
            else:
                targets = list(
                    session.scalars(
                        select(Organization)
                        .where(
                            Organization.kind == OrgKind.COMMITTEE, Organization.level == OrgLevel.TOWNSHIP
                        )
                        .order_by(Organization.path)
                    )
                )
            if not targets:
                continue
            rnd = scoring.open_round(
                session,
                first,
                template=template,
                period_kind=PeriodKind.YEAR,
                year=year,
                targets=targets,
                today=today,
            )
            manual = [c for c in template.criteria if c.kind == CriterionKind.MANUAL]
            for evaluator in evaluators:
                entries = {
                    (a.id, c.id): ScoreEntry(
                        (Decimal(c.max_points) * Decimal(rng.randint(12, 20)) / 20).quantize(Decimal("0.5"))
                    )
                    for a in rnd.assessments
                    for c in manual
                }
                scoring.save_scores(session, rnd, evaluator, entries)
            scoring.finalise(session, rnd, first)
            rounds += 1
        rules = recognition.criteria_for(session, year)
        rules.min_cases, rules.min_success_rate, rules.min_training_hours = 5, Decimal(80), Decimal(4)
        rules.min_band, rules.serial_prefix = Band.PASS, "QH能手"
        session.commit()
        eligible = [
            c.mediator for c in recognition.evaluate(session, first, year, as_of=today) if c.eligible
        ][:3]
        # Nominated three weeks ago, so that two notices are already over (a notice starts no earlier).
        nominated = today - timedelta(days=21)
        for number, person in enumerate(eligible):
            rec = recognition.nominate(
                session, first, person, year=year, reason="办案数量多、群众满意度高", today=nominated
            )
            if number < 2:
                start = nominated + timedelta(days=1)
                recognition.start_notice(session, rec, first, start=start, end=start + timedelta(days=6))
                recognition.approve(session, rec, first, today=today)
        approved = len(eligible[:2])
    audit.record(
        session,
        AuditAction.CREATE,
        "assessment_round",
        None,
        f"载入演示考评：方案{len(templates)}个、已定稿批次{rounds}个、调解能手{approved}名（批量载入，未逐条审计）",
    )
    session.commit()
    return {"assessment_rounds": rounds, "recognitions": approved}
