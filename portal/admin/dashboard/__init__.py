"""工作台: the home page after sign-in, with the figures of the user's subtree (services/dashboard.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_admin import expose
from flask_login import current_user

from portal.admin.base import PortalIndexView
from portal.admin.dashboard import charts
from portal.admin.ledger.links import ledger_url, list_url
from portal.extensions import reports_session
from portal.services import dashboard, screening, stats
from portal.services.deadlines import DeadlineRules, assess, local_today
from portal.services.figures import Period, month_end


def period_arg(value: str | None) -> Period:
    """Return the period asked for in the query string; anything else is this year."""
    return next((period for period in Period if period.value == value), Period.YEAR)


class DashboardView(PortalIndexView):
    """工作台: figures of the user's subtree."""

    @expose("/")
    def index(self) -> Any:
        """Show the dashboard."""
        today = local_today()
        rules = DeadlineRules.from_config(current_app.config)
        period = period_arg(request.args.get("period"))
        figures = reports_session()  # the read replica, when there is one
        board = dashboard.build(figures, current_user, today, rules, period)
        return self.render(
            "admin/dashboard.html",
            overview=stats.register_overview(figures, current_user, today),
            board=board,
            periods=list(Period),
            link=ledger_url,
            trend_chart=charts.trend_chart(board.trend, ledger_url),
            type_chart=charts.bar_list(board.by_type[:12], ledger_url),
            screening=screening.overview(figures, current_user, today),
            screening_links=self.screening_links(),
            zero_links=self.zero_links(board.zero),
            warnings=lambda case: "；".join(assess(case, today, rules).reasons),
        )

    @staticmethod
    def screening_links() -> dict[str, str | None]:
        """Return where the 排查 and 交办 figures lead."""
        return {
            "records": url_for("screening_records.index_view"),
            "units_missing": url_for("screening_records.missing"),
            "meetings": url_for("meetings.index_view"),
            "assignments_open": list_url("assignments", {"状态": "open"}),
            "assignments_overdue": list_url("assignments", {"预警": "red"}),
            "assignments_due_soon": list_url("assignments", {"预警": "yellow"}),
        }

    @staticmethod
    def zero_links(zero: dashboard.ZeroCompliance) -> dict[str, str | None]:
        """Return where the 零报告 figures lead: the reports filed for the month, the committees missing."""
        month = f"{zero.month:%Y-%m-%d} to {month_end(zero.month):%Y-%m-%d}"
        return {
            "reported": list_url("zero_reports", {"排查月份": month}),
            "missing": url_for("zero_reports.missing", month=f"{zero.month:%Y-%m}"),
        }
