"""Two subtrees with one record of every kind each, for the security suite.

The shared county (tests/factories.py) has 马集镇 (MJ) and 柳林镇 (LL) under the county. `build_world` adds,
on each side, the records every route of the portal can be asked about: a registered case and a settled
one (with its agreement), a 零报告, an expert, an assessment round with its results, a review with a
linked case and a responsible party, an approved 调解能手, an issued document, a finished print job, a
user's audit and sign-in rows; and, at MJ, an evaluator and a clerk, so that every role exists at the
township level too. `World.own[key]` is an MJ record's id, `World.foreign[key]` the LL record of the
same kind: to a user of MJ (entry_a, admin_a, evaluator_a, clerk_a) the foreign ids are out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    Expert,
    Gender,
    IncidentKind,
    IssuedDocument,
    PrintJob,
    SubsidyPolicy,
    User,
    ZeroReport,
)
from portal.models.assessment import CriterionKind, CriterionResult, PeriodKind
from portal.models.audit import AuditEvent, SignInEvent, SignInKind
from portal.models.document import DocumentKind
from portal.models.formdef import FormDefinition
from portal.models.meeting import Meeting, MeetingKind
from portal.models.people import Training, TrainingLevel
from portal.models.print_job import PrintJobKind, PrintJobPart, PrintJobStatus
from portal.models.review import ResponsibilityCause, ResponsibleKind
from portal.models.screening import (
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
)
from portal.models.subsidy import (
    ClaimEventKind,
    ClaimStatus,
    SubsidyClaim,
    SubsidyClaimCase,
    SubsidyClaimEvent,
    SubsidyClaimLine,
)
from portal.services import (
    assignments,
    audit,
    documents,
    meetings,
    review_parties,
    review_steps,
    scoring,
    screening,
    screening_plans,
    standard_templates,
    subsidy_claims,
)
from portal.services import subsidies as subsidy_service
from portal.services.deadlines import add_months, local_today
from tests.assessment_ledger import settled
from tests.conftest import PASSWORD
from tests.factories import County, honour, new_case

#: Users added at the townships, so that every role is also held below the county.
EXTRA_USERS = {
    "evaluator_a": ("马集考评员", "MJ", ["evaluator"]),
    "clerk_a": ("马集文书", "MJ", ["clerk"]),
    "evaluator_b": ("柳林考评员", "LL", ["evaluator"]),
}


@dataclass
class World:
    """Ids of the records of both subtrees: `own` at MJ, `foreign` at LL; `shared` for global ones."""

    own: dict[str, int] = field(default_factory=dict)
    foreign: dict[str, int] = field(default_factory=dict)
    shared: dict[str, int] = field(default_factory=dict)
    #: Year of the approved recognitions (for the batch print of certificates).
    honour_year: int = 0


def _user(session: Session, county: County, username: str) -> User:
    full_name, code, roles = EXTRA_USERS[username]
    org = {"MJ": county.mj, "LL": county.ll}[code]
    user = User(username=username, full_name=full_name, organization=org)
    user.roles = roles
    user.set_password(PASSWORD)
    session.add(user)
    session.flush()
    county.users[username] = user
    return user


def _side(session: Session, county: County, world: World, side: str, templates: dict) -> dict[str, int]:
    """Build one township's records; return their ids by kind."""
    today = local_today()
    mj = side == "own"
    org, village = (county.mj, county.mj_village) if mj else (county.ll, county.ll_village)
    entry = county.users["entry_a" if mj else "entry_b"]
    evaluator = county.users["evaluator_a" if mj else "evaluator_b"]
    people = [county.mediators["马集调解员" if mj else "柳林调解员"]]
    ids: dict[str, int] = {
        "township": org.id,
        "organization": village.id,
        "mediator": people[0].id,
        "user": entry.id,
    }
    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        # Accepted 27 days ago: due in three days, so it is also on the 超期预警 list.
        case = new_case(
            session,
            entry,
            org,
            today=today,
            accepted_on=today - timedelta(days=27),
            parties=("甲某", "乙某") if mj else ("丙某", "丁某"),
        )
        done = settled(session, entry, org, people, today - timedelta(days=40))
        report = ZeroReport(
            organization=village,
            period_start=add_months(today.replace(day=1), -2),
            period_end=add_months(today.replace(day=1), -1) - timedelta(days=1),
            reported_by=entry,
            reported_on=today,
            notes="本月排查未发现矛盾纠纷",
        )
        expert = Expert(
            name="马集专家" if mj else "柳林镇专家", gender=Gender.MALE, profession="律师", organization=org
        )
        session.add_all([report, expert])
        session.commit()
    ids.update(case=case.id, settled=done.id, zero_report=report.id, expert=expert.id)
    ids.update(_case_extras(session, entry, case))
    ids["attachment"] = _attachment(session, entry, case)
    ids["excellent_case"] = _library(session, county, entry, done, mj)
    ids["audit"] = session.scalar(select(AuditEvent.id).where(AuditEvent.actor_id == entry.id).limit(1))
    sign_in = SignInEvent(
        kind=SignInKind.SIGN_IN, username=entry.username, user_id=entry.id, full_name=entry.full_name
    )
    session.add(sign_in)
    with audit.acting_as(audit.Actor(evaluator.id, evaluator.full_name)):
        rnd = scoring.open_round(
            session,
            evaluator,
            template=templates["mediator"],
            period_kind=PeriodKind.YEAR,
            year=today.year,
            targets=people,
            today=today,
        )
        review = review_steps.open_review(
            session,
            evaluator,
            title="马集镇越级上访倒查" if mj else "柳林镇越级上访倒查",
            incident_kind=IncidentKind.PETITION,
            incident_at=clock.utcnow() - timedelta(days=2),
            incident_place="市信访局",
            people_involved="王某某",
            description="赴市上访",
            cases=[done],
            today=today,
        )
        review_steps.investigate(session, review, evaluator, investigators="张科长")
        party = review_parties.name_party(
            session,
            review,
            evaluator,
            kind=ResponsibleKind.PERSON,
            cause=ResponsibilityCause.HANDLING,
            facts="未及时报告",
            person_name="赵某",
            position="村调委会主任",
        )
        session.commit()
    assessment = rnd.assessments[0]
    result = session.scalar(select(CriterionResult.id).where(CriterionResult.assessment_id == assessment.id))
    manual = next(c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL)
    county_evaluator = county.users["evaluator"]
    with audit.acting_as(audit.Actor(county_evaluator.id, county_evaluator.full_name)):
        scoring.save_scores(
            session,
            rnd,
            county_evaluator,
            {(assessment.id, manual.id): scoring.ScoreEntry(Decimal(8), "良好")},
        )
    ids.update(_screening(session, county, entry, org, village, case, today))
    rec = honour(session, people[0], 1 if mj else 2, year=world.honour_year)
    session.flush()
    document = IssuedDocument(
        kind=DocumentKind.CERTIFICATE,
        subject_type="recognition",
        subject_id=rec.id,
        title="调解能手荣誉证书",
        number=rec.serial,
        masked_name=people[0].name[0] + "**",
        serial=documents.new_serial(),
        sha256="0" * 64,
        pages=1,
        organization=org,
        issued_by=evaluator,
        issued_by_name=evaluator.full_name,
    )
    job = PrintJob(
        kind=PrintJobKind.EVALUATIONS,
        title=f"{rnd.title}考评结果通知书",
        parameters={"round_id": rnd.id, "ids": [assessment.id]},
        organization=org,
        requested_by_name=evaluator.full_name,
        status=PrintJobStatus.DONE,
        total=1,
        done=1,
        pdf=b"%PDF-1.4\n%%EOF\n",
        parts=[
            PrintJobPart(
                first=0,
                count=1,
                printed=[[assessment.id, None]],
                skipped=[{"id": assessment.id, "name": people[0].name, "message": "考评对象已从批次中移除"}],
                pages=1,
            )
        ],
    )
    session.add_all([document, job])
    session.commit()
    ids.update(
        sign_in=sign_in.id,
        round=rnd.id,
        assessment=assessment.id,
        result=result,
        review=review.id,
        review_case=review.case_links[0].id,
        review_party=party.id,
        recognition=rec.id,
        document=document.id,
        print_job=job.id,
        subsidy_claim=_claim(session, org, done, entry),
    )
    return ids


def _claim(session: Session, org, case, entry: User) -> int:
    """A township's 以案定补 claim holding its settled case (rows as 申报 stores them)."""
    signed = case.agreement.signed_on
    period = subsidy_claims.quarter_of(signed)
    start, end = subsidy_claims.period_bounds(period)
    claim = SubsidyClaim(
        organization=org,
        period=period,
        period_start=start,
        period_end=end,
        number=f"{org.code}补申〔{signed.year}〕1号",
        year=signed.year,
        seq=1,
        status=ClaimStatus.DECLARED,
        declared_total=Decimal(100),
        total=Decimal(100),
        note="本季度申报",
        declared_on=local_today(),
        declared_by=entry,
    )
    held = SubsidyClaimCase(
        claim=claim,
        case=case,
        case_number=case.number,
        organization_name=org.name,
        difficulty=case.difficulty,
        tier_amount=Decimal(100),
        signed_on=signed,
    )
    person = case.mediators[0]
    line = SubsidyClaimLine(
        claim=claim,
        claim_case=held,
        mediator=person,
        mediator_name=person.name,
        mediator_org_name=person.organization.name,
        sharers=1,
        declared_amount=Decimal(100),
        amount=Decimal(100),
        adjust_reason="核定",
    )
    step = SubsidyClaimEvent(
        claim=claim,
        kind=ClaimEventKind.DECLARE,
        to_status=ClaimStatus.DECLARED,
        actor=entry,
        actor_name=entry.full_name,
        note="申报",
        details={"cases": 1},
    )
    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        session.add_all([claim, held, line, step])
        session.commit()
    return claim.id


def _screening(session: Session, county: County, entry: User, org, village, case, today) -> dict[str, int]:
    """A township's 排查计划, 排查记录 with a finding, 研判会议 with a decision and its 交办事项, and a
    mediator's training: the records of the screening pages."""
    people = county.mediators["马集调解员" if org is county.mj else "柳林调解员"]
    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        people.trainings.append(
            Training(
                held_on=today - timedelta(days=60),
                level=TrainingLevel.COUNTY,
                hours=Decimal(8),
                topic="调解实务",
            )
        )
        plan = ScreeningPlan(
            organization=org,
            kind=ScreeningKind.CONCENTRATED,
            period_start=today.replace(day=1),
            period_end=today.replace(day=1) + timedelta(days=60),
            responsible_person="司法所长",
        )
        screening_plans.prepare_plan(session, plan, entry, today=today)
        session.commit()
        record = ScreeningRecord(
            organization=org,
            kind=ScreeningKind.ROLLING,
            screened_on=today,
            situation="走访农户",
            result=RecordResult.FOUND,
            other_screeners="网格员",
        )
        record.areas = [village]
        record.findings = [
            ScreeningFinding(summary="宅基地边界争执", parties="张三、李四", people_involved=2)
        ]
        screening.file_record(session, record, entry, today=today)
        meeting = Meeting(
            organization=org,
            kind=MeetingKind.MONTHLY,
            held_on=today,
            place="司法所会议室",
            host="所长",
            content="研判本月排查情况",
            external_attendees="派出所民警",
        )
        meetings.record_meeting(
            session, meeting, entry, today=today, decisions="化解宅基地纠纷", case_numbers=case.number
        )
        decision = meeting.decisions[0]
        item = assignments.assign(
            session,
            decision,
            entry,
            organization=village,
            owner_person="调委会主任",
            content=None,
            deadline=today + timedelta(days=10),
            today=today,
        )
        session.commit()
    return {
        "screening_plan": plan.id,
        "screening_record": record.id,
        "finding": record.findings[0].id,
        "meeting": meeting.id,
        "decision": decision.id,
        "assignment": item.id,
    }


def build_world(session: Session, root) -> World:
    """Add both townships' records (and the forms of `root/forms`) to the shared county; commit."""
    from portal.services import formdefs

    county = County.load(session)
    world = World(honour_year=local_today().year - 1)
    for username in EXTRA_USERS:
        _user(session, county, username)
    formdefs.load_path(session, root / "forms", None)
    templates = {t.target_kind.value: t for t in standard_templates.install(session)}
    subsidy_service.policy(session)  # the standard tiers exist, so no page creates them on a GET
    session.commit()
    world.own = _side(session, county, world, "own", templates)
    world.foreign = _side(session, county, world, "foreign", templates)
    world.shared = {
        "dispute_type": county_dispute_type(session),
        "form_definition": session.scalar(select(FormDefinition.id).order_by(FormDefinition.id).limit(1)),
        "assessment_template": templates["mediator"].id,
        "subsidy_policy": session.scalar(select(SubsidyPolicy.id).limit(1)),
    }
    criteria = standard_recognition_criteria(session, world.honour_year)
    world.shared["recognition_criteria"] = criteria
    world.shared["library_entry"] = world.own["excellent_case"]  # the published one (马集)
    return world


def _attachment(session: Session, entry: User, case) -> int:
    """Attach a scanned 协议 (a small PDF under UPLOAD_FOLDER) to the case; return its id."""
    import io

    from flask import current_app

    from portal.models import AttachmentStatus
    from portal.services import attachments

    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        field = {"key": "scan", "accept": ["pdf"]}
        found = attachments.store(
            session,
            entry,
            field,
            "协议扫描件.pdf",
            io.BytesIO(b"%PDF-1.4\n%world\n"),
            current_app.config["UPLOAD_FOLDER"],
        )
        found.case, found.status = case, AttachmentStatus.ACTIVE
        session.commit()
    return found.id


def _case_extras(session: Session, entry: User, case) -> dict[str, int]:
    """Add a 听证, a 领导包案 with a progress note and a 三调联动 referral to the case; return their ids."""
    from portal.models.case_extras import (
        Hearing,
        HearingOutcome,
        LeaderCharge,
        LeaderLevel,
        LeaderNote,
        LeaderNoteKind,
        Liaison,
        LiaisonChannel,
        LiaisonDirection,
    )

    today = local_today()
    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        hearing = Hearing(
            case=case,
            held_at=clock.utcnow() - timedelta(hours=2),
            place="调解室",
            presiding="张主任",
            parties_present="甲某、乙某",
            questions="赔偿数额",
            outcome=HearingOutcome.OPINION,
            summary="形成听证意见",
        )
        charge = LeaderCharge(
            case=case,
            leader_name="王书记",
            leader_post="镇党委书记",
            level=LeaderLevel.TOWNSHIP,
            started_on=today,
            instructions="尽快化解",
        )
        charge.notes.append(
            LeaderNote(kind=LeaderNoteKind.PROGRESS, noted_on=today, content="已走访", author_name="张主任")
        )
        liaison = Liaison(
            case=case,
            channel=LiaisonChannel.COURT,
            direction=LiaisonDirection.OUT,
            partner="清河县人民法院",
            reason="诉前调解",
            sent_on=today,
        )
        session.add_all([hearing, charge, liaison])
        session.commit()
    return {"hearing": hearing.id, "charge": charge.id, "liaison": liaison.id}


def _library(session: Session, county: County, entry: User, done, mj: bool) -> int:
    """Propose the settled case as an excellent case: 马集's is published (the county's library, a record
    every user of the county reads: `shared`), 柳林's stays a draft (scoped). Return the entry's id."""
    from portal.models import ExcellentCaseEventKind
    from portal.services import case_library

    texts = {
        "title": "宅基地边界纠纷调解案例",
        "summary": "双方因宅基地边界发生争执。",
        "process": "调解员现场测量后组织双方调解，达成协议。",
        "technique": "背靠背做工作，再面对面签订协议。",
        "significance": "抓早抓小，防止矛盾激化。",
    }
    with audit.acting_as(audit.Actor(entry.id, entry.full_name)):
        item = case_library.propose(session, entry, done, texts, ["back_to_back", "prevent_first"])
        if mj:
            case_library.take_step(session, entry, item, ExcellentCaseEventKind.SUBMIT, item.version)
    if mj:
        reviewer = county.users["evaluator"]
        with audit.acting_as(audit.Actor(reviewer.id, reviewer.full_name)):
            case_library.save_anonymised(
                session, reviewer, item, item.texts(anonymised=True), item.version, confirm=True
            )
            case_library.take_step(session, reviewer, item, ExcellentCaseEventKind.PUBLISH, item.version)
    return item.id


def county_dispute_type(session: Session) -> int:
    """Return the id of a dispute type that has a form (物业纠纷, code 14)."""
    from portal.models import DisputeType

    return session.scalar(select(DisputeType.id).where(DisputeType.code == "14"))


def standard_recognition_criteria(session: Session, year: int) -> int:
    """Store the year's 调解能手 criteria (as an admin saving them would) and return their id."""
    from portal.services import recognition

    rules = recognition.criteria_for(session, year)
    session.commit()
    return rules.id
