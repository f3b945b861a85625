"""批量打印: every certificate of a year, or every 考评结果通知书 of a round, as one PDF, in the background.

`submit` checks who asks and what they may reach, records the job and hands it to the app's runner;
`run` builds the markup in chunks and lays them out (progress after each), here or, with
`PRINT_PROCESSES` > 1, on worker processes (`portal.pdf.pool`, every core busy), writes one PDF, and
records the file and one `IssuedDocument` per certificate or report, each with its own verification
serial, in one transaction: a job that fails leaves no half-issued serials behind.

Runners: `PRINT_JOBS_SYNC` runs the job at once in the caller's session (tests); with `REDIS_URL` the
job goes to the RQ queue `portal-print`, served by `flask print-worker` on any host; otherwise (the
embedded default) one background thread per process runs the jobs in turn.

A worker that dies mid-job (killed, out of memory, its host restarted): RQ runs the job again
(`RQ_RETRIES` times; at once when only the work-horse died, within about two minutes when the whole
worker did and another worker is running), and the new attempt takes the job over from the dead one. Each
attempt is known by the time it claimed the job (`started_at`); only the attempt that holds the job may
finish it, so a presumed-dead attempt that was merely slow can never issue a second set of serials.
When RQ gives up (or Redis lost the job), the job page marks the job failed with the reason at once;
without RQ, a job left 生成中 is failed after `STALE_AFTER`.

Every issued record's `sha256` and `pages` describe the file that was handed out (the batch PDF), so
the hash of a downloaded batch checks against any of its serials.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, selectinload

from portal.extensions import db
from portal.models.assessment import Assessment, AssessmentRound
from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus
from portal.models.recognition import Recognition, RecognitionStatus
from portal.pdf import assessment_documents, certificates, join_pdf, layout, markup_only, pool
from portal.services import DomainError, audit, documents
from portal.services.scope import can_reach_org, org_in_scope

log = logging.getLogger(__name__)

#: Who may start a batch print: clerks (文书), admins and evaluators, as for single prints.
PRINT_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.EVALUATOR})
#: Documents per markup chunk (one WeasyPrint layout): progress moves every CHUNK documents. A batch of
#: at most CHUNK is laid out in the job's own process, whatever PRINT_PROCESSES says.
CHUNK = 20
#: A job still 生成中 after this long lost its process (a restart, a crash): it is marked failed.
STALE_AFTER = timedelta(minutes=30)
#: The RQ queue the workers listen on.
QUEUE = "portal-print"
#: The most documents one job may hold (a county has a few hundred honours or targets a year).
MAX_ITEMS = 5000
#: How many times RQ runs a job again after its worker died.
RQ_RETRIES = 2
#: A queued job whose RQ job is gone this long after submission was lost with Redis: it is marked failed.
LOST_AFTER = timedelta(minutes=2)


class Superseded(Exception):
    """This attempt no longer holds the job: a retry took it over, or it was marked failed meanwhile."""


# --- submitting ------------------------------------------------------------------------------------


def submit(session: Session, actor: User, kind: PrintJobKind | str, **params: Any) -> PrintJob:
    """Record a batch print of `kind` (year=… or round_id=…) and start it. Commits.

    `base_url` (optional) is the portal's public address, encoded in the QR codes.
    """
    if not actor.has_role(*PRINT_ROLES):
        raise DomainError("只有文书、考评员和管理员可以批量打印文书")
    kind = PrintJobKind(kind)  # type: ignore[call-arg]  # by value, as LabeledEnum lookups are
    base_url = params.pop("base_url", None)
    if kind == PrintJobKind.CERTIFICATES:
        job = _certificate_job(session, actor, params.get("year"))
    else:
        job = _evaluation_job(session, actor, params.get("round_id"))
    if len(job.parameters["ids"]) > MAX_ITEMS:
        raise DomainError(f"一次最多打印{MAX_ITEMS}份，请分批提交")
    if base_url:
        job.parameters = {**job.parameters, "base_url": base_url}
    # Names the job on the RQ queue: unique even when several portals share one Redis.
    job.parameters = {**job.parameters, "token": uuid.uuid4().hex}
    job.requested_by, job.requested_by_name = actor, actor.full_name
    job.total = len(job.parameters["ids"])
    session.add(job)
    session.flush()
    audit.record(session, AuditAction.EXPORT, "print_job", job.id, f"提交批量打印：{job.title}")
    session.commit()
    runner_for(current_app).enqueue(job.id)
    return job


def _certificate_job(session: Session, actor: User, year: Any) -> PrintJob:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise DomainError("请填写要打印证书的年度") from None
    ids = list(
        session.scalars(
            select(Recognition.id)
            .where(
                Recognition.year == year,
                Recognition.status == RecognitionStatus.APPROVED,
                org_in_scope(actor, Recognition.organization_id),
            )
            .order_by(Recognition.serial_seq, Recognition.id)
        )
    )
    if not ids:
        raise DomainError(f"{year}年度在您的管辖范围内没有已批准的调解能手，没有可打印的证书")
    return PrintJob(
        kind=PrintJobKind.CERTIFICATES,
        title=f"{year}年度调解能手荣誉证书（{len(ids)}份）",
        parameters={"year": year, "ids": ids},
        organization_id=actor.organization_id,
    )


def _evaluation_job(session: Session, actor: User, round_id: Any) -> PrintJob:
    try:
        rnd = session.get(AssessmentRound, int(round_id))
    except (TypeError, ValueError):
        rnd = None
    if rnd is None or not can_reach_org(actor, rnd.organization):
        raise DomainError("考评批次不存在或不在您的管辖范围内")
    ranked = sorted(rnd.assessments, key=lambda a: (a.rank or 10**6, a.target_name))
    if not ranked:
        raise DomainError("该考评批次没有考评对象，没有可打印的通知书")
    draft = assessment_documents.is_draft(rnd)
    return PrintJob(
        kind=PrintJobKind.EVALUATIONS,
        title=f"{rnd.title}考评结果通知书（{len(ranked)}份{'，草稿' if draft else ''}）",
        parameters={"round_id": rnd.id, "ids": [a.id for a in ranked]},
        organization_id=rnd.organization_id,
    )


# --- running ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a job prints: the documents in order, how to build a chunk's markup, and how to record each."""

    items: list[tuple[Any, str | None]]
    build: Callable[[list[Any]], Any]
    fields: Callable[[Any], dict[str, Any]] | None  # None: a draft, nothing is issued
    kind: DocumentKind


def _certificate_plan(session: Session, job: PrintJob) -> Plan:
    ids = job.parameters["ids"]
    query = (
        select(Recognition)
        .where(Recognition.id.in_(ids))
        .options(selectinload(Recognition.mediator), selectinload(Recognition.organization))
    )
    found = {r.id: r for r in session.scalars(query)}
    for rid in ids:
        rec = found.get(rid)
        if rec is None or rec.status != RecognitionStatus.APPROVED:
            name = rec.mediator.name if rec is not None else f"编号{rid}"
            raise DomainError(f"{name}的荣誉已撤销或不存在，证书未打印；请重新提交批量打印")
    # Certificates printed before are 补打 copies of their first issue, and say so on the page.
    first_issues = session.scalars(
        select(IssuedDocument).where(
            IssuedDocument.kind == DocumentKind.CERTIFICATE,
            IssuedDocument.subject_type == "recognition",
            IssuedDocument.subject_id.in_(ids),
            IssuedDocument.reprint_of_id.is_(None),
        )
    )
    originals = {doc.subject_id: doc for doc in first_issues}
    return Plan(
        items=[(found[rid], documents.new_serial()) for rid in ids],
        build=lambda chunk: certificates.certificate_batch(chunk, originals),
        fields=certificates.issue_fields,
        kind=DocumentKind.CERTIFICATE,
    )


def _evaluation_plan(session: Session, job: PrintJob) -> Plan:
    rnd = session.get(AssessmentRound, job.parameters["round_id"])
    if rnd is None:
        raise DomainError("考评批次已不存在，通知书未打印")
    by_id = {a.id: a for a in rnd.assessments}
    missing = [i for i in job.parameters["ids"] if i not in by_id]
    if missing:
        raise DomainError("考评批次的考评对象已变更，通知书未打印；请重新提交批量打印")
    draft = assessment_documents.is_draft(rnd)
    assessments: list[Assessment] = [by_id[i] for i in job.parameters["ids"]]
    return Plan(
        items=[(a, None if draft else documents.new_serial()) for a in assessments],
        build=lambda chunk: assessment_documents.evaluation_batch(chunk, draft),
        fields=None if draft else assessment_documents.evaluation_issue_fields,
        kind=DocumentKind.EVALUATION,
    )


PLANS = {PrintJobKind.CERTIFICATES: _certificate_plan, PrintJobKind.EVALUATIONS: _evaluation_plan}


def chunks(items: list[Any], size: int | None = None) -> Iterator[list[Any]]:
    """Yield consecutive slices of `items` of at most `size` (default CHUNK)."""
    size = size or CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def reap_stale(session: Session, now: datetime | None = None) -> int:
    """Mark jobs whose process died mid-way failed; commits; returns how many.

    With RQ, a job that RQ gave up on (its retries spent) or that Redis lost is failed at once; any
    job still 生成中 after STALE_AFTER is failed too.
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
            error="生成中断：处理进程已停止（超过30分钟未完成），请重新提交批量打印",
        )
    )
    session.commit()
    return lost + (getattr(result, "rowcount", 0) or 0)


def run(job_id: int, processes: int | None = None, take_over: bool = False) -> PrintJob | None:
    """Run a queued job in the current app context (any thread or worker); return it, or None if unknown.

    `processes` overrides `PRINT_PROCESSES` (RQ workers lay out in their own process). `take_over`
    (RQ, whose earlier attempt of this job has died) claims a job that is still 生成中 as well.

    The job is claimed with a conditional UPDATE, so a job handed to two workers runs once; the claim's
    time names this attempt, and only the attempt holding the job finishes it (`_hold`).
    """
    session = db.session
    claimable = [PrintJobStatus.QUEUED, PrintJobStatus.RUNNING] if take_over else [PrintJobStatus.QUEUED]
    attempt = utcnow()
    claimed = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.status.in_(claimable))
        .values(status=PrintJobStatus.RUNNING, started_at=attempt, done=0, error=None)
    )
    session.commit()
    job = session.get(PrintJob, job_id)
    if job is None or not getattr(claimed, "rowcount", 0):
        return job
    requester = job.requested_by
    actor = audit.Actor(requester.id if requester else None, job.requested_by_name)
    base_url = job.parameters.get("base_url") or "http://localhost/"
    # QR codes name the verification page with an absolute URL: outside a request, build it from the
    # address the job was submitted from.
    context = nullcontext() if has_request_context() else current_app.test_request_context(base_url=base_url)
    try:
        with context, audit.acting_as(actor):
            _execute(session, job, attempt, processes or int(current_app.config.get("PRINT_PROCESSES") or 1))
    except Superseded:
        session.rollback()
        log.warning("print job %s: attempt of %s was superseded; its result is dropped", job_id, attempt)
        return session.get(PrintJob, job_id)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, in Chinese
        session.rollback()
        if isinstance(exc, DomainError):
            message = exc.message
        elif isinstance(exc, BrokenProcessPool):
            log.exception("print job %s: a layout process died", job_id)
            message = "生成失败：排版进程意外退出（可能是服务器内存不足），请稍后重新提交批量打印"
        else:
            log.exception("print job %s failed", job_id)
            message = f"生成失败：系统内部错误（{type(exc).__name__}），请联系管理员"
        job = session.get(PrintJob, job_id)
        if job is None or not _hold(session, job_id, attempt):
            session.rollback()
            return job
        job.status, job.error, job.finished_at = PrintJobStatus.FAILED, message, utcnow()
        with audit.acting_as(actor):
            audit.record(session, AuditAction.EXPORT, "print_job", job.id, f"批量打印失败：{message}")
        session.commit()
    return job


def _typeset(session: Session, job: PrintJob, plan: Plan, processes: int) -> tuple[bytes, int]:
    """Lay out the plan's documents chunk by chunk, reporting progress, and write them; return PDF, pages."""
    static_folder = current_app.static_folder or "static"

    def progress(count: int) -> None:
        job.done = min(job.done + count, job.total)
        session.commit()  # read by the job page every second

    def markup(chunk: list[Any]) -> Any:
        """Build a chunk's markup, then end the read: on SQLite a transaction holds the write lock
        (`extensions.configure_sqlite`), which the web requests must not wait for during layout."""
        source = plan.build(chunk).source
        session.commit()
        return source

    with markup_only():
        if processes > 1 and len(plan.items) > CHUNK:
            size = pool.part_size(len(plan.items), processes, CHUNK)
            parts = (
                [(markup(chunk), len(chunk)) for chunk in chunks(part)] for part in chunks(plan.items, size)
            )
            return pool.write(parts, static_folder, processes, progress)
        laid_out: list[Any] = []
        images: dict[str, Any] = {}  # one image cache: the seal is decoded once per job
        for chunk in chunks(plan.items):
            laid_out.append(layout(markup(chunk), static_folder, images)[0])
            progress(len(chunk))
    return join_pdf(laid_out)


def _hold(session: Session, job_id: int, attempt: datetime) -> bool:
    """Lock the job's row and return whether this attempt (claimed at `attempt`) still holds it."""
    held = session.scalar(
        select(PrintJob.id)
        .where(
            PrintJob.id == job_id,
            PrintJob.status == PrintJobStatus.RUNNING,
            PrintJob.started_at == attempt,
        )
        .with_for_update()
    )
    return held is not None


def _execute(session: Session, job: PrintJob, attempt: datetime, processes: int) -> None:
    plan = PLANS[job.kind](session, job)
    pdf, pages = _typeset(session, job, plan, processes)
    if not _hold(session, job.id, attempt):
        raise Superseded
    job.done = job.total
    sha256 = hashlib.sha256(pdf).hexdigest()
    if plan.fields is not None:
        fields = [plan.fields(subject) for subject, _serial in plan.items]
        originals = _originals(session, plan.kind, fields)
        for one, (_subject, serial) in zip(fields, plan.items, strict=True):
            _record(session, job, one, serial or "", sha256, pages, originals.get(one["subject_id"]))
    job.pdf, job.pdf_size, job.pages, job.sha256 = pdf, len(pdf), pages, sha256
    job.status, job.finished_at = PrintJobStatus.DONE, utcnow()
    audit.record(
        session,
        AuditAction.EXPORT,
        "print_job",
        job.id,
        f"批量打印完成：{job.title}，共{pages}页",
        sha256=[None, sha256],
    )
    session.commit()


def _originals(
    session: Session, kind: DocumentKind, fields: list[dict[str, Any]]
) -> dict[int, IssuedDocument]:
    """Return the first issue of each subject printed before, by subject id (one query for the batch)."""
    ids = [f["subject_id"] for f in fields]
    found: dict[int, IssuedDocument] = {}
    query = (
        select(IssuedDocument)
        .where(
            IssuedDocument.kind == kind,
            IssuedDocument.subject_type == fields[0]["subject_type"],
            IssuedDocument.subject_id.in_(ids),
            IssuedDocument.reprint_of_id.is_(None),
        )
        .order_by(IssuedDocument.id)
    )
    for document in session.scalars(query):
        found.setdefault(document.subject_id, document)
    return found


def _record(
    session: Session,
    job: PrintJob,
    fields: dict[str, Any],
    serial: str,
    sha256: str,
    pages: int,
    original: IssuedDocument | None,
) -> None:
    """Record one issued document of the batch (a 补打 when the subject was issued before)."""
    session.add(
        IssuedDocument(
            **{**fields, "title": fields["title"][:200]},
            serial=serial,
            sha256=sha256,
            pages=pages,
            issued_by=job.requested_by,
            issued_by_name=job.requested_by_name,
            reprint_of=original,
        )
    )


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
                    f"生成中断：打印进程意外退出，已自动重试{RQ_RETRIES}次仍未完成，请重新提交批量打印"
                    if state == JobStatus.FAILED
                    else "生成中断：任务队列已丢失该任务（Redis 重启），请重新提交批量打印"
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
