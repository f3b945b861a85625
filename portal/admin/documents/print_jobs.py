"""批量打印: the jobs of the user's subtree with their progress, the job page, downloads and the start routes.

Start buttons sit on the recognition list (打印本年度全部证书) and the round page (打印全部考评结果通知书);
they POST here. A job belongs to the organisation whose records it prints, so the list, the job page,
its progress and its download go through the scoped `get_one`: another subtree's job id is a 404.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from portal.admin.base import SecureModelView, enum_filter, local_time
from portal.admin.guards import int_arg
from portal.extensions import db, start_writing
from portal.models.audit import AuditAction
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus
from portal.pdf import jobs as print_jobs
from portal.services import DomainError, audit


def progress_bar(job: PrintJob) -> Markup:
    """Return a Bootstrap progress bar of the job (red when it failed)."""
    colour = {PrintJobStatus.DONE: "bg-success", PrintJobStatus.FAILED: "bg-danger"}.get(job.status, "")
    animated = "progress-bar-striped progress-bar-animated" if not job.finished else ""
    return Markup(
        '<div class="progress print-progress"><div class="progress-bar {} {}" role="progressbar" '
        'data-percent="{}" aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100">{}/{}</div></div>'
    ).format(colour, animated, job.percent, job.percent, job.done, job.total)


def _download_link(view: Any, context: Any, job: PrintJob, name: str) -> Markup | str:
    if job.status != PrintJobStatus.DONE:
        return job.status.label
    return Markup('<a class="btn btn-sm btn-outline-primary" href="{}">下载 PDF</a>').format(
        url_for(".download", id=job.id)
    )


class PrintJobView(SecureModelView):
    """批量打印: who printed what in one go, how far it got, and the file when done."""

    read_roles = print_jobs.PRINT_ROLES
    write_roles = frozenset()
    scoped_org_fields = ()
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
    column_formatters_export = {"organization": lambda v, c, m, n: m.organization.name}
    column_filters = (
        enum_filter(PrintJob.kind, "类别", PrintJobKind),
        enum_filter(PrintJob.status, "状态", PrintJobStatus),
    )
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("title",)

    @expose("/details/")
    def details_view(self) -> Any:
        """Show one job: its progress bar (refreshed every second) and the download once done."""
        start_writing()
        print_jobs.reap_stale(db.session)
        job = self.get_one(request.args.get("id"))
        return self.render(
            self.details_template,
            job=job,
            progress=progress_bar(job),
            local_time=local_time,
            return_url=self.get_url(".index_view"),
        )

    @expose("/progress/")
    def progress(self) -> Any:
        """Return the job's progress as JSON, for the job page's progress bar."""
        start_writing()
        print_jobs.reap_stale(db.session)
        job = self.get_one(request.args.get("id"))
        return jsonify(
            status=job.status.value,
            label=job.status.label,
            done=job.done,
            total=job.total,
            percent=job.percent,
            finished=job.finished,
            error=job.error,
            download=url_for(".download", id=job.id) if job.status == PrintJobStatus.DONE else None,
        )

    @expose("/download/")
    def download(self) -> Any:
        """Hand out the job's PDF, and record who downloaded it."""
        job = self.get_one(request.args.get("id"))
        if job.status != PrintJobStatus.DONE or job.pdf is None:
            abort(404)
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
        flash(f"已提交批量打印：{job.title}，生成完成后可在本页下载", "success")
        return redirect(self.get_url(".details_view", id=job.id))

    @expose("/start/certificates/", methods=("POST",))
    def start_certificates(self) -> Any:
        """Start printing every approved certificate of a year in the user's subtree."""
        back = request.referrer or url_for("recognitions.index_view")
        return self._start(PrintJobKind.CERTIFICATES, back, year=int_arg("year", source=request.form))

    @expose("/start/evaluations/", methods=("POST",))
    def start_evaluations(self) -> Any:
        """Start printing every 考评结果通知书 of a round."""
        round_id = int_arg("round_id", source=request.form)
        back = url_for("assessment_rounds.details_view", id=round_id or "")
        return self._start(PrintJobKind.EVALUATIONS, back, round_id=round_id)
