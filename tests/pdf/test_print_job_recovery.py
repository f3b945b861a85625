"""批量打印 after a worker died mid-job: RQ's retry takes the job over; a dead attempt never finishes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DocumentKind, IssuedDocument
from portal.models.base import utcnow
from portal.models.print_job import PrintJob, PrintJobStatus
from portal.pdf import job_run
from portal.pdf import jobs as print_jobs
from tests import factories

NAMES = ("马集调解员", "前李调解员")
REDIS_URL = "redis://127.0.0.1:6379/0"


class Collect:
    """A runner that only notes the job ids: the test plays the worker."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


@pytest.fixture
def queued(app, county):
    """A certificate batch of two approved honours, submitted and waiting for a worker."""
    for seq, name in enumerate(NAMES, 1):
        factories.honour(db.session, county.mediators[name], seq)
    db.session.commit()
    app.extensions["print_jobs"] = Collect()
    return print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)


def _issued() -> int:
    return db.session.scalar(
        select(func.count(IssuedDocument.id)).where(IssuedDocument.kind == DocumentKind.CERTIFICATE)
    )


def test_a_retry_takes_over_the_job_a_dead_attempt_left_running(app, queued):
    """The attempt that died left the job 生成中; a plain second claim leaves it alone, RQ's retry (take_over)
    prints it once; the dead attempt, were it only slow, could not finish it afterwards."""
    dead = datetime(2026, 1, 5, 2, tzinfo=UTC)
    queued.status, queued.started_at = PrintJobStatus.RUNNING, dead
    db.session.commit()
    assert print_jobs.run(queued.id).status == PrintJobStatus.RUNNING and _issued() == 0

    job = print_jobs.run(queued.id, take_over=True)
    assert job.status == PrintJobStatus.DONE and job.error is None and _issued() == 2

    with app.test_request_context(), pytest.raises(job_run.Superseded):
        job_run._execute(db.session, job, dead, 1)
    db.session.rollback()
    assert _issued() == 2 and db.session.get(PrintJob, queued.id).status == PrintJobStatus.DONE


def _redis():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return connection


def test_on_rq_a_job_rq_gave_up_on_or_lost_is_failed_at_once(app, county, monkeypatch):
    """On RQ the job is enqueued under its own name with retries; when RQ has spent them, or Redis lost
    the job, the job page marks it failed with the reason instead of 生成中 for half an hour."""
    from rq import Queue
    from rq.job import Job, JobStatus

    connection = _redis()
    name = f"portal-print-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "PRINT_JOBS_QUEUE", name)
    app.extensions.pop("print_jobs", None)
    for seq, person in enumerate(NAMES, 1):
        factories.honour(db.session, county.mediators[person], seq)
    db.session.commit()
    queue = Queue(name, connection=connection)
    try:
        with app.test_request_context():
            gave_up = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
            lost = print_jobs.submit(db.session, county.users["clerk"], "certificates", year=2025)
        runner = print_jobs.runner_for(app)
        rq_job = Job.fetch(runner.rq_id(gave_up), connection=connection)
        assert rq_job.retries_left == print_jobs.RQ_RETRIES and queue.count == 2
        assert print_jobs.reap_stale(db.session) == 0

        rq_job.set_status(JobStatus.FAILED)
        Job.fetch(runner.rq_id(lost), connection=connection).delete()
        assert print_jobs.reap_stale(db.session) == 1  # the lost one is given time to reach the queue
        assert print_jobs.reap_stale(db.session, now=utcnow() + timedelta(minutes=3)) == 1
        db.session.expire_all()
        failed, missing = db.session.get(PrintJob, gave_up.id), db.session.get(PrintJob, lost.id)
        assert failed.status == missing.status == PrintJobStatus.FAILED
        assert "已自动重试" in failed.error and "Redis" in missing.error
    finally:
        queue.delete(delete_jobs=True)
