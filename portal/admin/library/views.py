"""优秀案例库 pages: the library every user of the county reads, and the pages that propose and review.

`LibraryView` (优秀案例库) lists the published entries of the user's county, anonymised text only, with
search over the title and the write-up, filters, sorting, paging and the PDF. `ExcellentCaseView`
(案例推荐审核) holds the entries of the user's subtree in every status: the proposal form opened from a
case page, the write-up, the anonymised text side by side with the original, and the review steps.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from portal.admin.base import (
    ALL_ROLES,
    OrgSubtreeFilter,
    SecureModelView,
    attempt,
    enum_filter,
    link,
    local_time,
)
from portal.admin.documents.prints import pdf_response
from portal.admin.guards import int_arg
from portal.admin.library.filters import CountyOrgFilter, MethodFilter, TypeFilter, YearFilter
from portal.admin.library.forms import (
    AnonymisedForm,
    StepNoteForm,
    WriteUpForm,
    method_groups,
    prefill_from_case,
    prefill_from_entry,
    version_of,
)
from portal.extensions import db
from portal.models.audit import AuditAction
from portal.models.auth import Role
from portal.models.case import Case
from portal.models.case_library import (
    TEXT_FIELDS,
    ExcellentCase,
    ExcellentCaseEventKind,
    LibraryStatus,
)
from portal.pdf import library_documents
from portal.services import anonymise, audit
from portal.services import case_library as library
from portal.services.scope import can_reach_org

K = ExcellentCaseEventKind


def _title(view: Any, context: Any, model: ExcellentCase, name: str) -> Markup:
    return link(view.get_url(".details_view", id=model.id), model.anon_title)


def _status(view: Any, context: Any, model: ExcellentCase, name: str) -> Markup:
    return Markup('<span class="badge badge-{} library-status">{}</span>').format(
        model.status.badge, model.status.label
    )


COMMON_LABELS = {
    "anon_title": "标题",
    "title": "标题（原文）",
    "dispute_type": "纠纷类型",
    "methods_text": "工作法/调解方法",
    "organization": "推荐单位",
    "year": "年度",
    "published_at": "入库时间",
    "status": "状态",
    "proposed_by_name": "推荐人",
    "submitted_at": "提交审核时间",
    "reviewed_by_name": "审核人",
    "anon_summary": "案情简介",
    "anon_process": "调解过程",
    "anon_technique": "调解方法和技巧",
    "anon_significance": "典型意义",
}
COMMON_FORMATTERS = {
    "anon_title": _title,
    "dispute_type": lambda v, c, m, n: str(m.dispute_type),
    "organization": lambda v, c, m, n: m.organization.name,
    "methods_text": lambda v, c, m, n: m.methods_text,
    "published_at": lambda v, c, m, n: local_time(m.published_at),
    "submitted_at": lambda v, c, m, n: local_time(m.submitted_at),
}
EXPORT_FORMATTERS = {
    "dispute_type": lambda v, c, m, n: str(m.dispute_type),
    "organization": lambda v, c, m, n: m.organization.name,
    "methods_text": lambda v, c, m, n: m.methods_text,
    "published_at": lambda v, c, m, n: local_time(m.published_at),
    "submitted_at": lambda v, c, m, n: local_time(m.submitted_at),
    "status": lambda v, c, m, n: m.status.label,
}


class LibraryView(SecureModelView):
    """优秀案例库: the published excellent cases of the user's county, read by everyone signed in."""

    read_roles = ALL_ROLES
    # Nothing is written here (entries change through 案例推荐审核); like a catalogue the whole county
    # shares (no scope column), its write pages are the root administrator's, closed (403) below it.
    write_roles = frozenset({Role.ADMIN})
    scope_column = None
    can_create = False
    can_edit = False
    details_template = "admin/library/entry.html"

    column_list = ("anon_title", "dispute_type", "methods_text", "organization", "year", "published_at")
    column_export_list = (
        "anon_title",
        "dispute_type",
        "methods_text",
        "organization",
        "year",
        "published_at",
        "anon_summary",
        "anon_process",
        "anon_technique",
        "anon_significance",
    )
    column_labels = COMMON_LABELS
    column_formatters = COMMON_FORMATTERS
    column_formatters_export = EXPORT_FORMATTERS
    column_searchable_list = (
        "anon_title",
        "anon_summary",
        "anon_process",
        "anon_technique",
        "anon_significance",
    )
    column_sortable_list = ("anon_title", "year", "published_at")
    column_default_sort = [("published_at", True), ("id", True)]
    column_filters = (TypeFilter(), MethodFilter(), YearFilter(), CountyOrgFilter())

    def scope_clause(self) -> Any:
        return library.library_clause(current_user)

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(joinedload(ExcellentCase.organization), joinedload(ExcellentCase.dispute_type))
        )

    def entry_page(self, entry: ExcellentCase) -> dict[str, Any]:
        """Return what the library page of an entry shows besides the entry."""
        actor = current_user._get_current_object()
        return {
            "sections": [(label, entry.texts(anonymised=True)[name]) for name, label in TEXT_FIELDS[1:]],
            "case_url": (
                self.get_url("cases.details_view", id=entry.case_id)
                if can_reach_org(actor, entry.case.organization)
                else None
            ),
            "manage_url": (
                self.get_url("excellent_cases.details_view", id=entry.id)
                if actor.has_role(*ExcellentCaseView.read_roles) and can_reach_org(actor, entry.organization)
                else None
            ),
            "local_time": local_time,
        }

    @expose("/print/", methods=("POST",))
    def print_entry(self) -> Any:
        """Print the published entry as PDF (anonymised text only); the print is audited."""
        entry = self.get_one(request.args.get("id"))
        pdf = library_documents.excellent_case(entry).pdf
        audit.record(
            db.session, AuditAction.EXPORT, "excellent_case", entry.id, f"打印优秀案例：{entry.anon_title}"
        )
        db.session.commit()
        return pdf_response(pdf, f"excellent_case_{entry.id}.pdf")


class ExcellentCaseView(SecureModelView):
    """案例推荐审核: the entries of the user's subtree in every status, with their steps."""

    read_roles = library.WORKERS
    write_roles = library.WORKERS
    can_create = False
    can_edit = False
    details_template = "admin/library/details.html"

    column_list = (
        "anon_title",
        "dispute_type",
        "organization",
        "year",
        "status",
        "proposed_by_name",
        "submitted_at",
        "published_at",
    )
    column_export_list = (
        "anon_title",
        "dispute_type",
        "methods_text",
        "organization",
        "year",
        "status",
        "proposed_by_name",
        "submitted_at",
        "reviewed_by_name",
        "published_at",
    )
    column_labels = COMMON_LABELS
    column_formatters = {**COMMON_FORMATTERS, "status": _status}
    column_formatters_export = EXPORT_FORMATTERS
    column_searchable_list = ("anon_title", "title")
    column_sortable_list = ("year", "status", "submitted_at", "published_at")
    column_default_sort = [("id", True)]
    column_filters = (
        enum_filter(ExcellentCase.status, "状态", LibraryStatus),
        TypeFilter(),
        MethodFilter(),
        OrgSubtreeFilter(ExcellentCase.organization_id, "推荐单位（含下级）"),
    )

    def get_query(self) -> Any:
        return (
            super()
            .get_query()
            .options(joinedload(ExcellentCase.organization), joinedload(ExcellentCase.dispute_type))
        )

    # --- the entry page --------------------------------------------------------------------------

    def entry_page(self, entry: ExcellentCase) -> dict[str, Any]:
        """Return what the entry page shows besides the entry."""
        actor = current_user._get_current_object()
        case_rules = anonymise.rules_for_case(entry.case)
        original, anonymised = entry.texts(anonymised=False), entry.texts(anonymised=True)
        return {
            "steps": library.available_steps(entry, actor),
            "can_edit": library.can_edit(actor, entry),
            "can_edit_anonymised": library.can_edit_anonymised(actor, entry),
            "can_check": library.can_check(actor, entry),
            "pairs": [(label, original[name], anonymised[name]) for name, label in TEXT_FIELDS],
            "leaks": anonymise.leaks(anonymised.values(), case_rules),
            "case_url": (
                self.get_url("cases.details_view", id=entry.case_id)
                if can_reach_org(actor, entry.case.organization)
                else None
            ),
            "library_url": (
                self.get_url("case_library.details_view", id=entry.id)
                if entry.status == LibraryStatus.PUBLISHED
                else None
            ),
            "local_time": local_time,
            "Kind": K,
            "can_audit": actor.has_role(Role.ADMIN),
        }

    def _entry(self) -> ExcellentCase:
        if not self._holds(self.write_roles):
            abort(403)
        return self.get_one(request.args.get("id"))

    # --- proposing and writing -------------------------------------------------------------------

    @expose("/propose/", methods=("GET", "POST"))
    def propose(self) -> Any:
        """推荐为优秀案例: write a case up (opened from the case page)."""
        if not current_user.has_role(*library.PROPOSERS):
            abort(403)
        case = db.session.get(Case, int_arg("case_id") or 0)
        if case is None or not can_reach_org(current_user, case.organization):
            abort(404)
        case_url = self.get_url("cases.details_view", id=case.id)
        actor = current_user._get_current_object()
        if reason := library.refusal_to_propose(case, actor):
            flash(reason, "error")
            return redirect(case_url)
        form = WriteUpForm()
        if not form.is_submitted():
            prefill_from_case(form, case)
        created: list[ExcellentCase] = []
        if form.validate_on_submit() and attempt(
            form,
            lambda: created.append(
                library.propose(db.session, actor, case, form.texts(), form.methods.data or [])
            ),
        ):
            flash("已推荐为优秀案例（草稿），请核对脱敏文本后提交审核", "success")
            return redirect(self.get_url(".details_view", id=created[0].id))
        return self.render(
            "admin/library/write.html",
            form=form,
            case=case,
            entry=None,
            groups=method_groups(),
            return_url=case_url,
        )

    @expose("/write/", methods=("GET", "POST"))
    def write(self) -> Any:
        """修改案例: change the write-up and tags (草稿, 退回修改), as a new revision."""
        entry = self._entry()
        back = self.get_url(".details_view", id=entry.id)
        actor = current_user._get_current_object()
        if not library.can_edit(actor, entry):
            flash("只有推荐单位可以在草稿或退回修改时修改案例", "error")
            return redirect(back)
        form = WriteUpForm()
        if not form.is_submitted():
            prefill_from_entry(form, entry, anonymised=False)
        changed: list[bool] = []
        if form.validate_on_submit() and attempt(
            form,
            lambda: changed.append(
                library.edit(
                    db.session, actor, entry, form.texts(), form.methods.data or [], version_of(form)
                )
            ),
        ):
            flash("已保存修改，改动的部分已重新脱敏" if changed[0] else "没有改动", "success")
            return redirect(back)
        return self.render(
            "admin/library/write.html",
            form=form,
            case=entry.case,
            entry=entry,
            groups=method_groups(),
            return_url=back,
        )

    @expose("/anonymised/", methods=("GET", "POST"))
    def anonymised(self) -> Any:
        """脱敏核对: the anonymised text next to the original, corrected by hand and confirmed."""
        entry = self._entry()
        back = self.get_url(".details_view", id=entry.id)
        actor = current_user._get_current_object()
        if not library.can_edit_anonymised(actor, entry):
            flash("当前不能修改该案例的脱敏文本", "error")
            return redirect(back)
        form = AnonymisedForm()
        if not form.is_submitted():
            prefill_from_entry(form, entry, anonymised=True)
        action = request.form.get("action", "save")
        if action not in ("save", "reapply", "confirm"):
            abort(400)
        if form.is_submitted() and action == "reapply":
            if form.validate_on_submit() and attempt(
                form, lambda: library.save_anonymised(db.session, actor, entry, None, version_of(form))
            ):
                flash("已按规则重新脱敏（手工修改已被替换），请再次核对", "success")
                return redirect(self.get_url(".anonymised", id=entry.id))
        elif form.validate_on_submit() and attempt(
            form,
            lambda: library.save_anonymised(
                db.session, actor, entry, form.texts(), version_of(form), confirm=action == "confirm"
            ),
        ):
            flash("已确认脱敏文本" if action == "confirm" else "已保存脱敏文本", "success")
            return redirect(back)
        case_rules = anonymise.rules_for_case(entry.case)
        return self.render(
            "admin/library/anonymised.html",
            form=form,
            entry=entry,
            original=entry.texts(anonymised=False),
            names=case_rules.names,
            leaks=anonymise.leaks(entry.texts(anonymised=True).values(), case_rules),
            can_check=library.can_check(actor, entry),
            fields=TEXT_FIELDS,
            return_url=back,
        )

    # --- review steps ----------------------------------------------------------------------------

    @expose("/act/<kind>/", methods=("GET", "POST"))
    def act(self, kind: str) -> Any:
        """提交审核, 退回修改, 不予入库, 入库, 撤出案例库: one step, with its reason or opinion."""
        step = next((k for k in library.STEPS if k.value == kind), None)
        if step is None:
            abort(404)
        entry = self._entry()
        back = self.get_url(".details_view", id=entry.id)
        actor = current_user._get_current_object()
        if reason := library.refusal(entry, actor, step):
            flash(reason, "error")
            return redirect(back)
        form = StepNoteForm()
        if not form.is_submitted():
            form.lock_version.data = entry.version
        if form.validate_on_submit() and attempt(
            form,
            lambda: library.take_step(db.session, actor, entry, step, version_of(form), form.note.data),
        ):
            flash(f"已办理「{step.label}」：{entry.anon_title}", "success")
            return redirect(back)
        return self.render(
            "admin/library/act.html",
            form=form,
            entry=entry,
            step=step,
            reason_required=step in library.REASON_REQUIRED,
            return_url=back,
        )


def case_library_block(case: Case) -> dict[str, Any]:
    """Return the 优秀案例 block of the case page: the case's proposals and whether it may be proposed."""
    actor = current_user._get_current_object()
    if not actor.has_role(*library.WORKERS):
        return {"entries": [], "can_propose": False}
    entries = [e for e in library.entries_of_case(db.session, case) if can_reach_org(actor, e.organization)]
    open_entry = any(e.status not in (LibraryStatus.REJECTED, LibraryStatus.WITHDRAWN) for e in entries)
    return {
        "entries": entries,
        "can_propose": not open_entry and library.refusal_to_propose(case, actor) is None,
    }
