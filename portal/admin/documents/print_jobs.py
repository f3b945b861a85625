"""批量打印: start a batch (choose, confirm the count, start), follow it, download it, 取消 or 重试 it.

The list (filters by state, kind and date; sorted, paged) has a 新建批量打印 button: the clerk chooses the
kind and its criteria (`/new/`), sees what they cover — the count, each document, those printed before —
and may leave some out (`/confirm/`), then starts (`/start/`, POST). Quick start buttons also sit on the
recognition list (打印本年度全部证书) and the round page (打印全部考评结果通知书); they POST here.

A job belongs to the organisation whose records it prints, so the job page, its progress, its download,
取消 and 重试 go through the scoped `get_one`: another subtree's job id is a 404. Starting, 取消, 重试 and
each download are audited (`pdf.jobs`).
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal import clock
from portal.admin.base import SecureModelView, enum_filter, local_time
from portal.admin.guards import int_arg, parse_int
from portal.extensions import db, start_writing
from portal.models.assessment import AssessmentRound
from portal.models.audit import AuditAction
from portal.models.org import Organization
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus
from portal.pdf import jobs as print_jobs
from portal.services import DomainError, audit
from portal.services.scope import org_in_scope, scoped_organizations

#: The criteria fields each kind reads (from the query string of /confirm/ and the form of /start/).
CRITERIA = {
    PrintJobKind.CERTIFICATES: ("year",),
    PrintJobKind.EVALUATIONS: ("round_id",),
    PrintJobKind.AGREEMENTS: ("org", "signed_from", "signed_to", "unprinted"),
}
#: How many skipped documents the progress JSON lists (the job page lists them all).
ERRORS_IN_JSON = 50


def progress_bar(job: PrintJob) -> Markup:
    """Return a Bootstrap progress bar of the job (green when done, red when failed, grey when cancelled)."""
    colour = {
        PrintJobStatus.DONE: "bg-success",
        PrintJobStatus.FAILED: "bg-danger",
        PrintJobStatus.CANCELLED: "bg-secondary",
    }.get(job.status, "")
    animated = "progress-bar-striped progress-bar-animated" if not job.finished else ""
    return Markup(
        '<div class="progress print-progress"><div class="progress-bar {} {}" role="progressbar" '
        'data-percent="{}" aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100">{}/{}</div></div>'
    ).format(colour, animated, job.percent, job.percent, job.done, job.total)


def _may_download(job: PrintJob) -> bool:
    try:
        print_jobs.check_download(current_user._get_current_object(), job)
    except DomainError:
        return False
    return True


def _download_link(view: Any, context: Any, job: PrintJob, name: str) -> Markup | str:
    if job.status != PrintJobStatus.DONE or not _may_download(job):
        return job.status.label
    return Markup('<a class="btn btn-sm btn-outline-primary" href="{}">下载 PDF</a>').format(
        url_for(".download", id=job.id)
    )


def _kind(raw: Any) -> PrintJobKind:
    """Return the kind a request names; an unknown one is a 404."""
    for kind in PrintJobKind:
        if raw == kind.value:
            return kind
    abort(404)


class PrintJobView(SecureModelView):
    """批量打印: who printed what in one go, how far it got, and the file when done."""

    read_roles = print_jobs.PRINT_ROLES
    write_roles = frozenset()
    scoped_org_fields = ()
    list_template = "admin/print_jobs/list.html"
    details_template = "admin/print_jobs/details.html"
    column_list = ("created_at", "title", "kind", "organization", "requested_by_name", "done", "status")
    column_export_list = (
        "created_at",
        "title",
        "kind",
        "organization",
        "requested_by_name",
        "done",
        "total",
        "pages",
        "status",
        "finished_at",
        "error",
    )
    column_labels = {
        "created_at": "提交时间",
        "title": "内容",
        "kind": "类别",
        "organization": "范围",
        "requested_by_name": "提交人",
        "done": "进度",
        "status": "状态",
        "total": "总份数",
        "pages": "页数",
        "finished_at": "完成时间",
        "error": "错误信息",
    }
    column_formatters = {
        "created_at": lambda v, c, m, n: local_time(m.created_at),
        "title": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            url_for(".details_view", id=m.id), m.title
        ),
        "organization": lambda v, c, m, n: m.organization.name,
        "done": lambda v, c, m, n: progress_bar(m),
        "status": _download_link,
    }
    column_formatters_export = {
        "organization": lambda v, c, m, n: m.organization.name,
        "finished_at": lambda v, c, m, n: local_time(m.finished_at),
    }
    column_filters = (
        enum_filter(PrintJob.status, "状态", PrintJobStatus),
        enum_filter(PrintJob.kind, "类别", PrintJobKind),
        filters.DateTimeBetweenFilter(PrintJob.created_at, "提交时间"),
        filters.FilterLike(PrintJob.requested_by_name, "提交人"),
    )
    column_sortable_list = ("created_at", "title", "kind", "requested_by_name", "status", "done")
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("title",)

    def search_placeholder(self) -> str:
        return "内容"

    # --- the job ---------------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        """Show one job: its progress (polled by print_job.js, or refreshed), errors, download, 取消/重试."""
        start_writing()
        print_jobs.reap_stale(db.session)
        job = self.get_one(request.args.get("id"))
        return self.render(
            self.details_template,
            job=job,
            progress=progress_bar(job),
            skipped=job.skipped,
            can_download=_may_download(job),
            covered=sum(part.count for part in job.parts),
            local_time=local_time,
            return_url=self.get_url(".index_view"),
        )

    @expose("/progress/")
    def progress(self) -> Any:
        """Return the job's progress as JSON, for the job page's progress bar."""
        start_writing()
        print_jobs.reap_stale(db.session)
        job = self.get_one(request.args.get("id"))
        skipped = job.skipped
        return jsonify(
            status=job.status.value,
            label=job.status.label,
            done=job.done,
            total=job.total,
            percent=job.percent,
            finished=job.finished,
            error=job.error,
            skipped=len(skipped),
            errors=[f"{item['name']}：{item['message']}" for item in skipped[:ERRORS_IN_JSON]],
            retryable=job.retryable,
            cancellable=job.cancellable,
            download=url_for(".download", id=job.id) if job.status == PrintJobStatus.DONE else None,
        )

    @expose("/download/")
    def download(self) -> Any:
        """Hand out the job's PDF, and record who downloaded it."""
        job = self.get_one(request.args.get("id"))
        if job.status != PrintJobStatus.DONE or job.pdf is None:
            abort(404)
        try:
            print_jobs.check_download(current_user._get_current_object(), job)
        except DomainError as exc:
            abort(403, exc.message)
        start_writing()
        audit.record(
            db.session,
            AuditAction.EXPORT,
            "print_job",
            job.id,
            f"下载批量打印文件：{job.title}",
            sha256=[None, job.sha256],
        )
        db.session.commit()
        return send_file(
            BytesIO(job.pdf),
            mimetype="application/pdf",
            as_attachment=True,
            download_name=f"print_job_{job.id}_{job.kind.value}.pdf",
        )

    @expose("/cancel/", methods=("POST",))
    def cancel(self) -> Any:
        """取消: stop a queued or running job; what it made is kept for 重试."""
        job = self.get_one(request.args.get("id"))
        try:
            print_jobs.cancel(db.session, current_user._get_current_object(), job)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"已取消批量打印：{job.title}（已生成的部分保留，可点击“重试”继续）", "success")
        return redirect(self.get_url(".details_view", id=job.id))

    @expose("/retry/", methods=("POST",))
    def retry(self) -> Any:
        """重试: queue a failed or cancelled job again; only the documents it lacks are made."""
        job = self.get_one(request.args.get("id"))
        try:
            covered = print_jobs.retry(db.session, current_user._get_current_object(), job)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"已重新开始：{job.title}，从第{covered + 1}份继续生成", "success")
        return redirect(self.get_url(".details_view", id=job.id))

    # --- starting a batch --------------------------------------------------------------------------

    @expose("/choose/")
    def choose_view(self) -> Any:
        """Choose what to print: the kinds with their criteria, each leading to its confirmation."""
        user = current_user._get_current_object()
        rounds = db.session.scalars(
            select(AssessmentRound)
            .where(org_in_scope(user, AssessmentRound.organization_id))
            .order_by(AssessmentRound.period_end.desc(), AssessmentRound.id.desc())
            .limit(200)
        ).all()
        organizations = db.session.scalars(
            scoped_organizations(user).where(Organization.status != "revoked")
        ).all()
        today = clock.today()
        chosen = request.args.get("kind")
        return self.render(
            "admin/print_jobs/new.html",
            chosen=chosen if chosen in {k.value for k in PrintJobKind} else PrintJobKind.CERTIFICATES.value,
            kinds=PrintJobKind,
            rounds=rounds,
            organizations=organizations,
            year=int_arg("year") or today.year - 1,
            round_id=int_arg("round_id"),
            org_id=int_arg("org") or user.organization_id,
            signed_from=request.args.get("signed_from") or (today - timedelta(days=30)).isoformat(),
            signed_to=request.args.get("signed_to") or today.isoformat(),
            unprinted=bool(request.args.get("unprinted")),
            return_url=self.get_url(".index_view"),
        )

    def _criteria(self, kind: PrintJobKind, source: Any) -> dict[str, str]:
        return {name: source.get(name, "") for name in CRITERIA[kind] if source.get(name)}

    @expose("/confirm/")
    def confirm_view(self) -> Any:
        """Show what the chosen criteria cover (count, list, 补打) and the 开始打印 button."""
        kind = _kind(request.args.get("kind"))
        criteria = self._criteria(kind, request.args)
        try:
            chosen = print_jobs.preview(db.session, current_user._get_current_object(), kind, criteria)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".choose_view", kind=kind.value, **criteria))
        return self.render(
            "admin/print_jobs/confirm.html",
            chosen=chosen,
            kind=kind,
            criteria=criteria,
            back_url=self.get_url(".choose_view", kind=kind.value, **criteria),
            return_url=self.get_url(".index_view"),
        )

    @expose("/start/", methods=("POST",))
    def start(self) -> Any:
        """Start the batch the clerk confirmed (less the documents left out)."""
        kind = _kind(request.form.get("kind"))
        criteria = self._criteria(kind, request.form)
        excluded = (parse_int(raw) for raw in request.form.getlist("exclude"))
        return self._start(
            kind,
            self.get_url(".confirm_view", kind=kind.value, **criteria),
            exclude=[value for value in excluded if value is not None],
            expected=int_arg("count", source=request.form),
            **criteria,
        )

    def _start(self, kind: PrintJobKind, back: str, **params: Any) -> Any:
        if not self.is_accessible():
            abort(403)
        base_url = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
        try:
            job = print_jobs.submit(
                db.session, current_user._get_current_object(), kind, base_url=base_url, **params
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        flash(f"已开始批量打印：{job.title}，生成完成后可在本页下载", "success")
        return redirect(self.get_url(".details_view", id=job.id))

    @expose("/start/certificates/", methods=("POST",))
    def start_certificates(self) -> Any:
        """Start printing every approved certificate of a year in the user's subtree (recognition list)."""
        back = url_for("recognitions.index_view")
        return self._start(PrintJobKind.CERTIFICATES, back, year=request.form.get("year"))

    @expose("/start/evaluations/", methods=("POST",))
    def start_evaluations(self) -> Any:
        """Start printing every 考评结果通知书 of a round (round page)."""
        round_id = int_arg("round_id", source=request.form)
        back = url_for("assessment_rounds.details_view", id=round_id or "")
        return self._start(PrintJobKind.EVALUATIONS, back, round_id=request.form.get("round_id"))
