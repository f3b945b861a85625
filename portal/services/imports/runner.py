"""The two passes over an import file.

`check` reads the file once, row by row, and lists every problem (dry run). `run` does the same, keeping
each checked row in a spool (a temporary file, pickled a batch at a time) and, only when nothing is
wrong, inserts the spooled rows in batches: each batch is flushed, its audit rows are written
(`audit.write_pending`) and its objects are let go. So memory stays bounded however long the file, and
the workbook's XML is parsed once. Everything happens in one transaction: a problem found, or anything
that fails half-way, rolls it all back and the database is as it was.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from portal.models.audit import AuditAction
from portal.services import DomainError, audit
from portal.services.imports import reader
from portal.services.imports.cells import CellError, is_blank, shown
from portal.services.imports.core import (
    MAX_PROBLEMS,
    REQUIRED,
    WHOLE_ROW,
    Context,
    Emit,
    Kind,
    Problem,
    Report,
    Row,
    SheetSpec,
)

#: Checked rows pickled to the spool at a time.
SPOOL_BATCH = 500


class Spool:
    """The checked rows of the first pass, kept on disk for the second (never all in memory)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `close`
        self.buffer: list[tuple[int, Row]] = []

    def add(self, sheet: int, row: Row) -> None:
        self.buffer.append((sheet, row))
        if len(self.buffer) >= SPOOL_BATCH:
            self._dump()

    def _dump(self) -> None:
        if self.buffer:
            pickle.dump(self.buffer, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.buffer = []

    def rows(self) -> Iterator[tuple[int, Row]]:
        """Yield (sheet index, row) in the order they were added."""
        self._dump()
        self.file.seek(0)
        while True:
            try:
                batch = pickle.load(self.file)  # noqa: S301 - this process's own rows, in its own temporary file
            except EOFError:
                return
            yield from batch

    def close(self) -> None:
        self.file.close()


def _parse_row(sheet: SheetSpec, number: int, raw: dict[str, Any], emit: Emit) -> Row:
    row = Row(number, {})
    for column in sheet.columns:
        if column.parse is None:
            continue
        if column.key not in raw:
            if column.required:  # the header says so once; the row's own checks skip what needs it
                row.failed.add(column.key)
            continue
        value = raw[column.key]
        if is_blank(value):
            row.values[column.key] = None
            if column.required:
                emit(number, column.key, REQUIRED)
                row.failed.add(column.key)
            continue
        try:
            row.values[column.key] = column.parse(value)
        except CellError as exc:
            emit(number, column.key, exc.message, value)
            row.failed.add(column.key)
            row.values[column.key] = None
    return row


class _Problems:
    """Collects problems, keeping at most MAX_PROBLEMS."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def emitter(self, sheet: SheetSpec) -> Emit:
        def emit(row: int, key: str | None, message: str, value: Any = None) -> None:
            if len(self.report.problems) >= MAX_PROBLEMS:
                self.report.more += 1
                return
            self.report.problems.append(Problem(sheet.name, row, sheet.header_of(key), message, shown(value)))

        return emit


def _file_problem(report: Report, sheet: str, message: str) -> None:
    report.problems.append(Problem(sheet, 0, WHOLE_ROW, message))


def _locate(book: reader.Book, kind: Kind) -> list[tuple[SheetSpec, Any]]:
    """Return each spec with its worksheet (None when the file lacks it)."""
    titles = [t for t in book.titles if t.strip() not in reader.HELP_SHEETS]
    spec_names = {spec.name for spec in kind.sheets}
    found = []
    for index, spec in enumerate(kind.sheets):
        title = next((t for t in titles if t.strip() == spec.name), None)
        if title is None and index == 0:
            # An export holds one sheet under another name: take the first sheet that is no other spec's.
            title = next((t for t in titles if t.strip() not in spec_names), None)
        found.append((spec, None if title is None else book.worksheet(title)))
    return found


def _sheets(book: reader.Book, kind: Kind, report: Report) -> list[tuple[SheetSpec, Any, reader.Header]]:
    """Find each spec's sheet and read its header; missing sheets and bad headers go to the report."""
    found = []
    for spec, worksheet in _locate(book, kind):
        if worksheet is None:
            if not spec.optional:
                _file_problem(report, spec.name, f"找不到工作表“{spec.name}”，请使用下载的模板")
            continue
        header = reader.read_header(worksheet, spec.columns)
        for column, message in header.problems:
            report.problems.append(Problem(spec.name, 1, column, message))
        found.append((spec, worksheet, header))
    return found


def _sort(report: Report, kind: Kind) -> None:
    order = {spec.name: (i, spec) for i, spec in enumerate(kind.sheets)}

    def key(problem: Problem) -> tuple[int, int, int]:
        index, spec = order.get(problem.sheet, (len(order), None))
        return (index, problem.row, spec.order_of(problem.column) if spec else 0)

    report.problems.sort(key=key)


def _progress(ctx: Context, label: str, total: int | None) -> None:
    if ctx.progress is not None:
        ctx.progress.start(label, total)


def _validate(ctx: Context, kind: Kind, path: Path, report: Report, spool: Spool | None = None) -> Any:
    """The first pass: every problem of the file into the report (and each row into `spool`); returns the
    kind's state."""
    state = kind.start(ctx)
    problems = _Problems(report)
    with reader.Book(path) as book:
        sheets = _sheets(book, kind, report)
        for spec, worksheet, header in sheets:
            index = kind.sheets.index(spec)
            emit = problems.emitter(spec)
            _progress(ctx, f"检查“{spec.name}”", reader.size_hint(worksheet))
            count = 0
            for number, raw in reader.data_rows(worksheet, header):
                row = _parse_row(spec, number, raw, emit)
                kind.check_row(ctx, state, spec, row, emit)
                if spool is not None:
                    spool.add(index, row)
                count += 1
                if ctx.progress is not None and count % 100 == 0:
                    ctx.progress.advance(100)
            kind.end_sheet(ctx, state, spec, emit)
            if ctx.progress is not None:
                ctx.progress.advance(count % 100)
                ctx.progress.finish()
            report.rows[spec.name] = count
    kind.end_checks(ctx, state, report)
    if not report.row_count and not report.problems:
        _file_problem(report, kind.sheets[0].name, "文件中没有数据行")
    return state


def check(ctx: Context, kind: Kind, path: Path, filename: str = "") -> Report:
    """Dry run (试导入): list every problem of the file, change nothing."""
    report = Report(kind.key, kind.title, filename)
    try:
        _validate(ctx, kind, path, report)
    except DomainError as exc:
        _file_problem(report, kind.sheets[0].name, exc.message)
    finally:
        ctx.session.rollback()  # nothing was written; end the reading transaction
    _sort(report, kind)
    return report


def run(ctx: Context, kind: Kind, path: Path, filename: str = "") -> Report:
    """Import the file all or nothing: check it, and insert its rows only if nothing is wrong; commits."""
    report = Report(kind.key, kind.title, filename)
    session = ctx.session
    spool = Spool()
    try:
        state = _validate(ctx, kind, path, report, spool)
        if not report.ok:
            session.rollback()
            _sort(report, kind)
            return report
        _insert(ctx, kind, spool, state, report)
        report.created = kind.counts(state)
        audit.record(
            session,
            AuditAction.IMPORT,
            kind.entity,
            None,
            f"导入{kind.title}：" + "、".join(f"{noun}{n}" for noun, n in report.created.items()),
            file=[None, filename or path.name],
            rows=[None, report.row_count],
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        _file_problem(report, kind.sheets[0].name, f"导入未完成，已全部撤销：{exc.message}")
        report.created = {}
        return report
    except SQLAlchemyError:
        session.rollback()
        _file_problem(
            report,
            kind.sheets[0].name,
            "导入未完成，已全部撤销：数据库拒绝了写入（可能有人同时录入了相同的记录），请重新检查后再导入",
        )
        report.created = {}
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        spool.close()
    report.imported = True
    return report


def _insert(ctx: Context, kind: Kind, spool: Spool, state: Any, report: Report) -> None:
    """The second pass: build each spooled row's objects and insert them in batches of `kind.batch_size`."""
    kind.begin_insert(ctx, state)
    current: int | None = None
    batch: list[Any] = []
    rows = 0
    for index, row in spool.rows():
        if index != current:
            if current is not None:
                _flush(ctx, kind, state, kind.sheets[current], batch, rows)
                batch, rows = [], 0
                _finish(ctx)
            current = index
            spec = kind.sheets[index]
            _progress(ctx, f"导入“{spec.name}”", report.rows.get(spec.name))
        batch.extend(kind.build(ctx, state, kind.sheets[index], row))
        rows += 1
        if rows == kind.batch_size:
            _flush(ctx, kind, state, kind.sheets[index], batch, rows)
            batch, rows = [], 0
    if current is not None:
        _flush(ctx, kind, state, kind.sheets[current], batch, rows)
        _finish(ctx)


def _finish(ctx: Context) -> None:
    if ctx.progress is not None:
        ctx.progress.finish()


def _flush(ctx: Context, kind: Kind, state: Any, spec: SheetSpec, batch: list[Any], rows: int) -> None:
    """Insert a batch, write its audit rows; the caller then lets its objects go."""
    session = ctx.session
    session.add_all(batch)
    session.flush()
    kind.after_flush(ctx, state, spec, batch)
    audit.write_pending(session)
    if ctx.progress is not None:
        ctx.progress.advance(rows)
