"""What every kind of import is made of: column and sheet specs, rows, problems and the report, the
importer's context, and `Kind`, the hooks a kind implements (`runner` drives them).

A kind of import (organisations, mediators, experts, historical cases) declares its sheets and columns
and implements the row checks and the building of its objects; the rules themselves are the forms' and
services' own (`cells`, `services.people`, `services.orgs`, `services.case_checks`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.services.deadlines import DeadlineRules
from portal.services.imports.cells import Parser

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


class Kind(ABC):
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

    # A kind must give start, check_row, build and counts; the other hooks do nothing unless overridden.

    @abstractmethod
    def start(self, ctx: Context) -> Any:
        """Return the state shared by the passes (lookups, keys seen)."""

    @abstractmethod
    def check_row(self, ctx: Context, state: Any, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        """Report what is wrong with a row beyond its cells: cross-field rules, lookups, duplicates."""

    def end_sheet(self, ctx: Context, state: Any, sheet: SheetSpec, emit: Emit) -> None:
        """Run what was batched while checking a sheet (database look-ups of duplicates)."""
        return None

    def end_checks(self, ctx: Context, state: Any, report: Report) -> None:
        """Last checks over the whole file (case numbering), adding to the report."""
        return None

    def begin_insert(self, ctx: Context, state: Any) -> None:
        """Prepare the insert pass (take the case counters)."""
        return None

    @abstractmethod
    def build(self, ctx: Context, state: Any, sheet: SheetSpec, row: Row) -> list[Any]:
        """Return the new objects of a checked row, to be added to the session."""

    def after_flush(self, ctx: Context, state: Any, sheet: SheetSpec, objects: list[Any]) -> None:
        """Learn what a flushed batch was given (ids of new organisations)."""
        return None

    @abstractmethod
    def counts(self, state: Any) -> dict[str, int]:
        """Return what the import added, by noun."""
