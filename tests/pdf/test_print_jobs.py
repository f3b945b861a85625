"""批量打印: one PDF of N documents, N records, progress, scope, failures, the RQ path and the pages."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, DocumentKind, IssuedDocument
from portal.models.assessment import CriterionKind, PeriodKind
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus
from portal.pdf import assessment_documents, certificates, job_run
from portal.pdf import jobs as print_jobs
from portal.services import DomainError, scoring, standard_templates
from portal.services.scoring import ScoreEntry
from tests import factories
from tests.auth.conftest import fresh_client, sign_in_with_token
from tests.pdf.official_samples import flat

NAMES = ("马集调解员", "前李调解员", "柳林调解员", "后王调解员")


class Collect:
    """A runner that only notes the job ids, so a test decides when (and whether) a job runs."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


@pytest.fixture
def sync(app, monkeypatch):
    """Jobs run at once, two documents per chunk (so joining chunks is exercised)."""
    app.config["PRINT_JOBS_SYNC"] = True
    app.extensions.pop("print_jobs", None)
    monkeypatch.setattr(job_run, "CHUNK", 2)
    return app


@pytest.fixture
def collect(app):
    runner = Collect()
    app.extensions["print_jobs"] = runner
    return runner


@pytest.fixture
def honours(county):
    """The four mediators of the county, each an approved 2025 调解能手 (two under 马集, two under 柳林)."""
    recs = [factories.honour(db.session, county.mediators[name], seq) for seq, name in enumerate(NAMES, 1)]
    db.session.commit()
    return recs


def issued(kind: DocumentKind) -> list[IssuedDocument]:
    return list(db.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == kind)))


def test_certificate_job_prints_one_pdf_with_a_page_and_a_serial_per_certificate(
    sync, county, honours, monkeypatch
):
    """Four certificates: one 4-page PDF, four IssuedDocuments with distinct serials, progress to 4/4."""
    seen = []
    batch = certificates.certificate_batch

    def spy(items, originals=None):
        seen.append((len(items), db.session.get(PrintJob, job_ids[-1]).done if job_ids else None))
        return batch(items, originals)

    job_ids: list[int] = []
    original_run = print_jobs.run
    monkeypatch.setattr(certificates, "certificate_batch", spy)
    monkeypatch.setattr(print_jobs, "run", lambda job_id: (job_ids.append(job_id), original_run(job_id))[1])

    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)

    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and job.error is None
    assert (job.done, job.total, job.percent, job.pages) == (4, 4, 100, 4)
    assert seen == [(2, 0), (2, 2)]  # two chunks; the job's progress was committed between them
    reader = PdfReader(io.BytesIO(job.pdf))
    assert len(reader.pages) == 4
    records = issued(DocumentKind.CERTIFICATE)
    assert len(records) == 4 and len({r.serial for r in records}) == 4
    assert {r.subject_id for r in records} == {r.id for r in honours}
    assert all(r.sha256 == job.sha256 and r.issued_by_name == "文书甲" for r in records)
    text = flat(job.pdf)
    for record in records:
        assert record.serial in text
    for name in NAMES:
        assert name in text


def test_a_second_batch_is_recorded_as_reprint(sync, county, honours):
    """Printing the year again records each certificate as a 补打 of the first issue, and prints it so."""
    first = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    again = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    records = issued(DocumentKind.CERTIFICATE)
    assert len(records) == 8 and sum(r.is_reprint for r in records) == 4
    assert "补打" not in flat(first.pdf) and flat(again.pdf).count("补打") == 4


def test_a_township_prints_only_its_own_subtree(sync, county, honours):
    """The 马集 admin's batch holds the two 马集 honours and is scoped to 马集."""
    job = print_jobs.submit(db.session, county.users["admin_a"], PrintJobKind.CERTIFICATES, year=2025)
    assert job.total == 2 and job.organization_id == county.mj.id
    assert "马集调解员" in flat(job.pdf) and "柳林调解员" not in flat(job.pdf)


@pytest.mark.parametrize(
    ("user", "params", "message"),
    [
        ("entry_a", {"year": 2025}, "只有文书、考评员和管理员"),
        ("clerk", {"year": 2019}, "没有已批准的调解能手"),
        ("clerk", {"year": "abc"}, "请填写要打印证书的年度"),
    ],
)
def test_refusals_are_in_chinese(sync, county, honours, user, params, message):
    """Wrong role, an empty year and a malformed year are refused with a Chinese message."""
    with pytest.raises(DomainError, match=message):
        print_jobs.submit(db.session, county.users[user], "certificates", **params)
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


@pytest.fixture
def final_round(county):
    """A finalised 2025 round of three mediators, opened by the county's evaluator."""
    template = next(t for t in standard_templates.install(db.session) if t.target_kind.value == "mediator")
    evaluator = county.users["evaluator"]
    rnd = scoring.open_round(
        db.session,
        evaluator,
        template=template,
        period_kind=PeriodKind.YEAR,
        year=2025,
        targets=[county.mediators[n] for n in NAMES[:3]],
        today=date(2026, 1, 20),
    )
    manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
    entries = {(a.id, c.id): ScoreEntry(Decimal(4)) for a in rnd.assessments for c in manual}
    scoring.save_scores(db.session, rnd, evaluator, entries)
    scoring.finalise(db.session, rnd, evaluator)
    return rnd


def test_evaluation_job_issues_one_report_per_target(sync, county, final_round):
    """A finalised round: one PDF with every target's 考评结果通知书, one record each."""
    job = print_jobs.submit(db.session, county.users["clerk"], "evaluations", round_id=final_round.id)
    assert job.status == PrintJobStatus.DONE and job.total == 3
    assert job.pages >= 3
    records = issued(DocumentKind.EVALUATION)
    assert len(records) == 3 and {r.subject_id for r in records} == {a.id for a in final_round.assessments}
    text = flat(job.pdf)
    assert "考评结果通知书" in text and all(n in text for n in NAMES[:3])


def test_another_subtrees_round_is_refused(sync, county, final_round):
    """The 马集 admin may not print the county's round."""
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        print_jobs.submit(db.session, county.users["admin_a"], "evaluations", round_id=final_round.id)
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        print_jobs.submit(db.session, county.users["clerk"], "evaluations", round_id=10**6)


def test_a_plan_that_cannot_go_on_fails_the_job_in_chinese_and_issues_nothing(
    collect, county, final_round, monkeypatch
):
    """The round was reopened after the batch was confirmed: the job fails, says why; no serial is issued."""
    job = print_jobs.submit(db.session, county.users["clerk"], "evaluations", round_id=final_round.id)
    assert collect.ids == [job.id] and job.status == PrintJobStatus.QUEUED
    monkeypatch.setattr(assessment_documents, "is_draft", lambda rnd: True)
    print_jobs.run(job.id)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED
    assert job.error == "考评批次已重新打开，通知书未打印；定稿后请重新提交批量打印"
    assert issued(DocumentKind.EVALUATION) == [] and job.pdf is None
    # Running it again does nothing: only a queued job is claimed.
    assert print_jobs.run(job.id).status == PrintJobStatus.FAILED


def test_an_unexpected_error_is_recorded_in_chinese(collect, county, honours, monkeypatch):
    """A crash in rendering fails the job with a Chinese message naming the error type."""
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)

    def boom(items, originals=None):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(certificates, "certificate_batch", boom)
    print_jobs.run(job.id)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED
    assert job.error == "生成失败：系统内部错误（RuntimeError），可点击“重试”从中断处继续；仍失败请联系管理员"
    assert issued(DocumentKind.CERTIFICATE) == []


def _redis():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return connection


def test_with_redis_jobs_run_on_an_rq_worker(app, county, honours):
    """With REDIS_URL the job waits on the RQ queue until a worker (here a burst SimpleWorker) runs it."""
    from rq import Queue, SimpleWorker

    connection = _redis()
    name = f"portal-print-test-{uuid.uuid4().hex[:8]}"  # parallel test workers must not share a queue
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", PRINT_JOBS_QUEUE=name)
    app.extensions.pop("print_jobs", None)
    queue = Queue(name, connection=connection)
    try:
        with app.test_request_context():
            job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
        assert isinstance(print_jobs.runner_for(app), print_jobs.RQRunner)
        assert job.status == PrintJobStatus.QUEUED and queue.count == 1
        assert SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()
        job = db.session.get(PrintJob, job.id)
        assert job.status == PrintJobStatus.DONE and job.pages == 4
        assert len(issued(DocumentKind.CERTIFICATE)) == 4
    finally:
        queue.delete(delete_jobs=True)


# --- the pages -------------------------------------------------------------------------------------


def test_start_button_job_page_progress_and_download(sync, login_as, county, honours):
    """The clerk starts a batch from the recognition list, follows it, and downloads it (audited)."""
    client = login_as("clerk")
    page = client.get("/admin/recognitions/")
    assert "打印本年度全部证书" in page.text
    response = client.post("/admin/print_jobs/start/certificates/", data={"year": "2025"})
    assert response.status_code == 302 and "/admin/print_jobs/details/" in response.headers["Location"]
    job = db.session.scalar(select(PrintJob))
    detail = client.get(f"/admin/print_jobs/details/?id={job.id}")
    assert detail.status_code == 200 and "下载 PDF" in detail.text and "progress-bar" in detail.text
    progress = client.get(f"/admin/print_jobs/progress/?id={job.id}").get_json()
    assert progress["percent"] == 100 and progress["done"] == progress["total"] == 4
    assert progress["download"].endswith(f"/admin/print_jobs/download/?id={job.id}")
    listing = client.get("/admin/print_jobs/")
    assert job.title in listing.text and "4/4" in listing.text
    download = client.get(progress["download"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == job.pdf
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.summary.startswith("下载批量打印文件"))
    )


def test_another_subtrees_job_is_a_404(sync, login_as, county, honours):
    """The 马集 admin cannot see, poll or download the county clerk's job; nor list it."""
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    client = login_as("admin_a")
    for page in ("details", "progress", "download"):
        assert client.get(f"/admin/print_jobs/{page}/?id={job.id}").status_code == 404
    assert job.title not in client.get("/admin/print_jobs/").text


def test_round_page_offers_the_batch_and_other_roles_are_refused(sync, login_as, auth, county, final_round):
    """The clerk sees the round page's batch button; an entry clerk's POST is refused (403)."""
    client = login_as("clerk")
    page = client.get(f"/admin/assessment_rounds/details/?id={final_round.id}")
    assert "打印全部考评结果通知书" in page.text
    auth.logout()
    client = login_as("entry_a")
    response = client.post("/admin/print_jobs/start/evaluations/", data={"round_id": final_round.id})
    assert response.status_code == 403


def test_start_needs_csrf(csrf_app):
    """Starting a batch is a POST with the session's CSRF token."""
    client = fresh_client(csrf_app)
    sign_in_with_token(client, "clerk")
    assert client.get("/admin/print_jobs/").status_code == 200
    response = client.post("/admin/print_jobs/start/certificates/", data={"year": "2025"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


def test_a_job_whose_process_died_is_marked_failed(sync, county, honours):
    """A job left 生成中 by a crashed or restarted process is failed after half an hour, in Chinese."""
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    job.status, job.started_at = PrintJobStatus.RUNNING, datetime(2026, 1, 5, 2, tzinfo=UTC)
    db.session.commit()
    assert print_jobs.reap_stale(db.session, now=datetime(2026, 1, 5, 2, 20, tzinfo=UTC)) == 0
    assert print_jobs.reap_stale(db.session, now=datetime(2026, 1, 5, 2, 31, tzinfo=UTC)) == 1
    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED and job.error.startswith("生成中断")
