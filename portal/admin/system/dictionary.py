"""纠纷类型 dictionary."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from wtforms import validators

from portal.admin.base import SecureModelView
from portal.extensions import db
from portal.models.dictionary import DisputeType
from portal.services import dictionary


class DisputeTypeView(SecureModelView):
    """纠纷类型: the hierarchical dictionary used by cases and form definitions."""

    scope_column = None
    scoped_org_fields = ()

    column_list = ("code", "name", "parent", "default_deadline_days", "sort_order", "active")
    column_export_list = column_list
    column_labels = {
        "code": "代码",
        "name": "名称",
        "parent": "上级类型",
        "default_deadline_days": "调解期限（天）",
        "sort_order": "排序",
        "active": "启用",
        "children": "下级类型",
    }
    column_searchable_list = ("name", "code")
    column_sortable_list = ("code", "name", "sort_order", "default_deadline_days")
    column_default_sort = ("code", False)
    column_filters = (filters.BooleanEqualFilter(DisputeType.active, "启用"),)
    form_columns = ("parent", "code", "name", "default_deadline_days", "sort_order", "active")
    form_args = {
        "code": {"validators": [validators.InputRequired(message="请填写代码"), validators.Length(max=20)]},
        "name": {"validators": [validators.InputRequired(message="请填写名称"), validators.Length(max=50)]},
        "default_deadline_days": {
            "validators": [validators.Optional(), validators.NumberRange(1, 90, "调解期限应在1至90天之间")],
            "description": "留空则使用系统默认的30天",
        },
        "parent": {
            "query_factory": lambda: db.session.scalars(
                db.select(DisputeType).where(DisputeType.parent_id.is_(None))
            )
        },
    }

    def on_model_change(self, form: Any, model: DisputeType, is_created: bool) -> None:
        dictionary.check_parent(model, model.parent)

    @action("deactivate", "停用", "停用后新登记的纠纷不能再选此类型，已有记录不受影响。确定停用？")
    def action_deactivate(self, ids: list[str]) -> None:
        """Stop offering the selected types for new cases."""
        count = dictionary.deactivate(db.session, self.selected(ids))
        flash(f"已停用 {count} 个纠纷类型", "success")
