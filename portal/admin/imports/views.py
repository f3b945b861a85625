"""数据导入: templates, upload and dry run, the problem report, confirmation.

The uploaded file is kept outside the database (`services.imports.store`, in IMPORT_DIR) under a random
token tied to the uploading user, from the dry run until the user confirms or cancels, for at most
IMPORT_KEEP_HOURS; the confirmation imports that very file, never a new upload. Registers (organisations,
mediators, experts) are imported by administrators, historical cases also by data-entry users, each into
their own subtree (`services.imports`).
"""

from __future__ import annotations

import math
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import clock
from portal.admin.guards import int_arg
from portal.admin.imports.forms import ConfirmForm, DiscardForm, UploadForm
from portal.extensions import db
from portal.models.auth import Role
from portal.services import DomainError, imports
from portal.services.deadlines import DeadlineRules
from portal.services.imports import reader, workbooks
from portal.services.imports.store import Upload, UploadStore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 100
#: Where each kind's records are listed after an import.
LISTS = {
    "organisations": "organizations.index_view",
    "mediators": "mediators.index_view",
    "experts": "experts.index_view",
    "cases": "cases.index_view",
}


def upload_store() -> UploadStore:
    """Return the store of uploads awaiting confirmation (IMPORT_DIR, default instance/imports)."""
    root = current_app.config.get("IMPORT_DIR") or Path(current_app.instance_path) / "imports"
    return UploadStore(Path(root), timedelta(hours=current_app.config.get("IMPORT_KEEP_HOURS", 24)))


def _context() -> imports.Context:
    return imports.Context(
        db.session,
        current_user._get_current_object(),
        clock.today(),
        DeadlineRules.from_config(current_app.config),
    )


class ImportView(BaseView):
    """The 数据导入 page."""

    read_roles = frozenset({Role.ADMIN, Role.ENTRY})

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.has_role(*self.read_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _kinds(self) -> list[imports.Kind]:
        return imports.kinds_for(current_user)

    def _kind(self, key: str) -> imports.Kind:
        kind = next((k for k in self._kinds() if k.key == key), None)
        if kind is None:
            abort(404)
        return kind

    def _upload(self, token: str) -> Upload:
        upload = upload_store().get(token, current_user.id)
        if upload is None or upload.kind not in {k.key for k in self._kinds()}:
            abort(404)
        return upload

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        """Choose a kind, download its template, upload a file: the dry run runs at once."""
        kinds = self._kinds()
        upload_store().purge()  # expired uploads go, whether or not anyone uploads again
        form = UploadForm()
        form.kind.choices = [(k.key, k.title) for k in kinds]
        if form.validate_on_submit():
            token = self._store(form)
            if token is not None:
                return redirect(self.get_url(".report", token=token))
        limit = current_app.config.get("IMPORT_MAX_BYTES", 15 * 1024 * 1024)
        return self.render(
            "admin/imports/index.html",
            form=form,
            kinds=kinds,
            limit_mb=limit // (1024 * 1024),
            max_rows=reader.MAX_ROWS,
            keep_hours=current_app.config.get("IMPORT_KEEP_HOURS", 24),
        )

    def _store(self, form: UploadForm) -> str | None:
        """Keep the upload and check it (dry run); flash why not and return None when it is no workbook."""
        kind = self._kind(form.kind.data)
        upload = form.file.data
        filename = Path(upload.filename or "").name
        limit = current_app.config.get("IMPORT_MAX_BYTES", 15 * 1024 * 1024)
        if not filename.lower().endswith(".xlsx"):
            flash("只能上传 Excel 工作簿（.xlsx）文件；.xls 或 .csv 请先在 Excel 中另存为 .xlsx", "error")
            return None
        data = upload.read(limit + 1)
        if len(data) > limit:
            flash(f"文件超过 {limit // (1024 * 1024)} MB，请拆分为多个文件分批导入", "error")
            return None
        store = upload_store()
        token = store.save(current_user.id, kind.key, filename, data)
        stored = store.get(token, current_user.id)
        assert stored is not None
        try:
            with reader.Book(stored.path):
                pass
        except DomainError as exc:
            store.discard(token)
            flash(exc.message, "error")
            return None
        report = imports.check(_context(), kind, stored.path, filename)
        store.save_report(stored, report)
        return token

    @expose("/new/")
    @expose("/edit/")
    @expose("/details/")
    def elsewhere(self) -> Any:
        """Register-style links lead to the page: an import is started by uploading a file."""
        return redirect(self.get_url(".index"))

    @expose("/export/<kind>/")
    @expose("/template/<kind>/")  # the first registered: what url_for gives
    def template(self, kind: str) -> Any:
        """Download a kind's template (the organisations of the user's subtree in its lists)."""
        chosen = self._kind(kind)
        data = workbooks.template(chosen, db.session, current_user)
        return send_file(
            BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"{chosen.title}导入模板.xlsx"
        )

    @expose("/report/<token>/")
    def report(self, token: str) -> Any:
        """Show the dry run's report, a page of problems at a time, and the confirmation when it is clean."""
        upload = self._upload(token)
        report = upload.report
        if report is None:
            abort(404)
        pages = max(1, math.ceil(len(report.problems) / PAGE_SIZE))
        page = min(max(int_arg("page", 1) or 1, 1), pages)
        rows = workbooks.report_rows(report)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self.render(
            "admin/imports/report.html",
            upload=upload,
            report=report,
            rows=rows,
            page=page,
            pages=pages,
            confirm_form=ConfirmForm(),
            discard_form=DiscardForm(),
        )

    @expose("/report/<token>/xlsx/")
    def report_xlsx(self, token: str) -> Any:
        """Download the report as xlsx."""
        upload = self._upload(token)
        if upload.report is None:
            abort(404)
        data = workbooks.report_workbook(upload.report)
        name = f"{upload.report.title}检查结果.xlsx"
        return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)

    @expose("/confirm/<token>/", methods=("POST",))
    def confirm(self, token: str) -> Any:
        """Import the stored file: checked again and written all or nothing."""
        upload = self._upload(token)
        form = ConfirmForm()
        if not form.validate_on_submit():
            for errors in form.errors.values():
                for message in errors:
                    flash(str(message), "error")
            return redirect(self.get_url(".report", token=token))
        kind = self._kind(upload.kind)
        store = upload_store()
        path = store.claim(upload)
        if path is None:
            flash("该文件正在导入或已经导入，请勿重复提交", "error")
            return redirect(self.get_url(".index"))
        try:
            report = imports.run(_context(), kind, path, upload.filename)
        finally:
            store.release(upload)
        if not report.imported:
            store.save_report(upload, report)
            flash("文件存在问题，未导入任何数据；请按检查结果修改后重新上传", "error")
            return redirect(self.get_url(".report", token=token))
        store.discard(token)
        created = "、".join(f"{noun} {n}" for noun, n in report.created.items())
        flash(f"已导入{kind.title}：{created}", "success")
        return redirect(url_for(LISTS[kind.key]))

    @expose("/discard/<token>/", methods=("POST",))
    def discard(self, token: str) -> Any:
        """Cancel: remove the uploaded file."""
        upload = self._upload(token)
        if DiscardForm().validate_on_submit():
            upload_store().discard(upload.token)
            flash("已取消，上传的文件已删除", "info")
        return redirect(self.get_url(".index"))
