"""排查 and 研判会议 pages: a record with findings through the form, a finding registered through the
ledger's own form, a meeting handing out work that the township follows up, the warning page, scope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Assignment,
    AssignmentStatus,
    Case,
    CaseSource,
    FindingStatus,
    Meeting,
    MeetingKind,
    PlanStatus,
    RecordResult,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
)
from portal.services import assignments, meetings, screening_plans
from portal.services.deadlines import local_today
from tests.admin.test_case_views import registration


def test_a_record_and_its_finding_registered_as_a_case(login_as, county):
    client = login_as("entry_a")
    today = local_today()
    response = client.post(
        "/admin/screening_records/new/",
        data={
            "organization": county.mj.id,
            "kind": "rolling",
            "screened_on": today.isoformat(),
            "areas": [str(county.mj_village.id)],
            "other_screeners": "网格员王某",
            "situation": "走访前李村12户",
            "result": "found",
            "findings-0-summary": "两户因宅基地边界发生争执",
            "findings-0-parties": "欧阳明、赵四",
            "findings-0-people_involved": "2",
            "findings-0-risk_level": "medium",
        },
    )
    assert response.status_code == 302, response.text
    record = db.session.scalars(select(ScreeningRecord)).one()
    [finding] = record.findings
    page = client.get(f"/admin/screening_records/details/?id={record.id}").text
    assert "两户因宅基地边界发生争执" in page and f"/admin/cases/new/?finding={finding.id}" in page
    form = client.get(f"/admin/cases/new/?finding={finding.id}").text
    assert "两户因宅基地边界发生争执" in form and "欧阳明、赵四" in form
    data = registration(county, organization=county.mj_village.id, summary=finding.summary)
    response = client.post(f"/admin/cases/new/?finding={finding.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(finding)
    case = db.session.get(Case, finding.case_id)
    assert finding.status == FindingStatus.REGISTERED and case.source == CaseSource.SCREENING
    assert case.number in client.get(f"/admin/screening_records/details/?id={record.id}").text
    # Another township neither sees the record nor registers its finding.
    client.post("/logout")
    other = login_as("entry_b")
    assert other.get(f"/admin/screening_records/details/?id={record.id}").status_code == 404
    assert other.get(f"/admin/cases/new/?finding={finding.id}").status_code == 404


def test_a_meeting_hands_out_work_the_township_follows_up(login_as, county):
    """The county's minutes are out of the township's reach, the item given to it is not (and only it)."""
    today = local_today()
    client = login_as("admin")
    response = client.post(
        "/admin/meetings/new/",
        data={
            "organization": county.root.id,
            "kind": "monthly",
            "held_on": today.isoformat(),
            "place": "县司法局会议室",
            "host": "张局长",
            "attendee_organizations": [str(county.mj.id), str(county.ll.id)],
            "attendee_experts": [str(county.experts["县专家"].id)],
            "content": "研判本月重点纠纷",
            "decision_lines": "马集镇牵头化解宅基地纠纷",
        },
    )
    assert response.status_code == 302, response.text
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.kind == MeetingKind.MONTHLY and len(meeting.decisions) == 1
    decision = meeting.decisions[0]
    response = client.post(
        f"/admin/meetings/act/assign/?id={meeting.id}&decision={decision.id}",
        data={
            "organization": county.mj.id,
            "owner_person": "马集司法所所长",
            "deadline": (today + timedelta(3)).isoformat(),
        },
    )
    assert response.status_code == 302
    item = db.session.scalars(select(Assignment)).one()
    page = client.get(f"/admin/meetings/details/?id={meeting.id}").text
    assert item.number in page and "badge-risk-yellow" in page
    client.post("/logout")
    township = login_as("entry_a")
    assert township.get(f"/admin/meetings/details/?id={meeting.id}").status_code == 404
    item_page = township.get(f"/admin/assignments/details/?id={item.id}").text
    assert "马集镇牵头化解宅基地纠纷" in item_page and "/admin/meetings/details/" not in item_page
    assert item.number in township.get("/admin/assignments/").text
    assert (
        township.get(f"/admin/assignments/act/remind/?id={item.id}").status_code == 302
    )  # refused: not its side
    version = item.version
    response = township.post(
        f"/admin/assignments/act/complete/?id={item.id}",
        data={"result": "双方达成协议", "completed_on": today.isoformat(), "lock_version": version},
    )
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == AssignmentStatus.DONE
    # Nothing more is taken on a finished item; another township cannot reach it at all.
    stale = township.post(
        f"/admin/assignments/act/progress/?id={item.id}", data={"note": "x", "lock_version": version}
    )
    assert stale.status_code in (200, 302)
    township.post("/logout")
    other = login_as("entry_b")
    assert other.get(f"/admin/assignments/details/?id={item.id}").status_code == 404
    assert other.get(f"/admin/assignments/act/progress/?id={item.id}").status_code == 404


def test_plans_from_above_are_read_below(login_as, county):
    """A county plan is the townships' too: they read it and file under it, they do not change it."""
    county_plan = ScreeningPlan(
        organization=county.root,
        kind=ScreeningKind.CONCENTRATED,
        period_start=local_today(),
        period_end=local_today(),
        responsible_person="科长",
    )
    ll_plan = ScreeningPlan(
        organization=county.ll,
        kind=ScreeningKind.ROLLING,
        period_start=local_today(),
        period_end=local_today(),
        responsible_person="柳林所长",
    )
    for plan, who in ((county_plan, "admin"), (ll_plan, "entry_b")):
        screening_plans.prepare_plan(db.session, plan, county.users[who], today=local_today())
    # 柳林 files under the county's plan; 马集 reading that plan must not see 柳林's record.
    db.session.add(
        ScreeningRecord(
            plan=county_plan,
            organization=county.ll,
            kind=ScreeningKind.CONCENTRATED,
            screened_on=local_today(),
            period_start=local_today().replace(day=1 if local_today().day <= 15 else 16),
            other_screeners="柳林网格员甄十一",
            situation="走访柳林各村",
            result=RecordResult.NONE,
        )
    )
    db.session.commit()
    client = login_as("entry_a")
    assert county_plan.title in client.get("/admin/screening_plans/").text
    page = client.get(f"/admin/screening_plans/details/?id={county_plan.id}").text
    assert "按本计划登记排查记录" in page and "撤销计划" not in page
    assert "柳林网格员甄十一" not in page and county.ll.name not in page
    assert client.get(f"/admin/screening_plans/edit/?id={county_plan.id}").status_code == 302
    client.post(f"/admin/screening_plans/act/cancel/?id={county_plan.id}", data={"reason": "x"})
    db.session.refresh(county_plan)
    assert county_plan.status == PlanStatus.ACTIVE
    assert client.get(f"/admin/screening_plans/details/?id={ll_plan.id}").status_code == 404


def test_missing_screenings_page_and_exports(login_as, county):
    client = login_as("admin")
    page = client.get("/admin/screening_records/missing/").text
    assert "马集镇人民调解委员会" in page and "柳林镇人民调解委员会" in page and "每半月" in page
    assert client.get("/admin/screening_records/missing/?day=not-a-date").status_code == 200
    meeting = Meeting(
        organization=county.mj,
        kind=MeetingKind.JOINT,
        held_on=local_today(),
        place="马集镇政府",
        host="镇长",
        content="联席会议",
        external_attendees="派出所李所长",
    )
    meetings.record_meeting(
        db.session, meeting, county.users["entry_a"], today=local_today(), decisions="排查"
    )
    assignments.assign(
        db.session,
        meeting.decisions[0],
        county.users["entry_a"],
        organization=county.mj_village,
        owner_person="村主任",
        content=None,
        deadline=local_today(),
        today=local_today(),
    )
    for endpoint in ("screening_plans", "screening_records", "meetings", "assignments"):
        response = client.get(f"/admin/{endpoint}/export/xlsx/")
        assert response.status_code == 200, endpoint
