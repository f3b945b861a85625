"""文书出具记录: every official PDF issued in the user's subtree, read-only, with its verification link."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_admin.contrib.sqla import filters
from markupsafe import Markup

from portal.admin.base import SecureModelView, enum_filter, local_time
from portal.models.auth import Role
from portal.models.document import DocumentKind, IssuedDocument


class PresenceFilter(filters.BaseSQLAFilter):
    """Filter on whether a nullable column is set (补打 = has an original; 已撤销 = has a revocation time)."""

    def __init__(self, column: Any, name: str, present: str, absent: str) -> None:
        super().__init__(column, name, options=(("1", present), ("0", absent)))

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        column = self.get_column(alias)
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self) -> str:
        return "为"


def _verify_link(view: Any, context: Any, model: IssuedDocument, name: str) -> Markup:
    return Markup('<a href="{}" target="_blank" rel="noopener"><code>{}</code></a>').format(
        url_for("verify.verify", serial=model.serial), model.serial
    )


class IssuedDocumentView(SecureModelView):
    """文书出具记录: who issued which document when, reprints (补打) and revocations; read-only."""

    read_roles = frozenset({Role.ADMIN, Role.CLERK, Role.EVALUATOR})
    write_roles = frozenset()
    scoped_org_fields = ()
    column_list = (
        "issued_at",
        "kind",
        "number",
        "title",
        "organization",
        "issued_by_name",
        "reprint_of",
        "revoked_at",
        "serial",
    )
    column_details_list = (
        *column_list,
        "masked_name",
        "subject_type",
        "subject_id",
        "pages",
        "sha256",
        "revoked_reason",
    )
    column_export_list = column_details_list
    column_labels = {
        "issued_at": "出具时间",
        "kind": "文书类别",
        "number": "文书编号",
        "title": "标题",
        "organization": "出具单位",
        "issued_by_name": "出具人",
        "reprint_of": "补打",
        "revoked_at": "撤销时间",
        "serial": "核验码",
        "masked_name": "当事人（遮蔽）",
        "subject_type": "对象类型",
        "subject_id": "对象编号",
        "pages": "页数",
        "sha256": "SHA-256",
        "revoked_reason": "撤销原因",
    }
    column_searchable_list = ("number", "serial", "title")
    column_sortable_list = ("issued_at", "kind", "number")
    column_default_sort = [("issued_at", True), ("id", True)]
    column_filters = (
        enum_filter(IssuedDocument.kind, "文书类别", DocumentKind),
        PresenceFilter(IssuedDocument.reprint_of_id, "补打", "补打件", "原件"),
        PresenceFilter(IssuedDocument.revoked_at, "撤销", "已撤销", "有效"),
        filters.DateTimeBetweenFilter(IssuedDocument.issued_at, "出具时间"),
    )
    column_formatters = {
        "issued_at": lambda v, c, m, n: local_time(m.issued_at),
        "revoked_at": lambda v, c, m, n: local_time(m.revoked_at),
        "reprint_of": lambda v, c, m, n: (
            f"补打（原件 {local_time(m.reprint_of.issued_at)}）" if m.reprint_of else ""
        ),
        "organization": lambda v, c, m, n: m.organization.name,
        "serial": _verify_link,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = {
        **column_formatters,
        "serial": lambda v, c, m, n: m.serial,
    }

    def search_placeholder(self) -> str:
        return "文书编号、核验码、标题"
