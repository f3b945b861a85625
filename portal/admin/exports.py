"""Streaming export of a list (导出): the rows the list shows, with its filters, search, sort and scope.

`SecureModelView.export` calls `respond`. The rows are the list's own query (the view's `get_query`,
so the organisation scope, then the list's search, filters and sort), read from the database in
chunks (`yield_per`: a server-side cursor on PostgreSQL, SQLite's stepping cursor) and written as
they arrive (`services.export_files`): memory depends on the width of a row, not on the number of rows.
The relationships the export's columns name are loaded with each chunk, never one query per row.

Values are the export formatters' (masked personal numbers, names of related records, Chinese labels),
except that a mapped date, time or amount column is written as a typed cell (a date, the office's local
time, a number) whatever formatter the list gives it for the screen.

An xlsx is assembled in a temporary file and then sent; a csv is streamed as it is produced. Either way
the export is recorded in the audit log: who, which list, how many rows, which filters.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, NoReturn

from flask import Response, abort, current_app, flash, redirect, request, stream_with_context
from flask_admin.tools import rec_getattr
from markupsafe import Markup
from sqlalchemy import Date, DateTime, Numeric, inspect
from sqlalchemy.exc import DataError
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.extensions import db, start_writing
from portal.models.audit import AuditAction
from portal.services import audit, export_files

#: The formats offered on every list, in the order of the 导出 menu.
EXPORT_TYPES = ("xlsx", "csv")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
#: Bytes of a finished file sent at a time.
FILE_PIECE = 256 * 1024
#: Rows read from the database at a time (and the relationships loaded with them).
CHUNK_ROWS = 1000
#: The most rows one export may hold (app config EXPORT_MAX_ROWS): a million fits Excel's sheet.
DEFAULT_MAX_ROWS = 1_000_000
#: Export columns named after a relationship they read (the registers' org_path / parent_path columns).
IMPLIED_LOADS = {"org_path": "organization", "parent_path": "parent"}

Getter = Callable[[Any], Any]


def max_rows() -> int:
    """Return the row cap of one export."""
    return int(current_app.config.get("EXPORT_MAX_ROWS") or DEFAULT_MAX_ROWS)


# --- columns -----------------------------------------------------------------------------------------


def _typed_column(view: Any, name: str) -> bool:
    """Return whether `name` is a mapped date, time or amount column written as a typed cell."""
    if name in view.masked_columns or name in view._column_choices_map:
        return False
    attr = inspect(view.model).column_attrs.get(name)
    if attr is None or len(attr.columns) != 1:
        return False
    return isinstance(attr.columns[0].type, Date | DateTime | Numeric)


def _local(value: datetime | None) -> datetime | None:
    return None if value is None else clock.as_local(value).replace(tzinfo=None)


def column_getter(view: Any, name: str) -> Getter:
    """Return a function giving a row's value of export column `name`, as the export shows it."""
    if _typed_column(view, name):
        read = attrgetter(name)
        attr = inspect(view.model).column_attrs[name]
        if isinstance(attr.columns[0].type, DateTime):
            return lambda model: _local(read(model))
        return read
    formatter = (view.column_formatters_export or {}).get(name)
    if formatter is not None:
        return lambda model: formatter(view, None, model, name)
    shown = (view.column_formatters or {}).get(name)
    if shown is not None and not hasattr(view.model, name):
        # A computed column with a screen formatter only: export what the list shows, as text.
        return lambda model: _as_text(shown(view, None, model, name))
    choices = view._column_choices_map.get(name)
    if choices:
        return lambda model: (lambda v: choices.get(v) or v)(rec_getattr(model, name))
    if "." in name:
        return lambda model: rec_getattr(model, name)
    if name in inspect(view.model).column_attrs:
        return attrgetter(name)  # a stored value: the cell writer renders its type
    read = attrgetter(name)
    return lambda model: _plain(read(model))


def _as_text(value: Any) -> Any:
    return value.striptags() if isinstance(value, Markup) else value


def _plain(value: Any) -> Any:
    # A datetime attribute without a formatter is a stored (UTC) time: show the office's time.
    return _local(value) if isinstance(value, datetime) else value


def loader_options(view: Any, columns: list[tuple[str, str]]) -> list[Any]:
    """Return eager loads for the relationships the export columns read: one query per chunk, not per row."""
    relationships = inspect(view.model).relationships
    names = {IMPLIED_LOADS.get(name, name).split(".")[0] for name, _label in columns}
    options = []
    for name in sorted(names):
        rel = relationships.get(name)
        if rel is None:
            continue
        attr = getattr(view.model, name)
        options.append(selectinload(attr) if rel.uselist else joinedload(attr))
    return options


# --- rows --------------------------------------------------------------------------------------------


def export_query(view: Any, args: Any) -> tuple[int, Any]:
    """Return (count, query) of the list as the request asks for it (`args`: the list's view arguments):
    scope, search, filters and sort as the list applies them, without paging."""
    sort = view._get_column_by_idx(args.sort)
    joins: dict[Any, Any] = {}
    count_joins: dict[Any, Any] = {}
    query = view.get_query()
    count_query = view.get_count_query()
    if view._search_supported and args.search:
        query, count_query, joins, count_joins = view._apply_search(
            query, count_query, joins, count_joins, args.search
        )
    if args.filters and view._filters:
        query, count_query, joins, count_joins = view._apply_filters(
            query, count_query, joins, count_joins, args.filters
        )
    query, joins = view._apply_sorting(query, joins, sort[0] if sort else None, args.sort_desc)
    return count_query.scalar(), query.limit(max_rows())


def orm_records(view: Any, query: Any, columns: list[tuple[str, str]]) -> Iterator[Any]:
    """Yield the list's model objects, read in chunks with the relationships the columns use."""
    options = [*loader_options(view, columns), *view.export_options()]
    yield from query.options(*options).yield_per(CHUNK_ROWS)


def rows(records: Iterable[Any], getters: list[Getter]) -> Iterator[list[Any]]:
    """Yield the export rows of `records`."""
    for record in records:
        yield [get(record) for get in getters]


def criteria_text(view: Any, args: Any) -> str:
    """Return the list's filters, search and sort in the page's words, for the audit log."""
    parts = []
    for index, _name, value in args.filters or []:
        flt = view._filters[index]
        options = flt.get_options(view) if flt.options is not None else None
        shown = {str(k): str(v) for k, v in options or []}.get(str(value), str(value))
        parts.append(f"{flt.name}{flt.operation()}{shown.strip()}")
    if args.search:
        parts.append(f"搜索：{args.search}")
    sort = view._get_column_by_idx(args.sort)
    if sort is not None:
        parts.append(f"排序：{sort[1]}{'（降序）' if args.sort_desc else ''}")
    return "；".join(parts) or "全部"


# --- the response ------------------------------------------------------------------------------------


def respond(view: Any, export_type: str) -> Any:
    """Answer /export/<type>/: the file of the filtered list, or a Chinese refusal."""
    if not view.can_export or export_type not in view.export_types:
        abort(404)
    args = view._get_list_extra_args()  # invalid filter values are flashed once, and left out
    columns = view.export_columns()
    try:
        count, query = export_query(view, args)
    except (DataError, OverflowError) as exc:
        db.session.rollback()
        current_app.logger.warning("export of %s refused its arguments: %s", view.endpoint, exc)
        abort(400)
    cap = max_rows()
    if count > cap:
        flash(
            f"导出失败：筛选结果共 {count:,} 条，超过单次导出上限 {cap:,} 条。"
            "请先按受理日期、组织等条件缩小范围，再分批导出。",
            "error",
        )
        return redirect(view.get_url(".index_view", **request.args))
    getters = [view.export_cell_getter(name) for name, _label in columns]
    export = Export(
        title=view.name,
        entity=view.model.__tablename__,
        criteria=criteria_text(view, args),
        filename=view.get_export_name(export_type),
        header=[str(label) for _name, label in columns],
    )
    return send(export_type, export, rows(view.export_records(query, columns), getters), count)


@dataclass(frozen=True)
class Export:
    """What a download is: its sheet title (and audit wording), audited table, filters, file name, header."""

    title: str
    entity: str
    criteria: str
    filename: str
    header: list[str]


def send(export_type: str, export: Export, data: Iterator[Sequence[Any]], count: int) -> Response:
    """Answer with `data` (rows of cell values, read once) as an xlsx or csv download, audited."""
    if export_type == "csv":
        return _csv_response(export, data, count)
    return _xlsx_response(export, data)


def _record(export: Export, export_type: str, count: int) -> None:
    start_writing()
    audit.record(
        db.session,
        AuditAction.EXPORT,
        export.entity,
        None,
        f"导出{export.title}（{export_type}，{count}条）",
        criteria=[None, export.criteria],
    )
    db.session.commit()


def _refused(export: Export, exc: Exception) -> NoReturn:
    db.session.rollback()
    current_app.logger.warning("export of %s refused its arguments: %s", export.entity, exc)
    abort(400)


def _xlsx_response(export: Export, data: Iterator[Sequence[Any]]) -> Response:
    # The zip of an xlsx is complete only at the end: build it in a temporary file, then send that.
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        written = export_files.write_xlsx(spool, export.title, export.header, data, stamp=clock.utcnow())
    except (DataError, OverflowError) as exc:
        spool.close()
        _refused(export, exc)
    except BaseException:
        spool.close()
        raise
    _record(export, "xlsx", written)
    size = spool.tell()
    spool.seek(0)

    def body() -> Iterator[bytes]:
        # Read out in pieces; the file goes when the response is done or the client goes away.
        try:
            while piece := spool.read(FILE_PIECE):
                yield piece
        finally:
            spool.close()

    response = Response(body(), mimetype=MIMETYPES["xlsx"])
    response.headers["Content-Disposition"] = f"attachment; filename={export.filename}"
    response.headers["Content-Length"] = str(size)
    return response


def _csv_response(export: Export, data: Iterator[Sequence[Any]], count: int) -> Response:
    # Recorded before the rows are read (a commit would close the streaming cursor); the count query
    # has already run the list's filters, so the rows that follow are exactly those counted.
    _record(export, "csv", count)
    chunks = export_files.csv_chunks(export.header, data)
    try:
        first = next(chunks)  # runs the query while a refused value can still be a 400 page
    except (DataError, OverflowError) as exc:
        _refused(export, exc)

    def body() -> Iterator[bytes]:
        yield first
        yield from chunks

    response = Response(stream_with_context(body()), mimetype=MIMETYPES["csv"])
    response.headers["Content-Disposition"] = f"attachment; filename={export.filename}"
    return response
