"""批量打印 pages end to end: choose, confirm the count, start, follow the progress JSON, download the PDF;
retry and cancel through the job page; the list's filters and sorting; scope, CSRF and garbage ids."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, IssuedDocument
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobPart, PrintJobStatus
from portal.pdf import certificates, job_run
from tests import factories
from tests.auth.conftest import csrf_token_of, fresh_client, sign_in_with_token
from tests.pdf.test_print_jobs import NAMES, Collect

#: The form the confirmation page posts for the 2025 certificates (four of them).
BATCH = {"kind": "certificates", "year": "2025", "count": "4"}


@pytest.fixture
def honours(county):
    """The four mediators of the county, each an approved 2025 调解能手 (two under 马集, two under 柳林)."""
    recs = [factories.honour(db.session, county.mediators[name], seq) for seq, name in enumerate(NAMES, 1)]
    db.session.commit()
    return recs


@pytest.fixture
def sync(app, monkeypatch):
    """Jobs run at once, synchronously, in chunks of one and parts of two documents."""
    app.config["PRINT_JOBS_SYNC"] = True
    app.extensions.pop("print_jobs", None)
    monkeypatch.setattr(job_run, "CHUNK", 1)
    monkeypatch.setattr(job_run, "PART", 2)
    return app


def _audited(prefix: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.summary.startswith(prefix)))


def test_a_clerk_chooses_confirms_starts_follows_and_downloads_a_batch(sync, login_as, county, honours):
    """新建批量打印 → count and list → 开始打印 → progress JSON at 100% → a PDF of one page per item."""
    client = login_as("clerk")
    listing = client.get("/admin/print_jobs/")
    assert "新建批量打印" in listing.text
    chooser = client.get("/admin/print_jobs/choose/")
    assert chooser.status_code == 200
    for label in ("调解能手荣誉证书", "考评结果通知书", "人民调解协议书", "下一步：查看份数"):
        assert label in chooser.text
    confirm = client.get("/admin/print_jobs/confirm/?kind=certificates&year=2025")
    assert confirm.status_code == 200
    assert 'id="print-job-total">4<' in confirm.text and all(name in confirm.text for name in NAMES)
    assert 'name="count" value="4"' in confirm.text and "开始打印" in confirm.text

    response = client.post(
        "/admin/print_jobs/start/", data={"kind": "certificates", "year": "2025", "count": "4"}
    )
    assert response.status_code == 302 and "/admin/print_jobs/details/" in response.headers["Location"]
    job = db.session.scalar(select(PrintJob))
    progress = client.get(f"/admin/print_jobs/progress/?id={job.id}").get_json()
    assert (progress["status"], progress["percent"], progress["done"], progress["total"]) == (
        "done",
        100,
        4,
        4,
    )
    assert progress["errors"] == [] and progress["retryable"] is False and progress["cancellable"] is False
    detail = client.get(f"/admin/print_jobs/details/?id={job.id}")
    assert "下载 PDF" in detail.text and "print_job.js" not in detail.text  # a finished job is not polled
    download = client.get(progress["download"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(download.data)).pages) == 4 == job.total
    assert _audited("开始批量打印") == 1 and _audited("下载批量打印文件") == 1
    assert db.session.scalar(select(func.count(IssuedDocument.id))) == 4


def test_documents_left_out_on_the_confirmation_are_not_printed(sync, login_as, county, honours):
    client = login_as("clerk")
    data = {"kind": "certificates", "year": "2025", "count": "4", "exclude": [str(honours[1].id), "垃圾"]}
    assert client.post("/admin/print_jobs/start/", data=data).status_code == 302
    job = db.session.scalar(select(PrintJob))
    assert job.total == 3 and job.pages == 3 and honours[1].id not in job.parameters["ids"]
    assert "排除1份" in db.session.scalar(
        select(AuditEvent.summary).where(AuditEvent.summary.startswith("开始批量打印"))
    )


def test_a_changed_count_sends_the_clerk_back_to_confirm(sync, login_as, county, honours):
    client = login_as("clerk")
    response = client.post(
        "/admin/print_jobs/start/", data={"kind": "certificates", "year": "2025", "count": "3"}
    )
    assert response.status_code == 302 and "/admin/print_jobs/confirm/" in response.headers["Location"]
    assert "打印范围已变化" in client.get(response.headers["Location"]).text
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


def test_retry_through_the_page_finishes_a_job_that_failed_mid_batch(
    sync, login_as, county, honours, monkeypatch
):
    """The page of a job that failed after two certificates offers 重试 from the third; it completes the
    job with four pages and four serials, none twice."""
    batch = certificates.certificate_batch

    def crash(items, originals=None):
        if items[0][0].mediator.name == NAMES[2]:
            raise RuntimeError("killed")
        return batch(items, originals)

    monkeypatch.setattr(certificates, "certificate_batch", crash)
    client = login_as("clerk")
    client.post("/admin/print_jobs/start/", data=BATCH)
    job = db.session.scalar(select(PrintJob))
    page = client.get(f"/admin/print_jobs/details/?id={job.id}").text
    assert "失败" in page and "重试（从第 3 份继续）" in page and "系统内部错误（RuntimeError）" in page
    progress = client.get(f"/admin/print_jobs/progress/?id={job.id}").get_json()
    assert progress["status"] == "failed" and progress["retryable"] and progress["done"] == 2

    monkeypatch.setattr(certificates, "certificate_batch", batch)
    response = client.post(f"/admin/print_jobs/retry/?id={job.id}")
    assert response.status_code == 302
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and len(PdfReader(io.BytesIO(job.pdf)).pages) == 4
    serials = db.session.scalars(select(IssuedDocument.serial)).all()
    assert len(serials) == len(set(serials)) == 4
    assert _audited("重试批量打印") == 1
    # A finished job cannot be retried again: the page says so and nothing is issued twice.
    again = client.post(f"/admin/print_jobs/retry/?id={job.id}", follow_redirects=True)
    assert "只有失败或已取消的批量打印可以重试" in again.text
    assert db.session.scalar(select(func.count(IssuedDocument.id))) == 4


def test_cancel_through_the_page_asks_first_and_is_audited(app, login_as, county, honours):
    app.extensions["print_jobs"] = Collect()  # the job waits in the queue
    client = login_as("clerk")
    client.post("/admin/print_jobs/start/", data={"kind": "certificates", "year": "2025"})
    job = db.session.scalar(select(PrintJob))
    page = client.get(f"/admin/print_jobs/details/?id={job.id}").text
    assert 'id="print-job-cancel"' in page and "data-confirm=" in page and "print_job.js" in page
    assert '<noscript><meta http-equiv="refresh"' in page and "刷新" in page
    assert client.post(f"/admin/print_jobs/cancel/?id={job.id}").status_code == 302
    db.session.refresh(job)
    assert job.status == PrintJobStatus.CANCELLED and _audited("取消批量打印") == 1
    page = client.get(f"/admin/print_jobs/details/?id={job.id}").text
    assert "已取消" in page and "重试（从第 1 份继续）" in page and 'id="print-job-cancel"' not in page


def test_choices_that_cannot_be_used_are_explained(login_as, county):
    client = login_as("clerk")
    response = client.get("/admin/print_jobs/confirm/?kind=certificates&year=abc")
    assert response.status_code == 302 and "/admin/print_jobs/choose/" in response.headers["Location"]
    assert "请填写要打印证书的年度" in client.get(response.headers["Location"]).text
    assert client.get(
        "/admin/print_jobs/confirm/?kind=certificates&year=2019", follow_redirects=True
    ).text.count("没有已批准的调解能手")
    for kind in ("", "nonsense", "<script>", "certificates%00"):
        assert client.get(f"/admin/print_jobs/confirm/?kind={kind}").status_code == 404
    assert client.post("/admin/print_jobs/start/", data={"kind": "x"}).status_code == 404
    garbage = "/admin/print_jobs/choose/?kind=zz&org=abc&round_id=99999999999999999&year=-5"
    assert client.get(garbage).status_code == 200


def _jobs(county) -> tuple[PrintJob, PrintJob]:
    done = PrintJob(
        kind=PrintJobKind.CERTIFICATES,
        title="2025年度调解能手荣誉证书（4份）",
        parameters={"year": 2025, "ids": []},
        organization=county.root,
        requested_by_name="文书甲",
        status=PrintJobStatus.DONE,
        total=4,
        done=4,
        pdf=b"%PDF-1.4\n%%EOF\n",
    )
    failed = PrintJob(
        kind=PrintJobKind.AGREEMENTS,
        title="马集镇人民调解委员会调解协议书（2份）",
        parameters={"org": county.mj.id, "ids": []},
        organization=county.mj,
        requested_by_name="马集管理员",
        status=PrintJobStatus.FAILED,
        total=2,
        error="生成中断",
    )
    db.session.add_all([done, failed])
    db.session.commit()
    return done, failed


def test_the_list_filters_by_state_and_kind_and_sorts(login_as, county):
    done, failed = _jobs(county)
    client = login_as("clerk")
    page = client.get("/admin/print_jobs/").text
    assert done.title in page and failed.title in page
    only_failed = client.get("/admin/print_jobs/?flt0_0=failed").text
    assert failed.title in only_failed and done.title not in only_failed
    only_agreements = client.get("/admin/print_jobs/?flt0_1=agreements").text
    assert failed.title in only_agreements and done.title not in only_agreements
    by_title = client.get("/admin/print_jobs/?sort=1").text
    assert by_title.index(done.title) < by_title.index(failed.title)
    assert client.get("/admin/print_jobs/?flt0_0=nonsense").status_code == 200
    assert client.get("/admin/print_jobs/?page=999999999999").status_code == 200


def test_another_subtrees_job_is_a_404_everywhere(login_as, county):
    """The 马集 admin cannot see, poll, download, cancel or retry the county's job; garbage ids are 404."""
    done, failed = _jobs(county)
    client = login_as("admin_a")
    for route in ("details", "progress", "download"):
        assert client.get(f"/admin/print_jobs/{route}/?id={done.id}").status_code == 404
        for garbage in ("abc", "99999999999999999999", "", "-1", "1e3", "%00"):
            assert client.get(f"/admin/print_jobs/{route}/?id={garbage}").status_code == 404
    for route in ("retry", "cancel"):
        assert client.post(f"/admin/print_jobs/{route}/?id={done.id}").status_code == 404
        assert client.post(f"/admin/print_jobs/{route}/?id=abc").status_code == 404
    assert done.title not in client.get("/admin/print_jobs/").text
    # Its own township's failed job: visible and retryable (nothing left to print: it fails again).
    assert client.get(f"/admin/print_jobs/details/?id={failed.id}").status_code == 200
    assert db.session.scalar(select(func.count(PrintJobPart.id))) == 0


def test_start_retry_and_cancel_need_the_csrf_token(csrf_app):
    """Each is a POST with the session's token: without it the Chinese 400, and nothing changes."""
    county = factories.County.load(db.session)
    for seq, name in enumerate(NAMES, 1):
        factories.honour(db.session, county.mediators[name], seq)
    db.session.commit()
    csrf_app.extensions["print_jobs"] = Collect()
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "clerk")
    data = BATCH
    assert client.post("/admin/print_jobs/start/", data=data).status_code == 400
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0
    token = csrf_token_of(client.get("/admin/print_jobs/confirm/?kind=certificates&year=2025").text)
    assert client.post("/admin/print_jobs/start/", data={**data, "csrf_token": token}).status_code == 302
    job = db.session.scalar(select(PrintJob))
    assert client.post(f"/admin/print_jobs/cancel/?id={job.id}").status_code == 400
    db.session.refresh(job)
    assert job.status == PrintJobStatus.QUEUED
    assert (
        client.post(f"/admin/print_jobs/cancel/?id={job.id}", data={"csrf_token": token}).status_code == 302
    )
    assert client.post(f"/admin/print_jobs/retry/?id={job.id}").status_code == 400
    db.session.refresh(job)
    assert job.status == PrintJobStatus.CANCELLED


def test_entry_users_cannot_reach_batch_printing(login_as, county, honours):
    client = login_as("entry_a")
    assert client.get("/admin/print_jobs/choose/").status_code == 403
    assert (
        client.post("/admin/print_jobs/start/", data={"kind": "certificates", "year": "2025"}).status_code
        == 403
    )
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


def test_the_quick_buttons_lead_to_the_confirmation(login_as, county, honours):
    """打印本年度全部证书 on the recognition list asks for the confirmation (count and list) first."""
    client = login_as("clerk")
    page = client.get("/admin/recognitions/").text
    assert 'id="recognition-batch-print"' in page and 'action="/admin/print_jobs/confirm/"' in page
    confirm = client.get("/admin/print_jobs/confirm/?kind=certificates&year=2025")
    assert 'id="print-job-total">4<' in confirm.text
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0  # nothing starts before 开始打印


@pytest.mark.parametrize(("user", "allowed"), [("evaluator", False), ("clerk", True), ("admin", True)])
def test_a_batch_of_agreements_is_downloaded_only_by_those_who_may_print_it(login_as, county, user, allowed):
    """协议书 carry the parties' full 身份证号: the county's evaluator, who may print certificates but not
    协议书, sees the job without its download link and is refused the file (403, nothing audited); the
    county's clerk and administrator download it."""
    done, _failed = _jobs(county)
    done.kind, done.title = PrintJobKind.AGREEMENTS, "马集镇人民调解委员会调解协议书（4份）"
    db.session.commit()
    client = login_as(user)
    link = f"download/?id={done.id}"
    assert (link in client.get(f"/admin/print_jobs/details/?id={done.id}").text) is allowed
    assert (link in client.get("/admin/print_jobs/").text) is allowed
    assert client.get(f"/admin/print_jobs/{link}").status_code == (200 if allowed else 403)
    assert _audited("下载批量打印文件") == (1 if allowed else 0)
