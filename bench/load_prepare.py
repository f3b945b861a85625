"""The load test's database: a seeded demo county with accounts for the virtual users, on PostgreSQL.

Building it (migrations, `flask seed-demo` with its 5,000 cases, 200 accounts, four open assessment
rounds) takes minutes, so it is built once into a template database (`portal_load_template`) and each
run starts from a fresh copy of it (`CREATE DATABASE … TEMPLATE …`, seconds), migrated to the code's
head. Only databases whose names this module was given are created or dropped.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Load2026pass"  # noqa: S105 - throwaway accounts of a throwaway database
#: Accounts per role made in the template: enough for --users up to 200 (each user signs in as its own).
ACCOUNTS = {"entry": 120, "evaluator": 40, "clerk": 40}
#: Dispute types without a dispute form (registering one needs no extra answers):
#: 邻里, 房屋宅基地, 生产经营, 山林土地, 其他.
REGISTER_TYPES = ("02", "03", "05", "07", "99")
TEMPLATE_MARK = "portal load template v2"


def admin_engine(url: str):
    return create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )


def database_url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def template_ready(base: str, template: str) -> bool:
    engine = admin_engine(base)
    try:
        with engine.connect() as conn:
            comment = conn.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": template},
            ).scalar()
    finally:
        engine.dispose()
    return comment == TEMPLATE_MARK


def flask(args: list[str], url: str, log: Callable[[str], None]) -> None:
    """Run a portal command on the database at `url` (its output goes to the log)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "load-secret")}
    done = subprocess.run(  # noqa: S603 - our own venv's flask, fixed arguments
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    log(f"flask {' '.join(args)}: exit {done.returncode}")
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def build_template(base: str, template: str, log: Callable[[str], None]) -> None:
    """Create the template database: migrate, seed the demo county, add the load accounts and rounds."""
    engine = admin_engine(base)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{template}"'))
    url = database_url(base, template)
    log(f"building {template}: migrations, demo county (several minutes), accounts")
    flask(["db", "upgrade"], url, log)
    flask(["seed-demo"], url, log)
    add_accounts_and_rounds(url)
    add_drill_round(url)
    with engine.connect() as conn:
        conn.execute(text(f"COMMENT ON DATABASE \"{template}\" IS '{TEMPLATE_MARK}'"))
    engine.dispose()


def fresh_copy(base: str, template: str, name: str, log: Callable[[str], None]) -> str:
    """Drop `name` and create it anew from the template; migrate it to the code's head; return its URL."""
    engine = admin_engine(base)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        engine.dispose()
    url = database_url(base, name)
    flask(["db", "upgrade"], url, log)
    return url


def drop(base: str, name: str) -> None:
    engine = admin_engine(base)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _app(url: str):
    sys.path.insert(0, str(ROOT))
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False, "SECRET_KEY": "load-secret"})


def add_accounts_and_rounds(url: str) -> None:
    """Add the load accounts (entry users spread over the townships' 司法所, evaluators and clerks at the
    county) and this year's open quarterly rounds of the mediators' template, 40 targets each."""
    from portal.extensions import db
    from portal.models.assessment import AssessmentTemplate, PeriodKind, TargetKind
    from portal.models.auth import User
    from portal.models.org import Organization, OrgKind
    from portal.models.people import Mediator, MediatorStatus
    from portal.services import accounts, audit, scoring
    from portal.services.deadlines import local_today

    app = _app(url)
    with app.app_context(), audit.acting_as(audit.Actor(None, "压力测试准备")):
        session = db.session
        root = session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        offices = list(
            session.scalars(
                select(Organization)
                .where(Organization.kind == OrgKind.JUSTICE_OFFICE)
                .order_by(Organization.id)
            )
        )
        for i in range(ACCOUNTS["entry"]):
            office = offices[i % len(offices)]
            accounts.create_user(
                session, f"load_entry_{i:03d}", f"录入员{i:03d}", PASSWORD, ["entry"], office
            )
        for role, label in (("evaluator", "考评员"), ("clerk", "文书")):
            for i in range(ACCOUNTS[role]):
                accounts.create_user(
                    session, f"load_{role}_{i:03d}", f"{label}{i:03d}", PASSWORD, [role], root
                )
        opener = session.scalar(select(User).where(User.username == "load_evaluator_000"))
        template = session.scalar(
            select(AssessmentTemplate).where(
                AssessmentTemplate.target_kind == TargetKind.MEDIATOR, AssessmentTemplate.active
            )
        )
        mediators = list(
            session.scalars(
                select(Mediator)
                .join(Organization, Mediator.organization_id == Organization.id)
                .where(Mediator.status == MediatorStatus.ACTIVE, Organization.parent_id.is_not(None))
                .order_by(Mediator.id)
            )
        )
        rng = random.Random(2026)
        today = local_today()
        quarter = (today.month - 1) // 3 + 1
        for number in range(1, quarter + 1):
            scoring.open_round(
                session,
                opener,
                template=template,
                period_kind=PeriodKind.QUARTER,
                year=today.year,
                number=number,
                targets=rng.sample(mediators, 40),
                today=today,
            )
        db.session.remove()
        db.engine.dispose()


def add_drill_round(url: str) -> None:
    """Add a finalised round of last year's fourth quarter with 60 targets: the batch of its 考评结果通知书
    (three chunks) runs long enough for the RQ fault to kill its worker mid-way."""
    from portal.extensions import db
    from portal.models.assessment import AssessmentTemplate, CriterionKind, PeriodKind, TargetKind
    from portal.models.auth import User
    from portal.models.org import Organization
    from portal.models.people import Mediator, MediatorStatus
    from portal.services import audit, scoring
    from portal.services.deadlines import local_today

    app = _app(url)
    with app.app_context(), audit.acting_as(audit.Actor(None, "压力测试准备")):
        session = db.session
        opener = session.scalar(select(User).where(User.username == "load_evaluator_000"))
        template = session.scalar(
            select(AssessmentTemplate).where(
                AssessmentTemplate.target_kind == TargetKind.MEDIATOR, AssessmentTemplate.active
            )
        )
        mediators = list(
            session.scalars(
                select(Mediator)
                .join(Organization, Mediator.organization_id == Organization.id)
                .where(Mediator.status == MediatorStatus.ACTIVE, Organization.parent_id.is_not(None))
                .order_by(Mediator.id)
            )
        )
        rng, today = random.Random(2027), local_today()
        drill = scoring.open_round(
            session,
            opener,
            template=template,
            period_kind=PeriodKind.QUARTER,
            year=today.year - 1,
            number=4,
            targets=rng.sample(mediators, 60),
            title=f"{today.year - 1}年第四季度调解员考评（批量打印演练）",
            today=today,
        )
        manual = [c for c in template.criteria if c.kind == CriterionKind.MANUAL]
        entries = {
            (a.id, c.id): scoring.ScoreEntry(Decimal(rng.randint(0, int(c.max_points))))
            for a in drill.assessments
            for c in manual
        }
        scoring.save_scores(session, drill, opener, entries)
        scoring.finalise(session, drill, opener)
        db.session.remove()
        db.engine.dispose()


def run_config(url: str) -> dict[str, Any]:
    """Return what the virtual users need to know of the copy: accounts, rounds, cases to print, terms."""
    from portal.extensions import db
    from portal.models.assessment import AssessmentRound, RoundStatus
    from portal.models.auth import User
    from portal.models.case import Agreement, AgreementForm, Case, CaseStatus, Party
    from portal.models.dictionary import DisputeType
    from portal.services.deadlines import local_today

    app = _app(url)
    with app.app_context():
        session = db.session
        users: dict[str, list[str]] = {}
        for role in ACCOUNTS:
            users[role] = list(
                session.scalars(
                    select(User.username).where(User.username.like(f"load_{role}_%")).order_by(User.username)
                )
            )
        rounds = list(
            session.scalars(
                select(AssessmentRound.id)
                .where(AssessmentRound.status == RoundStatus.OPEN)
                .order_by(AssessmentRound.id)
            )
        )
        drill = session.scalar(
            select(AssessmentRound.id).where(AssessmentRound.title.contains("批量打印演练"))
        )
        finals = session.execute(
            select(AssessmentRound.id, AssessmentRound.template_id, func.count())
            .join(AssessmentRound.assessments)
            .where(AssessmentRound.status == RoundStatus.FINAL)
            .group_by(AssessmentRound.id)
            .order_by(func.count())
        ).all()
        agreement_cases = list(
            session.scalars(
                select(Case.id)
                .join(Agreement, Agreement.case_id == Case.id)
                .where(Agreement.form == AgreementForm.WRITTEN, Case.status != CaseStatus.VOIDED)
                .order_by(Case.id)
            )
        )
        print_cases = list(
            session.scalars(select(Case.id).where(Case.status != CaseStatus.VOIDED).order_by(Case.id))
        )
        names = list(session.scalars(select(Party.name).order_by(Party.id).limit(2000)))
        types = list(session.scalars(select(DisputeType.id).where(DisputeType.code.in_(REGISTER_TYPES))))
        today = local_today()
        rng = random.Random(7)
        config = {
            "password": PASSWORD,
            "users": users,
            "rounds": rounds,
            "batch_round": finals[0][0],  # the smallest finalised round: a short batch
            "big_round": drill,  # 60 notices in three chunks: a batch long enough to kill mid-way
            "agreement_cases": rng.sample(agreement_cases, min(300, len(agreement_cases))),
            "print_cases": rng.sample(print_cases, min(1000, len(print_cases))),
            "search_terms": sorted({n[:2] for n in rng.sample(names, min(60, len(names)))})
            + ["邻里", "排水"],
            "register_types": types,
            "today": today.isoformat(),
            "deadline": (today + timedelta(days=10)).isoformat(),
        }
        db.session.remove()
        db.engine.dispose()
    return config
