"""优秀案例库 end to end: propose → anonymise → check → 入库, read across the county and not beyond,
search, PDF without names, scope by id, stale forms and CSRF."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    AuditAction,
    AuditEvent,
    ExcellentCase,
    LibraryStatus,
    Organization,
    OrgKind,
    OrgLevel,
    User,
)
from portal.services.deadlines import local_today
from tests.assessment_ledger import settled
from tests.auth.conftest import csrf_token_of, fresh_client, sign_in_with_token
from tests.conftest import PASSWORD
from tests.factories import County

S = LibraryStatus
MOBILE = "13912345678"


def write_up(case, **overrides) -> dict:
    """The proposal form of `case`, naming its parties, an ID, a phone and a house number."""
    applicant, respondent = case.parties[0], case.parties[1]
    data = {
        "title": f"{applicant.name}与{respondent.name}宅基地纠纷案",
        "summary": (
            f"申请人{applicant.name}（身份证号{applicant.id_number}，电话{MOBILE}）住马集镇幸福路18号，"
            f"与邻居{respondent.name}因宅前排水沟发生争执，案号{case.number}。"
        ),
        "mediation_process": (
            f"调解员先后三次走访{applicant.name}和{respondent.name}，分别做工作后组织面对面调解。"
        ),
        "technique": "背靠背了解诉求，情理法结合。",
        "significance": "邻里纠纷抓早抓小，防止矛盾激化。",
        "methods": ["back_to_back", "prevent_first"],
        "lock_version": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def done_case(county):
    """A case of 马集 settled and followed up (已回访) forty days ago."""
    return settled_case(county)


def settled_case(county: County):
    entry = county.users["entry_a"]
    return settled(
        db.session,
        entry,
        county.mj,
        [county.mediators["马集调解员"]],
        local_today() - timedelta(days=40),
        parties=("王建国", "李秀英"),
    )


def client_of(app, username):
    client = fresh_client(app)
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return client


def other_county_user() -> User:
    """A clerk of another county (a second tree)."""
    root = Organization(
        name="临河县司法局", code="LHX", level=OrgLevel.COUNTY, kind=OrgKind.COORDINATION_CENTRE
    )
    db.session.add(root)
    db.session.flush()
    user = User(username="linhe", full_name="临河文书", organization=root)
    user.roles = ["clerk"]
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def anonymised_form(entry: ExcellentCase) -> dict[str, str]:
    """The 脱敏核对 form as the page fills it (the form names 调解过程 `mediation_process`)."""
    texts = entry.texts(anonymised=True)
    texts["mediation_process"] = texts.pop("process")
    return texts


def fresh(entry_id: int) -> ExcellentCase:
    """Return the entry as the database has it now (the pages commit in their own requests)."""
    db.session.expire_all()
    return db.session.get(ExcellentCase, entry_id)


def version(entry_id: int) -> str:
    db.session.expire_all()
    return str(db.session.get(ExcellentCase, entry_id).version)


def published_entry(app, done_case) -> ExcellentCase:
    """Run the whole flow through the pages; return the published entry."""
    author = client_of(app, "entry_a")
    response = author.post(
        f"/admin/excellent_cases/propose/?case_id={done_case.id}", data=write_up(done_case)
    )
    assert response.status_code == 302, response.text
    entry = db.session.scalar(select(ExcellentCase).where(ExcellentCase.case_id == done_case.id))
    eid = entry.id
    assert (
        author.post(
            f"/admin/excellent_cases/act/submit/?id={eid}", data={"lock_version": version(eid), "note": ""}
        ).status_code
        == 302
    )
    reviewer = client_of(app, "evaluator")
    page = reviewer.get(f"/admin/excellent_cases/anonymised/?id={eid}").text
    assert "王建国" in page and "王某" in page  # side by side: the original and the anonymised text
    entry = fresh(eid)
    form = anonymised_form(entry)
    form["mediation_process"] += "\n经调解双方握手言和。"
    response = reviewer.post(
        f"/admin/excellent_cases/anonymised/?id={eid}",
        data={**form, "action": "confirm", "lock_version": version(eid)},
    )
    assert response.status_code == 302
    response = reviewer.post(
        f"/admin/excellent_cases/act/publish/?id={eid}",
        data={"lock_version": version(eid), "note": "同意入库"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    return fresh(eid)


def test_a_case_goes_from_proposal_to_the_library_anonymised_and_checked(app, county, done_case):
    entry = published_entry(app, done_case)
    assert entry.status == S.PUBLISHED and entry.anon_checked_by_name == "考评员甲"
    assert entry.anon_checked_at is not None and entry.published_at is not None
    text = "".join(entry.texts(anonymised=True).values())
    for secret in ("王建国", "李秀英", MOBILE, done_case.parties[0].id_number, done_case.number, "18号"):
        assert secret not in text
    assert "王某与李某宅基地纠纷案" == entry.anon_title and "握手言和" in entry.anon_process
    assert [e.kind.value for e in entry.events] == ["propose", "submit", "check", "publish"]
    assert [r.reason for r in entry.revisions] == ["推荐", "修改脱敏文本"]
    steps = db.session.scalars(
        select(AuditEvent.step).where(
            AuditEvent.entity == "excellent_case", AuditEvent.entity_id == str(entry.id)
        )
    ).all()
    assert {"推荐", "提交审核", "脱敏核对", "入库"} <= set(steps)


def test_the_library_is_read_across_the_county_but_the_case_stays_scoped(app, county, done_case):
    entry = published_entry(app, done_case)
    reader = client_of(app, "entry_b")  # 柳林: another township of the same county
    listing = reader.get("/admin/case_library/").text
    assert entry.anon_title in listing
    page = reader.get(f"/admin/case_library/details/?id={entry.id}")
    assert page.status_code == 200
    assert "握手言和" in page.text and "王建国" not in page.text and done_case.number not in page.text
    assert f"/admin/cases/details/?id={done_case.id}" not in page.text
    assert reader.get(f"/admin/cases/details/?id={done_case.id}").status_code == 404
    assert reader.get(f"/admin/excellent_cases/details/?id={entry.id}").status_code == 404
    # 马集 sees the link to its own case.
    own = client_of(app, "entry_a").get(f"/admin/case_library/details/?id={entry.id}").text
    assert f"/admin/cases/details/?id={done_case.id}" in own
    # Another county sees nothing of it.
    other_county_user()
    outsider = client_of(app, "linhe")
    assert entry.anon_title not in outsider.get("/admin/case_library/").text
    assert outsider.get(f"/admin/case_library/details/?id={entry.id}").status_code == 404
    assert outsider.post(f"/admin/case_library/print/?id={entry.id}").status_code == 404


def test_search_filters_and_the_pdf(app, county, done_case):
    entry = published_entry(app, done_case)
    reader = client_of(app, "clerk")
    assert entry.anon_title in reader.get("/admin/case_library/?search=握手言和").text
    assert entry.anon_title not in reader.get("/admin/case_library/?search=交通事故赔偿").text
    assert entry.anon_title in reader.get(f"/admin/case_library/?flt0_0={entry.dispute_type_id}").text
    filtered = reader.get("/admin/case_library/?flt1_1=back_to_back").text
    assert entry.anon_title in filtered
    assert entry.anon_title not in reader.get("/admin/case_library/?flt1_1=expert").text
    assert reader.get("/admin/case_library/?flt1_1=garbage").status_code == 200
    response = reader.post(f"/admin/case_library/print/?id={entry.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "握手言和" in text.replace("\n", "")
    for secret in ("王建国", "李秀英", done_case.parties[0].id_number, MOBILE, "人调字"):
        assert secret not in text
    printed = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.entity == "excellent_case", AuditEvent.action == AuditAction.EXPORT
        )
    )
    assert printed is not None and printed.actor_name == "文书甲"


def test_publication_needs_the_reviewers_check_and_a_clean_text(app, county, done_case):
    author = client_of(app, "entry_a")
    author.post(f"/admin/excellent_cases/propose/?case_id={done_case.id}", data=write_up(done_case))
    eid = db.session.scalar(select(ExcellentCase.id).where(ExcellentCase.case_id == done_case.id))
    # The author puts a name back into the anonymised text: submitting is refused.
    entry = fresh(eid)
    form = anonymised_form(entry)
    author.post(
        f"/admin/excellent_cases/anonymised/?id={eid}",
        data={**form, "summary": "王建国与邻居发生争执", "action": "save", "lock_version": version(eid)},
    )
    response = author.post(
        f"/admin/excellent_cases/act/submit/?id={eid}",
        data={"lock_version": version(eid)},
        follow_redirects=True,
    )
    assert "仍有可识别当事人的信息" in response.text and "王建国" in response.text
    assert fresh(eid).status == S.DRAFT
    # The author may not confirm the check, nor publish.
    author.post(
        f"/admin/excellent_cases/anonymised/?id={eid}",
        data={**form, "action": "reapply", "lock_version": version(eid)},
    )
    author.post(f"/admin/excellent_cases/act/submit/?id={eid}", data={"lock_version": version(eid)})
    assert fresh(eid).status == S.SUBMITTED
    author.post(f"/admin/excellent_cases/act/publish/?id={eid}", data={"lock_version": version(eid)})
    assert fresh(eid).status == S.SUBMITTED
    # The reviewer cannot publish before checking.
    reviewer = client_of(app, "evaluator")
    response = reviewer.post(
        f"/admin/excellent_cases/act/publish/?id={eid}",
        data={"lock_version": version(eid)},
        follow_redirects=True,
    )
    assert "请先核对脱敏文本" in response.text
    assert fresh(eid).status == S.SUBMITTED
    # A township administrator is no reviewer.
    response = client_of(app, "admin_a").post(
        f"/admin/excellent_cases/act/return/?id={eid}", data={"lock_version": version(eid), "note": "x"}
    )
    assert fresh(eid).status == S.SUBMITTED
    # Return with a reason, then the author edits (a new revision, the check cleared).
    assert (
        reviewer.post(
            f"/admin/excellent_cases/act/return/?id={eid}", data={"lock_version": version(eid), "note": ""}
        ).status_code
        == 200
    )  # the reason is required
    reviewer.post(
        f"/admin/excellent_cases/act/return/?id={eid}",
        data={"lock_version": version(eid), "note": "典型意义写得太简单"},
    )
    entry = fresh(eid)
    assert entry.status == S.RETURNED and entry.review_note == "典型意义写得太简单"
    data = write_up(done_case, significance="典型意义：邻里纠纷抓早抓小。", lock_version=version(eid))
    assert author.post(f"/admin/excellent_cases/write/?id={eid}", data=data).status_code == 302
    entry = fresh(eid)
    assert entry.anon_significance == "典型意义：邻里纠纷抓早抓小。" and entry.revision == 4


def test_withdrawal_takes_the_entry_out_of_the_library_with_a_reason(app, county, done_case):
    entry = published_entry(app, done_case)
    reviewer = client_of(app, "evaluator")
    url = f"/admin/excellent_cases/act/withdraw/?id={entry.id}"
    assert reviewer.post(url, data={"lock_version": version(entry.id), "note": ""}).status_code == 200
    reviewer.post(url, data={"lock_version": version(entry.id), "note": "当事人提出异议"})
    db.session.expire_all()
    entry = fresh(entry.id)
    assert entry.status == S.WITHDRAWN and entry.withdraw_reason == "当事人提出异议"
    assert client_of(app, "entry_b").get(f"/admin/case_library/details/?id={entry.id}").status_code == 404
    # The case may be proposed again.
    page = client_of(app, "entry_a").get(f"/admin/cases/details/?id={done_case.id}").text
    assert "推荐为优秀案例" in page and "已撤出" in page


def test_a_stale_form_changes_nothing(app, county, done_case):
    author = client_of(app, "entry_a")
    author.post(f"/admin/excellent_cases/propose/?case_id={done_case.id}", data=write_up(done_case))
    eid = db.session.scalar(select(ExcellentCase.id).where(ExcellentCase.case_id == done_case.id))
    stale = version(eid)
    author.post(
        f"/admin/excellent_cases/write/?id={eid}",
        data=write_up(done_case, title="新标题张三", lock_version=stale),
    )
    response = author.post(
        f"/admin/excellent_cases/write/?id={eid}",
        data=write_up(done_case, title="旧页面的标题", lock_version=stale),
    )
    assert response.status_code == 200 and "已被他人更新" in response.text
    db.session.expire_all()
    assert fresh(eid).title == "新标题张三"
    response = author.post(f"/admin/excellent_cases/act/submit/?id={eid}", data={"lock_version": stale})
    assert "已被他人更新" in response.text
    assert fresh(eid).status == S.DRAFT


def test_scope_by_id_and_open_cases(app, county, done_case):
    author = client_of(app, "entry_a")
    author.post(f"/admin/excellent_cases/propose/?case_id={done_case.id}", data=write_up(done_case))
    eid = db.session.scalar(select(ExcellentCase.id).where(ExcellentCase.case_id == done_case.id))
    other = client_of(app, "entry_b")
    for url in (
        f"/admin/excellent_cases/details/?id={eid}",
        f"/admin/excellent_cases/write/?id={eid}",
        f"/admin/excellent_cases/anonymised/?id={eid}",
        f"/admin/excellent_cases/act/submit/?id={eid}",
        f"/admin/excellent_cases/propose/?case_id={done_case.id}",
        f"/admin/case_library/details/?id={eid}",  # not published yet
        "/admin/excellent_cases/details/?id=99999999999999999999",
        "/admin/excellent_cases/act/nothing/?id=1",
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/admin/excellent_cases/act/withdraw/?id={eid}", data={"note": "x"}).status_code == 404
    assert fresh(eid).status == S.DRAFT
    # A case still in mediation cannot be proposed.
    from tests.factories import new_case

    open_case = new_case(db.session, county.users["entry_a"], county.mj, today=local_today())
    response = author.get(f"/admin/excellent_cases/propose/?case_id={open_case.id}", follow_redirects=True)
    assert "方可推荐为优秀案例" in response.text or "调解成功" in response.text
    # A clerk neither proposes nor reviews.
    assert client_of(app, "clerk").get(f"/admin/excellent_cases/details/?id={eid}").status_code == 403


def test_forms_refuse_a_missing_csrf_token(csrf_app):
    done_case = settled_case(County.load(db.session))
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "entry_a")
    url = f"/admin/excellent_cases/propose/?case_id={done_case.id}"
    response = client.post(url, data=write_up(done_case))
    assert response.status_code in (200, 400)
    assert db.session.scalar(select(ExcellentCase).where(ExcellentCase.case_id == done_case.id)) is None
    token = csrf_token_of(client.get(url).text)
    assert client.post(url, data={**write_up(done_case), "csrf_token": token}).status_code == 302
    assert db.session.scalar(select(ExcellentCase).where(ExcellentCase.case_id == done_case.id)) is not None
