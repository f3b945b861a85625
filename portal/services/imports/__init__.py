"""数据导入: organisations, mediators (with trainings), experts and historical cases from xlsx.

    kind = imports.kind_named("mediators")          # or a Chinese alias: "调解员"
    report = imports.check(ctx, kind, path)           # dry run: every problem, nothing written
    report = imports.run(ctx, kind, path)             # all or nothing; commits when nothing is wrong

`workbooks` builds each kind's template and the problem report as xlsx; `store` keeps an uploaded file
between the web page's dry run and its confirmation. docs/architecture.md §8 describes the whole.
"""

from __future__ import annotations

from pathlib import Path

from portal.models.auth import User
from portal.services import DomainError
from portal.services.imports.cases import CasesImport
from portal.services.imports.core import Context, Kind, Problem, Report
from portal.services.imports.experts import ExpertsImport
from portal.services.imports.mediators import MediatorsImport
from portal.services.imports.orgs import OrganizationsImport
from portal.services.imports.runner import check as _check
from portal.services.imports.runner import run as _run

__all__ = ["KINDS", "Context", "Kind", "Problem", "Report", "check", "kind_named", "kinds_for", "run"]

#: Every kind of import, in the order the page offers them.
KINDS: dict[str, Kind] = {
    kind.key: kind for kind in (OrganizationsImport(), MediatorsImport(), ExpertsImport(), CasesImport())
}


def kind_named(name: str) -> Kind:
    """Return the kind called `name` (its key or a Chinese alias); DomainError lists the choices."""
    for kind in KINDS.values():
        if name == kind.key or name in kind.aliases or name == kind.title:
            return kind
    choices = "、".join(f"{k.key}（{k.title}）" for k in KINDS.values())
    raise DomainError(f"没有“{name}”这种导入，可选：{choices}")


def kinds_for(user: User) -> list[Kind]:
    """Return the kinds a user's roles may import."""
    return [kind for kind in KINDS.values() if user.has_role(*kind.roles)]


def _allowed(ctx: Context, kind: Kind) -> None:
    if ctx.actor is not None and not ctx.actor.has_role(*kind.roles):
        raise DomainError(f"您的角色不能导入{kind.title}")


def check(ctx: Context, kind: Kind, path: Path, filename: str = "") -> Report:
    """Dry run: list every problem of the file by sheet, row and column; change nothing."""
    _allowed(ctx, kind)
    return _check(ctx, kind, path, filename)


def run(ctx: Context, kind: Kind, path: Path, filename: str = "") -> Report:
    """Import the file if nothing is wrong with it, all or nothing; the report says what happened."""
    _allowed(ctx, kind)
    return _run(ctx, kind, path, filename)
