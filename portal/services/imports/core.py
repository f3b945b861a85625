"""The import's shared machinery: column specs, the problem report, and the two passes over a file.

`check` reads the file once, row by row, and lists every problem (dry run). `run` does the same and,
only when nothing is wrong, reads the file a second time and inserts the rows in batches: each batch is
flushed, its audit rows are written (`audit.write_pending`) and its objects are let go, so memory stays
bounded however long the file. Everything happens in one transaction: a problem found, or anything that
fails half-way, rolls it all back and the database is as it was.

A kind of import (`Kind`: organisations, mediators, experts, historical cases) declares its sheets and
columns and implements the row checks and the building of its objects; the rules themselves are the
forms' and services' own (`cells`, `services.people`, `services.orgs`, `services.case_checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.services import DomainError, audit
from portal.services.deadlines import DeadlineRules
from portal.services.imports import reader
from portal.services.imports.cells import CellError, Parser, is_blank, shown

#: Rows inserted per flush; each batch's objects are released once flushed and audited.
BATCH = 500
#: Problems kept in a report; beyond this only their number is given.
MAX_PROBLEMS = 50_000
REQUIRED = "必填，不能为空"
WHOLE_ROW = ""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, how a cell is read, and what the template says about it."""

    key: str
    header: str
    #: Reads a non-blank cell; None for a column only exports carry (ignored on import).
    parse: Parser | None
    required: bool = False
    note: str = ""
    #: Values offered by the template's drop-down list (one choice per cell).
    options: tuple[str, ...] = ()
    #: The template formats the column as text (ID numbers, phones, codes keep their digits).
    as_text: bool = False
    is_date: bool = False
    width: int = 14


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of the file: its name and columns; an `optional` sheet may be left out."""

    name: str
    columns: tuple[Column, ...]
    optional: bool = False

    def header_of(self, key: str | None) -> str:
        if not key:
            return WHOLE_ROW
        return next((c.header for c in self.columns if c.key == key), key)

    def order_of(self, header: str) -> int:
        return next((i for i, c in enumerate(self.columns) if c.header == header), len(self.columns))


class Problem(NamedTuple):
    """Something wrong with the file: where (sheet, Excel row — 1 is the header —, column) and what."""

    sheet: str
    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class Report:
    """What a dry run or an import found and did; kept as JSON between the dry run and the confirmation."""

    kind: str
    title: str
    filename: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Problems found beyond MAX_PROBLEMS, counted but not listed.
    more: int = 0
    #: Notes that are not problems (a row skipped because the record is the importer's own organisation).
    notes: list[str] = field(default_factory=list)
    #: What the import added, by noun ("调解员": 120); empty after a dry run.
    created: dict[str, int] = field(default_factory=dict)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more

    @property
    def row_count(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "filename": self.filename,
            "rows": self.rows,
            "problems": [list(p) for p in self.problems],
            "more": self.more,
            "notes": self.notes,
            "created": self.created,
            "imported": self.imported,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        report = cls(kind=str(data["kind"]), title=str(data["title"]), filename=str(data.get("filename", "")))
        report.rows = {str(k): int(v) for k, v in data.get("rows", {}).items()}
        report.problems = [
            Problem(str(s), int(r), str(c), str(m), str(v)) for s, r, c, m, v in data["problems"]
        ]
        report.more = int(data.get("more", 0))
        report.notes = [str(n) for n in data.get("notes", [])]
        report.created = {str(k): int(v) for k, v in data.get("created", {}).items()}
        report.imported = bool(data.get("imported", False))
        return report


class Progress(Protocol):
    """Told how far a pass has got (the command line draws a bar)."""

    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


@dataclass
class Context:
    """Who imports, into which part of the tree, on which day, under which deadline rules."""

    session: Session
    #: The acting user; None for the command line, which may import into the whole tree.
    actor: User | None
    today: date
    rules: DeadlineRules = field(default_factory=DeadlineRules)
    progress: Progress | None = None
    actor_label: str = "命令行"

    @property
    def scope_path(self) -> str:
        """The materialised path every reachable organisation's path starts with ("" for the whole tree)."""
        return self.actor.organization.path if self.actor is not None else ""

    @property
    def actor_name(self) -> str:
        return self.actor.full_name if self.actor is not None else self.actor_label


@dataclass
class Row:
    """One data row: its Excel number and values; `failed` holds the keys whose cells could not be read."""

    number: int
    values: dict[str, Any]
    failed: set[str] = field(default_factory=set)

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)

    def ok(self, *keys: str) -> bool:
        """Return whether these cells were read (blank counts as read)."""
        return not self.failed.intersection(keys)


Emit = Callable[..., None]


class Kind:
    """A kind of import; subclasses declare the sheets and implement the hooks."""

    key: ClassVar[str]
    title: ClassVar[str]
    #: Other names the command line accepts (Chinese).
    aliases: ClassVar[tuple[str, ...]] = ()
    sheets: ClassVar[tuple[SheetSpec, ...]]
    #: Roles that may import this kind.
    roles: ClassVar[frozenset[Role]] = frozenset({Role.ADMIN})
    #: The table named by the summary audit row.
    entity: ClassVar[str]
    #: General lines of the template's instructions.
    instructions: ClassVar[tuple[str, ...]] = ()
    #: Rows inserted per flush.
    batch_size: ClassVar[int] = BATCH

    def start(self, ctx: Context) -> Any:
        """Return the state shared by the passes (lookups, keys seen)."""
        raise NotImplementedError

    def check_row(self, ctx: Context, state: Any, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        """Report what is wrong with a row beyond its cells: cross-field rules, lookups, duplicates."""
        raise NotImplementedError

    def end_sheet(self, ctx: Context, state: Any, sheet: SheetSpec, emit: Emit) -> None:
        """Run what was batched while checking a sheet (database look-ups of duplicates)."""

    def end_checks(self, ctx: Context, state: Any, report: Report) -> None:
        """Last checks over the whole file (case numbering), adding to the report."""

    def begin_insert(self, ctx: Context, state: Any) -> None:
        """Prepare the insert pass (take the case counters)."""

    def build(self, ctx: Context, state: Any, sheet: SheetSpec, row: Row) -> list[Any]:
        """Return the new objects of a checked row, to be added to the session."""
        raise NotImplementedError

    def after_flush(self, ctx: Context, state: Any, sheet: SheetSpec, objects: list[Any]) -> None:
        """Learn what a flushed batch was given (ids of new organisations)."""

    def counts(self, state: Any) -> dict[str, int]:
        """Return what the import added, by noun."""
        raise NotImplementedError


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


def _validate(ctx: Context, kind: Kind, path: Path, report: Report) -> Any:
    """The first pass: every problem of the file into the report; returns the kind's state."""
    state = kind.start(ctx)
    problems = _Problems(report)
    with reader.Book(path) as book:
        sheets = _sheets(book, kind, report)
        for spec, worksheet, header in sheets:
            emit = problems.emitter(spec)
            _progress(ctx, f"检查“{spec.name}”", reader.size_hint(worksheet))
            count = 0
            for number, raw in reader.data_rows(worksheet, header):
                row = _parse_row(spec, number, raw, emit)
                kind.check_row(ctx, state, spec, row, emit)
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
    try:
        state = _validate(ctx, kind, path, report)
        if not report.ok:
            session.rollback()
            _sort(report, kind)
            return report
        _insert(ctx, kind, path, state)
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
    report.imported = True
    return report


def _insert(ctx: Context, kind: Kind, path: Path, state: Any) -> None:
    """The second pass: build each row's objects and insert them in batches of BATCH."""
    kind.begin_insert(ctx, state)
    with reader.Book(path) as book:
        for spec, worksheet in _locate(book, kind):
            if worksheet is None:
                continue
            header = reader.read_header(worksheet, spec.columns)
            _progress(ctx, f"导入“{spec.name}”", reader.size_hint(worksheet))
            batch: list[Any] = []
            rows = 0
            for number, raw in reader.data_rows(worksheet, header):
                row = _parse_row(spec, number, raw, _refuse_late)
                batch.extend(kind.build(ctx, state, spec, row))
                rows += 1
                if rows == kind.batch_size:
                    _flush(ctx, kind, state, spec, batch, rows)
                    batch, rows = [], 0
            _flush(ctx, kind, state, spec, batch, rows)
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


def _refuse_late(row: int, key: str | None, message: str, value: Any = None) -> None:
    """A cell read in the second pass disagrees with the first (the file changed): stop, roll back."""
    raise DomainError(f"第{row}行在检查后发生了变化（{message}），请重新检查文件")


def added(objects: Iterable[Any], cls: type) -> list[Any]:
    """Return the objects of a batch that are instances of `cls`."""
    return [obj for obj in objects if isinstance(obj, cls)]
