"""Print routes of the round, review and recognition pages: official PDFs, issued and recorded.

Each view mixes in its routes; the record comes through the view's scoped `get_one`, so an id outside the
user's subtree is a 404 as everywhere else. A document that is not final yet (open round, undecided
review) prints as a 草稿: no serial, no `IssuedDocument`, only an audit line. Everything else is issued
through `services.documents.issue`, which records the serial and hash, and marks a second print 补打.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, request, send_file
from flask_admin import expose
from flask_login import current_user

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.pdf import Rendered, assessment_documents, certificates, review_documents
from portal.services import DomainError, audit, documents

#: Who prints: clerks (文书) and admins, and evaluators, who answer for assessments and decisions.
PRINT_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.EVALUATOR})
Builder = Callable[..., Rendered]


def pdf_response(data: bytes, filename: str) -> Any:
    """Return a PDF shown in the browser (inline), under an ASCII file name."""
    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=False, download_name=filename)


def print_document(fields: dict[str, Any], build: Builder, *, draft: bool) -> bytes:
    """Issue and record the document, or render a 草稿 (recorded in the audit log only). Commits."""
    if draft:
        pdf = build(serial=None, original=None, draft=True).pdf
        label = fields["kind"].label
        audit.record(
            db.session,
            AuditAction.EXPORT,
            fields["subject_type"],
            fields["subject_id"],
            f"打印{label}（草稿）：{fields['title']}",
        )
        db.session.commit()
        return pdf
    _document, pdf = documents.issue(
        db.session,
        **fields,
        actor=current_user._get_current_object(),
        render=lambda serial, original: build(serial=serial, original=original),
    )
    return pdf


class PrintMixin:
    """The role check shared by the print routes."""

    def _check_print(self) -> None:
        if not (current_user.is_authenticated and current_user.has_role(*PRINT_ROLES)):
            abort(403)


class RoundPrints(PrintMixin):
    """考评结果通知书 of each target and the 考评结果汇总表, on the round page."""

    @expose("/print/evaluation/", methods=("POST",))
    def print_evaluation(self) -> Any:
        """Print one target's 考评结果通知书 (草稿 while the round is open)."""
        self._check_print()
        rnd = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        wanted = request.args.get("assessment", type=int)
        assessment = next((a for a in rnd.assessments if a.id == wanted), None)
        if assessment is None:
            abort(404)
        draft = assessment_documents.is_draft(rnd)
        pdf = print_document(
            assessment_documents.evaluation_issue_fields(assessment),
            lambda **kw: assessment_documents.evaluation_report(assessment, **kw),
            draft=draft,
        )
        return pdf_response(pdf, f"evaluation_{rnd.id}_{assessment.id}{'_draft' if draft else ''}.pdf")

    @expose("/print/summary/", methods=("POST",))
    def print_summary(self) -> Any:
        """Print the round's 考评结果汇总表 (草稿 while the round is open)."""
        self._check_print()
        rnd = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        draft = assessment_documents.is_draft(rnd)
        pdf = print_document(
            assessment_documents.summary_issue_fields(rnd),
            lambda **kw: assessment_documents.round_summary(rnd, **kw),
            draft=draft,
        )
        return pdf_response(pdf, f"round_summary_{rnd.id}{'_draft' if draft else ''}.pdf")


class ReviewPrints(PrintMixin):
    """责任倒查决定书, on the review page."""

    @expose("/print/decision/", methods=("POST",))
    def print_decision(self) -> Any:
        """Print the review's 责任倒查决定书 (草稿 until it is decided)."""
        self._check_print()
        review = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        draft = review_documents.is_draft(review)
        pdf = print_document(
            review_documents.issue_fields(review),
            lambda **kw: review_documents.review_decision(review, **kw),
            draft=draft,
        )
        return pdf_response(pdf, f"review_decision_{review.id}{'_draft' if draft else ''}.pdf")


class RecognitionPrints(PrintMixin):
    """荣誉证书, on the recognition page (approved recognitions only)."""

    @expose("/print/certificate/", methods=("POST",))
    def print_certificate(self) -> Any:
        """Print the 荣誉证书 of an approved recognition."""
        self._check_print()
        rec = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        try:
            certificates.check_printable(rec)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(self.get_url(".details_view", id=rec.id))  # type: ignore[attr-defined]
        pdf = print_document(
            certificates.issue_fields(rec),
            lambda **kw: certificates.certificate(rec, **kw),
            draft=False,
        )
        return pdf_response(pdf, f"certificate_{rec.id}.pdf")
