"""听证, 领导包案, 三调联动 and 群众评议 through the case page: recorded, shown on the case, in the ledger's
column and filters and on the dashboard; scoped, version-checked, audited as steps, voided not deleted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    CaseEventKind,
    CaseSource,
    Evaluation,
    Hearing,
    LeaderCharge,
    LeaderLevel,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
    RiskLevel,
)
from portal.models.case_extras import ExtraDeleteError
from portal.services.deadlines import local_today
from tests.assessment_ledger import in_mediation, mediate, settled

K = CaseEventKind


@pytest.fixture
def mediating(county):
    """A low-risk case in mediation at 马集, accepted ten days ago."""
    case = in_mediation(
        db.session,
        county.users["entry_a"],
        county.mj,
        [county.mediators["马集调解员"]],
        local_today() - timedelta(days=10),
        parties=("欧阳明", "王秀英"),
    )
    db.session.commit()  # the helper dates the history after the services' commits
    return case


def _ledger_numbers(client, filter_name: str, value: str) -> set[str]:
    with client.application.test_request_context():
        from portal.admin.ledger.links import _filter_keys

        key = _filter_keys("cases")[filter_name]
    page = client.get(f"/admin/cases/?flt0_{key}={value}").text
    return set(re.findall(r"（\d{4}）\w+人调字第\d+号", page))


def _hearing_form(case, **overrides) -> dict:
    data = {
        "held_at": f"{clock.now_wall() - timedelta(hours=1):%Y-%m-%d %H:%M:%S}",
        "place": "马集镇司法所调解室",
        "presiding": "马集镇司法所所长 李明",
        "parties_present": "欧阳明、王秀英",
        "representatives": "村民代表2人",
        "questions": "一、排水沟归属；二、改造费用分担",
        "outcome": "opinion",
        "summary": "各方陈述后形成听证意见：费用各半。",
        "lock_version": case.version,
    }
    data.update(overrides)
    return data


@pytest.mark.usefixtures("frozen_clock")
def test_hearing_is_recorded_shown_filtered_and_voided(county, login_as, mediating):
    """A 听证 saves with its step in the history and the audit log, shows on the case and under 有听证;
    voided with a reason it stays on the case but leaves the filter."""
    case = mediating
    client = login_as("entry_a")
    expert = county.experts["县专家"]  # the county's pool, invitable from the township
    data = _hearing_form(case, mediators=[county.mediators["马集调解员"].id], experts=[expert.id])
    response = client.post(f"/admin/cases/hearing/?id={case.id}", data=data)
    assert response.status_code == 302, response.text
    db.session.expire_all()
    hearing = case.hearings[0]
    assert hearing.presiding == "马集镇司法所所长 李明" and hearing.experts == [expert]
    assert case.events[-1].kind == K.HEARING and case.events[-1].to_status == case.status
    step = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity == "dispute_case", AuditEvent.entity_id == str(case.id))
        .order_by(AuditEvent.id.desc())
    )
    assert step.action == AuditAction.STEP and step.step == "听证"
    page = client.get(f"/admin/cases/details/?id={case.id}").text
    assert "听证记录（1）" in page and "费用各半" in page and "县专家" in page
    assert case.number in _ledger_numbers(client, "有听证", "1")
    assert case.number not in _ledger_numbers(client, "有听证", "0")

    # Voiding: reason required, the record's version checked, then struck through but kept.
    url = f"/admin/cases/record/void/hearing/?id={case.id}&record={hearing.id}"
    assert "请填写作废原因" in client.post(url, data={"lock_version": hearing.version}).text
    stale = client.post(url, data={"lock_version": hearing.version + 1, "reason": "重复登记"})
    assert "已被他人更新" in stale.text
    assert client.post(url, data={"lock_version": hearing.version, "reason": "重复登记"}).status_code == 302
    db.session.expire_all()
    assert hearing.is_void and hearing.void_reason == "重复登记"
    assert case.number not in _ledger_numbers(client, "有听证", "1")
    assert "已作废" in client.get(f"/admin/cases/details/?id={case.id}").text
    db.session.delete(hearing)
    with pytest.raises(ExtraDeleteError):
        db.session.flush()
    db.session.rollback()


def test_hearing_form_refuses_bad_input_and_stale_case(county, login_as, mediating):
    """A hearing in the future, before the acceptance, without its questions, on a stale page, or with
    an expert of another township's pool is refused, and nothing is saved."""
    case = mediating
    client = login_as("entry_a")
    url = f"/admin/cases/hearing/?id={case.id}"
    future = f"{clock.now_wall() + timedelta(days=2):%Y-%m-%d %H:%M:%S}"
    early = f"{case.accepted_on - timedelta(days=3):%Y-%m-%d} 09:00:00"
    refusals = [
        (_hearing_form(case, held_at=future), "不能晚于"),
        (_hearing_form(case, held_at=early), "听证时间不能早于受理日期"),
        (_hearing_form(case, questions=""), "请填写听证事项"),
        (_hearing_form(case, outcome="nonsense"), "听证结果"),
        (_hearing_form(case, lock_version=case.version - 1), "已被他人更新"),
        (_hearing_form(case, experts=[county.experts["柳林专家"].id]), "邀请专家"),
    ]
    for data, message in refusals:
        response = client.post(url, data=data)
        assert response.status_code == 200 and message in response.text, message
    db.session.expire_all()
    assert db.session.scalars(select(Hearing).where(Hearing.case_id == case.id)).all() == []


def test_scope_roles_and_garbage(county, login_as, auth, mediating):
    """Another township's case or record answers 404, a reader's role 403, a garbage id or kind 404."""
    case = mediating
    client = login_as("entry_a")
    client.post(f"/admin/cases/hearing/?id={case.id}", data=_hearing_form(case))
    db.session.expire_all()
    hearing = case.hearings[0]
    ll_case = in_mediation(
        db.session,
        county.users["entry_b"],
        county.ll,
        [county.mediators["柳林调解员"]],
        local_today() - timedelta(days=5),
    )
    db.session.commit()
    assert client.get(f"/admin/cases/hearing/?id={ll_case.id}").status_code == 404
    assert client.post(f"/admin/cases/leader/?id={ll_case.id}", data={}).status_code == 404
    assert client.get(f"/admin/cases/liaison/out/?id={ll_case.id}").status_code == 404
    # A record of this case named under another case of the user's own subtree: 404.
    other = in_mediation(
        db.session, county.users["entry_a"], county.mj, [county.mediators["马集调解员"]], local_today()
    )
    db.session.commit()
    assert (
        client.get(f"/admin/cases/record/void/hearing/?id={other.id}&record={hearing.id}").status_code == 404
    )
    for url in (
        "/admin/cases/hearing/?id=abc",
        "/admin/cases/hearing/?id=99999999999999999999999",
        f"/admin/cases/liaison/sideways/?id={case.id}",
        f"/admin/cases/record/void/nothing/?id={case.id}&record=1",
        f"/admin/cases/leader/note/?id={case.id}&charge=x",
        f"/admin/cases/liaison/feedback/?id={case.id}&liaison=0",
    ):
        assert client.get(url).status_code == 404, url
    # Garbage in the form: a Chinese message under the field, nothing saved, never a 500.
    garbage = {
        "leader": "999999",
        "leader_post": "x",
        "level": "galactic",
        "started_on": "2026-13-45",
        "instructions": "x",
        "lock_version": "abc",
    }
    response = client.post(f"/admin/cases/leader/?id={case.id}", data=garbage)
    assert response.status_code == 200 and "Not a valid" not in response.text
    assert "请选择包案领导或填写姓名" in response.text
    feedback = {"feedback_on": "yesterday", "outcome": "won", "feedback": "x", "lock_version": "1"}
    assert (
        client.post(f"/admin/cases/liaison/feedback/?id={case.id}&liaison=1", data=feedback).status_code
        == 404
    )
    db.session.expire_all()
    assert case.leader_charges == []
    auth.logout()
    evaluator = login_as("evaluator")
    assert evaluator.get(f"/admin/cases/hearing/?id={case.id}").status_code == 403
    assert "登记听证" not in evaluator.get(f"/admin/cases/details/?id={case.id}").text


@pytest.mark.usefixtures("frozen_clock")
def test_leader_charge_in_ledger_dashboard_notes_and_end(county, login_as, mediating):
    """领导包案 puts the case on the dashboard's major list with its leader, in the ledger's 包案领导 column
    and under the 领导包案 filter; notes are added, the charge ends by hand, and with the case."""
    case = mediating
    assert case.risk_level == RiskLevel.LOW and not case.is_group
    client = login_as("entry_a")
    url = f"/admin/cases/leader/?id={case.id}"
    form = {
        "leader": "__None",
        "leader_name": "王建国",
        "leader_post": "县委常委、政法委书记",
        "level": "county",
        "started_on": local_today().isoformat(),
        "instructions": "由我包案，十日内拿出化解方案。",
        "lock_version": case.version,
    }
    assert "请选择包案领导或填写姓名" in client.post(url, data={**form, "leader_name": ""}).text
    future = (local_today() + timedelta(days=1)).isoformat()
    assert client.post(url, data={**form, "started_on": future}).status_code == 200
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    charge = case.leader_charges[0]
    assert charge.is_active and str(charge) == "王建国（县委常委、政法委书记）"
    assert "王建国已在包案本案件" in client.post(url, data={**form, "lock_version": case.version}).text

    ledger = client.get("/admin/cases/").text
    assert "包案领导" in ledger and "王建国（县委常委、政法委书记）" in ledger
    assert case.number in _ledger_numbers(client, "领导包案", "county")
    assert case.number not in _ledger_numbers(client, "领导包案", "township")
    board = client.get("/admin/").text
    major = board[board.index('id="major-cases"') :]
    major = major[: major.index("</table>")]
    assert case.number in major and "王建国（县委常委、政法委书记）" in major

    note_url = f"/admin/cases/leader/note/?id={case.id}&charge={charge.id}"
    note = {"kind": "instruction", "noted_on": local_today().isoformat(), "content": "同意方案。"}
    assert client.post(note_url, data={**note, "lock_version": charge.version}).status_code == 302
    early = (charge.started_on - timedelta(days=1)).isoformat()
    assert (
        "日期不能早于包案日期"
        in client.post(note_url, data={**note, "noted_on": early, "lock_version": charge.version}).text
    )
    db.session.expire_all()
    assert [(n.author_name, n.content) for n in charge.notes] == [("王建国", "同意方案。")]
    end_url = f"/admin/cases/leader/end/?id={case.id}&charge={charge.id}"
    end = {"ended_on": local_today().isoformat(), "note": "风险已化解", "lock_version": charge.version}
    assert client.post(end_url, data=end).status_code == 302
    db.session.expire_all()
    assert not charge.is_active and charge.end_note == "风险已化解"
    assert case.number not in _ledger_numbers(client, "领导包案", "active")
    assert case.number in _ledger_numbers(client, "领导包案", "any")


def test_charge_ends_when_the_case_closes(county, mediating):
    """Archiving a case ends its leader's charge on that day (workflow.record_event)."""
    from portal.services import case_extras, case_records, cases

    case, entry, today = mediating, county.users["entry_a"], local_today()
    charge = LeaderCharge(
        leader_name="张立新",
        leader_post="马集镇党委书记",
        level=LeaderLevel.TOWNSHIP,
        started_on=today,
        instructions="包案",
    )
    case_extras.take_charge(db.session, case, entry, charge, today=today)
    mediate(db.session, case, entry, today)
    from portal.models import Agreement, AgreementForm, FollowUp, Performance

    case_records.settle(
        db.session,
        case,
        entry,
        Agreement(form=AgreementForm.WRITTEN, signed_on=today, terms="和解"),
        today=today,
    )
    visit = FollowUp(
        visited_on=today,
        visitor="回访员",
        person_visited="欧阳明",
        performance=Performance.FULL,
        satisfaction=5,
        evaluation=Evaluation.SATISFIED,
    )
    case_records.follow_up(db.session, case, entry, visit, today=today)
    cases.archive(db.session, case, entry, today=today)
    assert charge.ended_on == today and charge.end_note == "案件结案归档，包案结束"


@pytest.mark.usefixtures("frozen_clock")
def test_referrals_in_and_out_with_feedback_filter_and_dashboard(county, login_as):
    """A case the court sent is recorded as 诉调对接（移入）; one sent to the police as 警调对接（移出）, with
    the partner's feedback; the ledger's 对接类型 and the dashboard's 三调联动 figures count them."""
    today, entry, person = local_today(), county.users["entry_a"], [county.mediators["马集调解员"]]
    from_court = in_mediation(
        db.session, entry, county.mj, person, today - timedelta(days=3), source=CaseSource.COURT
    )
    own = in_mediation(db.session, entry, county.mj, person, today - timedelta(days=3))
    db.session.commit()
    client = login_as("entry_a")
    form = {
        "channel": "court",
        "partner": "清河县人民法院",
        "partner_reference": "（2026）鲁民诉前调12号",
        "sent_on": (from_court.accepted_on - timedelta(days=1)).isoformat(),
        "received_on": from_court.accepted_on.isoformat(),
        "reason": "诉前委派调解",
        "lock_version": from_court.version,
    }
    # 移入 only with the partner's 纠纷来源, received no later than the acceptance.
    wrong = client.post(f"/admin/cases/liaison/in/?id={own.id}", data={**form, "lock_version": own.version})
    assert "纠纷来源应为「人民法院移交」" in wrong.text
    late = {**form, "received_on": today.isoformat(), "sent_on": ""}
    assert (
        "接收日期不能晚于受理日期"
        in client.post(f"/admin/cases/liaison/in/?id={from_court.id}", data=late).text
    )
    assert client.post(f"/admin/cases/liaison/in/?id={from_court.id}", data=form).status_code == 302
    out = {
        "channel": "police",
        "partner": "马集派出所",
        "sent_on": today.isoformat(),
        "reason": "一方扬言报复，移送派出所稳控",
        "lock_version": own.version,
    }
    assert client.post(f"/admin/cases/liaison/out/?id={own.id}", data=out).status_code == 302
    db.session.expire_all()
    came_in, went_out = from_court.liaisons[0], own.liaisons[0]
    assert came_in.partner_reference == "（2026）鲁民诉前调12号" and went_out.sent_on == today
    assert own.events[-1].kind == K.LIAISON_OUT

    # Feedback: on a case received, 调解成功 needs the agreement; the partner's feedback on one sent out.
    url = f"/admin/cases/liaison/feedback/?id={from_court.id}&liaison={came_in.id}"
    feedback = {"feedback_on": today.isoformat(), "outcome": "settled", "feedback": "已调解成功"}
    refused = client.post(url, data={**feedback, "lock_version": came_in.version})
    assert "尚未登记调解协议" in refused.text
    url = f"/admin/cases/liaison/feedback/?id={own.id}&liaison={went_out.id}"
    done = {
        **feedback,
        "outcome": "returned",
        "feedback": "已处置，退回继续调解",
        "lock_version": went_out.version,
    }
    assert client.post(url, data=done).status_code == 302
    db.session.expire_all()
    assert went_out.outcome == LiaisonOutcome.RETURNED
    assert "已反馈" in client.post(url, data={**done, "lock_version": went_out.version}).text

    assert _ledger_numbers(client, "对接类型", "court_in") >= {from_court.number}
    assert own.number not in _ledger_numbers(client, "对接类型", "court_in")
    assert own.number in _ledger_numbers(client, "对接类型", "police_out")
    page = client.get(f"/admin/cases/details/?id={own.id}").text
    assert "警调对接（移出）" in page and "马集派出所" in page and "退回" in page
    board = client.get("/admin/?period=12m").text  # 近12个月: the cases of three days ago at new year too
    card = board[board.index('id="liaisons"') :]
    card = card[: card.index("</table>")]
    cells = re.findall(r"<td>(\w+对接)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", card)
    counts = {label: tuple(re.sub(r"<[^>]+>", "", c).strip() for c in pair) for label, *pair in cells}
    assert counts == {
        "诉调对接": ("1 件", "0 件"),
        "警调对接": ("0 件", "1 件"),
        "访调对接": ("0 件", "0 件"),
    }
    court_in = dict((label, pair[0]) for label, *pair in cells)["诉调对接"]
    link = re.search(r'href="([^"]+)"', court_in).group(1).replace("&amp;", "&")
    assert from_court.number in client.get(link).text


@pytest.mark.usefixtures("frozen_clock")
def test_follow_up_asks_for_the_partys_verdict(county, login_as):
    """回访 asks 满意/基本满意/不满意; 不满意 needs the reason; the verdict shows on the case."""
    today, entry, person = local_today(), county.users["entry_a"], [county.mediators["马集调解员"]]
    case = settled(db.session, entry, county.mj, person, today - timedelta(days=10), satisfaction=None)
    db.session.commit()
    client = login_as("entry_a")
    url = f"/admin/cases/act/follow_up/?id={case.id}"
    form = {
        "visited_on": today.isoformat(),
        "method": "phone",
        "visitor": "马集调解员",
        "person_visited": "张三",
        "performance": "full",
        "satisfaction": "2",
        "remaining_risk": "none",
        "lock_version": case.version,
    }
    assert "请选择当事人的评议" in client.post(url, data=form).text
    assert (
        "当事人评价不满意的，请写明原因" in client.post(url, data={**form, "evaluation": "dissatisfied"}).text
    )
    data = {**form, "evaluation": "dissatisfied", "evaluation_comment": "对方还没给钱"}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    visit = case.follow_ups[-1]
    assert visit.evaluation == Evaluation.DISSATISFIED and visit.evaluation_comment == "对方还没给钱"
    page = client.get(f"/admin/cases/details/?id={case.id}").text
    assert "评议意见：对方还没给钱" in page and "不满意" in page


def test_liaison_records_are_never_deleted(county, mediating):
    """Deleting a 三调联动 record is refused (it is voided instead); the case going takes it along."""
    liaison = Liaison(
        case=mediating,
        channel=LiaisonChannel.COURT,
        direction=LiaisonDirection.OUT,
        partner="法院",
        reason="移送",
        sent_on=local_today(),
    )
    db.session.add(liaison)
    db.session.flush()
    db.session.delete(liaison)
    with pytest.raises(ExtraDeleteError):
        db.session.flush()
    db.session.rollback()
