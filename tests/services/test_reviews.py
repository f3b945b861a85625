"""责任倒查 services: the status steps, numbering, frozen snapshots, scope, and what the findings feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AccountabilityReview,
    AuditEvent,
    CaseStatus,
    IncidentKind,
    ResponsibilityCause,
    ResponsibleKind,
    ReviewEventKind,
    ReviewStatus,
)
from portal.models.review import FrozenRecordError
from portal.services import DomainError, audit, cases, review_steps, reviews
from portal.services.demo.seed import seed_demo
from portal.services.review_parties import Measures, name_party, revise_party, withdraw_party
from tests.conftest import make_app
from tests.factories import four_fixed, new_case

OPENED = date(2026, 1, 5)
S = ReviewStatus
K = ReviewEventKind


def open_review(actor, *, linked=(), today=OPENED, title="柳林镇宅基地纠纷引发越级上访"):
    """Open a review of a 越级上访 the day before `today`."""
    return review_steps.open_review(
        db.session,
        actor,
        title=title,
        incident_kind=IncidentKind.PETITION,
        incident_at=datetime(today.year, today.month, today.day, 1, 30, tzinfo=UTC),
        incident_place="市信访局接待大厅",
        people_involved="王某某等3人",
        people_count=3,
        description="当事人因宅基地纠纷调解未果，赴市集体上访。",
        cases=list(linked),
        today=today,
    )


def investigating(actor, **kwargs):
    review = open_review(actor, **kwargs)
    return review_steps.investigate(db.session, review, actor, investigators="张科长、李干事")


def decided(actor, decided_on, *, mediator=None, organization=None, measures=None, today=None):
    """Return a review decided on `decided_on`, naming the mediator or organisation with the measures."""
    review = investigating(actor, today=min(decided_on, OPENED))
    if mediator is not None:
        name_party(
            db.session,
            review,
            actor,
            kind=ResponsibleKind.MEDIATOR,
            mediator=mediator,
            cause=ResponsibilityCause.HANDLING,
            facts="多次调解未形成书面记录，未及时上报风险。",
            measures=measures or Measures(deduction_points=Decimal("2")),
        )
    if organization is not None:
        name_party(
            db.session,
            review,
            actor,
            kind=ResponsibleKind.ORGANIZATION,
            organization=organization,
            cause=ResponsibilityCause.SCREENING,
            facts="未按月开展矛盾纠纷排查。",
            measures=measures or Measures(deduction_points=Decimal("5")),
        )
    return review_steps.decide(
        db.session,
        review,
        actor,
        finding="经调查，调处不力导致越级上访。",
        rectification_deadline=decided_on.replace(month=12, day=31),
        decided_on=decided_on,
        today=today or date(2027, 12, 31),
    )


@pytest.fixture
def ll_case(county):
    return new_case(db.session, county.users["entry_b"], county.ll, today=OPENED, parties=("王某某", "赵某"))


@pytest.fixture
def mj_case(county):
    return new_case(db.session, county.users["entry_a"], county.mj, today=OPENED, parties=("孙某", "周某"))


# --- the status steps ------------------------------------------------------------------------------


def test_full_cycle_records_each_step_with_actor_and_is_audited(county, ll_case):
    """立案 → 调查 → 决定 → 归档, each step an event with its actor, and every row audited."""
    evaluator = county.users["evaluator"]
    review = open_review(evaluator, linked=[ll_case])
    assert review.status == S.OPENED and review.number is None
    review_steps.investigate(db.session, review, evaluator, investigators="张科长、李干事", note="成立调查组")
    assert review.status == S.INVESTIGATING
    party = name_party(
        db.session,
        review,
        evaluator,
        kind=ResponsibleKind.MEDIATOR,
        mediator=county.mediators["柳林调解员"],
        cause=ResponsibilityCause.HANDLING,
        facts="三次调解均未形成书面记录。",
        measures=Measures(notice=True, deduction_points=Decimal("3"), award_ban=True),
    )
    assert party.measures_text == "通报、扣分（3分）、取消评优"
    assert party.position == "柳林镇人民调解委员会 调解员"
    review_steps.record_finding(
        db.session,
        review,
        evaluator,
        finding="调处不力",
        rectification_deadline=date(2026, 3, 1),
        today=OPENED,
    )
    review_steps.decide(
        db.session,
        review,
        evaluator,
        finding="经调查，柳林调解员调处不力，导致当事人越级上访。",
        rectification_deadline=date(2026, 3, 1),
        decided_on=date(2026, 1, 20),
        today=date(2026, 1, 20),
    )
    assert review.status == S.DECIDED
    assert review.number == "QH司倒查〔2026〕1号"
    assert review.decided_by == evaluator
    review_steps.archive(
        db.session, review, evaluator, rectification_report="已完成整改并组织全员培训", today=date(2026, 3, 2)
    )
    assert review.status == S.ARCHIVED and review.archived_on == date(2026, 3, 2)

    kinds = [e.kind for e in review.events]
    assert kinds == [K.OPEN, K.INVESTIGATE, K.NAME_PARTY, K.FINDING, K.DECIDE, K.ARCHIVE]
    assert {e.actor_name for e in review.events} == {evaluator.full_name}
    assert [(e.from_status, e.to_status) for e in review.events if e.kind in (K.DECIDE, K.ARCHIVE)] == [
        (S.INVESTIGATING, S.DECIDED),
        (S.DECIDED, S.ARCHIVED),
    ]
    assert review.events[0].from_status is None and review.events[0].to_status == S.OPENED
    audited = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "accountability_review", AuditEvent.entity_id == str(review.id))
    )
    assert audited >= 6


@pytest.mark.parametrize("username", ["clerk", "entry_a"])
def test_only_evaluators_and_admins_open_reviews(county, username):
    with pytest.raises(DomainError, match="不能发起责任倒查"):
        open_review(county.users[username])


def test_steps_out_of_order_are_refused(county):
    evaluator = county.users["evaluator"]
    review = open_review(evaluator)
    with pytest.raises(DomainError, match="当前状态为「立案」，不能办理「作出决定」"):
        review_steps.decide(
            db.session,
            review,
            evaluator,
            finding="x",
            rectification_deadline=None,
            decided_on=OPENED,
            today=OPENED,
        )
    with pytest.raises(DomainError, match="不能办理「归档」"):
        review_steps.archive(db.session, review, evaluator, rectification_report="x", today=OPENED)
    with pytest.raises(DomainError, match="不能办理「认定责任」"):
        name_party(
            db.session,
            review,
            evaluator,
            kind=ResponsibleKind.PERSON,
            person_name="某村干部",
            position="后王村村委会主任",
            cause=ResponsibilityCause.REPORTING,
            facts="x",
        )
    review_steps.investigate(db.session, review, evaluator, investigators="张科长")
    with pytest.raises(DomainError, match="不能办理「开始调查」"):
        review_steps.investigate(db.session, review, evaluator, investigators="张科长")


def test_decided_review_is_frozen(county):
    evaluator = county.users["evaluator"]
    review = decided(evaluator, date(2026, 2, 1), mediator=county.mediators["柳林调解员"])
    party = review.responsible[0]
    with pytest.raises(DomainError, match="不能办理「修改责任认定」"):
        revise_party(
            db.session,
            review,
            evaluator,
            party,
            cause=ResponsibilityCause.SHIRKING,
            facts="x",
            measures=Measures(criticism=True),
        )
    with pytest.raises(DomainError, match="不能办理「撤销责任认定」"):
        withdraw_party(db.session, review, evaluator, party, reason="x")
    with pytest.raises(DomainError, match="不能办理「修改案情」"):
        review_steps.revise(
            db.session,
            review,
            evaluator,
            title="x",
            incident_kind="petition",
            incident_at=review.incident_at,
            incident_place="x",
            people_involved="x",
            description="x",
            today=OPENED,
        )


def test_decision_needs_measures_for_everyone_named_and_a_rectification_deadline(county):
    evaluator = county.users["evaluator"]
    review = investigating(evaluator)
    name_party(
        db.session,
        review,
        evaluator,
        kind=ResponsibleKind.PERSON,
        person_name="赵某",
        position="后王村网格员",
        cause=ResponsibilityCause.REPORTING,
        facts="发现苗头未上报。",
    )
    args = {"finding": "报告不及时", "decided_on": OPENED, "today": OPENED}
    with pytest.raises(DomainError, match="请先为以下责任主体确定处理措施：赵某"):
        review_steps.decide(db.session, review, evaluator, rectification_deadline=date(2026, 2, 1), **args)
    party = review.responsible[0]
    revise_party(
        db.session,
        review,
        evaluator,
        party,
        cause=ResponsibilityCause.REPORTING,
        facts="发现苗头未上报。",
        position="后王村网格员",
        measures=Measures(interview=True),
    )
    with pytest.raises(DomainError, match="请填写整改期限") as refused:
        review_steps.decide(db.session, review, evaluator, rectification_deadline=None, **args)
    assert refused.value.field == "rectification_deadline"
    with pytest.raises(DomainError, match="决定日期不能晚于今天"):
        review_steps.decide(
            db.session,
            review,
            evaluator,
            finding="x",
            rectification_deadline=date(2026, 2, 1),
            decided_on=date(2026, 1, 6),
            today=OPENED,
        )
    review_steps.decide(db.session, review, evaluator, rectification_deadline=date(2026, 2, 1), **args)
    assert review.number == "QH司倒查〔2026〕1号"


def test_measures_are_checked(county):
    evaluator = county.users["evaluator"]
    review = investigating(evaluator)
    for points, message in (
        (Decimal("-1"), "正数"),
        (Decimal("101"), "不能超过"),
        (Decimal("1.25"), "一位小数"),
    ):
        with pytest.raises(DomainError, match=message):
            name_party(
                db.session,
                review,
                evaluator,
                kind=ResponsibleKind.MEDIATOR,
                mediator=county.mediators["柳林调解员"],
                cause=ResponsibilityCause.HANDLING,
                facts="x",
                measures=Measures(deduction_points=points),
            )


def test_a_party_is_named_once_and_withdrawal_keeps_the_record(county):
    evaluator = county.users["evaluator"]
    review = investigating(evaluator)
    args = {
        "kind": ResponsibleKind.ORGANIZATION,
        "organization": county.ll_village,
        "cause": ResponsibilityCause.SCREENING,
        "facts": "未开展排查",
    }
    party = name_party(db.session, review, evaluator, **args)
    with pytest.raises(DomainError, match="已认定后王村人民调解委员会的责任"):
        name_party(db.session, review, evaluator, **args)
    withdraw_party(db.session, review, evaluator, party, reason="经核实已按时排查")
    assert review.responsible == [] and review.parties == [party]
    assert party.withdrawn_reason == "经核实已按时排查"
    name_party(db.session, review, evaluator, **args)  # may be named afresh
    assert len(review.responsible) == 1


def test_a_stale_form_is_refused(county):
    evaluator = county.users["evaluator"]
    review = open_review(evaluator)
    seen = review.version
    review_steps.revise(
        db.session,
        review,
        evaluator,
        title="修改后的名称",
        incident_kind="mass_incident",
        incident_at=review.incident_at,
        incident_place=review.incident_place,
        people_involved=review.people_involved,
        description=review.description,
        today=OPENED,
        expected_version=seen,
    )
    assert review.version > seen
    with pytest.raises(DomainError, match="已被他人更新"):
        review_steps.investigate(db.session, review, evaluator, investigators="张科长", expected_version=seen)


def test_incident_details_are_checked(county):
    fields = {
        "title": "x",
        "incident_kind": "petition",
        "incident_at": datetime(2026, 1, 5, 17, 0, tzinfo=UTC),  # 6 January in Beijing
        "incident_place": "x",
        "people_involved": "x",
        "description": "x",
        "today": OPENED,
    }
    with pytest.raises(DomainError, match="事件发生时间不能晚于今天") as refused:
        review_steps.open_review(db.session, county.users["evaluator"], **fields)
    assert refused.value.field == "incident_at"
    with pytest.raises(DomainError, match="请选择事件类型"):
        review_steps.open_review(db.session, county.users["evaluator"], **{**fields, "incident_kind": "riot"})
    with pytest.raises(DomainError, match="请填写涉及人员"):
        review_steps.open_review(
            db.session,
            county.users["evaluator"],
            **{**fields, "incident_at": datetime(2026, 1, 4, tzinfo=UTC), "people_involved": " "},
        )


# --- numbering ---------------------------------------------------------------------------------------


def test_numbers_are_gapless_per_organisation_and_year(county):
    evaluator, admin_a = county.users["evaluator"], county.users["admin_a"]
    numbers = [decided(evaluator, date(2026, m, 1)).number for m in (2, 3, 4)]
    assert numbers == ["QH司倒查〔2026〕1号", "QH司倒查〔2026〕2号", "QH司倒查〔2026〕3号"]
    assert decided(evaluator, date(2027, 1, 2)).number == "QH司倒查〔2027〕1号"
    assert decided(admin_a, date(2026, 5, 1)).number == "MJ司倒查〔2026〕1号"


def test_a_failed_decision_gives_its_number_back(county, monkeypatch):
    evaluator = county.users["evaluator"]
    review = investigating(evaluator)
    review_id = review.id

    def broken(*args, **kwargs):
        raise RuntimeError("数据库连接中断")

    with monkeypatch.context() as patch:
        patch.setattr(review_steps, "record_step", broken)
        with pytest.raises(RuntimeError):
            review_steps.decide(
                db.session,
                review,
                evaluator,
                finding="x",
                rectification_deadline=None,
                decided_on=OPENED,
                today=OPENED,
            )
    db.session.rollback()
    review = db.session.get(type(review), review_id)
    assert review.number is None
    review_steps.decide(
        db.session,
        review,
        evaluator,
        finding="x",
        rectification_deadline=None,
        decided_on=OPENED,
        today=OPENED,
    )
    assert review.number == "QH司倒查〔2026〕1号"


# --- linked cases and their snapshot -------------------------------------------------------------


def test_snapshot_keeps_the_case_as_it_was_and_cannot_be_changed(county, ll_case):
    evaluator = county.users["evaluator"]
    review = open_review(evaluator, linked=[ll_case])
    link = review.linked[0]
    assert link.snapshot["number"] == ll_case.number
    assert link.snapshot["status"] == "受理登记"
    assert [e["kind"] for e in link.snapshot["events"]] == ["受理登记"]
    assert link.snapshot["parties"] == "王某某、赵某"

    cases.assign(
        db.session,
        ll_case,
        county.users["entry_b"],
        organization=county.ll,
        mediators=[county.mediators["柳林调解员"]],
        today=OPENED,
        **four_fixed(ll_case, "柳林调解员"),
    )
    db.session.expire_all()
    link = review.linked[0]
    assert ll_case.status == CaseStatus.ASSIGNED
    assert link.snapshot["status"] == "受理登记"
    assert len(link.snapshot["events"]) == 1

    link.snapshot = {**link.snapshot, "status": "结案归档"}
    with pytest.raises(FrozenRecordError, match="快照不能修改"):
        db.session.flush()
    db.session.rollback()


def test_review_records_cannot_be_deleted(county, ll_case):
    review = open_review(county.users["evaluator"], linked=[ll_case])
    db.session.delete(review.linked[0])
    with pytest.raises(FrozenRecordError, match="不能删除"):
        db.session.flush()
    db.session.rollback()


def test_cases_are_linked_only_within_scope(county, ll_case, mj_case):
    admin_a = county.users["admin_a"]
    with pytest.raises(DomainError, match="不在您单位的管辖范围内") as refused:
        reviews.find_cases(db.session, admin_a, ll_case.number)
    assert refused.value.field == "case_numbers"
    with pytest.raises(DomainError, match="未找到"):
        reviews.find_cases(db.session, admin_a, "（2026）MJ人调字第999号")
    found = reviews.find_cases(
        db.session, admin_a, f"{mj_case.number.replace('（', '(').replace('）', ')')}\n"
    )
    assert found == [mj_case]
    # A county review may link both; a 马集 review may not link 柳林's case even for the county user.
    review = open_review(county.users["evaluator"], linked=[ll_case, mj_case])
    assert len(review.linked) == 2
    mj_review = open_review(admin_a, linked=[mj_case])
    with pytest.raises(DomainError, match="不在本倒查主办单位的管辖范围内"):
        review_steps.link_cases(db.session, mj_review, county.users["admin"], [ll_case])


def test_unlinking_keeps_the_snapshot_and_relinking_restores_it(county, ll_case):
    evaluator = county.users["evaluator"]
    review = open_review(evaluator, linked=[ll_case])
    link = review.linked[0]
    with pytest.raises(DomainError, match="已关联本倒查"):
        review_steps.link_cases(db.session, review, evaluator, [ll_case])
    review_steps.unlink_case(db.session, review, evaluator, link, reason="误关联")
    assert review.linked == [] and link.withdrawn_reason == "误关联"
    review_steps.link_cases(db.session, review, evaluator, [ll_case])
    assert review.linked == [link]


def test_names_only_within_scope(county):
    admin_a = county.users["admin_a"]
    review = investigating(admin_a)
    with pytest.raises(DomainError, match="柳林调解员不在本倒查主办单位的管辖范围内"):
        name_party(
            db.session,
            review,
            admin_a,
            kind=ResponsibleKind.MEDIATOR,
            mediator=county.mediators["柳林调解员"],
            cause=ResponsibilityCause.HANDLING,
            facts="x",
        )
    with pytest.raises(DomainError, match="不在本倒查主办单位的管辖范围内"):
        name_party(
            db.session,
            review,
            admin_a,
            kind=ResponsibleKind.ORGANIZATION,
            organization=county.root,
            cause=ResponsibilityCause.SHIRKING,
            facts="x",
        )
    names = {m.name for m in reviews.responsible_mediators(db.session, admin_a, review)}
    assert names == {"马集调解员", "前李调解员"}
    assert {o.code for o in reviews.responsible_organizations(db.session, admin_a, review)} == {"MJ", "MJQL"}


def test_reviews_of_a_case_are_shown_within_scope(county, mj_case):
    review = open_review(county.users["evaluator"], linked=[mj_case])
    assert reviews.linked_to_case(db.session, mj_case, county.users["clerk"]) == [review]
    # The county's review is not 马集's to see, and 调解员/录入员 see none.
    assert reviews.linked_to_case(db.session, mj_case, county.users["admin_a"]) == []
    assert reviews.linked_to_case(db.session, mj_case, county.users["entry_a"]) == []
    assert not reviews.can_read(county.users["admin_a"], review)


def test_another_subtree_cannot_take_steps(county):
    review = open_review(county.users["evaluator"])
    with pytest.raises(DomainError, match="不在您单位的管辖范围内"):
        review_steps.investigate(db.session, review, county.users["admin_a"], investigators="x")
    ll_review = open_review(county.users["admin"])
    assert reviews.available_steps(ll_review, county.users["admin_a"]) == []
    assert reviews.available_steps(ll_review, county.users["clerk"]) == []


# --- what the findings feed -------------------------------------------------------------------------


def test_deductions_count_decisions_within_the_period_both_ends_included(county):
    evaluator = county.users["evaluator"]
    person = county.mediators["柳林调解员"]
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 1)):
        decided(evaluator, day, mediator=person, measures=Measures(deduction_points=Decimal(day.month)))
    found = reviews.deductions(
        db.session, mediator_id=person.id, start=date(2026, 4, 1), end=date(2026, 6, 30)
    )
    assert [d.points for d in found] == [Decimal(4), Decimal(6)]
    assert [d.decided_on for d in found] == [date(2026, 4, 1), date(2026, 6, 30)]
    first = found[0]
    assert first.review.number == "QH司倒查〔2026〕2号" and first.review.title
    assert first.reason.startswith("QH司倒查〔2026〕2号《") and "调处不力" in first.reason


def test_deductions_against_an_organisation_are_its_own(county):
    evaluator = county.users["evaluator"]
    decided(evaluator, date(2026, 5, 1), organization=county.ll)
    decided(evaluator, date(2026, 5, 2), mediator=county.mediators["柳林调解员"])
    period = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    by_org = reviews.deductions(db.session, organization_id=county.ll.id, **period)
    assert [d.points for d in by_org] == [Decimal(5)]
    by_person = reviews.deductions(db.session, mediator_id=county.mediators["柳林调解员"].id, **period)
    assert [d.points for d in by_person] == [Decimal(2)]
    with pytest.raises(ValueError):
        reviews.deductions(db.session, **period)


def test_undecided_withdrawn_and_pointless_findings_do_not_count(county):
    evaluator = county.users["evaluator"]
    person = county.mediators["后王调解员"]
    review = investigating(evaluator)
    name_party(
        db.session,
        review,
        evaluator,
        kind=ResponsibleKind.MEDIATOR,
        mediator=person,
        cause=ResponsibilityCause.SHIRKING,
        facts="x",
        measures=Measures(deduction_points=Decimal(3), award_ban=True),
    )
    decided(evaluator, date(2026, 5, 1), mediator=person, measures=Measures(criticism=True))
    withdrawn = investigating(evaluator)
    party = name_party(
        db.session,
        withdrawn,
        evaluator,
        kind=ResponsibleKind.MEDIATOR,
        mediator=person,
        cause=ResponsibilityCause.SHIRKING,
        facts="x",
        measures=Measures(deduction_points=Decimal(3), award_ban=True),
    )
    withdraw_party(db.session, withdrawn, evaluator, party, reason="查无实据")
    review_steps.decide(
        db.session,
        withdrawn,
        evaluator,
        finding="查无实据",
        rectification_deadline=None,
        decided_on=date(2026, 5, 2),
        today=date(2026, 5, 2),
    )
    year = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    assert reviews.deductions(db.session, mediator_id=person.id, **year) == []
    assert reviews.awards_blocked(db.session, person.id, 2026) == []
    # The criticism is still a finding against the mediator.
    assert [r.decided_on for r in reviews.findings_against(db.session, person.id, 2026)] == [date(2026, 5, 1)]


def test_findings_and_award_bans_count_by_decision_year(county):
    evaluator = county.users["evaluator"]
    person = county.mediators["前李调解员"]
    ban = Measures(notice=True, award_ban=True)
    last_year = decided(evaluator, date(2025, 12, 31), mediator=person, measures=ban)
    this_year = decided(evaluator, date(2026, 1, 1), mediator=person, measures=ban)
    review_steps.archive(
        db.session, this_year, evaluator, rectification_report="已整改", today=date(2026, 2, 1)
    )
    assert reviews.findings_against(db.session, person.id, 2026) == [this_year]
    assert reviews.findings_against(db.session, person.id, 2025) == [last_year]
    assert reviews.awards_blocked(db.session, person.id, 2026) == [this_year]
    assert reviews.awards_blocked(db.session, person.id, 2027) == []


def test_a_ban_on_the_organisation_does_not_block_its_mediators(county):
    evaluator = county.users["evaluator"]
    decided(evaluator, date(2026, 6, 1), organization=county.mj_village, measures=Measures(award_ban=True))
    assert reviews.awards_blocked(db.session, county.mediators["前李调解员"].id, 2026) == []
    assert reviews.findings_against(db.session, county.mediators["前李调解员"].id, 2026) == []


# --- demo data ---------------------------------------------------------------------------------------


def test_demo_has_reviews_in_every_status(tmp_path):
    """seed-demo takes a handful of reviews through the services, in every status, numbered per year."""
    app = make_app(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    with app.app_context():
        try:
            upgrade()
            with audit.acting_as(audit.Actor(None, "test")):
                summary = seed_demo(db.session, seed=11, scale=0.1, today=date(2026, 3, 1))
            found = list(db.session.scalars(select(AccountabilityReview).order_by(AccountabilityReview.id)))
            assert summary["reviews"] == len(found) == 5
            assert {r.status for r in found} == set(ReviewStatus)
            decided_ = [r for r in found if r.number]
            assert len(decided_) == 3
            for year in {r.year for r in decided_}:
                seqs = sorted(r.seq for r in decided_ if r.year == year)
                assert seqs == list(range(1, len(seqs) + 1))
                assert {r.number for r in decided_ if r.year == year} == {
                    f"清司倒查〔{year}〕{n}号" for n in seqs
                }
            assert all(r.linked and r.linked[0].snapshot["events"] for r in found)
            assert any(p.award_ban for r in found for p in r.responsible)
        finally:
            db.session.remove()
            db.engine.dispose()
