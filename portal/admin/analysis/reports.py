"""分析研判报告: a period's report as a page, a workbook and two documents, and the analyst's notes.

Roles: administrators, evaluators and clerks read, within their subtree. Administrators and evaluators
write the 研判意见 (`services.analysis_notes.NOTE_WRITERS`). The report PDF prints for every reader who
prints documents (`PRINT_ROLES`); the 情况通报 is issued by clerks (文书) and administrators.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from portal import clock
from portal.admin import guards
from portal.admin.analysis.common import (
    XLSX,
    AnalysisBaseView,
    chosen_org,
    chosen_period,
    period_args,
    report_orgs,
)
from portal.admin.analysis.forms import NotesForm
from portal.admin.base import attempt
from portal.admin.documents.prints import PRINT_ROLES, pdf_response, print_document
from portal.admin.ledger.links import ledger_url
from portal.extensions import db, start_writing
from portal.models.analysis import AnalysisReport
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.models.org import Organization
from portal.pdf import analysis_documents
from portal.services import analysis, analysis_notes, analysis_sheets, audit
from portal.services.analysis_periods import HALF_NAMES, Period

#: Who issues the 情况通报: clerks (文书), and administrators (协调中心) who run the meeting.
CIRCULAR_PRINTERS = frozenset({Role.CLERK, Role.ADMIN})


class AnalysisView(AnalysisBaseView):
    """分析研判: the monthly (county) or half-monthly (township) report of any period."""

    write_roles = analysis_notes.NOTE_WRITERS

    def _page(self, org: Organization, period: Period, form: NotesForm | None = None) -> Any:
        report = analysis.build_report(db.session, org, period, clock.today())
        if form is None:
            form = NotesForm(formdata=None, obj=report.notes)
            form.lock_version.data = report.notes.version if report.notes else ""
        return self.render(
            "admin/analysis/report.html",
            report=report,
            summary=analysis_notes.circular_paragraphs(report),
            today=clock.today(),
            form=form,
            args=period_args(org, period),
            orgs=report_orgs(),
            halves=HALF_NAMES,
            link=ledger_url,
            can_write=analysis_notes.may_write(current_user, org),
            can_print=current_user.has_role(*PRINT_ROLES),
            can_circular=current_user.has_role(*CIRCULAR_PRINTERS),
            draft=analysis_documents.is_draft(report),
        )

    @expose("/")
    def index(self) -> Any:
        """Show the report of the chosen organisation and period (default: the last one that ended)."""
        org = chosen_org()
        return self._page(org, chosen_period(org, strict=False))

    @expose("/notes/", methods=("POST",))
    def notes(self) -> Any:
        """Save the 研判意见; a stale save is refused and the typed text shown again."""
        org = chosen_org()
        period = chosen_period(org, strict=True)
        if not analysis_notes.may_write(current_user, org):
            abort(403)
        form = NotesForm()
        if not form.validate_on_submit():
            return self._page(org, period, form)
        texts = {key: form[key].data for key in analysis_notes.NOTE_FIELDS}
        expected = guards.parse_int(form.lock_version.data) if form.lock_version.data else None
        saved = attempt(
            form,
            lambda: analysis_notes.save_notes(
                db.session, current_user, org, period, texts=texts, expected_version=expected
            ),
        )
        if not saved:
            return self._page(org, period, form)
        flash(f"已保存{org.name}{period.label}的研判意见", "success")
        return redirect(url_for(".index", **period_args(org, period)) + "#notes")

    @expose("/export/xlsx/")
    def export(self) -> Any:
        """Download the report as a workbook, and record the export."""
        org = chosen_org()
        period = chosen_period(org, strict=True)
        report = analysis.build_report(db.session, org, period, clock.today())
        data = analysis_sheets.report_workbook(report, current_user.full_name, clock.today())
        start_writing()
        audit.record(
            db.session,
            AuditAction.EXPORT,
            "analysis_report",
            report.notes.id if report.notes else None,
            f"导出分析研判（{org.name}{period.label}）",
        )
        db.session.commit()
        return send_file(
            BytesIO(data),
            mimetype=XLSX,
            as_attachment=True,
            download_name=f"analysis_{org.id}_{period.key}.xlsx",
        )

    def _record(self, org: Organization, period: Period) -> AnalysisReport:
        record = analysis_notes.record_for(db.session, org, period)
        db.session.flush()
        return record

    @expose("/print/report/", methods=("POST",))
    def print_report(self) -> Any:
        """Print the 矛盾纠纷分析研判报告 (草稿 while the period runs; issued and recorded after)."""
        if not current_user.has_role(*PRINT_ROLES):
            abort(403)
        org = chosen_org()
        period = chosen_period(org, strict=True)
        report = analysis.build_report(db.session, org, period, clock.today())
        draft = analysis_documents.is_draft(report)
        record = report.notes if draft else self._record(org, period)
        pdf = print_document(
            analysis_documents.report_issue_fields(report, record),
            lambda **kw: analysis_documents.analysis_report(report, **kw),
            draft=draft,
        )
        return pdf_response(pdf, f"analysis_{org.id}_{period.key}{'_draft' if draft else ''}.pdf")

    @expose("/print/circular/", methods=("POST",))
    def print_circular(self) -> Any:
        """Issue the period's 矛盾纠纷情况通报 under its number (草稿 while the period runs)."""
        if not current_user.has_role(*CIRCULAR_PRINTERS):
            abort(403)
        org = chosen_org()
        period = chosen_period(org, strict=True)
        report = analysis.build_report(db.session, org, period, clock.today())
        draft = analysis_documents.is_draft(report)
        record = report.notes
        if not draft:
            record = self._record(org, period)
            analysis_notes.number_circular(db.session, record, clock.today())
        number = record.circular_number if record is not None else None
        pdf = print_document(
            analysis_documents.circular_issue_fields(report, record),
            lambda **kw: analysis_documents.circular(report, number=number, **kw),
            draft=draft,
        )
        return pdf_response(pdf, f"circular_{org.id}_{period.key}{'_draft' if draft else ''}.pdf")
