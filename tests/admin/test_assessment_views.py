"""考核评价 pages through the test client: the round's loop, locking for every role, scope by id."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import AssessmentRound, AssessmentTemplate, Recognition, User
from portal.models.assessment import CriterionKind, PeriodKind
from portal.services import recognition, scoring, standard_templates
from portal.services.scoring import ScoreEntry
from tests.assessment_ledger import add_evaluator, settled

TODAY = date(2026, 1, 20)


@pytest.fixture
def templates(county):
    added = {t.target_kind.value: t for t in standard_templates.install(db.session)}
    db.session.commit()
    return added


def round_of(county, templates, actor, people) -> AssessmentRound:
    return scoring.open_round(
        db.session,
        actor,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=[county.mediators[p] for p in people],
        today=TODAY,
    )


def add_admin(county, username, org) -> User:
    user = add_evaluator(county, username, org)
    user.roles = ["admin"]
    db.session.commit()
    return user


def test_evaluator_opens_scores_finalises_and_reopens(county, templates, login_as, auth):
    """The whole loop through the pages; a finalised round refuses scores until reopened with a reason."""
    settled(
        db.session, county.users["entry_a"], county.mj, [county.mediators["马集调解员"]], date(2025, 3, 1)
    )
    client = login_as("evaluator")
    people = [county.mediators["马集调解员"].id, county.mediators["柳林调解员"].id]
    response = client.post(
        "/admin/assessment_rounds/new/",
        data={"template": templates["mediator"].id, "period_kind": "year", "year": 2025, "mediators": people},
    )
    assert response.status_code == 302, response.text
    rnd = db.session.scalar(select(AssessmentRound))
    page = client.get(f"/admin/assessment_rounds/details/?id={rnd.id}").text
    assert "2025年度调解员年度绩效考评方案" in page and "马集调解员" in page
    handled = next(
        r for a in rnd.assessments for r in a.results if r.criterion.name == "办案数量" and r.value
    )
    evidence = client.get(f"/admin/assessment_rounds/evidence/?result={handled.id}").text
    assert "MJ人调字" in evidence

    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    form = {f"s-{a.id}-{c.id}": "4" for a in rnd.assessments for c in manual}
    assert client.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=form).status_code == 302
    assert client.get(f"/admin/assessment_rounds/finalise/?id={rnd.id}").status_code == 200
    client.post(f"/admin/assessment_rounds/finalise/?id={rnd.id}", data={"lock_version": rnd.version})
    db.session.refresh(rnd)
    assert rnd.is_final
    totals = [a.total for a in rnd.assessments]

    # Locked: the evaluator is sent back, other roles are refused outright.
    client.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=dict.fromkeys(form, "0"))
    db.session.refresh(rnd)
    assert [a.total for a in rnd.assessments] == totals
    for username in ("admin", "clerk"):
        auth.logout()
        other = login_as(username)
        assert other.post(f"/admin/assessment_rounds/score/?id={rnd.id}", data=form).status_code == 403
        assert (
            other.post(f"/admin/assessment_rounds/reopen/?id={rnd.id}", data={"reason": "x"}).status_code
            == 403
        )
    auth.logout()
    client = login_as("evaluator")
    client.post(
        f"/admin/assessment_rounds/reopen/?id={rnd.id}", data={"lock_version": rnd.version, "reason": ""}
    )
    db.session.refresh(rnd)
    assert rnd.is_final
    client.post(
        f"/admin/assessment_rounds/reopen/?id={rnd.id}",
        data={"lock_version": rnd.version, "reason": "更正台账分"},
    )
    db.session.refresh(rnd)
    assert (
        not rnd.is_final and "更正台账分" in client.get(f"/admin/assessment_rounds/details/?id={rnd.id}").text
    )

    workbook = load_workbook(BytesIO(client.get(f"/admin/assessment_rounds/results.xlsx?id={rnd.id}").data))
    assert workbook.sheetnames == ["考评结果", "计分依据", "评委打分"]


def test_rounds_are_scoped_by_id(county, templates, login_as, auth):
    """A 马集 round is seen in 马集 and above, not from 柳林; a county round not from 马集."""
    county_round = round_of(county, templates, county.users["evaluator"], ["柳林调解员"])
    mj_round = round_of(county, templates, add_evaluator(county, "eval_mj", county.mj), ["前李调解员"])
    add_admin(county, "admin_b", county.ll)
    result = county_round.assessments[0].results[0]
    client = login_as("admin_a")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 200
    assert client.get(f"/admin/assessment_rounds/details/?id={county_round.id}").status_code == 404
    assert client.get(f"/admin/assessment_rounds/evidence/?result={result.id}").status_code == 404
    assert client.get(f"/admin/assessment_rounds/results.xlsx?id={county_round.id}").status_code == 404
    listed = client.get("/admin/assessment_rounds/").text
    assert mj_round.title in listed and "柳林" not in listed
    auth.logout()
    client = login_as("admin_b")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 404
    auth.logout()
    client = login_as("entry_a")
    assert client.get(f"/admin/assessment_rounds/details/?id={mj_round.id}").status_code == 403


def test_recognitions_and_subsidies_are_scoped_by_id(county, login_as, auth):
    """A 马集 mediator's recognition and subsidy sheet are out of reach from 柳林."""
    person = county.mediators["马集调解员"]
    settled(db.session, county.users["entry_a"], county.mj, [person], date(2025, 3, 1))
    rec = Recognition(
        year=2025, title="调解能手", mediator=person, organization=county.mj, nominated_on=TODAY, evidence=[]
    )
    db.session.add(rec)
    db.session.commit()
    add_admin(county, "admin_b", county.ll)
    client = login_as("admin_a")
    assert client.get(f"/admin/recognitions/details/?id={rec.id}").status_code == 200
    assert (
        client.get(f"/admin/subsidies/details/?id={person.id}&start=2025-01-01&end=2025-12-31").status_code
        == 200
    )
    auth.logout()
    client = login_as("admin_b")
    assert client.get(f"/admin/recognitions/details/?id={rec.id}").status_code == 404
    assert client.get(f"/admin/subsidies/details/?id={person.id}").status_code == 404
    assert person.name not in client.get("/admin/subsidies/?start=2025-01-01&end=2025-12-31").text
    assert client.get(f"/admin/recognitions/approve/?id={rec.id}").status_code == 404


def test_subsidy_sheet_and_export(county, login_as):
    person = county.mediators["马集调解员"]
    settled(db.session, county.users["entry_a"], county.mj, [person], date(2025, 3, 1), sessions=3)
    client = login_as("evaluator")
    page = client.get("/admin/subsidies/?start=2025-01-01&end=2025-12-31").text
    assert "马集调解员" in page and "100.00" in page
    detail = client.get(f"/admin/subsidies/details/?id={person.id}&start=2025-01-01&end=2025-12-31").text
    assert "3（计一次）" in detail
    book = load_workbook(
        BytesIO(client.get("/admin/subsidies/export/xlsx/?start=2025-01-01&end=2025-12-31").data)
    )
    assert book["以案定补汇总"]["A2"].value == "马集调解员"


def test_admin_edits_template_criteria_through_the_form(county, login_as):
    """Criteria are inline rows of the template form; an incomplete one is refused in Chinese."""
    client = login_as("admin")
    base = {
        "name": "测试方案",
        "target_kind": "mediator",
        "excellent_min": "90",
        "good_min": "80",
        "pass_min": "60",
        "active": "y",
        "criteria-0-sort_order": "1",
        "criteria-0-name": "办案数量",
        "criteria-0-kind": "auto",
        "criteria-0-indicator": "cases_handled",
        "criteria-0-rule": "linear",
        "criteria-0-max_points": "40",
    }
    page = client.post("/admin/assessment_templates/new/", data=base).text
    assert "须填写零分线和满分线" in page
    client.post(
        "/admin/assessment_templates/new/", data={**base, "criteria-0-low": "0", "criteria-0-high": "20"}
    )
    template = db.session.scalar(select(AssessmentTemplate).where(AssessmentTemplate.name == "测试方案"))
    assert template is not None and template.criteria[0].high == 20


def test_candidates_nominate_notice_approve_and_mediator_record(county, login_as):
    """Candidates are proposed and nominated; once approved the honour is on the mediator's page."""
    person = county.mediators["前李调解员"]
    rules = recognition.criteria_for(db.session, 2025)
    rules.min_cases, rules.min_band, rules.min_training_hours = 1, None, Decimal(0)
    settled(db.session, county.users["entry_a"], county.mj_village, [person], date(2025, 3, 1))
    client = login_as("evaluator")
    page = client.get("/admin/recognitions/new/?year=2025").text
    assert "前李调解员" in page and "提名" in page
    client.post(
        "/admin/recognitions/nominate/", data={"mediator_id": person.id, "year": 2025, "reason": "优秀"}
    )
    rec = db.session.scalar(select(Recognition))
    start = date.today() - timedelta(days=10)
    client.post(
        f"/admin/recognitions/notice/?id={rec.id}",
        data={
            "lock_version": rec.version,
            "notice_start": start.isoformat(),
            "notice_end": (start + timedelta(days=6)).isoformat(),
        },
    )
    db.session.refresh(rec)
    client.post(f"/admin/recognitions/approve/?id={rec.id}", data={"lock_version": rec.version})
    db.session.refresh(rec)
    assert re.fullmatch(r"能手〔2025〕\d{3}号", rec.serial or ""), rec.status
    assert rec.serial in client.get(f"/admin/mediators/details/?id={person.id}").text


def test_score_input_is_the_evaluators_own(county, templates, login_as):
    """Two evaluators each save their own score; the page shows the average."""
    rnd = round_of(county, templates, county.users["evaluator"], ["柳林调解员"])
    second = add_evaluator(county, "eval2", county.root)
    crit = next(c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL)
    scoring.save_scores(db.session, rnd, second, {(rnd.assessments[0].id, crit.id): ScoreEntry(Decimal(6))})
    client = login_as("evaluator")
    client.post(
        f"/admin/assessment_rounds/score/?id={rnd.id}", data={f"s-{rnd.assessments[0].id}-{crit.id}": "8"}
    )
    result = next(r for r in rnd.assessments[0].results if r.criterion_id == crit.id)
    db.session.refresh(result)
    assert result.value == Decimal("7.00")
