"""表单设计: the builder's own menu entry — every dispute type with its form, drafts and versions.

A clerk starts here: a type without a form gets one with a click (named after the type, its key made
up), a type with one opens the builder. Forms are one catalogue for the county, like the dispute types,
so only administrators at the root may open the page (as the builder itself, `FormDefinitionView`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select

from portal.admin.base import PortalForm, local_time
from portal.admin.guards import parse_int
from portal.extensions import db
from portal.models.auth import Role
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition
from portal.services import DomainError, formdefs


@dataclass
class Row:
    """One dispute type on the page, with its own form or the one it inherits."""

    dispute_type: DisputeType
    depth: int
    definition: FormDefinition | None
    inherited: FormDefinition | None


class CreateForm(PortalForm):
    """Start the form of a dispute type (the CSRF token is all it carries)."""


class FormDesignView(BaseView):
    """The list of dispute types and their forms, with the way into the builder."""

    def is_accessible(self) -> bool:
        return (
            current_user.is_authenticated
            and current_user.has_role(Role.ADMIN)
            and current_user.organization.parent_id is None
        )

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @expose("/")
    def index(self) -> Any:
        """Every dispute type, in dictionary order, with its form's versions and draft."""
        types = db.session.scalars(
            select(DisputeType).order_by(DisputeType.sort_order, DisputeType.code)
        ).all()
        forms = {d.dispute_type_id: d for d in db.session.scalars(select(FormDefinition)).all()}
        children: dict[int | None, list[DisputeType]] = {}
        for kind in types:
            children.setdefault(kind.parent_id, []).append(kind)
        rows: list[Row] = []

        def visit(kind: DisputeType, depth: int, inherited: FormDefinition | None) -> None:
            own = forms.get(kind.id)
            rows.append(Row(kind, depth, own, None if own else inherited))
            for child in children.get(kind.id, []):
                visit(child, depth + 1, own if own and not own.archived else inherited)

        for top in children.get(None, []):
            visit(top, 0, None)
        unlinked = [d for d in forms.values() if d.dispute_type_id is None]
        return self.render(
            "admin/forms/design.html",
            rows=rows,
            unlinked=unlinked,
            create_form=CreateForm(),
            local_time=local_time,
        )

    @expose("/new/")
    @expose("/edit/")
    @expose("/details/")
    @expose("/export/<export_type>/")
    def elsewhere(self, export_type: str | None = None) -> Any:
        """Register-style links lead to the page: a form is started from its dispute type's row."""
        return redirect(self.get_url(".index"))

    @expose("/create/", methods=("POST",))
    def create(self) -> Any:
        """Start an empty form for a dispute type that has none, and open it in the builder."""
        form = CreateForm()
        kind = db.session.get(DisputeType, parse_int(request.form.get("type")) or 0)
        if kind is None:
            abort(404)
        if not form.validate_on_submit():
            flash("页面已过期，请刷新后重试", "error")
            return redirect(self.get_url(".index"))
        try:
            definition = formdefs.create_for_type(db.session, kind)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(self.get_url(".index"))
        flash(f"已为“{kind.name}”新建表单，请添加字段", "success")
        return redirect(url_for("form_definitions.details_view", id=definition.id))
