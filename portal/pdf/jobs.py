"""批量打印: many official documents as one PDF, in the background, with progress, 取消 and 重试.

What a job can print (证书 of a year, 通知书 of a round, 协议书 of an organisation's cases) and how each
document is made lives in `pdf.job_kinds`. Here: `submit` checks who asks and what the confirmed choice
covers, records the job and hands it to the app's runner; `run` (`pdf.job_run`) lays the documents out.

**Parts and 重试.** A job goes through its list in stretches (`PART` documents, or on worker processes one
part per worker, `portal.pdf.pool`). Each stretch is laid out chunk by chunk (progress after each `CHUNK`),
written, and stored as a `PrintJobPart` with the serials printed on its pages and the documents it left out
(an honour revoked meanwhile, a voided case: the reason in Chinese). A job that fails half-way or is
cancelled keeps its parts; 重试 queues it again and the new attempt starts after the last stored part, so
only the missing documents are laid out and the serials already on paper are reused. The documents are
issued (`IssuedDocument`, one per document with its serial, and the batch file's hash and page count) in
the transaction that joins the parts into the job's PDF: a job that never finishes issues nothing, and one
that finishes issues each document once.

Runners: `PRINT_JOBS_SYNC` runs the job at once in the caller's session (tests); with `REDIS_URL` the
job goes to the RQ queue `portal-print`, served by `flask print-worker` on any host; otherwise (`make
run`, the embedded default) one background thread per web process runs the jobs in turn.

A worker that dies mid-job (killed, out of memory, its host restarted): RQ runs the job again
(`RQ_RETRIES` times; at once when only the work-horse died, within about two minutes when the whole
worker did and another worker is running), and the new attempt takes the job over from the dead one. Each
attempt is known by the time it claimed the job (`started_at`); only the attempt that holds the job may
store a part or finish it, so a presumed-dead attempt that was merely slow (or one whose job was
cancelled) stops at its next chunk and can never issue a second set of serials. When RQ gives up (or Redis
lost the job), the job page marks the job failed at once; without RQ, a job left 生成中 or 排队中 is failed
after `STALE_AFTER`. A failed job waits for 重试.

Every issued record's `sha256` and `pages` describe the file that was handed out (the batch PDF), so
the hash of a downloaded batch checks against any of its serials.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus
from portal.pdf import case_documents
from portal.pdf.job_kinds import MAX_ITEMS, Selection
from portal.pdf.job_kinds import criteria_from as _criteria_from
from portal.pdf.job_kinds import select as _select
from portal.pdf.job_run import RETRY_HINT, covered, run
from portal.services import DomainError, audit

log = logging.getLogger(__name__)

__all__ = [
    "MAX_ITEMS",
    "PRINT_ROLES",
    "Selection",
    "cancel",
    "check_download",
    "preview",
    "retry",
    "run",
    "submit",
]

#: Who may start a batch print: clerks (文书), admins and evaluators, as for single prints.
PRINT_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.EVALUATOR})
#: A job still 生成中 (or 排队中 without RQ) after this long lost its process: it is marked failed.
STALE_AFTER = timedelta(minutes=30)
#: The RQ queue the workers listen on.
QUEUE = "portal-print"
#: How many times RQ runs a job again after its worker died.
RQ_RETRIES = 2
#: A queued job whose RQ job is gone this long after submission was lost with Redis: it is marked failed.
LOST_AFTER = timedelta(minutes=2)

# --- submitting, cancelling, retrying --------------------------------------------------------------


def _check_role(actor: User, kind: PrintJobKind) -> None:
    if not actor.has_role(*PRINT_ROLES):
        raise DomainError("只有文书、考评员和管理员可以批量打印文书")
    if kind == PrintJobKind.AGREEMENTS and not actor.has_role(*case_documents.PRINTERS):
        raise DomainError("只有文书和管理员可以批量打印调解协议书（协议书载有当事人完整身份证号）")


def check_download(actor: User, job: PrintJob) -> None:
    """Raise `DomainError` unless the actor may take the job's file: whoever may start a batch of its kind
    (a batch of 协议书 carries the parties' full 身份证号, so an evaluator of the subtree may not)."""
    _check_role(actor, job.kind)


def preview(session: Session, actor: User, kind: PrintJobKind | str, values: Mapping[str, Any]) -> Selection:
    """Return what a batch of `kind` with the criteria in `values` would print (for the confirmation)."""
    kind = PrintJobKind(kind)  # type: ignore[call-arg]  # by value, as LabeledEnum lookups are
    _check_role(actor, kind)
    return _select(session, actor, kind, _criteria_from(kind, values, actor))


def submit(
    session: Session,
    actor: User,
    kind: PrintJobKind | str,
    *,
    base_url: str | None = None,
    exclude: Any = (),
    expected: int | None = None,
    **criteria: Any,
) -> PrintJob:
    """Record a batch print of `kind` (year=…, round_id=…, or org=…, signed_from=…, …) and start it. Commits.

    `exclude` names subjects the clerk took out on the confirmation page; `expected` is the count the
    confirmation showed: if the criteria now cover another number (an honour approved meanwhile), the job
    is refused so that the clerk confirms again. `base_url` (optional) is the portal's public address, encoded
    in the QR codes.
    """
    chosen = preview(session, actor, kind, criteria)
    if expected is not None and expected != len(chosen.items):
        raise DomainError(
            f"打印范围已变化：现有{len(chosen.items)}份，确认时为{expected}份，请重新确认", field="count"
        )
    left_out = {int(i) for i in exclude}
    ids = [i for i in chosen.ids if i not in left_out]
    if not ids:
        raise DomainError("请至少保留一份要打印的文书")
    parameters: dict[str, Any] = {**chosen.criteria, "ids": ids}
    if base_url:
        parameters["base_url"] = base_url
    # Names the job on the RQ queue: unique even when several portals share one Redis.
    parameters["token"] = uuid.uuid4().hex
    job = PrintJob(
        kind=chosen.kind,
        title=chosen.title_for(len(ids)),
        parameters=parameters,
        organization_id=chosen.organization.id,
        requested_by=actor,
        requested_by_name=actor.full_name,
        total=len(ids),
    )
    session.add(job)
    session.flush()
    left = f"，排除{len(left_out & set(chosen.ids))}份" if left_out & set(chosen.ids) else ""
    audit.record(
        session,
        AuditAction.EXPORT,
        "print_job",
        job.id,
        f"开始批量打印：{job.title}{left}",
        count=[None, len(ids)],
    )
    session.commit()
    runner_for(current_app).enqueue(job.id)
    return job


def cancel(session: Session, actor: User, job: PrintJob) -> None:
    """Stop a queued or running job (its stored parts are kept for 重试). Commits."""
    _check_role(actor, job.kind)
    stopped = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job.id, PrintJob.status.in_([PrintJobStatus.QUEUED, PrintJobStatus.RUNNING]))
        .values(status=PrintJobStatus.CANCELLED, finished_at=utcnow(), error=f"已由{actor.full_name}取消")
        .execution_options(synchronize_session=False)
    )
    if not getattr(stopped, "rowcount", 0):
        session.rollback()
        raise DomainError("该批量打印已结束，不能取消")
    audit.record(session, AuditAction.EXPORT, "print_job", job.id, f"取消批量打印：{job.title}")
    session.commit()
    session.refresh(job)


def retry(session: Session, actor: User, job: PrintJob) -> int:
    """Queue a failed or cancelled job again; it goes on after its stored parts. Commits; returns how many
    documents it already holds."""
    _check_role(actor, job.kind)
    held = covered(session, job.id)
    parameters = {**job.parameters, "token": uuid.uuid4().hex}  # a new name on the RQ queue
    queued = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job.id, PrintJob.status.in_([PrintJobStatus.FAILED, PrintJobStatus.CANCELLED]))
        .values(status=PrintJobStatus.QUEUED, error=None, finished_at=None, done=held, parameters=parameters)
        .execution_options(synchronize_session=False)
    )
    if not getattr(queued, "rowcount", 0):
        session.rollback()
        raise DomainError("只有失败或已取消的批量打印可以重试")
    audit.record(
        session,
        AuditAction.EXPORT,
        "print_job",
        job.id,
        f"重试批量打印：{job.title}（已生成{held}份，从第{held + 1}份继续）",
    )
    session.commit()
    session.refresh(job)  # the new token names the job on the RQ queue
    runner_for(current_app).enqueue(job.id)
    session.refresh(job)
    return held


# --- stale jobs ------------------------------------------------------------------------------------


def reap_stale(session: Session, now: datetime | None = None) -> int:
    """Mark jobs whose process died mid-way failed; commits; returns how many.

    With RQ, a job that RQ gave up on (its retries spent) or that Redis lost is failed at once; any
    job still 生成中 after STALE_AFTER is failed too, and without RQ one still 排队中 (its process is gone).
    """
    now = now or utcnow()
    lost = 0
    runner = runner_for(current_app)
    if isinstance(runner, RQRunner):
        lost = runner.reap(session, now)
    result = session.execute(
        update(PrintJob)
        .where(PrintJob.status == PrintJobStatus.RUNNING, PrintJob.started_at < now - STALE_AFTER)
        .values(
            status=PrintJobStatus.FAILED,
            finished_at=now,
            error=f"生成中断：处理进程已停止（超过30分钟未完成），{RETRY_HINT}",
        )
        .execution_options(synchronize_session=False)
    )
    waiting = 0
    if not isinstance(runner, RQRunner | SyncRunner):
        waited = session.execute(
            update(PrintJob)
            .where(PrintJob.status == PrintJobStatus.QUEUED, PrintJob.created_at < now - STALE_AFTER)
            .values(
                status=PrintJobStatus.FAILED,
                finished_at=now,
                error=f"生成中断：排队超过30分钟未开始（服务可能已重启），{RETRY_HINT}",
            )
            .execution_options(synchronize_session=False)
        )
        waiting = getattr(waited, "rowcount", 0) or 0
    session.commit()
    return lost + (getattr(result, "rowcount", 0) or 0) + waiting


# --- runners ---------------------------------------------------------------------------------------


class SyncRunner:
    """Run the job at once, in the caller's context and session (tests: `PRINT_JOBS_SYNC=True`)."""

    def enqueue(self, job_id: int) -> None:
        run(job_id)


class ThreadRunner:
    """The embedded default: one background thread per process runs the jobs in turn."""

    def __init__(self, app: Flask) -> None:
        # The app itself: a `current_app` proxy would be unbound in the job thread.
        self.app = getattr(app, "_get_current_object", lambda: app)()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-job")

    def enqueue(self, job_id: int) -> None:
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: int) -> None:
        # Its own app context, hence its own database session.
        with self.app.app_context():
            try:
                run(job_id)
            finally:
                db.session.remove()


class RQRunner:
    """With REDIS_URL: enqueue on RQ; `flask print-worker` on any host runs the jobs."""

    def __init__(self, redis_url: str, queue: str = QUEUE) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(queue, connection=Redis.from_url(redis_url))

    @staticmethod
    def rq_id(job: PrintJob) -> str:
        return f"portal-print-{job.id}-{job.parameters.get('token', '')}"

    def enqueue(self, job_id: int) -> None:
        from rq import Retry

        job = db.session.get(PrintJob, job_id)
        self.queue.enqueue(
            run_job,
            job_id,
            job_id=self.rq_id(job) if job is not None else None,
            job_timeout=3600,
            retry=Retry(max=RQ_RETRIES),
            description=f"print job {job_id}",
        )

    def reap(self, session: Session, now: datetime) -> int:
        """Fail the unfinished jobs that RQ gave up on (retries spent) or lost (Redis restarted)."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        unfinished = session.scalars(
            select(PrintJob).where(PrintJob.status.in_([PrintJobStatus.QUEUED, PrintJobStatus.RUNNING]))
        ).all()
        reaped = 0
        for job in unfinished:
            if "token" not in job.parameters:  # submitted before jobs were named: left to STALE_AFTER
                continue
            try:
                state = Job.fetch(self.rq_id(job), connection=self.queue.connection).get_status()
            except NoSuchJobError:
                state = None
            created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=UTC)
            if state == JobStatus.FAILED or (state is None and created < now - LOST_AFTER):
                job.status, job.finished_at = PrintJobStatus.FAILED, now
                job.error = (
                    f"生成中断：打印进程意外退出，已自动重试{RQ_RETRIES}次仍未完成，{RETRY_HINT}"
                    if state == JobStatus.FAILED
                    else f"生成中断：任务队列已丢失该任务（Redis 重启），{RETRY_HINT}"
                )
                reaped += 1
        return reaped


def run_job(job_id: int) -> None:
    """RQ entry point: run the job in a fresh app context of the worker's app.

    Laid out in the worker's own (forked, per-job) process: RQ spreads jobs over workers, so run one
    `flask print-worker` per core rather than a pool per job. RQ runs a job again only after the
    attempt before it died, so this attempt takes over a job that attempt left 生成中.
    """
    with current_app.app_context():
        # The work-horse is forked from the worker: it must not use connections it may have inherited
        # (tests bind the session to one connection instead of an engine, and run jobs in-process).
        if isinstance(db.engine, Engine):
            db.engine.dispose(close=False)
        try:
            run(job_id, processes=1, take_over=True)
        finally:
            db.session.remove()


def runner_for(app: Flask) -> SyncRunner | ThreadRunner | RQRunner:
    """Return (and keep) the app's runner, chosen by its configuration."""
    runner = app.extensions.get("print_jobs")
    if runner is None:
        if app.config.get("PRINT_JOBS_SYNC"):
            runner = SyncRunner()
        elif app.config.get("REDIS_URL"):
            runner = RQRunner(app.config["REDIS_URL"], app.config.get("PRINT_JOBS_QUEUE") or QUEUE)
        else:
            runner = ThreadRunner(app)
        app.extensions["print_jobs"] = runner
    return runner
