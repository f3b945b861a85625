"""Running a batch print (批量打印): the parts a job lacks, progress, the join, and issuing its documents.

`run` claims a queued job (its claim time names the attempt), lays out the positions no stored part covers
in stretches (`stretches`), stores each as a `PrintJobPart` and finally joins the parts and issues the
documents (`_finish`), all of it only while the attempt still holds the job (`_hold`, `_advance`): a job
cancelled, failed or taken over meanwhile stops at its next chunk. `pdf.jobs` submits, cancels, retries and
queues jobs; `pdf.job_kinds` says what each kind prints.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, undefer

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.base import utcnow
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.print_job import PrintJob, PrintJobPart, PrintJobStatus
from portal.pdf import join_pdf, layout, markup_only, pool
from portal.pdf.job_kinds import Plan
from portal.pdf.job_kinds import plan as _plan
from portal.services import DomainError, audit, documents

log = logging.getLogger(__name__)

#: Documents per markup chunk (one WeasyPrint layout): progress moves every CHUNK documents. A batch of
#: at most CHUNK is laid out in the job's own process, whatever PRINT_PROCESSES says.
CHUNK = 20
#: Documents per stored part when the job lays out in its own process (a retry redoes less than this).
PART = pool.PART
#: What the clerk reads after a failure: the job can go on from where it stopped.
RETRY_HINT = "可点击“重试”从中断处继续"


class Superseded(Exception):
    """This attempt no longer holds the job: a retry took it over, it was cancelled or marked failed."""


def covered(session: Session, job_id: int) -> int:
    """Return how many of the job's documents its stored parts cover (a prefix of its list)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PrintJobPart.count), 0)).where(PrintJobPart.job_id == job_id)
        )
        or 0
    )


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
        .values(status=PrintJobStatus.RUNNING, started_at=attempt, done=covered(session, job_id), error=None)
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
    for first, size in stretches(len(ids), covered(session, job_id), processes):
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
