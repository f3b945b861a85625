"""The demo ledger (portal.services.demo.cases): seeded into a fresh database, it must look like real work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    Agreement,
    AuditEvent,
    Case,
    CaseCounter,
    CaseEventKind,
    CaseStatus,
    FollowUp,
    Organization,
    OrgKind,
    Party,
    PartyKind,
    User,
    ZeroReport,
)
from portal.models.audit import AuditAction
from portal.models.case import refresh_party_names
from portal.services import audit, case_checks
from portal.services.deadlines import DeadlineRules, assess
from portal.services.demo.cases import rmb_upper
from portal.services.demo.seed import seed_demo
from portal.services.numbering import format_case_number, next_seq
from portal.services.workflow import STEPS
from portal.services.zero_reports import missing_reports, month_period
from portal.validators import credit_code_error, id_number_error, phone_error
from tests.conftest import BEIJING, make_app

TODAY = date(2026, 3, 1)
SCALE = 0.1  # 500 cases; rosters this thin leave village committees to the township's mediators
S = CaseStatus
K = CaseEventKind


def _local_day(value: datetime) -> date:
    """Return the Beijing date of a stored time (SQLite hands back naive UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).date()


def _seed(path: Path, scale: float, seed: int = 11) -> Flask:
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "test")):
            seed_demo(db.session, seed=seed, scale=scale, today=TODAY)
        db.session.remove()
    return app


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Flask]:
    """A fresh database holding a thin demo county with its ledger, in an app context."""
    app = _seed(tmp_path_factory.mktemp("ledger") / "demo.sqlite3", SCALE)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def cases(demo) -> list[Case]:
    """Every demo case with its records loaded."""
    query = select(Case).options(
        selectinload(Case.events),
        selectinload(Case.parties),
        selectinload(Case.sessions),
        selectinload(Case.follow_ups),
        selectinload(Case.agreement),
        selectinload(Case.mediators),
    )
    return list(db.session.scalars(query))


def test_cases_scale_with_the_demo(cases):
    assert len(cases) == round(5000 * SCALE)
    accepted = [c.accepted_on for c in cases]
    assert min(accepted) >= date(2024, 3, 3) and max(accepted) <= TODAY
    recent = sum((TODAY - day).days < 365 for day in accepted)
    assert recent > len(cases) / 2  # the last year is busier than the one before


def test_numbers_are_gapless_per_organisation_and_year_and_match_the_counters(cases):
    orgs = {o.id: o for o in db.session.scalars(select(Organization))}
    numbered: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for case in cases:
        org = orgs[case.numbering_organization_id]
        assert org.kind in (OrgKind.COMMITTEE, OrgKind.INDUSTRY_COMMITTEE)
        assert case.year == case.accepted_on.year
        assert case.number == format_case_number(case.year, org.code, case.seq)
        numbered[(org.id, case.year)].append(case)
    counters = {(c.organization_id, c.year): c.last_value for c in db.session.scalars(select(CaseCounter))}
    assert counters.keys() == numbered.keys()
    for key, group in numbered.items():
        group.sort(key=lambda c: c.seq)
        assert [c.seq for c in group] == list(range(1, len(group) + 1))
        assert [c.accepted_on for c in group] == sorted(c.accepted_on for c in group)
        assert counters[key] == len(group)


def test_every_status_appears(cases):
    statuses = {c.status for c in cases}
    assert statuses == set(CaseStatus)


def test_histories_follow_the_workflow(cases):
    """Every case starts with its registration, and each later step was allowed from the status before it."""
    for case in cases:
        first, *rest = case.events
        assert first.kind == K.REGISTER and first.details["number"] == case.number
        assert _local_day(first.at) == case.accepted_on
        status = S.REGISTERED
        for event in rest:
            assert event.from_status == status, (case.number, event.kind)
            assert status in STEPS[event.kind].from_statuses, (case.number, event.kind)
            assert event.actor_name
            status = event.to_status
        assert status == case.status, case.number
        times = [e.at for e in case.events]
        assert times == sorted(times) and _local_day(times[-1]) <= TODAY
        touched = [_local_day(e.at) for e in case.events if e.kind != K.SUPERVISE]
        assert case.last_activity_on == max(touched)
        if case.status == S.CLOSED:
            assert case.closed_on is not None and case.closed_on >= case.accepted_on


def test_outcomes_have_their_records(cases):
    rules = DeadlineRules()
    for case in cases:
        kinds = {e.kind for e in case.events}
        if K.SETTLE in kinds:
            agreement = case.agreement
            assert agreement is not None and agreement.number == case.number
            assert agreement.signed_on >= case.accepted_on and agreement.terms
            if agreement.confirmation_number:
                assert agreement.confirmation_court and agreement.confirmation_date >= agreement.signed_on
        else:
            assert case.agreement is None
        if case.status in (S.SETTLED, S.FOLLOWED_UP):
            assert case.agreement is not None
        if case.status == S.CLOSED:
            assert case.agreement is not None or case.referral_route is not None
        if K.FAIL in kinds:
            assert case.failure_reason
        if K.REFER in kinds:
            assert case.referral_route is not None and case.stability_plan
        if case.status == S.VOIDED:
            assert case.void_reason
        if case.status == S.SUSPENDED:
            assert case.suspended_on and case.suspended_from == S.MEDIATING
        limit = rules.due_date(case.accepted_on) + timedelta(days=rules.max_extension_days)
        for event in case.events:
            if event.kind == K.EXTEND:
                assert case.extension_reason and event.note
                assert event.details["old_deadline"] < event.details["deadline"] <= limit.isoformat()
        if K.START in kinds:
            assert case.mediators, case.number
        if case.status not in (S.REGISTERED, S.ASSIGNED, S.VOIDED) and K.START in kinds:
            assert case.sessions or case.status == S.MEDIATING
        for session in case.sessions:
            assert case.accepted_on <= _local_day(session.held_at) <= TODAY
            assert session.place and session.content and session.participants
        if K.SETTLE in kinds or K.FAIL in kinds:
            assert case.sessions


def test_every_case_keeps_the_rules_of_the_forms_and_services(cases):
    """Each demo case passes the checks its steps apply (`services.case_checks`, which calls the services'
    own check functions): agreement xor failure reason, dates in order and not after today, 四定 when
    assigned, valid identifiers, a history that follows the workflow."""
    rules = DeadlineRules()
    found = {
        case.number: problems for case in cases if (problems := case_checks.problems(case, TODAY, rules))
    }
    assert found == {}
    assigned = [c for c in cases if c.status in case_checks.ASSIGNED_STATUSES]
    assert assigned and all(c.measures and c.responsible_person and c.responsible_unit for c in assigned)


def test_follow_ups_are_plausible(cases):
    visits = [(case, visit) for case in cases for visit in case.follow_ups]
    assert visits
    for case, visit in visits:
        assert 1 <= visit.satisfaction <= 5
        assert visit.visited_on <= TODAY
        if case.agreement is not None:
            assert visit.visited_on >= case.agreement.signed_on
        assert visit.person_visited in {p.name for p in case.parties}
    average = db.session.scalar(select(func.avg(FollowUp.satisfaction)))
    assert 4 <= average <= 5
    performed = db.session.scalar(select(func.count()).where(Agreement.performed))
    closed_with_agreement = sum(1 for c in cases if c.status == S.CLOSED and c.agreement is not None)
    assert performed >= 0.8 * closed_with_agreement


def test_parties_have_valid_identifiers(cases):
    parties = [p for c in cases for p in c.parties]
    assert all(2 <= len(c.parties) <= 3 for c in cases)
    people = [p for p in parties if p.kind == PartyKind.PERSON]
    firms = [p for p in parties if p.kind == PartyKind.ORGANIZATION]
    assert people and firms
    for person in people:
        assert id_number_error(person.id_number, person.gender.value, TODAY) is None, person.id_number
        assert person.credit_code is None and phone_error(person.phone) is None
    for firm in firms:
        assert credit_code_error(firm.credit_code) is None and firm.id_number is None
        assert firm.legal_representative
    for case in cases:
        names = case.party_names
        refresh_party_names(case)  # the search column holds exactly what the model would put there
        assert case.party_names == names and case.parties[1].name in names
        assert case.parties[0].name in case.summary
        assert case.people_involved >= len(case.parties)
        assert case.is_group == (case.people_involved >= 5)


def test_escalations_transfers_and_warnings(cases):
    moved = [c for c in cases if c.organization_id != c.numbering_organization_id]
    kinds = {e.kind for c in moved for e in c.events}
    assert K.ESCALATE in kinds and K.TRANSFER in kinds
    for case in moved:
        assert any(e.kind in (K.ESCALATE, K.TRANSFER) for e in case.events)
    rules = DeadlineRules()
    found = [assess(c, TODAY, rules) for c in cases]
    reasons = " ".join(r for a in found for r in a.reasons)
    assert any(a.red_card for a in found)
    assert "已超期" in reasons and "未结案" in reasons and "督办" in reasons
    assert any(c.supervision_deadline for c in cases) and any(c.extension_reason for c in cases)


def test_zero_reports_cover_most_but_not_all_quiet_months(demo, cases):
    reports = list(db.session.scalars(select(ZeroReport)))
    assert reports
    busy = {
        (c.numbering_organization_id, c.accepted_on.replace(day=1)) for c in cases if c.status != S.VOIDED
    }
    for report in reports:
        start, end = month_period(report.period_start)
        assert (report.period_start, report.period_end) == (start, end) and end < TODAY
        assert (report.organization_id, start) not in busy
        assert end < report.reported_on <= TODAY
    admin = db.session.scalars(select(User).filter_by(username="admin")).one()
    missing = missing_reports(db.session, admin, date(2026, 1, 1))
    assert missing


def test_bulk_load_is_audited_once_and_auditing_resumes(demo):
    """The cases are summarised in one audit event; auditing is back on after the load."""
    per_row = db.session.scalar(
        select(func.count()).where(AuditEvent.entity.in_(("party", "case_event", "agreement")))
    )
    assert per_row == 0
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "dispute_case", AuditEvent.action == AuditAction.CREATE)
    ).one()
    assert "载入演示案件" in summary.summary
    party = db.session.scalars(select(Party).limit(1)).one()
    party.occupation = "个体经营" if party.occupation != "个体经营" else "务农"
    db.session.commit()  # the audit rows of a transaction are written when it commits
    assert db.session.scalar(
        select(func.count()).where(AuditEvent.entity == "party", AuditEvent.entity_id == str(party.id))
    )
    db.session.rollback()


def test_new_registrations_continue_the_numbering(demo):
    """The counters are loaded, so the next number an organisation issues follows its last demo case."""
    counter = db.session.scalars(
        select(CaseCounter).where(CaseCounter.year == TODAY.year).order_by(CaseCounter.last_value.desc())
    ).first()
    org = db.session.get(Organization, counter.organization_id)
    last = counter.last_value
    assert next_seq(db.session, org, TODAY.year) == last + 1
    db.session.rollback()


def test_same_seed_gives_the_same_ledger(tmp_path):
    """The ledger depends on the seed and today only."""

    def ledger(path: Path, seed: int) -> list[tuple[str, str, str, str]]:
        app = _seed(path, 0.02, seed)
        with app.app_context():
            rows = db.session.execute(
                select(Case.number, Case.status, Case.summary, Case.party_names).order_by(Case.number)
            ).all()
            db.engine.dispose()
        return [tuple(row) for row in rows]

    first = ledger(tmp_path / "a.sqlite3", 3)
    assert len(first) == 100
    assert first == ledger(tmp_path / "b.sqlite3", 3)


@pytest.mark.parametrize(
    ("yuan", "text"),
    [
        (8650, "捌仟陆佰伍拾元整"),
        (8605, "捌仟陆佰零伍元整"),
        (35000, "叁万伍仟元整"),
        (100500, "壹拾万零伍佰元整"),
        (1000000, "壹佰万元整"),
        (120034, "壹拾贰万零叁拾肆元整"),
    ],
)
def test_rmb_upper(yuan, text):
    assert rmb_upper(yuan) == text


def test_a_year_of_screening_and_meetings(demo):
    """排查 every half month with a few misses, findings that are the screening-sourced cases, 无纠纷 with
    the villages' 零报告, and monthly minutes whose 交办 items went through the 督办 steps."""
    from portal.models import Assignment, AssignmentStatus, FindingStatus, Meeting, ScreeningRecord
    from portal.models.review import DocumentCounter
    from portal.services import assignments, screening, screening_rhythm

    admin = db.session.scalars(select(User).filter_by(username="admin")).one()
    records = list(db.session.scalars(select(ScreeningRecord)))
    first = min(r.screened_on for r in records)
    assert first >= date(2025, 4, 1) and max(r.screened_on for r in records) <= TODAY
    units = screening_rhythm.units(db.session, admin)
    missing = screening_rhythm.previous_missing(db.session, units, TODAY)
    assert 2 <= len(missing) < len(units) // 2
    linked = [f for r in records for f in r.findings if f.status == FindingStatus.REGISTERED]
    assert linked and len({f.case_id for f in linked}) == len(linked)
    for finding in linked:
        assert (
            finding.case.source.value == "screening"
            and finding.record.screened_on <= finding.case.accepted_on
        )
    for record in records:
        assert (record.result.value == "none") == (not record.findings)
        for report in record.zero_reports:
            assert report.organization in record.areas and report.period_start == record.screened_on.replace(
                day=1
            )
    assert any(r.zero_reports for r in records)
    items = list(db.session.scalars(select(Assignment).order_by(Assignment.id)))
    counters = {
        (c.organization_id, c.year): c.last_value
        for c in db.session.scalars(select(DocumentCounter).filter_by(kind=assignments.NUMBER_SERIES))
    }
    for item in items:
        assert item.number == assignments.format_number(item.assigning_organization.code, item.year, item.seq)
        assert item.seq <= counters[(item.assigning_organization_id, item.year)]
        times = [e.at for e in item.events]
        assert times == sorted(times) and item.events[0].kind.label == "交办"
        for before, after in zip(item.events, item.events[1:], strict=False):
            assert after.from_status == before.to_status
        assert item.events[-1].to_status == item.status
        if item.status == AssignmentStatus.DONE:
            assert item.result and item.assigned_on <= item.completed_on <= TODAY
    rules = DeadlineRules()
    colours = {assignments.assess(i, TODAY, rules).colour for i in items}
    assert {"red"} <= {c.value for c in colours if c} and any(
        i.status == AssignmentStatus.DONE for i in items
    )
    assert any(i.completed_on and i.completed_on > i.deadline for i in items)
    assert db.session.scalar(select(func.count(Meeting.id))) >= 12
    figures = screening.overview(db.session, admin, TODAY)
    assert figures["assignments_overdue"] >= 1 and figures["units"] == len(
        screening_rhythm.units(db.session, admin)
    )


def test_major_cases_have_leaders_hearings_and_referrals(demo):
    """The demo shows 领导包案 with 批示 and progress, 听证, 诉调/警调/访调 referrals with feedback, and the
    parties' verdicts (群众评议) on every visit."""
    from portal.models import Evaluation, Hearing, LeaderCharge, Liaison, LiaisonDirection

    charges = list(db.session.scalars(select(LeaderCharge)))
    assert len(charges) >= 5 and any(c.is_active for c in charges) and any(c.ended_on for c in charges)
    assert all(c.notes for c in charges)
    assert db.session.scalar(select(func.count(Hearing.id))) >= 3
    liaisons = list(db.session.scalars(select(Liaison)))
    assert {x.direction for x in liaisons} == set(LiaisonDirection)
    assert any(x.outcome for x in liaisons) and any(x.outcome is None for x in liaisons)
    verdicts = [v.evaluation for v in db.session.scalars(select(FollowUp))]
    assert None not in verdicts and set(verdicts) == set(Evaluation)


def test_neighbour_cases_carry_register_choices_with_consistent_cascades(cases):
    """邻里纠纷 answers name the case's own township and a mediator of its organisation, id and label."""
    from portal.lowcode import choices
    from portal.models import Mediator, Organization

    neighbour = [
        c
        for c in cases
        if c.form_version is not None and c.form_version.definition.key == "neighbour_dispute"
    ]
    assert neighbour
    local = [c for c in neighbour if "township" in c.answers]
    assert len(local) > len(neighbour) / 2
    for case in neighbour:
        assert choices.pair_errors(case.form_version.body, case.answers, set()) == {}
        township = case.answers.get("township")
        if township:
            org = db.session.get(Organization, int(township["id"]))
            county = db.session.get(Organization, org.ancestor_ids[0])
            assert case.answers["county"] == county.code and township["label"] in org.name
        host = case.answers.get("host_mediator")
        if host:
            mediator = db.session.get(Mediator, int(host["id"]))
            assert mediator.organization.path.startswith(case.organization.path)
            assert host["label"].startswith(mediator.name)


def test_the_case_library_holds_checked_anonymised_write_ups_in_several_states(demo):
    """The demo's 优秀案例库: write-ups in several states, every anonymised text clean, the published ones
    checked by the county's evaluator."""
    from portal.models import ExcellentCase, LibraryStatus
    from portal.services import anonymise

    entries = list(db.session.scalars(select(ExcellentCase)))
    states = {e.status for e in entries}
    assert len(entries) >= 4 and LibraryStatus.PUBLISHED in states and len(states) >= 3
    for entry in entries:
        rules = anonymise.rules_for_case(entry.case)
        assert anonymise.leaks(entry.texts(anonymised=True).values(), rules) == []
        assert any(name in "".join(entry.texts(anonymised=False).values()) for name in rules.names)
        assert entry.anon_checked == (entry.status in (LibraryStatus.PUBLISHED, LibraryStatus.WITHDRAWN))
