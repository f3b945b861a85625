"""Printing a case's documents from the ledger: 人民调解受理登记表 and 人民调解协议书 (PDF, recorded)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, request
from flask_admin import expose
from flask_login import current_user

from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.case import Case
from portal.pdf import case_documents
from portal.services import DomainError, audit

#: The buttons' short names (打印受理登记表, 打印调解协议书).
SHORT_NAMES = {"acceptance": "受理登记表", "agreement": "调解协议书"}


class CasePrintMixin:
    """The print route and buttons of the case page; scope comes from the view's `get_one`."""

    def printable_documents(self, case: Case) -> list[tuple[str, str]]:
        """Return (route kind, label) of the documents the user may print for this case now."""
        if not self._holds(case_documents.PRINTERS):  # type: ignore[attr-defined]
            return []
        return [
            (name, SHORT_NAMES[name])
            for name, kind in case_documents.KINDS.items()
            if case_documents.printable(case, kind)
        ]

    @expose("/print/<kind>/", methods=("POST",))
    def print_document(self, kind: str) -> Any:
        """Print the case's 受理登记表 or 调解协议书 (recorded; a reprint is 补打); `preview=1`: a 草稿."""
        document_kind = case_documents.KINDS.get(kind)
        if document_kind is None:
            abort(404)
        case = self.get_one(request.args.get("id"))  # type: ignore[attr-defined]
        if not self._holds(case_documents.PRINTERS):  # type: ignore[attr-defined]
            abort(403)
        try:
            if request.args.get("preview") == "1":
                # A preview is not an issued document: no serial, no IssuedDocument, 草稿 across the page;
                # personal data still left the portal, so the audit log says who looked.
                build = case_documents.BUILDERS[document_kind]
                pdf = build(case, serial=None, original=None, draft=True).pdf
                actor = current_user._get_current_object()
                if document_kind in case_documents.FULL_ID_KINDS:
                    case_documents.audit_full_id(db.session, case, document_kind, actor, serial=None)
                else:
                    audit.record(
                        db.session,
                        AuditAction.EXPORT,
                        "dispute_case",
                        case.id,
                        f"预览{document_kind.label}（草稿）：{case.number}",
                    )
                db.session.commit()
            else:
                actor = current_user._get_current_object()
                _document, pdf = case_documents.issue(db.session, case, document_kind, actor)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".details_view", id=case.id))  # type: ignore[attr-defined]
        response = make_response(pdf)
        response.headers["Content-Type"] = "application/pdf"
        # ASCII only, so every browser keeps it; the document itself carries the Chinese title.
        response.headers["Content-Disposition"] = f'inline; filename="{kind}-{case.year}-{case.seq}.pdf"'
        response.headers["Cache-Control"] = "no-store"
        return response
