"""批量打印 on worker processes (portal.pdf.pool): same file, same records, progress, a dying pool."""

from __future__ import annotations

import io
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    DocumentKind,
    IssuedDocument,
    Organization,
    OrgKind,
    OrgLevel,
)
from portal.models.print_job import PrintJob, PrintJobStatus
from portal.pdf import Source, job_run, markup_only, pool, render
from portal.pdf import jobs as print_jobs
from portal.services import accounts, audit
from tests import factories
from tests.conftest import PASSWORD, make_app
from tests.pdf.test_print_jobs import NAMES, honours  # noqa: F401 - the fixture


@pytest.fixture
def pooled(app, monkeypatch):
    """Jobs run at once, two documents per chunk, laid out on two worker processes."""
    app.config.update(PRINT_JOBS_SYNC=True, PRINT_PROCESSES=2)
    app.extensions.pop("print_jobs", None)
    monkeypatch.setattr(job_run, "CHUNK", 2)
    yield app
    pool.shutdown()


def test_a_batch_on_the_pool_is_one_pdf_in_order_with_progress(pooled, county, honours, monkeypatch):  # noqa: F811
    """Four certificates in two parts on two workers: one 4-page PDF in serial order, progress 2 + 2."""
    counts: list[int] = []
    write = pool.write

    def spy(parts, static_folder, processes, on_progress):
        parts = list(parts)
        assert [len(part) for part in parts] == [1, 1]  # two parts of one 2-document chunk
        return write(parts, static_folder, processes, lambda n: (counts.append(n), on_progress(n)))

    monkeypatch.setattr(pool, "write", spy)
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)

    db.session.refresh(job)
    assert job.status == PrintJobStatus.DONE, job.error
    assert (job.done, job.total, job.pages) == (4, 4, 4)
    assert sorted(counts) == [2, 2]
    reader = PdfReader(io.BytesIO(job.pdf))
    assert reader.metadata.title == "荣誉证书" and reader.trailer["/Root"]["/Lang"] == "zh-CN"
    pages = ["".join(page.extract_text().split()) for page in reader.pages]
    for page, name in zip(pages, NAMES, strict=True):  # the parts come back in order
        assert name in page
    records = list(
        db.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.CERTIFICATE))
    )
    assert len(records) == 4 and all(r.sha256 == job.sha256 for r in records)
    for record, page in zip(sorted(records, key=lambda r: r.number), pages, strict=True):
        assert record.serial in page


@pytest.mark.parametrize(
    ("total", "processes", "size"),
    [(200, 2, 100), (45, 2, 40), (30, 4, 20), (10, 2, 20), (5000, 4, 100), (201, 2, 100)],
)
def test_parts_keep_every_worker_busy_and_stay_bounded(total, processes, size):
    """A whole number of chunks per part, enough parts for the workers, none over PART documents."""
    assert pool.part_size(total, processes, 20) == size


def test_a_pool_that_cannot_start_fails_the_batch_and_is_replaced(tmp_path):
    """Workers that die (here: no print stylesheet) raise BrokenProcessPool; the next batch starts anew."""
    with pytest.raises(BrokenProcessPool):
        pool.write([[(Source("<p>测试</p>", {}), 1)]], str(tmp_path), 2, lambda n: None)
    assert pool._pool is None


def test_a_pool_whose_worker_was_killed_while_idle_is_replaced(app):
    """A worker killed between batches (out of memory, say) breaks the pool; the next batch gets a new one."""
    with markup_only(), app.test_request_context():
        source = render("certificate.html", pages=[], draft=True, reprint=None, serial=None).source
    try:
        pool.write([[(source, 1)]], app.static_folder, 2, lambda n: None)
        executor = pool._pool[1]
        os.kill(next(iter(executor._processes)), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not executor._broken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert executor._broken
        pdf, pages = pool.write([[(source, 1)]], app.static_folder, 2, lambda n: None)
        assert pages == 1 and pool._pool[1] is not executor
    finally:
        pool.shutdown()


def test_a_dying_pool_fails_the_job_in_chinese_and_issues_nothing(pooled, county, honours, monkeypatch):  # noqa: F811
    """A worker killed mid-batch (out of memory, say): the job says so in Chinese; no serial is issued."""

    def broken(*args, **kwargs):
        raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(pool, "write", broken)
    job = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)

    db.session.refresh(job)
    assert job.status == PrintJobStatus.FAILED and "排版进程意外退出" in job.error
    assert db.session.scalar(select(IssuedDocument.id).limit(1)) is None


@pytest.mark.parametrize("processes", [1, 2])
def test_the_embedded_runner_prints_in_a_background_thread(tmp_path, processes, monkeypatch):
    """The web process's default: the job runs on its own thread (own app context and session), here or
    on the pool; the requester's page sees it finish. (Its runner once held the `current_app` proxy,
    which is unbound on that thread, so every job failed.)"""
    monkeypatch.setattr(job_run, "CHUNK", 1)  # three documents: more than a chunk, so the pool is used
    pool.shutdown()
    app = make_app(f"sqlite:///{tmp_path / 'thread.sqlite3'}", PRINT_PROCESSES=processes)
    with app.app_context(), audit.acting_as(audit.Actor(None, "test")):
        db.create_all()
        office = Organization(
            name="清河县司法局", code="QH", level=OrgLevel.COUNTY, kind=OrgKind.COORDINATION_CENTRE
        )
        clerk = accounts.create_user(db.session, "clerk_t", "文书乙", PASSWORD, ["clerk"], office)
        for seq, name in enumerate(("王一", "王二", "王三"), 1):
            factories.honour(db.session, factories.mediator(db.session, name, office, seq), seq)
        db.session.commit()
        with app.test_request_context():
            job_id = print_jobs.submit(db.session, clerk, "certificates", year=2025).id
        assert isinstance(print_jobs.runner_for(app), print_jobs.ThreadRunner)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, error, pages = db.session.execute(
                select(PrintJob.status, PrintJob.error, PrintJob.pages).where(PrintJob.id == job_id)
            ).one()
            db.session.rollback()  # end the read, as a request does, so the job's thread can write
            if status in (PrintJobStatus.DONE, PrintJobStatus.FAILED):
                break
            time.sleep(0.1)
        assert (status, error, pages) == (PrintJobStatus.DONE, None, 3)
        assert (pool._pool is not None) == (processes > 1)
        db.session.remove()
    pool.shutdown()
