"""Load the demo county: organisations, mediators with trainings, experts, accounts and two years of cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.dictionary import DisputeType
from portal.models.org import Industry, Organization, OrgKind, OrgLevel
from portal.models.people import (
    Employment,
    Expert,
    Gender,
    Mediator,
    MediatorGrade,
    MediatorPosition,
    MediatorStatus,
    Training,
    TrainingLevel,
)
from portal.services import audit, formdefs
from portal.services.deadlines import local_today
from portal.services.demo.assessment import seed_assessment
from portal.services.demo.case_extras import seed_case_extras
from portal.services.demo.cases import seed_cases
from portal.services.demo.fake import DemoFaker, OrgSpec
from portal.services.demo.form_draft import draft_in_progress
from portal.services.demo.library import seed_library
from portal.services.demo.print_jobs import seed_print_jobs
from portal.services.demo.reviews import seed_reviews
from portal.services.demo.screening import seed_screening
from portal.services.demo.seals import seal_demo_orgs
from portal.services.demo.subsidy_claims import seed_claims

# The shipped catalogue of dispute-type forms, next to portal/ in the checkout.
FORMS_DIR = Path(__file__).resolve().parents[3] / "forms"

# Dispute cases in the full demo ledger (two years of a county); `scale` shrinks it.
CASES = 5000
# The shared password of the demo accounts; the README prints it. Never used outside demo data.
DEMO_PASSWORD = "Tiaojie2026"  # noqa: S105

KIND_BY_NAME = {kind.label: kind for kind in OrgKind} | {"调解室": OrgKind.STUDIO}
INDUSTRY_BY_KEY = {
    "medical": Industry.MEDICAL,
    "traffic": Industry.TRAFFIC,
    "labor": Industry.LABOUR,
    "labour": Industry.LABOUR,
    "family": Industry.MARRIAGE,
    "marriage": Industry.MARRIAGE,
    "property": Industry.PROPERTY,
    "environment": Industry.ENVIRONMENT,
    "consumer": Industry.CONSUMER,
}
TRAINING_LEVEL_BY_NAME = {
    "县级": TrainingLevel.COUNTY,
    "市级": TrainingLevel.CITY,
    "省级": TrainingLevel.PROVINCE,
    "全国": TrainingLevel.NATIONAL,
    "县": TrainingLevel.COUNTY,
    "市": TrainingLevel.CITY,
    "省": TrainingLevel.PROVINCE,
}
# Roster size by kind of organisation: (minimum, maximum) mediators.
ROSTER_SIZE = {
    OrgKind.COMMITTEE: {OrgLevel.TOWNSHIP: (6, 8), OrgLevel.VILLAGE: (2, 3)},
    OrgKind.INDUSTRY_COMMITTEE: {OrgLevel.COUNTY: (6, 9)},
    OrgKind.TEAM: {OrgLevel.GRID: (1, 2)},
    OrgKind.STUDIO: {},
    OrgKind.SOCIAL: {},
    OrgKind.ADMINISTRATIVE: {},
    OrgKind.COURT_LINK: {},
}
DEFAULT_ROSTER = (2, 4)


def _by_label(enum_cls: Any, label: str) -> Any:
    return next(member for member in enum_cls if member.label == label)


def _add_org(session: Session, spec: OrgSpec, parent: Organization | None, order: int) -> Organization:
    org = Organization(
        parent=parent,
        name=spec.name,
        code=spec.short_code,
        level=OrgLevel(spec.level),
        kind=KIND_BY_NAME[spec.kind],
        industry=INDUSTRY_BY_KEY.get(spec.industry or ""),
        credit_code=spec.credit_code,
        filing_number=spec.filing_number,
        filing_date=spec.filing_date,
        established_on=spec.filing_date,
        address=spec.address,
        sort_order=order,
    )
    session.add(org)
    session.flush()  # the path needs the id
    for child_order, child in enumerate(spec.children):
        _add_org(session, child, org, child_order)
    return org


def _roster_size(faker: DemoFaker, org: Organization) -> int:
    if org.kind == OrgKind.JUSTICE_OFFICE or org.kind == OrgKind.COORDINATION_CENTRE:
        return 0
    low, high = ROSTER_SIZE.get(org.kind, {}).get(org.level, DEFAULT_ROSTER)
    return faker.rng.randint(low, high)


def _mediator(profile: dict[str, Any], org: Organization, types_by_stem: dict[str, DisputeType]) -> Mediator:
    return Mediator(
        organization=org,
        name=profile["name"],
        gender=Gender(profile["gender"]),
        ethnicity=profile["ethnicity"],
        birth_date=profile["birth_date"],
        id_number=profile["id_number"],
        phone=profile["phone"],
        political_status=profile["political_status"],
        education=profile["education"],
        position=_by_label(MediatorPosition, profile["position"]),
        employment=_by_label(Employment, profile["employment"]),
        background_tags=profile["background_tags"],
        specialties=[types_by_stem[s] for s in profile["specialties"] if s in types_by_stem],
        grade=_by_label(MediatorGrade, profile["grade"]),
        appointed_on=profile["appointed_date"],
        term_ends_on=profile["term_end"],
        status=MediatorStatus.RETIRED if profile["status"] == "离任" else MediatorStatus.ACTIVE,
        left_on=profile["left_date"],
    )


def load_catalogue(session: Session, folder: Path = FORMS_DIR) -> int:
    """Load and publish the shipped form definitions; commits. Returns how many there are."""
    if not folder.is_dir():
        return 0
    return len(formdefs.load_path(session, folder, None))


def seed_demo(
    session: Session, seed: int = 2026, scale: float = 1.0, today: date | None = None
) -> dict[str, int]:
    """Build the demo county and its ledger; `scale` < 1 thins both for tests. Commits; returns counts."""
    # Deadlines and dates are counted in Beijing time (services.deadlines), so the demo's "today" is too.
    faker = DemoFaker(seed, today=today or local_today())
    county = faker.county()
    root = _add_org(session, county["root"], None, 0)
    orgs = list(session.scalars(select(Organization).where(Organization.path.startswith(root.path))))
    types_by_stem = {t.name.removesuffix("纠纷"): t for t in session.scalars(select(DisputeType))}
    seal_demo_orgs(orgs)  # drawn 公章 marked 演示专用, so the demo's documents look as they will

    mediators = 0
    for org in orgs:
        size = round(_roster_size(faker, org) * scale)
        level = org.level.value
        for profile in faker.committee_roster(size, level) if size else []:
            person = _mediator(profile, org, types_by_stem)
            for record in faker.trainings(profile["appointed_date"], faker.rng.randint(0, 4)):
                person.trainings.append(
                    Training(
                        held_on=record["date"],
                        level=TRAINING_LEVEL_BY_NAME.get(record["level"], TrainingLevel.COUNTY),
                        hours=Decimal(record["hours"]),
                        topic=record["topic"],
                        organizer=record["organizer"],
                    )
                )
            session.add(person)
            mediators += 1

    experts = max(1, round(80 * scale))
    for _ in range(experts):
        profile = faker.expert_profile()
        session.add(
            Expert(
                organization=root,
                name=profile["name"],
                gender=Gender(profile["gender"]),
                id_number=profile["id_number"],
                phone=profile["phone"],
                profession=profile["profession"],
                employer=profile["employer"],
                title=profile["title"],
                availability=profile["availability"],
                specialties=[types_by_stem[s] for s in profile["specialties"] if s in types_by_stem],
                joined_on=faker.today.replace(year=faker.today.year - faker.rng.randint(0, 5), day=1),
            )
        )

    township_office = next(o for o in orgs if o.kind == OrgKind.JUSTICE_OFFICE)
    accounts = [
        ("admin", "管理员（县司法局）", root, [Role.ADMIN]),
        ("evaluator", "考评员（县司法局）", root, [Role.EVALUATOR]),
        ("clerk", "文书（县司法局）", root, [Role.CLERK]),
        ("entry", f"录入员（{township_office.name}）", township_office, [Role.ENTRY]),
    ]
    for username, full_name, org, roles in accounts:
        user = User(username=username, full_name=full_name, organization=org)
        user.roles = roles
        user.set_password(DEMO_PASSWORD)
        session.add(user)
    session.flush()  # the cases refer to the mediators, experts and the entry account by id

    # The shipped dispute-type forms (forms/*.yaml), published, so the demo cases carry answers.
    forms = load_catalogue(session)
    draft_in_progress(session)  # 民间借贷纠纷's next version, half built in the 表单设计器
    # Tens of thousands of case rows: audited as one summary event, not row by row (see audit.paused).
    with audit.paused():
        cases = seed_cases(session, faker, orgs, faker.today, count=max(20, round(CASES * scale)))
        # 群众评议 on the visits, 领导包案 and 听证 on major disputes, 诉调/警调/访调 referrals.
        extras = seed_case_extras(session, faker.today, seed)
    audit.record(
        session, AuditAction.CREATE, "dispute_case", None, f"载入演示案件 {cases} 件（批量载入，未逐条审计）"
    )
    session.commit()
    # A few 责任倒查 reviews in every status, through the services (each audited and committed).
    evaluator = session.scalar(select(User).where(User.username == "evaluator"))
    reviews = seed_reviews(session, evaluator, faker.today)
    # A few 优秀案例 written up by the county admin from settled cases and reviewed by the evaluator.
    admin = session.scalar(select(User).where(User.username == "admin"))
    library = seed_library(session, admin, evaluator)
    # A year of 排查 plans and records, and the monthly meetings with their 交办 items.
    screened = seed_screening(session, faker.today, seed)
    # Last year's finalised assessment rounds and 调解能手, after the reviews whose findings they read.
    assessed = seed_assessment(session, faker.today, DEMO_PASSWORD, seed)
    # 批量打印: last month's 协议书 batch, interrupted by a restart, waiting for 重试.
    seed_print_jobs(session, faker.today)
    # 以案定补 claims of the last quarters, one in each state, through the services.
    claimed = seed_claims(session, faker.today)
    return {
        **assessed,
        **claimed,
        **screened,
        "organisations": len(orgs),
        "mediators": mediators,
        "experts": experts,
        "accounts": session.scalar(select(func.count(User.id))),  # evaluator2 comes with the assessment
        "cases": cases,
        "forms": forms,
        "reviews": reviews,
        "excellent_cases": library,
        **extras,
    }
