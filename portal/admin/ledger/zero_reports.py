"""零报告: the list of reports filed, the filing form, and the organisations that have not reported."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from wtforms import validators

from portal.admin.base import OrgSubtreeFilter, SecureModelView, org_path_text
from portal.extensions import db
from portal.models.auth import Role
from portal.models.zero_report import ZeroReport
from portal.services import zero_reports
from portal.services.deadlines import add_months, local_today


def _month(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(f"{value}-01") if value else default
    except ValueError:
        return default


class ZeroReportView(SecureModelView):
    """零报告: a screening period in which an organisation found no disputes."""

    write_roles = frozenset({Role.ADMIN, Role.ENTRY})
    can_view_details = False
    list_template = "admin/zero_reports/list.html"
    column_list = ("org_path", "period_start", "period_end", "reported_by", "reported_on", "notes")
    column_export_list = column_list
    column_labels = {
        "org_path": "报送单位",
        "organization": "报送单位",
        "period_start": "排查期间自",
        "period_end": "至",
        "reported_by": "报送人",
        "reported_on": "报送日期",
        "notes": "排查情况说明",
    }
    column_sortable_list = ("period_start", "reported_on")
    column_default_sort = [("period_start", True), ("organization_id", False)]
    column_filters = (
        OrgSubtreeFilter(ZeroReport.organization_id, "报送单位（含下级）"),
        filters.DateBetweenFilter(ZeroReport.period_start, "排查月份"),
    )
    column_formatters = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "reported_by": lambda v, c, m, n: m.reported_by.full_name if m.reported_by else "",
    }
    column_formatters_export = column_formatters
    form_columns = ("organization", "period_start", "notes")
    form_args = {
        "organization": {"validators": [validators.InputRequired(message="请选择报送单位")]},
        "period_start": {
            "label": "排查月份",
            "validators": [validators.InputRequired(message="请选择排查月份")],
            "description": "选择该月任意一天即可，按整月报送",
        },
        "notes": {"validators": [validators.Optional(), validators.Length(max=1000)]},
    }

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        # A filed report is a statement of record; a wrong one is answered by registering the case.
        return False

    def on_model_change(self, form: Any, model: ZeroReport, is_created: bool) -> None:
        zero_reports.prepare_report(db.session, model, current_user, today=local_today())

    @expose("/missing/")
    def missing(self) -> Any:
        """List the committees that neither registered a dispute nor filed a 零报告 for a month."""
        previous = add_months(local_today().replace(day=1), -1)
        month = _month(request.args.get("month"), previous)
        rows = zero_reports.missing_reports(db.session, current_user, month)
        return self.render(
            "admin/zero_reports/missing.html",
            rows=rows,
            month=month,
            previous=add_months(month, -1),
            following=add_months(month, 1),
            org_path_text=org_path_text,
        )
