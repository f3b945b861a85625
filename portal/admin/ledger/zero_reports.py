"""零报告: the list of reports filed, the filing form, and the organisations that have not reported."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from wtforms import validators

from portal.admin import exports
from portal.admin.base import OrgSubtreeFilter, SecureModelView, org_path_text
from portal.extensions import db
from portal.models.auth import Role
from portal.models.zero_report import ZeroReport
from portal.services import zero_reports
from portal.services.deadlines import add_months, local_today
from portal.validators import mask_phone


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

    def _missing_month(self) -> date:
        return _month(request.args.get("month"), add_months(local_today().replace(day=1), -1))

    @expose("/missing/")
    def missing(self) -> Any:
        """List the committees that neither registered a dispute nor filed a 零报告 for a month."""
        month = self._missing_month()
        rows = zero_reports.missing_reports(db.session, current_user, month)
        return self.render(
            "admin/zero_reports/missing.html",
            rows=rows,
            month=month,
            previous=add_months(month, -1),
            following=add_months(month, 1),
            org_path_text=org_path_text,
        )

    @expose("/missing/export/<export_type>/")
    def missing_export(self, export_type: str) -> Any:
        """Download the month's 未报送名单 (xlsx or csv), audited like every export."""
        if export_type not in exports.EXPORT_TYPES:
            abort(404)
        month = self._missing_month()
        rows = zero_reports.missing_reports(db.session, current_user, month)
        data = [
            [
                org_path_text(row.organization),
                row.organization.level,
                row.period_start,
                row.period_end,
                row.organization.contact_person,
                mask_phone(row.organization.contact_phone) if row.organization.contact_phone else "",
            ]
            for row in rows
        ]
        export = exports.Export(
            title="未报送零报告名单",
            entity="zero_report",
            criteria=f"排查月份：{month:%Y-%m}",
            filename=f"zero_reports_missing_{month:%Y%m}.{export_type}",
            header=["调解组织", "层级", "排查期间自", "至", "联系人", "联系电话"],
        )
        return exports.send(export_type, export, iter(data), len(data))
