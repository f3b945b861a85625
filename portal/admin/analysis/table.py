"""调解民间纠纷分类统计表: the 司法部 statistics of any span and subtree, as a page and a workbook."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from flask import abort, flash, request, send_file
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.admin import guards
from portal.admin.analysis.common import XLSX, AnalysisBaseView, chosen_org, parse_day, refuse, report_orgs
from portal.admin.ledger.links import ledger_url
from portal.extensions import db, start_writing
from portal.models.audit import AuditAction
from portal.models.dictionary import DisputeType
from portal.models.org import Organization
from portal.services import DomainError, analysis_sheets, audit
from portal.services.analysis_periods import Period
from portal.services.dispute_table import COLUMNS, CRITERIA, DisputeTable, Line, build_table


def quick_spans(today: date) -> list[tuple[str, date, date]]:
    """Return the spans offered as one click: this month, last month, this quarter, this year, last year."""
    month = Period(today.year, today.month)
    last = month.previous()
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return [
        ("本月", month.start, today),
        ("上月", last.start, last.end),
        ("本季度", quarter, today),
        ("本年", date(today.year, 1, 1), today),
        ("上年", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]


def _span(strict: bool) -> tuple[date, date]:
    """Return ?start=&end= (default: this year so far), in order."""
    today = clock.today()
    try:
        start = parse_day(request.args.get("start"), date(today.year, 1, 1))
        end = parse_day(request.args.get("end"), today)
    except DomainError as exc:
        if strict:
            refuse(exc.message)
        flash(f"{exc.message}。已显示本年度。", "error")
        return date(today.year, 1, 1), today
    if start > end:
        if not strict:
            flash("开始日期晚于结束日期，已按先后顺序统计", "error")
        start, end = end, start
    return start, end


def _type_root() -> DisputeType | None:
    """Return the dictionary branch of ?type= (none: the whole classification); unknown is a 404."""
    if not request.args.get("type"):
        return None
    type_id = guards.int_arg("type")
    found = db.session.get(DisputeType, type_id) if type_id is not None and type_id > 0 else None
    if found is None:
        abort(404)
    return found


def line_url(table: DisputeTable, line: Line, key: str) -> str | None:
    """Return the ledger link of one figure of the table (None for sums such as people and amount)."""
    criteria = CRITERIA.get(key)
    if criteria is None:
        return None
    what: dict[str, Any] = {"accepted": (table.start, table.end), "org": table.org.id}
    type_id = line.type_id if line.type_id is not None else (table.type_root.id if table.type_root else None)
    if type_id is not None:
        what["type"] = type_id
    return ledger_url({**what, **criteria})


class DisputeTableView(AnalysisBaseView):
    """调解民间纠纷分类统计表 of the user's subtree, for any span and branch of the classification."""

    def _table(self, strict: bool) -> tuple[Organization, DisputeTable]:
        org = chosen_org()
        start, end = _span(strict)
        return org, build_table(db.session, org, start, end, _type_root())

    @expose("/")
    def index(self) -> Any:
        """Show the table of the chosen organisation, span and branch."""
        org, table = self._table(strict=False)
        tops = db.session.scalars(
            select(DisputeType).where(DisputeType.parent_id.is_(None)).order_by(DisputeType.sort_order)
        )
        return self.render(
            "admin/analysis/table.html",
            table=table,
            org=org,
            orgs=report_orgs(),
            types=list(tops),
            columns=COLUMNS,
            quick=quick_spans(clock.today()),
            link=lambda line, key: line_url(table, line, key),
        )

    @expose("/export/xlsx/")
    def export(self) -> Any:
        """Download the table in its familiar layout, and record the export."""
        org, table = self._table(strict=True)
        data = analysis_sheets.table_workbook(table, current_user.full_name, clock.today())
        start_writing()
        audit.record(
            db.session,
            AuditAction.EXPORT,
            "dispute_case",
            None,
            f"导出调解民间纠纷分类统计表（{org.name}，{table.span}）",
        )
        db.session.commit()
        return send_file(
            BytesIO(data),
            mimetype=XLSX,
            as_attachment=True,
            download_name=f"dispute_table_{org.id}_{table.start:%Y%m%d}_{table.end:%Y%m%d}.xlsx",
        )
