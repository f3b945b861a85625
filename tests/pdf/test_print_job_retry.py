"""批量打印 checkpoints: a job failing or cancelled half-way keeps its parts; 重试 makes only the rest, and
every document is issued once with the serial on its page. Also the 协议书 batch and documents left out."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import AuditEvent, DocumentKind, IssuedDocument
from portal.models.case import CaseStatus
from portal.models.print_job import PrintJob, PrintJobPart, PrintJobStatus
from portal.models.recognition import RecognitionStatus
from portal.pdf import certificates, job_run
from portal.pdf import jobs as print_jobs
from portal.services import DomainError
from tests import factories
from tests.assessment_ledger import settled
from tests.pdf.official_samples import flat
from tests.pdf.test_print_jobs import NAMES, Collect


@pytest.fixture
def honours(county):
    """The four mediators of the county, each an approved 2025 调解能手 (two under 马集, two under 柳林)."""
    recs = [factories.honour(db.session, county.mediators[name], seq) for seq, name in enumerate(NAMES, 1)]
    db.session.commit()
    return recs


@pytest.fixture
def small_parts(app, monkeypatch):
    """Jobs run at once; one document per chunk and two per stored part (four honours: two parts)."""
    app.config["PRINT_JOBS_SYNC"] = True
    app.extensions.pop("print_jobs", None)
    monkeypatch.setattr(job_run, "CHUNK", 1)
    monkeypatch.setattr(job_run, "PART", 2)
    return app


def _issued(kind: DocumentKind = DocumentKind.CERTIFICATE) -> list[IssuedDocument]:
    return list(db.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == kind)))


def _parts(job: PrintJob) -> list[PrintJobPart]:
    return list(
        db.session.scalars(
            select(PrintJobPart).where(PrintJobPart.job_id == job.id).order_by(PrintJobPart.first)
        )
    )


def test_a_retry_after_a_failure_mid_batch_makes_only_the_rest_without_duplicate_serials(
    small_parts, county, honours, monkeypatch
):
    """The layout crashes on the third certificate: the job fails having stored the first part (two pages,
    nothing issued). 重试 lays out only the third and fourth; the file has four pages, four documents are
    issued with four distinct serials, those of the first part being the ones already on its pages."""
    batch = certificates.certificate_batch
    laid_out: list[str] = []

    def crash_on_the_third(items, originals=None):
        names = [rec.mediator.name for rec, _serial in items]
        if NAMES[2] in names:
            raise RuntimeError("font server went away")
        laid_out.extend(names)
        return batch(items, originals)

    monkeypatch.setattr(certificates, "certificate_batch", crash_on_the_third)
    clerk = county.users["clerk"]
    job = print_jobs.submit(db.session, clerk, "certificates", year=2025)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED and "可点击“重试”从中断处继续" in job.error
    assert job.done == 2 and _issued() == [] and job.pdf is None
    (first,) = _parts(job)
    assert (first.first, first.count, first.pages) == (0, 2, 2)
    kept = dict(first.printed)
    assert laid_out == list(NAMES[:2])

    laid_out.clear()
    monkeypatch.setattr(
        certificates,
        "certificate_batch",
        lambda items, originals=None: (
            laid_out.extend(rec.mediator.name for rec, _serial in items),
            batch(items, originals),
        )[1],
    )
    assert print_jobs.retry(db.session, clerk, job) == 2
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and job.error is None, job.error
    assert laid_out == list(NAMES[2:])  # only the missing part was laid out again
    reader = PdfReader(io.BytesIO(job.pdf))
    assert len(reader.pages) == job.pages == job.total == 4
    records = _issued()
    assert len(records) == 4 and len({r.serial for r in records}) == 4
    assert {r.subject_id: r.serial for r in records if r.subject_id in kept} == kept
    text = flat(job.pdf)
    for record in records:
        assert text.count(record.serial) == 1
    for name, page in zip(NAMES, reader.pages, strict=True):  # in the order confirmed
        assert name in "".join(page.extract_text().split())
    assert all(part.pdf is None for part in _parts(job))  # the parts' files went into the job's
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.summary.startswith("重试批量打印"))
        )
        == 1
    )
    with pytest.raises(DomainError, match="只有失败或已取消的批量打印可以重试"):
        print_jobs.retry(db.session, clerk, job)
    assert len(_issued()) == 4


def test_cancel_stops_a_running_job_at_its_next_chunk_and_retry_finishes_it(
    small_parts, county, honours, monkeypatch
):
    """A clerk cancels while the first certificate is being laid out: the job stops there (no part, no
    serial issued); cancelling again is refused; 重试 prints all four, once each."""
    batch = certificates.certificate_batch
    clerk = county.users["clerk"]
    calls: list[int] = []

    def cancel_meanwhile(items, originals=None):
        calls.append(len(items))
        if len(calls) == 1:
            job = db.session.scalar(select(PrintJob))
            print_jobs.cancel(db.session, county.users["admin"], job)
        return batch(items, originals)

    monkeypatch.setattr(certificates, "certificate_batch", cancel_meanwhile)
    job = print_jobs.submit(db.session, clerk, "certificates", year=2025)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.CANCELLED and job.error == "已由系统管理员取消", job.error
    assert calls == [1] and _parts(job) == [] and _issued() == []
    with pytest.raises(DomainError, match="已结束，不能取消"):
        print_jobs.cancel(db.session, clerk, job)

    assert print_jobs.retry(db.session, clerk, job) == 0
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and job.pages == 4
    assert len({r.serial for r in _issued()}) == len(_issued()) == 4
    summaries = db.session.scalars(select(AuditEvent.summary).where(AuditEvent.entity == "print_job")).all()
    assert any(s.startswith("取消批量打印") for s in summaries)


def test_a_queued_job_cancelled_never_runs(app, county, honours):
    """Cancelled while it waits: the worker that takes it up later leaves it alone."""
    runner = Collect()
    app.extensions["print_jobs"] = runner
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    print_jobs.cancel(db.session, county.users["clerk"], job)
    assert print_jobs.run(job.id).status == PrintJobStatus.CANCELLED
    assert _issued() == [] and runner.ids == [job.id]


def test_documents_that_can_no_longer_be_printed_are_left_out_with_the_reason(small_parts, county, honours):
    """An honour revoked between confirmation and printing: the other three print; the job says who was
    left out and why, in Chinese; nothing is issued for the revoked one."""
    runner = Collect()
    small_parts.extensions["print_jobs"] = runner
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
    honours[2].status = RecognitionStatus.REVOKED
    db.session.commit()
    print_jobs.run(job.id)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and (job.done, job.total, job.pages) == (4, 4, 3)
    assert job.skipped == [
        {"id": honours[2].id, "name": "柳林调解员", "message": "荣誉当前为「已撤销」，证书未打印"}
    ]
    assert {r.subject_id for r in _issued()} == {h.id for i, h in enumerate(honours) if i != 2}
    assert "柳林调解员" not in flat(job.pdf)


def test_a_job_with_nothing_left_to_print_fails_and_says_why(small_parts, county, honours):
    runner = Collect()
    small_parts.extensions["print_jobs"] = runner
    job = print_jobs.submit(db.session, county.users["admin_a"], "certificates", year=2025)
    for rec in honours:
        rec.status = RecognitionStatus.REVOKED
    db.session.commit()
    print_jobs.run(job.id)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED
    assert job.error.startswith("没有可打印的文书（马集调解员：荣誉当前为「已撤销」")


@pytest.fixture
def agreements(county):
    """Three settled 马集 cases with written agreements (signed 15 days ago) and one settled in 柳林."""
    accepted = clock.today() - timedelta(days=20)
    entry, mediator = county.users["entry_a"], county.mediators["马集调解员"]
    made = [
        settled(db.session, entry, county.mj, [mediator], accepted, satisfaction=None, parties=(a, b))
        for a, b in (("赵一", "钱二"), ("孙三", "李四"), ("周五", "吴六"))
    ]
    made.append(
        settled(
            db.session,
            county.users["admin"],
            county.ll,
            [county.mediators["柳林调解员"]],
            accepted,
            satisfaction=None,
        )
    )
    db.session.commit()
    return made


def test_an_agreement_batch_prints_each_case_with_full_ids_audited(sync_one, county, agreements):
    """The 马集 administrator's batch of its subtree's agreements: three 协议书, one issued record and one
    personal-data audit row each; 柳林's case is out of its scope."""
    clerk = county.users["admin_a"]
    signed = clock.today() - timedelta(days=15)
    chosen = print_jobs.preview(db.session, clerk, "agreements", {"signed_from": signed, "signed_to": signed})
    assert len(chosen.items) == 3 and chosen.organization.id == county.mj.id
    job = print_jobs.submit(db.session, clerk, "agreements", signed_from=signed, signed_to=signed)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE, job.error
    records = _issued(DocumentKind.AGREEMENT)
    assert sorted(r.subject_id for r in records) == sorted(c.id for c in agreements[:3])
    text = flat(job.pdf)
    assert "人民调解协议书" in text and all(r.number in text for r in records)
    full_id = db.session.scalars(
        select(AuditEvent.summary).where(AuditEvent.summary.contains("含当事人完整身份证号"))
    ).all()
    assert len(full_id) == 3
    # Only those not printed yet: none left now.
    with pytest.raises(DomainError, match="没有尚未打印过的书面调解协议"):
        print_jobs.preview(
            db.session, clerk, "agreements", {"signed_from": signed, "signed_to": signed, "unprinted": "1"}
        )


def test_agreement_batches_are_refused_to_evaluators_and_outside_the_subtree(sync_one, county, agreements):
    with pytest.raises(DomainError, match="只有文书和管理员可以批量打印调解协议书"):
        print_jobs.preview(db.session, county.users["evaluator"], "agreements", {})
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        print_jobs.preview(db.session, county.users["admin_a"], "agreements", {"org": county.ll.id})
    with pytest.raises(DomainError, match="起始日期不能晚于截止日期"):
        print_jobs.preview(
            db.session,
            county.users["clerk"],
            "agreements",
            {"signed_from": "2026-03-02", "signed_to": "2026-03-01"},
        )
    with pytest.raises(DomainError, match="格式应为"):
        print_jobs.preview(db.session, county.users["clerk"], "agreements", {"signed_from": "去年"})


def test_a_case_voided_after_confirmation_is_left_out(sync_one, county, agreements):
    runner = Collect()
    sync_one.extensions["print_jobs"] = runner
    signed = clock.today() - timedelta(days=15)
    job = print_jobs.submit(
        db.session, county.users["admin_a"], "agreements", signed_from=signed, signed_to=signed
    )
    agreements[0].status = CaseStatus.VOIDED
    db.session.commit()
    print_jobs.run(job.id)
    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE and job.skipped[0]["name"] == agreements[0].number
    assert job.skipped[0]["message"] == "已作废的案件不出具文书"
    assert len(_issued(DocumentKind.AGREEMENT)) == 2


def test_the_count_confirmed_must_still_hold(sync_one, county, honours):
    """An honour approved (or revoked) after the confirmation page: the start is refused, to confirm again."""
    with pytest.raises(DomainError, match="打印范围已变化：现有4份，确认时为3份"):
        print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025, expected=3)
    job = print_jobs.submit(
        db.session, county.users["clerk"], "certificates", year=2025, expected=4, exclude=[honours[0].id]
    )
    assert job.total == 3 and honours[0].id not in job.parameters["ids"]


@pytest.fixture
def sync_one(app):
    app.config["PRINT_JOBS_SYNC"] = True
    app.extensions.pop("print_jobs", None)
    return app


def test_on_rq_a_retry_is_a_new_queue_entry_that_makes_only_the_rest(app, county, honours, monkeypatch):
    """With REDIS_URL: the worker's attempt fails on the third certificate; 重试 enqueues the job under a new
    name, and the next worker run lays out only the third and fourth."""
    from rq import Queue, SimpleWorker

    connection = _redis()
    name = f"portal-print-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(app.config, "PRINT_JOBS_QUEUE", name)
    app.extensions.pop("print_jobs", None)
    monkeypatch.setattr(job_run, "CHUNK", 1)
    monkeypatch.setattr(job_run, "PART", 2)
    batch = certificates.certificate_batch
    laid_out: list[str] = []
    crash = [True]

    def once_broken(items, originals=None):
        names = [rec.mediator.name for rec, _serial in items]
        if crash[0] and NAMES[2] in names:
            raise RuntimeError("worker ran out of memory")
        laid_out.extend(names)
        return batch(items, originals)

    monkeypatch.setattr(certificates, "certificate_batch", once_broken)
    queue = Queue(name, connection=connection)
    clerk = county.users["clerk"]
    try:
        with app.test_request_context():
            job = print_jobs.submit(db.session, clerk, "certificates", year=2025)
        first_name = print_jobs.runner_for(app).rq_id(job)
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()
        assert db.session.get(PrintJob, job.id).status == PrintJobStatus.FAILED
        assert laid_out == list(NAMES[:2])

        crash[0] = False
        with app.test_request_context():
            assert print_jobs.retry(db.session, clerk, job) == 2
        assert print_jobs.runner_for(app).rq_id(job) != first_name and queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()
        job = db.session.get(PrintJob, job.id)
        assert job.status == PrintJobStatus.DONE and job.pages == 4, job.error
        assert laid_out == list(NAMES)  # the first two once, then only the rest
        serials = [r.serial for r in _issued()]
        assert len(serials) == len(set(serials)) == 4
    finally:
        queue.delete(delete_jobs=True)


def _redis():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return connection
