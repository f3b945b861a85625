"""导出: every list streams to xlsx and csv with the list's filters, search, scope and masking, typed cells,
no formulas, an audit entry; the ledger's bulk reader gives exactly what the ORM path gives."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_login import login_user
from openpyxl import load_workbook
from sqlalchemy import event, select

from portal.admin import exports
from portal.extensions import db
from portal.models import Mediator
from portal.models.audit import AuditAction, AuditEvent
from portal.models.case import Agreement, AgreementForm, FollowUp, Performance, RiskLevel
from portal.services.deadlines import local_today
from tests.factories import new_case


def _sheet(response) -> tuple[list[str], list[tuple]]:
    assert response.status_code == 200, response.status_code
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def _filter(client_view, label: str) -> str:
    """Return the query argument of the list filter named `label` (looked up, not hard-coded)."""
    key = next(k for k, (_i, flt) in client_view._filter_args.items() if flt.name == label)
    return f"flt0_{key}"


def _view(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)


@pytest.fixture
def ledger(county):
    """Three cases at 马集 (one high-risk about a well, one with agreement and follow-up) and one at 柳林."""
    today, actor = local_today(), county.users["admin"]
    well = new_case(
        db.session, actor, county.mj, today=today, risk_level=RiskLevel.HIGH, summary="两户因共用水井发生争执"
    )
    settled = new_case(
        db.session,
        actor,
        county.mj_village,
        today=today,
        parties=("禤国强", "王秀英"),
        summary='=HYPERLINK("http://x","点我")\x07',
        amount=Decimal("1234.50"),
        accepted_on=today - timedelta(days=3),
    )
    settled.mediators.append(county.mediators["前李调解员"])
    settled.agreement = Agreement(
        number="XY-1",
        form=AgreementForm.WRITTEN,
        signed_on=today,
        terms="赔偿",
        amount=Decimal("800.00"),
        performed=True,
    )
    settled.follow_ups.append(
        FollowUp(
            visited_on=today,
            visitor="回访员",
            person_visited="禤国强",
            performance=Performance.FULL,
            satisfaction=5,
        )
    )
    plain = new_case(db.session, actor, county.mj, today=today, summary="邻里噪音纠纷")
    other = new_case(
        db.session, actor, county.ll, today=today, risk_level=RiskLevel.HIGH, summary="柳林的水井纠纷"
    )
    db.session.flush()
    return {"well": well, "settled": settled, "plain": plain, "other": other}


def test_export_follows_the_lists_filter_search_and_is_audited(app, login_as, ledger):
    """风险等级=高 and a search for 水井 export exactly the list's rows, and the audit names the filter."""
    client = login_as("admin")
    args = f"?{_filter(_view(app, 'cases'), '风险等级')}=high&search=水井"
    header, rows = _sheet(client.get("/admin/cases/export/xlsx/" + args))
    numbers = {row[0] for row in rows}
    assert numbers == {ledger["well"].number, ledger["other"].number}
    page = client.get("/admin/cases/" + args).text
    assert all(n in page for n in numbers) and ledger["plain"].number not in page
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert entry.summary == "导出纠纷台账（xlsx，2条）" and entry.actor_name == "系统管理员"
    assert entry.changes["criteria"][1] == "风险等级等于高；搜索：水井"


def test_a_township_exports_only_its_subtree_as_its_list_shows(login_as, ledger):
    """马集's entry user: the export holds 马集's three cases, the same as the list, never 柳林's."""
    client = login_as("entry_a")
    _header, rows = _sheet(client.get("/admin/cases/export/xlsx/"))
    exported = {row[0] for row in rows}
    page = client.get("/admin/cases/?page_size=100").text
    assert exported == {ledger[k].number for k in ("well", "settled", "plain")}
    assert all(n in page for n in exported) and ledger["other"].number not in page


def test_cells_are_typed_masked_and_never_formulas(login_as, ledger):
    """Dates are date cells, amounts numbers with two places, personal numbers masked, formulas quoted."""
    response = login_as("entry_a").get("/admin/cases/export/xlsx/")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == ledger["settled"].number)
    cell = {name: row[header.index(name)] for name in header}
    assert cell["受理日期"].is_date and cell["受理日期"].number_format == "yyyy-mm-dd"
    assert cell["受理日期"].value.date() == ledger["settled"].accepted_on
    assert cell["涉及金额（元）"].value == 1234.5 and cell["涉及金额（元）"].number_format == "0.00"
    assert cell["协议金额（元）"].value == 800 and cell["协议金额（元）"].data_type == "n"
    assert cell["纠纷简要情况"].data_type == "s"
    assert cell["纠纷简要情况"].value == '\'=HYPERLINK("http://x","点我")'  # quoted, BEL dropped
    party = ledger["settled"].parties[0]
    assert party.id_number not in cell["当事人证件号码"].value and "********" in cell["当事人证件号码"].value
    assert party.phone not in cell["当事人联系电话"].value
    assert cell["办理状态"].value == "受理登记"  # the Chinese label
    assert cell["承办调解员"].value == "前李调解员" and cell["回访满意度"].value == "5"


def test_register_export_masks_for_entry_users(login_as, county):
    """A township's entry user exports its mediators with ID numbers and phones masked."""
    header, rows = _sheet(login_as("entry_a").get("/admin/mediators/export/xlsx/"))
    person = county.mediators["马集调解员"]
    row = next(r for r in rows if r[0] == "马集调解员")
    assert person.id_number not in row and row[header.index("身份证号")].count("*") >= 8
    assert {r[0] for r in rows} == {"马集调解员", "前李调解员"}


def test_csv_is_utf8_with_bom_and_formula_safe(login_as, ledger):
    response = login_as("admin").get("/admin/cases/export/csv/?search=HYPERLINK")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["案件编号", "受理日期"] and len(rows) == 2
    assert rows[1][1] == ledger["settled"].accepted_on.isoformat()
    assert rows[1][rows[0].index("纠纷简要情况")].startswith("'=")
    assert rows[1][rows[0].index("涉及金额（元）")] == "1234.50"
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
    assert entry.summary == "导出纠纷台账（csv，1条）"


def test_unknown_export_type_and_the_row_cap(app, login_as, ledger, monkeypatch):
    client = login_as("admin")
    response = client.get("/admin/cases/export/pdf/")
    assert response.status_code == 404 and "未找到" in response.text
    monkeypatch.setitem(app.config, "EXPORT_MAX_ROWS", 2)
    response = client.get("/admin/cases/export/xlsx/", follow_redirects=True)
    assert "超过单次导出上限 2 条" in response.text
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == AuditAction.EXPORT)) is None


def test_every_list_exports(app, login_as, ledger):
    """Each list with an export answers a file of its own columns, with no HTML or object names in it."""
    client = login_as("admin")
    for view in app.extensions["admin"][0]._views:
        if not getattr(view, "can_export", False):
            continue
        response = client.get(f"/admin/{view.endpoint}/export/csv/")
        assert response.status_code == 200, view.endpoint
        text = response.data.decode("utf-8-sig")
        assert "<a " not in text and "<span" not in text, view.endpoint
        # The audit log shows stored summaries as they were written; the other lists render objects.
        assert view.endpoint == "audit" or " object at 0x" not in text, view.endpoint
        assert next(csv.reader(io.StringIO(text))) == [str(label) for _n, label in view._export_columns]


def test_the_ledgers_bulk_rows_equal_the_orm_rows_and_do_not_grow_queries(app, county, ledger, caplog):
    """The ledger's bulk reader (ledger/export_rows.py) yields what the ORM path yields, in a fixed
    number of queries whatever the number of rows; nothing falls back to one case at a time."""
    view = _view(app, "cases")
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    with app.test_request_context("/admin/cases/export/xlsx/"):
        login_user(county.users["admin"])
        args, columns = view._get_list_extra_args(), view.export_columns()
        getters = [view.export_cell_getter(name) for name, _label in columns]
        _count, query = exports.export_query(view, args)
        orm_rows = list(exports.rows(exports.orm_records(view, query, columns), getters))
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            bulk_rows = list(exports.rows(view.export_records(query, columns), getters))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert bulk_rows == orm_rows and len(bulk_rows) == 4
    assert len(statements) <= 8, statements
    assert "one case at a time" not in caplog.text


def test_mediator_register_export_reads_in_bulk(app, county, login_as):
    """Twice the mediators, the same number of queries: relationships load per chunk, not per row."""
    client = login_as("admin")
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    def export_queries() -> int:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/mediators/export/csv/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = export_queries()
    for seq, template in enumerate(list(db.session.scalars(select(Mediator))), 40):
        db.session.add(
            Mediator(
                name=f"{template.name}乙",
                gender=template.gender,
                organization=template.organization,
                birth_date=template.birth_date,
                id_number=template.id_number[:-4] + f"{seq:03d}X",
            )
        )
    db.session.flush()
    assert export_queries() == before


def test_the_missing_zero_reports_list_exports(login_as, county):
    """未报送名单: the township's committees without a case or a 零报告 that month, dates as date cells."""
    response = login_as("entry_a").get("/admin/zero_reports/missing/export/xlsx/?month=2026-01")
    header, rows = _sheet(response)
    assert header[:4] == ["调解组织", "层级", "排查期间自", "至"]
    names = [row[0] for row in rows]
    assert any("前李村" in n for n in names) and not any("柳林" in n or "后王村" in n for n in names)
    assert rows[0][2].date().isoformat() == "2026-01-01" and rows[0][3].date().isoformat() == "2026-01-31"
    assert login_as("entry_a").get("/admin/zero_reports/missing/export/doc/").status_code == 404
