"""批量打印: many official documents as one PDF, in the background, with progress, 取消 and 重试.

What a job can print (证书 of a year, 通知书 of a round, 协议书 of an organisation's cases) and how each
document is made lives in `pdf.job_kinds`. Here: `submit` checks who asks and what the confirmed choice
covers, records the job and hands it to the app's runner; `run` lays the documents out and writes them.

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

import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, undefer

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobPart, PrintJobStatus
from portal.pdf import case_documents, join_pdf, layout, markup_only, pool
from portal.pdf.job_kinds import MAX_ITEMS, Plan, Selection
from portal.pdf.job_kinds import criteria_from as _criteria_from
from portal.pdf.job_kinds import plan as _plan
from portal.pdf.job_kinds import select as _select
from portal.services import DomainError, audit, documents

log = logging.getLogger(__name__)

__all__ = ["MAX_ITEMS", "PRINT_ROLES", "Selection", "cancel", "preview", "retry", "run", "submit"]

#: Who may start a batch print: clerks (文书), admins and evaluators, as for single prints.
PRINT_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.EVALUATOR})
#: Documents per markup chunk (one WeasyPrint layout): progress moves every CHUNK documents. A batch of
#: at most CHUNK is laid out in the job's own process, whatever PRINT_PROCESSES says.
CHUNK = 20
#: Documents per stored part when the job lays out in its own process (a retry redoes less than this).
PART = pool.PART
#: A job still 生成中 (or 排队中 without RQ) after this long lost its process: it is marked failed.
STALE_AFTER = timedelta(minutes=30)
#: The RQ queue the workers listen on.
QUEUE = "portal-print"
#: How many times RQ runs a job again after its worker died.
RQ_RETRIES = 2
#: A queued job whose RQ job is gone this long after submission was lost with Redis: it is marked failed.
LOST_AFTER = timedelta(minutes=2)
#: What the clerk reads after a failure: the job can go on from where it stopped.
RETRY_HINT = "可点击“重试”从中断处继续"


class Superseded(Exception):
    """This attempt no longer holds the job: a retry took it over, it was cancelled or marked failed."""


# --- submitting, cancelling, retrying --------------------------------------------------------------


def _check_role(actor: User, kind: PrintJobKind) -> None:
    if not actor.has_role(*PRINT_ROLES):
        raise DomainError("只有文书、考评员和管理员可以批量打印文书")
    if kind == PrintJobKind.AGREEMENTS and not actor.has_role(*case_documents.PRINTERS):
        raise DomainError("只有文书和管理员可以批量打印调解协议书（协议书载有当事人完整身份证号）")


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
    covered = _covered(session, job.id)
    parameters = {**job.parameters, "token": uuid.uuid4().hex}  # a new name on the RQ queue
    queued = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job.id, PrintJob.status.in_([PrintJobStatus.FAILED, PrintJobStatus.CANCELLED]))
        .values(
            status=PrintJobStatus.QUEUED, error=None, finished_at=None, done=covered, parameters=parameters
        )
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
        f"重试批量打印：{job.title}（已生成{covered}份，从第{covered + 1}份继续）",
    )
    session.commit()
    session.refresh(job)  # the new token names the job on the RQ queue
    runner_for(current_app).enqueue(job.id)
    session.refresh(job)
    return covered


def _covered(session: Session, job_id: int) -> int:
    """Return how many of the job's documents its stored parts cover (a prefix of its list)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PrintJobPart.count), 0)).where(PrintJobPart.job_id == job_id)
        )
        or 0
    )


# --- running ---------------------------------------------------------------------------------------


def chunks(items: list[Any], size: int | None = None) -> Iterator[list[Any]]:
    """Yield consecutive slices of `items` of at most `size` (default CHUNK)."""
    size = size or CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stretches(total: int, covered: int, processes: int) -> list[tuple[int, int]]:
    """Return the (first position, size) of each part still to make, after the `covered` ones.

    In one process a part is PART documents; on worker processes one part per worker each time
    (`pool.part_size`), so every worker stays busy and the batch is joined once when it fits.
    """
    remaining = total - covered
    size = PART
    if processes > 1 and remaining > CHUNK:
        size = processes * pool.part_size(remaining, processes, CHUNK)
    return [(first, min(size, total - first)) for first in range(covered, total, size)]


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


def run(job_id: int, processes: int | None = None, take_over: bool = False) -> PrintJob | None:
    """Run a queued job in the current app context (any thread or worker); return it, or None if unknown.

    `processes` overrides `PRINT_PROCESSES` (RQ workers lay out in their own process). `take_over`
    (RQ, whose earlier attempt of this job has died) claims a job that is still 生成中 as well.

    The job is claimed with a conditional UPDATE, so a job handed to two workers runs once; the claim's
    time names this attempt, and only the attempt holding the job stores parts and finishes it (`_hold`).
    """
    session = db.session
    claimable = [PrintJobStatus.QUEUED, PrintJobStatus.RUNNING] if take_over else [PrintJobStatus.QUEUED]
    attempt = utcnow()
    claimed = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.status.in_(claimable))
        .values(status=PrintJobStatus.RUNNING, started_at=attempt, done=_covered(session, job_id), error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    job = session.get(PrintJob, job_id)
    if job is None or not getattr(claimed, "rowcount", 0):
        return job
    session.refresh(job)
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
        log.warning("print job %s: attempt of %s no longer holds the job; it stopped", job_id, attempt)
        job = session.get(PrintJob, job_id)
        if job is not None:
            session.refresh(job)
        return job
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, in Chinese
        session.rollback()
        if isinstance(exc, DomainError):
            message = exc.message
        elif isinstance(exc, BrokenProcessPool):
            log.exception("print job %s: a layout process died", job_id)
            message = f"生成失败：排版进程意外退出（可能是服务器内存不足），{RETRY_HINT}"
        else:
            log.exception("print job %s failed", job_id)
            message = f"生成失败：系统内部错误（{type(exc).__name__}），{RETRY_HINT}；仍失败请联系管理员"
        job = session.get(PrintJob, job_id)
        if job is None or not _hold(session, job_id, attempt):
            session.rollback()
            return job
        job.status, job.error, job.finished_at = PrintJobStatus.FAILED, message, utcnow()
        with audit.acting_as(actor):
            audit.record(session, AuditAction.EXPORT, "print_job", job.id, f"批量打印失败：{message}")
        session.commit()
    return job


def _advance(session: Session, job_id: int, attempt: datetime, done: int) -> None:
    """Record progress (read by the job page every second); Superseded if this attempt lost the job."""
    moved = session.execute(
        update(PrintJob)
        .where(
            PrintJob.id == job_id, PrintJob.status == PrintJobStatus.RUNNING, PrintJob.started_at == attempt
        )
        .values(done=done)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if not getattr(moved, "rowcount", 0):
        raise Superseded


def _typeset(
    session: Session,
    job_id: int,
    attempt: datetime,
    plan: Plan,
    items: list[tuple[Any, str | None]],
    processes: int,
    done: int,
) -> tuple[bytes, int]:
    """Lay out a part's documents chunk by chunk, reporting progress from `done` on, and write them."""
    static_folder = current_app.static_folder or "static"

    def progress(count: int) -> None:
        nonlocal done
        done += count
        _advance(session, job_id, attempt, done)

    def markup(chunk: list[Any]) -> list[Any]:
        """Build a chunk's markup, then end the read: on SQLite a transaction holds the write lock
        (`extensions.configure_sqlite`), which the web requests must not wait for during layout."""
        sources = plan.sources(chunk)
        session.commit()
        return sources

    with markup_only():
        if processes > 1 and len(items) > CHUNK:
            size = pool.part_size(len(items), processes, CHUNK)
            parts = (
                [pair for chunk in chunks(part) for pair in markup(chunk)] for part in chunks(items, size)
            )
            return pool.write(parts, static_folder, processes, progress)
        laid_out: list[Any] = []
        images: dict[str, Any] = {}  # one image cache: the seal is decoded once per part
        for chunk in chunks(items):
            for source, _count in markup(chunk):
                laid_out.append(layout(source, static_folder, images)[0])
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
    """Make the parts the job lacks, then join them and issue the documents."""
    plan = _plan(session, job)
    job_id, ids = job.id, list(job.parameters["ids"])
    if not plan.draft:
        plan.originals.update(_originals(session, plan, ids))
    for first, size in stretches(len(ids), _covered(session, job_id), processes):
        stretch = ids[first : first + size]
        subjects = plan.load(stretch)
        items: list[tuple[Any, str | None]] = []
        printed: list[list[Any]] = []
        skipped: list[dict[str, Any]] = []
        for subject_id in stretch:
            refused = plan.refuse(subject_id, subjects.get(subject_id))
            if refused is not None:
                skipped.append({"id": subject_id, "name": refused[0], "message": refused[1]})
                continue
            serial = None if plan.draft else documents.new_serial()
            items.append((subjects[subject_id], serial))
            printed.append([subject_id, serial])
        pdf, pages = _typeset(session, job_id, attempt, plan, items, processes, first) if items else (None, 0)
        if not _hold(session, job_id, attempt):
            raise Superseded
        session.execute(
            insert(PrintJobPart).values(
                job_id=job_id,
                first=first,
                count=size,
                printed=printed,
                skipped=skipped,
                pdf=pdf,
                pages=pages,
                created_at=utcnow(),
            )
        )
        session.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id)
            .values(done=first + size)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    _finish(session, job_id, attempt, plan)


def _finish(session: Session, job_id: int, attempt: datetime, plan: Plan) -> None:
    """Join the stored parts into the job's PDF and issue each printed document once, in one transaction."""
    if not _hold(session, job_id, attempt):
        raise Superseded
    parts = session.scalars(
        select(PrintJobPart)
        .where(PrintJobPart.job_id == job_id)
        .order_by(PrintJobPart.first)
        .options(undefer(PrintJobPart.pdf))
    ).all()
    files = [part.pdf for part in parts if part.pdf]
    skipped = [item for part in parts for item in part.skipped]
    if not files:
        reasons = "；".join(f"{s['name']}：{s['message']}" for s in skipped[:3])
        raise DomainError(f"没有可打印的文书（{reasons}{'等' if len(skipped) > 3 else ''}）")
    pdf = files[0] if len(files) == 1 else pool.merge(files)
    pages = sum(part.pages for part in parts)
    sha256 = hashlib.sha256(pdf).hexdigest()
    job = session.get(PrintJob, job_id)
    assert job is not None  # noqa: S101 - held above
    if not plan.draft:
        printed = [(subject_id, serial) for part in parts for subject_id, serial in part.printed]
        subjects = plan.load([subject_id for subject_id, _serial in printed])
        for subject_id, serial in printed:
            subject = subjects.get(subject_id)
            if subject is None:  # removed since its page was laid out: nothing to record it against
                continue
            fields = plan.fields(subject)
            session.add(
                IssuedDocument(
                    **{**fields, "title": fields["title"][:200]},
                    serial=serial,
                    sha256=sha256,
                    pages=pages,
                    issued_by=job.requested_by,
                    issued_by_name=job.requested_by_name,
                    reprint_of=plan.originals.get(subject_id),
                )
            )
            if plan.on_issue is not None:
                plan.on_issue(session, subject, serial)
    # The parts' files are in the job's file now; their lists stay for the job page.
    session.execute(
        update(PrintJobPart)
        .where(PrintJobPart.job_id == job_id)
        .values(pdf=None)
        .execution_options(synchronize_session=False)
    )
    job.pdf, job.pdf_size, job.pages, job.sha256 = pdf, len(pdf), pages, sha256
    job.done, job.status, job.finished_at = job.total, PrintJobStatus.DONE, utcnow()
    left_out = f"，{len(skipped)}份未打印" if skipped else ""
    audit.record(
        session,
        AuditAction.EXPORT,
        "print_job",
        job.id,
        f"批量打印完成：{job.title}，共{pages}页{left_out}",
        sha256=[None, sha256],
    )
    session.commit()


def _originals(session: Session, plan: Plan, ids: list[int]) -> dict[int, IssuedDocument]:
    """Return the first issue of each subject printed before this job, by subject id."""
    found: dict[int, IssuedDocument] = {}
    subject_type = SUBJECT_TYPES[plan.kind]
    for start in range(0, len(ids), 500):
        query = (
            select(IssuedDocument)
            .where(
                IssuedDocument.kind == plan.kind,
                IssuedDocument.subject_type == subject_type,
                IssuedDocument.subject_id.in_(ids[start : start + 500]),
                IssuedDocument.reprint_of_id.is_(None),
            )
            .order_by(IssuedDocument.id)
        )
        for document in session.scalars(query):
            found.setdefault(document.subject_id, document)
    return found


#: The `IssuedDocument.subject_type` of each kind of batch document.
SUBJECT_TYPES = {
    DocumentKind.CERTIFICATE: "recognition",
    DocumentKind.EVALUATION: "assessment",
    DocumentKind.AGREEMENT: "case",
}


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
