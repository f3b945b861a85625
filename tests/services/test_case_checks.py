"""services.case_checks: a stored case is checked with the steps' own rules; each kind of break is caught."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Agreement,
    AgreementForm,
    Case,
    CaseSource,
    CaseStatus,
    DisputeType,
    FollowUp,
    PartyRole,
    Performance,
    ReferralRoute,
)
from portal.services import DomainError, case_checks, case_records, cases, formdefs
from tests.factories import person
from tests.services.test_case_workflow import TODAY, case_in

S = CaseStatus


@pytest.mark.parametrize("status", list(CaseStatus))
def test_a_case_taken_through_the_services_has_no_problem(county, status):
    """Whatever status the steps brought it to, a case made by the services passes every check."""
    case = case_in(status, county)
    assert case_checks.problems(case, TODAY) == []


def _refer_with_agreement(case: Case) -> None:
    case.agreement = Agreement(form=AgreementForm.ORAL, signed_on=TODAY, terms="口头约定", number=case.number)


def _visit_before_agreement(case: Case) -> None:
    case.agreement.signed_on = TODAY
    case.follow_ups[0].visited_on = TODAY - timedelta(days=1)


BREAKS: list[tuple[CaseStatus, Callable[[Case], object], str]] = [
    (S.CLOSED, lambda c: setattr(c, "failure_reason", "双方分歧过大"), "调解成功的案件不应有调解不成原因"),
    (S.REFERRED, _refer_with_agreement, "未调解成功的案件不应有调解协议"),
    (S.REFERRED, lambda c: setattr(c, "failure_reason", None), "调解不成的案件应写明原因"),
    (S.SETTLED, lambda c: setattr(c, "agreement", None), "调解成功的案件应有调解协议"),
    (S.CLOSED, _visit_before_agreement, "回访日期不能早于协议日期"),
    (
        S.SETTLED,
        lambda c: setattr(c.agreement, "signed_on", TODAY - timedelta(days=3)),
        "协议日期不能早于最近一次调解",
    ),
    (
        S.SETTLED,
        lambda c: setattr(c.agreement, "signed_on", TODAY + timedelta(days=1)),
        "协议日期不能晚于今天",
    ),
    (S.CLOSED, lambda c: setattr(c, "closed_on", TODAY - timedelta(days=1)), "结案日期不能早于"),
    (S.ASSIGNED, lambda c: setattr(c, "measures", None), "化解措施（定措施）"),
    (S.MEDIATING, lambda c: setattr(c, "responsible_person", ""), "责任人（定人）"),
    (S.MEDIATING, lambda c: setattr(c, "mediators", []), "承办调解员"),
    (
        S.REGISTERED,
        lambda c: setattr(c, "occurred_on", c.accepted_on + timedelta(days=1)),
        "纠纷发生日期不能晚于受理日期",
    ),
    (S.REGISTERED, lambda c: setattr(c.parties[0], "id_number", "371525198005010000"), "身份证号"),
    (S.MEDIATING, lambda c: setattr(c, "status", S.SETTLED), "流转记录止于「调解中」"),
    (S.MEDIATING, lambda c: setattr(c, "assigned_on", TODAY + timedelta(days=1)), "交办日期"),
]


@pytest.mark.parametrize(("status", "damage", "message"), BREAKS)
def test_each_kind_of_inconsistency_is_found(county, status, damage, message):
    """A case damaged after the fact is reported, with the rule it breaks in Chinese."""
    case = case_in(status, county)
    with db.session.no_autoflush:  # the damage is looked at, never written
        damage(case)
        found = case_checks.problems(case, TODAY)
    assert any(message in text for text in found), found
    db.session.rollback()


def test_settle_refuses_an_agreement_dated_before_the_last_session(county):
    """The same rule at the step itself: an agreement cannot predate the mediation that reached it."""
    case = case_in(S.MEDIATING, county)
    held = case_records.held_on(case.sessions[-1])
    agreement = Agreement(
        form=AgreementForm.WRITTEN, signed_on=held - timedelta(days=1), terms="李四疏通排水沟"
    )
    with pytest.raises(DomainError, match="协议日期不能早于最近一次调解") as refused:
        case_records.settle(db.session, case, county.users["admin"], agreement, today=TODAY)
    assert refused.value.field == "signed_on"
    db.session.rollback()
    assert case.status == S.MEDIATING and case.agreement is None


def test_follow_up_refuses_a_visit_before_the_agreement(county):
    """A 回访 of an agreement cannot come before the agreement was signed."""
    case = case_in(S.SETTLED, county)
    visit = FollowUp(
        visited_on=case.agreement.signed_on - timedelta(days=1),
        visitor="前李调解员",
        person_visited="张三",
        performance=Performance.FULL,
        satisfaction=5,
    )
    with pytest.raises(DomainError, match="回访日期不能早于协议日期"):
        case_records.follow_up(db.session, case, county.users["admin"], visit, today=TODAY)
    db.session.rollback()
    assert case.status == S.SETTLED and case.follow_ups == []


def test_registration_checks_identifiers_in_the_service(county):
    """A bad 身份证号 is refused by the service too, not only by the form."""
    applicant = person("张三")
    applicant.id_number = applicant.id_number[:-1] + ("0" if applicant.id_number[-1] != "0" else "1")
    case = Case(
        organization=county.mj,
        source=CaseSource.APPLICATION,
        dispute_type=db.session.scalar(select(DisputeType).where(DisputeType.code == "02")),
        summary="邻里之间因宅前排水沟堵塞发生争执",
        people_involved=2,
        accepted_on=TODAY,
        parties=[applicant, person("李四", PartyRole.RESPONDENT, 2)],
    )
    with pytest.raises(DomainError, match="当事人张三：身份证号") as refused:
        cases.register(db.session, case, county.users["admin"], today=TODAY)
    assert refused.value.field == "parties"
    db.session.rollback()


def test_referral_keeps_its_route_and_plan(county):
    """引导 without a route or a 稳控方案 is reported."""
    case = case_in(S.REFERRED, county)
    assert case.referral_route == ReferralRoute.LITIGATION
    case.stability_plan = ""
    assert "引导诉讼/仲裁的案件应有引导途径和稳控方案" in case_checks.problems(case, TODAY)
    db.session.rollback()


def test_answers_are_checked_against_their_form_version(county):
    """The 附加信息 must still pass the form version they were entered with, as on the day of registration."""
    case = case_in(S.REGISTERED, county)
    definition = formdefs.create(db.session, "ditch_test", "排水沟", case.dispute_type)
    body = {
        "sections": [
            {
                "title": "现场",
                "fields": [{"key": "width", "label": "沟宽", "type": "integer", "required": True}],
            }
        ]
    }
    formdefs.save_draft(db.session, definition, body, None)
    version = formdefs.publish(db.session, definition, county.users["admin"], "首版")
    with db.session.no_autoflush:
        formdefs.attach_answers(case, version, {"width": 2})
        assert case_checks.problems(case, TODAY) == []
        case.answers = {"width": None}
        assert any("附加信息不符合排水沟第1版：沟宽" in p for p in case_checks.problems(case, TODAY))
    db.session.rollback()
