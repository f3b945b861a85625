"""The ledger through the browser's eyes: registration, steps, search, filters, scope, stale edits, export."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditAction, AuditEvent, Case, CaseEventKind, CaseStatus, DisputeType, ZeroReport
from portal.services import cases, formdefs
from portal.services.deadlines import local_today
from portal.validators import make_credit_code, make_id_number
from tests.assessment_ledger import in_mediation, mediate
from tests.factories import REGION, four_fixed, new_case

S = CaseStatus


def _type_id(code: str) -> int:
    return db.session.scalar(select(DisputeType.id).where(DisputeType.code == code))


def registration(county, **overrides) -> dict:
    """Form data for a case with two parties at 马集."""
    data = {
        "organization": county.mj.id,
        "source": "application",
        "dispute_type": _type_id("02"),
        "accepted_on": local_today().isoformat(),
        "summary": "欧阳明与邻居因院墙滴水发生争执，多次协商未果。",
        "claims": "要求对方改造屋檐排水",
        "people_involved": "2",
        "risk_level": "low",
        "difficulty": "simple",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "欧阳明",
        "parties-0-gender": "male",
        "parties-0-id_number": make_id_number(REGION, date(1975, 3, 8), 11, "male"),
        "parties-0-phone": "13912345678",
        "parties-1-role": "respondent",
        "parties-1-kind": "organization",
        "parties-1-name": "清河县宏达建材有限公司",
        "parties-1-credit_code": make_credit_code(REGION, "MA3C7XKQ"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def mj_case(county):
    """A case registered at 马集 by 马集's entry user."""
    return new_case(
        db.session, county.users["entry_a"], county.mj, today=local_today(), parties=("禤国强", "王秀英")
    )


@pytest.mark.usefixtures("frozen_clock")
def test_register_a_case_with_two_parties(county, login_as):
    """The form registers the case, numbers it and shows its page."""
    client = login_as("entry_a")
    response = client.post("/admin/cases/new/", data=registration(county))
    assert response.status_code == 302, response.text
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.number == f"（{local_today().year}）MJ人调字第1号"
    assert [p.name for p in case.parties] == ["欧阳明", "清河县宏达建材有限公司"]
    assert case.registered_by == county.users["entry_a"]
    assert response.headers["Location"].endswith(f"/admin/cases/details/?id={case.id}")
    page = client.get(response.headers["Location"]).text
    assert case.number in page and "受理登记" in page and "分流交办" in page


def test_new_case_starts_without_a_dispute_type(county, login_as):
    """No type is preselected: the form asks 请选择纠纷类型, refuses to save without one, no fields shown."""
    client = login_as("entry_a")
    page = client.get("/admin/cases/new/").text
    select_html = re.search(r'<select[^>]*id="dispute_type".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert options[0][1] == "请选择纠纷类型" and "selected" in options[0][0]
    assert not [text for attrs, text in options[1:] if "selected" in attrs]
    assert "lowcode-form" not in page  # no type, no type's fields
    before = db.session.scalar(select(func.count(Case.id)))
    for blank in ("__None", None):
        data = registration(county, dispute_type=blank)
        if blank is None:
            del data["dispute_type"]
        response = client.post("/admin/cases/new/", data=data)
        assert response.status_code == 200
        assert "请选择纠纷类型" in response.text and "This field is required" not in response.text
    assert db.session.scalar(select(func.count(Case.id))) == before


def test_choosing_a_dispute_type_brings_its_fields(county, login_as):
    """Once a type with a form is chosen, the type-switch fragment returns that form's fields."""
    family = db.session.scalar(select(DisputeType).where(DisputeType.name.like("婚姻家庭%")))
    definition = formdefs.create(db.session, "family_test", "婚姻家庭", family)
    body = {
        "sections": [
            {"title": "家庭情况", "fields": [{"key": "children", "label": "子女人数", "type": "integer"}]}
        ]
    }
    formdefs.save_draft(db.session, definition, body, None)
    formdefs.publish(db.session, definition, county.users["admin"], "首版")
    client = login_as("entry_a")
    assert "子女人数" not in client.get("/admin/cases/new/").text
    fragment = client.get(f"/admin/cases/answers/?dispute_type={family.id}").text
    assert "子女人数" in fragment and "lowcode-form" in fragment
    assert client.get("/admin/cases/answers/?dispute_type=__None").text == ""


@pytest.mark.usefixtures("frozen_clock")
def test_step_forms_start_at_the_offices_date_and_time_and_accept_it(county, login_as):
    """调解记录, 调解成功 and 回访 default to Beijing's date and time, and saving the defaults works."""
    today, mediator = clock.today(), county.mediators["马集调解员"]
    case = in_mediation(db.session, county.users["admin"], county.mj, [mediator], today)
    client = login_as("admin")
    wall = clock.now_wall()
    assert f'value="{wall:%Y-%m-%d %H:%M}' in client.get(f"/admin/cases/act/session/?id={case.id}").text
    session = {
        "held_at": f"{wall:%Y-%m-%d %H:%M:%S}",
        "place": "马集司法所调解室",
        "mediators": [mediator.id],
        "content": "听取双方陈述",
        "result": "continue",
        "lock_version": case.version,
    }
    assert client.post(f"/admin/cases/act/session/?id={case.id}", data=session).status_code == 302
    db.session.expire_all()
    assert clock.local_date(case.sessions[-1].held_at) == today
    assert f'value="{today:%Y-%m-%d}"' in client.get(f"/admin/cases/act/settle/?id={case.id}").text
    agreement = {
        "form": "written",
        "signed_on": today.isoformat(),
        "terms": "双方自愿和解",
        "lock_version": case.version,
    }
    response = client.post(f"/admin/cases/act/settle/?id={case.id}", data=agreement)
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert case.status == S.SETTLED and case.agreement.signed_on == today
    assert f'value="{today:%Y-%m-%d}"' in client.get(f"/admin/cases/act/follow_up/?id={case.id}").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("parties-0-id_number", "371525197503081234", "身份证号"),
        ("parties-1-credit_code", "91371525MA3C7XKQ0X", "统一社会信用代码"),
        ("parties-0-credit_code", "91371525MA3C7XKQ0X", "自然人当事人无需填写统一社会信用代码"),
        ("parties-0-phone", "1391234", "电话"),
        ("summary", "", "请填写纠纷简要情况"),
        ("people_involved", "0", "涉及人数"),
        # Absurd dates and amounts: before 1949, or not yuan in fen.
        ("occurred_on", "0001-01-01", "日期不能早于1949年10月1日"),
        ("accepted_on", "1949-09-30", "日期不能早于1949年10月1日"),
        ("amount", "1e400", "请输入有效的金额（元）"),
        ("amount", "inf", "请输入有效的金额（元）"),
        ("amount", "nan", "请输入有效的金额（元）"),
        ("amount", "sNaN", "请输入有效的金额（元）"),
        ("amount", "-1", "金额不能为负数"),
        ("amount", "1.005", "金额最多两位小数（分）"),
        ("amount", "1000000000000", "金额不能超过999,999,999,999.99元"),
    ],
)
def test_bad_registration_is_refused_and_nothing_saved(county, login_as, field, value, message):
    """A bad ID number, credit code, phone, empty field, date before 1949 or amount that is not yuan in fen
    keeps the form with a Chinese error and saves nothing."""
    client = login_as("entry_a")
    before = db.session.scalar(select(func.count(Case.id)))
    response = client.post("/admin/cases/new/", data=registration(county, **{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert db.session.scalar(select(func.count(Case.id))) == before


def test_an_amount_is_kept_to_the_fen(county, login_as):
    response = login_as("entry_a").post("/admin/cases/new/", data=registration(county, amount="1,200.5"))
    assert response.status_code == 302, response.text
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.amount == Decimal("1200.50")


@pytest.mark.parametrize("amount", ["1e400", "nan", "sNaN", "-0.5", "0.001"])
def test_settle_page_refuses_an_absurd_agreement_amount(county, login_as, amount):
    today, mediator = local_today(), county.mediators["马集调解员"]
    case = in_mediation(db.session, county.users["admin"], county.mj, [mediator], today)
    mediate(db.session, case, county.users["admin"], today)
    agreement = {
        "form": "written",
        "signed_on": today.isoformat(),
        "terms": "双方自愿和解",
        "amount": amount,
        "lock_version": case.version,
    }
    response = login_as("admin").post(f"/admin/cases/act/settle/?id={case.id}", data=agreement)
    assert response.status_code == 200
    assert "金额" in response.text and "invalid-feedback" in response.text
    db.session.expire_all()
    assert case.status == S.MEDIATING and case.agreement is None


def test_entry_cannot_register_for_another_township(county, login_as):
    """The organisation choices stop at the user's subtree."""
    client = login_as("entry_a")
    response = client.post("/admin/cases/new/", data=registration(county, organization=county.ll.id))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(Case.id)).where(Case.organization_id == county.ll.id)) == 0


def _assignment(county, case, **overrides) -> dict:
    """Form data of 分流交办 to 前李村 with its 四定."""
    data = {
        "organization": county.mj_village.id,
        "mediators": [county.mediators["前李调解员"].id],
        "responsible_person": "前李调解员",
        "responsible_unit": "前李村人民调解委员会",
        "deadline": (local_today() + timedelta(days=10)).isoformat(),
        "measures": "走访双方了解诉求，邀请村两委参与调解",
        "lock_version": case.version,
    }
    data.update(overrides)
    return data


@pytest.mark.usefixtures("frozen_clock")
def test_step_page_assigns_the_case(county, login_as, mj_case):
    """分流交办 through its form: the case moves with its 四定, and the case page shows them."""
    client = login_as("entry_a")
    url = f"/admin/cases/act/assign/?id={mj_case.id}"
    form = client.get(url).text
    for label in (
        "承办调解员",
        "责任人（定人）",
        "责任单位（定责）",
        "办结时限（定时限）",
        "化解措施（定措施）",
    ):
        assert label in form
    assert mj_case.deadline.isoformat() in form  # 定时限 starts at the statutory deadline
    response = client.post(url, data=_assignment(county, mj_case))
    assert response.status_code == 302
    db.session.expire_all()
    assert mj_case.status == S.ASSIGNED
    assert mj_case.mediators == [county.mediators["前李调解员"]]
    assert mj_case.responsible_person == "前李调解员"
    assert mj_case.deadline == local_today() + timedelta(days=10)
    assert mj_case.measures == "走访双方了解诉求，邀请村两委参与调解"
    page = client.get(f"/admin/cases/details/?id={mj_case.id}").text
    assert "前李村人民调解委员会" in page and 'id="case-timeline"' in page
    assert "化解措施（定措施）" in page and "邀请村两委参与调解" in page


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("responsible_person", "请填写责任人（定人）"),
        ("responsible_unit", "请填写责任单位（定责）"),
        ("deadline", "请填写办结时限（定时限）"),
        ("measures", "请填写化解措施（定措施）"),
    ],
)
def test_step_page_refuses_an_assignment_without_its_four_fixed(county, login_as, mj_case, field, message):
    """Each of the 四定 is required: the form stays, says which, and the case is not assigned."""
    client = login_as("entry_a")
    url = f"/admin/cases/act/assign/?id={mj_case.id}"
    response = client.post(url, data=_assignment(county, mj_case, **{field: ""}))
    assert response.status_code == 200
    assert message in response.text
    db.session.expire_all()
    assert mj_case.status == S.REGISTERED


def test_step_page_refuses_a_deadline_beyond_the_statutory_one(county, login_as, mj_case):
    """定时限 may tighten the 办结时限, not stretch it: that is 延期, with its reason."""
    client = login_as("entry_a")
    late = mj_case.deadline + timedelta(days=1)
    response = client.post(
        f"/admin/cases/act/assign/?id={mj_case.id}",
        data=_assignment(county, mj_case, deadline=late.isoformat()),
    )
    assert response.status_code == 200
    assert f"办结时限不能晚于{mj_case.deadline:%Y-%m-%d}" in response.text
    db.session.expire_all()
    assert mj_case.status == S.REGISTERED


def test_refused_step_changes_nothing_and_says_why(login_as, mj_case):
    """结案归档 of a newly registered case is refused in Chinese."""
    client = login_as("entry_a")
    response = client.post(
        f"/admin/cases/act/archive/?id={mj_case.id}", data={"lock_version": mj_case.version}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "案件当前状态为「受理登记」，不能办理「结案归档」" in page
    db.session.expire_all()
    assert mj_case.status == S.REGISTERED


def test_stale_step_is_refused(county, login_as, mj_case):
    """A step posted from a page older than the case is refused."""
    client = login_as("entry_a")
    seen = mj_case.version
    cases.void(
        db.session,
        new_case(db.session, county.users["admin"], county.mj, today=local_today()),
        county.users["admin"],
        reason="x",
        today=local_today(),
    )
    cases.supervise(
        db.session, mj_case, county.users["admin"], deadline=local_today(), note="尽快", today=local_today()
    )
    response = client.post(
        f"/admin/cases/act/suspend/?id={mj_case.id}", data={"reason": "外出", "lock_version": seen}
    )
    assert response.status_code == 200
    assert "已被他人更新" in response.text
    db.session.expire_all()
    assert mj_case.status == S.REGISTERED


def test_stale_edit_is_refused(county, login_as, mj_case):
    """Two clerks edit the same case: the second save is refused and overwrites nothing."""
    client = login_as("entry_a")
    seen = mj_case.version
    mj_case.summary = "他人先行修改的内容"
    db.session.commit()
    data = registration(county, summary="我的修改", lock_version=seen)
    data.update({"parties-0-id": mj_case.parties[0].id, "parties-1-id": mj_case.parties[1].id})
    response = client.post(f"/admin/cases/edit/?id={mj_case.id}", data=data)
    assert "已被他人修改" in response.text
    db.session.expire_all()
    assert mj_case.summary == "他人先行修改的内容"


def test_edit_cannot_move_the_case_to_another_organisation(county, login_as, mj_case):
    """Only 提级/移交 change the handling organisation; the edit form ignores it."""
    client = login_as("admin")
    data = registration(
        county, organization=county.ll.id, summary="更正后的简要情况", lock_version=mj_case.version
    )
    # A browser posts every field: the second party, now an organisation, has an empty ID number.
    data.update(
        {
            "parties-0-id": mj_case.parties[0].id,
            "parties-1-id": mj_case.parties[1].id,
            "parties-1-id_number": "",
        }
    )
    assert client.post(f"/admin/cases/edit/?id={mj_case.id}", data=data).status_code == 302
    db.session.expire_all()
    assert mj_case.summary == "更正后的简要情况"
    assert mj_case.organization == county.mj


def test_closed_case_cannot_be_edited(county, login_as, mj_case):
    """An archived case is read-only."""
    mj_case.status = S.CLOSED
    db.session.commit()
    client = login_as("entry_a")
    response = client.get(f"/admin/cases/edit/?id={mj_case.id}")
    assert response.status_code == 302
    assert "已结案或已作废的案件不能修改" in client.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/cases/details/?id={id}",
        "/admin/cases/edit/?id={id}",
        "/admin/cases/act/start/?id={id}",
        "/admin/cases/act/void/?id={id}",
        "/admin/cases/agreement/?id={id}",
        "/admin/case_warnings/details/?id={id}",
        "/admin/my_cases/details/?id={id}",
    ],
)
def test_other_township_cannot_reach_the_case_by_id(login_as, mj_case, path):
    """柳林's entry user gets 404 for 马集's case, whatever the page, GET or POST."""
    client = login_as("entry_b")
    assert client.get(path.format(id=mj_case.id)).status_code == 404
    if "/details/" not in path:  # the case page is read-only: GET is the only method it answers
        assert client.post(path.format(id=mj_case.id), data={"reason": "越权"}).status_code == 404
    db.session.expire_all()
    assert mj_case.status == S.REGISTERED


def test_other_township_does_not_list_or_export_the_case(login_as, mj_case):
    """Neither the list, the search nor the export of 柳林 shows 马集's case."""
    client = login_as("entry_b")
    assert mj_case.number not in client.get("/admin/cases/").text
    assert mj_case.number not in client.get("/admin/cases/?search=禤国强").text
    sheet = load_workbook(io.BytesIO(client.get("/admin/cases/export/xlsx/").data)).active
    assert all(mj_case.number not in str(cell.value) for row in sheet.iter_rows() for cell in row)


def test_search_by_party_name_substring_number_and_summary(county, login_as, mj_case):
    """A part of a Chinese name, the number or words of the summary find the case."""
    other = new_case(
        db.session,
        county.users["admin"],
        county.mj,
        today=local_today(),
        parties=("赵大", "钱二"),
        summary="承包地边界争议",
    )
    client = login_as("admin")
    found = client.get("/admin/cases/?search=国强").text
    assert mj_case.number in found and other.number not in found
    assert other.number in client.get("/admin/cases/?search=边界").text
    by_number = client.get("/admin/cases/", query_string={"search": other.number}).text
    assert other.number in by_number and mj_case.number not in by_number


def _filter_index(client, label: str) -> int:
    view = client.application.extensions["admin"][0]._views
    cases_view = next(v for v in view if v.endpoint == "cases")
    return next(i for i, f in enumerate(cases_view._filters) if f.name == label)


def test_filters_by_status_colour_type_and_mediator(county, login_as, mj_case):
    """The ledger's filters narrow the list."""
    admin = county.users["admin"]
    high = new_case(db.session, admin, county.ll, today=local_today(), risk_level="high", type_code="13")
    cases.assign(
        db.session,
        high,
        admin,
        organization=county.ll,
        mediators=[county.mediators["柳林调解员"]],
        today=local_today(),
        **four_fixed(high, "柳林调解员"),
    )
    client = login_as("admin")

    def listed(label, value):
        text = client.get(f"/admin/cases/?flt0_{_filter_index(client, label)}={value}").text
        return {c.number for c in (mj_case, high) if c.number in text}

    assert listed("办理状态", "assigned") == {high.number}
    assert listed("预警颜色", "red") == {high.number}
    assert listed("预警颜色", "blue") == {mj_case.number}
    assert listed("纠纷类型", _type_id("13")) == {high.number}
    assert listed("承办调解员", "柳林") == {high.number}
    assert listed("承办组织（含下级）", county.mj.id) == {mj_case.number}


@pytest.mark.usefixtures("frozen_clock")
def test_ledger_shows_and_filters_the_owner_and_the_deadline(county, login_as, mj_case):
    """定人 and 定时限 are ledger columns; the ledger filters by 责任人, 办结时限 range and 超期."""
    admin = county.users["admin"]
    today = local_today()
    late = new_case(
        db.session, admin, county.ll, today=today, accepted_on=today - timedelta(days=40), type_code="13"
    )
    cases.assign(
        db.session,
        late,
        admin,
        organization=county.ll,
        mediators=[county.mediators["柳林调解员"]],
        today=today,
        **four_fixed(late, "柳林调解员"),
    )
    assert late.deadline < today  # an overdue case keeps its deadline when assigned late
    client = login_as("admin")
    page = client.get("/admin/cases/").text
    assert "责任人" in page and "办结时限" in page
    row = re.search(rf"{re.escape(late.number)}.*?</tr>", page, re.S).group(0)
    assert "柳林调解员" in row and late.deadline.isoformat() in row

    def listed(query):
        text = client.get(f"/admin/cases/?{query}").text
        return {c.number for c in (mj_case, late) if c.number in text}

    owner = _filter_index(client, "责任人（定人）")
    overdue = _filter_index(client, "超期")
    due = _filter_index(client, "办结时限")
    assert listed(f"flt0_{owner}=柳林") == {late.number}
    assert listed(f"flt0_{owner}=前李") == set()
    assert listed(f"flt0_{overdue}=1") == {late.number}
    assert listed(f"flt0_{overdue}=0") == {mj_case.number}
    span = f"{mj_case.deadline:%Y-%m-%d} to {mj_case.deadline:%Y-%m-%d}"
    assert listed(f"flt0_{due}={span}") == {mj_case.number}


@pytest.mark.usefixtures("frozen_clock")
def test_warning_and_my_case_views(county, login_as, auth, mj_case):
    """超期预警 lists red and yellow cases; 我的待办 the user's organisation's open cases."""
    late = new_case(
        db.session,
        county.users["admin"],
        county.mj,
        today=local_today(),
        accepted_on=local_today() - timedelta(days=40),
    )
    client = login_as("entry_a")
    warnings = client.get("/admin/case_warnings/").text
    assert late.number in warnings and mj_case.number not in warnings
    mine = client.get("/admin/my_cases/").text
    assert mj_case.number in mine and late.number in mine
    auth.logout()
    assert login_as("evaluator").get("/admin/my_cases/").status_code == 403


@pytest.mark.usefixtures("frozen_clock")
def test_export_is_masked_and_in_register_order(county, login_as, mj_case):
    """The xlsx export follows the register's columns and masks ID numbers and phones."""
    client = login_as("admin")
    response = client.get("/admin/cases/export/xlsx/")
    # The file is named by the office's date (Beijing), which runs a day ahead of UTC from 16:00 UTC.
    assert f"cases_{clock.today():%Y%m%d}.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:6]) == ["案件编号", "受理日期", "纠纷来源", "纠纷类型", "申请人", "被申请人"]
    row = next(r for r in rows if r[0] == mj_case.number)
    ids = row[rows[0].index("当事人证件号码")]
    assert "********" in ids and mj_case.parties[0].id_number not in ids
    assert mj_case.parties[0].phone not in row[rows[0].index("当事人联系电话")]
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert exported.actor_name == "系统管理员" and exported.entity == "dispute_case"


def test_void_through_the_page_keeps_the_case_listed(login_as, mj_case):
    """作废 asks for a reason and the case stays in the ledger, marked voided."""
    client = login_as("entry_a")
    assert "不可撤销" in client.get(f"/admin/cases/act/void/?id={mj_case.id}").text
    response = client.post(f"/admin/cases/act/void/?id={mj_case.id}", data={"reason": "", "lock_version": 1})
    assert "请填写原因" in response.text
    client.post(
        f"/admin/cases/act/void/?id={mj_case.id}",
        data={"reason": "重复登记", "lock_version": mj_case.version},
    )
    db.session.expire_all()
    assert mj_case.status == S.VOIDED
    assert "已作废" in client.get("/admin/cases/").text
    assert client.post("/admin/cases/delete/", data={"id": mj_case.id}).status_code in (302, 404, 405)
    assert db.session.get(Case, mj_case.id) is not None


def test_case_page_offers_only_allowed_steps(county, login_as, mj_case):
    """Buttons follow the status and role: entry users see no 督办, clerks see none."""
    page = login_as("entry_a").get(f"/admin/cases/details/?id={mj_case.id}").text
    assert "act/assign/" in page and "act/archive/" not in page and "act/supervise/" not in page


def test_clerk_sees_no_step_buttons(county, client, auth, mj_case):
    """Read-only roles get the page without actions, and a direct post is refused."""
    auth.login("clerk")
    page = client.get(f"/admin/cases/details/?id={mj_case.id}").text
    assert 'id="case-steps"' not in page
    assert client.post(f"/admin/cases/act/start/?id={mj_case.id}", data={}).status_code == 403


@pytest.mark.usefixtures("frozen_clock")
def test_zero_report_filed_refused_and_missing_list(county, login_as):
    """零报告: filed for an empty month, refused for a month with cases, and listed as missing otherwise."""
    client = login_as("entry_a")
    month = (local_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    missing = client.get(f"/admin/zero_reports/missing/?month={month:%Y-%m}").text
    assert "前李村人民调解委员会" in missing
    response = client.post(
        "/admin/zero_reports/new/",
        data={"organization": county.mj_village.id, "period_start": month.isoformat()},
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(ZeroReport.id))) == 1
    assert "前李村人民调解委员会" not in client.get(f"/admin/zero_reports/missing/?month={month:%Y-%m}").text
    new_case(
        db.session,
        county.users["admin"],
        county.mj,
        today=local_today(),
        accepted_on=month + timedelta(days=3),
    )
    response = client.post(
        "/admin/zero_reports/new/", data={"organization": county.mj.id, "period_start": month.isoformat()}
    )
    assert "已登记矛盾纠纷，不能报送零报告" in response.text


@pytest.mark.usefixtures("frozen_clock")
def test_timeline_lists_every_step(county, login_as, mj_case):
    """The case page shows each event of the history in order."""
    admin = county.users["admin"]
    cases.supervise(db.session, mj_case, admin, deadline=local_today(), note="限期办结", today=local_today())
    page = login_as("admin").get(f"/admin/cases/details/?id={mj_case.id}").text
    timeline = page[page.index('id="case-timeline"') :]
    assert timeline.index(CaseEventKind.REGISTER.label) < timeline.index("限期办结")
    assert "审计记录" in page


def test_export_cells_never_become_formulas(county, login_as):
    """Text typed by parties that starts like a formula is exported as text (CSV/formula injection)."""
    case = new_case(
        db.session,
        county.users["entry_a"],
        county.mj,
        today=local_today(),
        summary='=HYPERLINK("http://x","点我")',
    )
    sheet = load_workbook(io.BytesIO(login_as("admin").get("/admin/cases/export/xlsx/").data)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == case.number)
    cell = row[header.index("纠纷简要情况")]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://x","点我")'
