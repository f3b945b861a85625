"""The xlsx import from the command line: `flask import KIND FILE [--dry-run]`, `flask import-template`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.services import DomainError, audit

SYSTEM_ACTOR = audit.Actor(None, "命令行")


class _Bars:
    """click progress bars on stderr for the import's passes (imports.core.Progress)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, label: str, total: int | None) -> None:
        self.finish()
        if total is None:
            click.echo(f"{label}…", err=True)
            return
        self.bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_pos=True)
        self.bar.__enter__()

    def advance(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def register_import_cli(app: Flask) -> None:
    """Attach the import command."""

    @app.cli.command("import")
    @click.argument("kind_name", metavar="KIND")
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and list every problem; change nothing.")
    @click.option(
        "--user",
        "username",
        help="Import as this portal user (its roles and subtree); default: the whole tree, as 命令行.",
    )
    @click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write the problem report to this xlsx file.",
    )
    def import_command(
        kind_name: str, path: Path, dry_run: bool, username: str | None, report_path: Path | None
    ) -> None:
        """Import KIND (organisations|mediators|experts|cases, or 组织|调解员|专家|案件) from an xlsx FILE.

        All or nothing: a file with any problem changes nothing. Exits with status 1 when there are problems.
        """
        from portal import clock
        from portal.models.auth import User
        from portal.services import imports
        from portal.services.deadlines import DeadlineRules
        from portal.services.imports import workbooks

        try:
            kind = imports.kind_named(kind_name)
        except DomainError as exc:
            raise click.BadParameter(exc.message, param_hint="KIND") from exc
        actor = SYSTEM_ACTOR
        user = None
        if username is not None:
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise click.ClickException(f"找不到可用的用户 {username}")
            actor = audit.Actor(user.id, user.full_name)
        ctx = imports.Context(
            db.session,
            user,
            clock.today(),
            DeadlineRules.from_config(app.config),
            progress=_Bars(),
            actor_label=SYSTEM_ACTOR.name,
        )
        try:
            with audit.acting_as(actor):
                action = imports.check if dry_run else imports.run
                report = action(ctx, kind, path, path.name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            ctx.progress.finish()  # type: ignore[union-attr]
        click.echo(f"{kind.title}：{path.name}，数据 {report.row_count} 行")
        for note in report.notes:
            click.echo(f"提示：{note}")
        if report_path is not None:
            report_path.write_bytes(workbooks.report_workbook(report))
            click.echo(f"问题清单已写入 {report_path}")
        if not report.ok:
            click.echo(f"发现 {report.problem_count} 个问题，未导入任何数据：")
            for sheet, row, column, message, value in workbooks.report_rows(report):
                where = f"{sheet} 第{row}行" if row else sheet
                click.echo(f"  {where} {column}：{message}" + (f"（{value}）" if value else ""))
            if report.more:
                click.echo(f"  另有 {report.more} 个问题未列出")
            sys.exit(1)
        if dry_run:
            click.echo("检查通过，没有发现问题（试导入，未写入数据）。")
        else:
            click.echo("已导入：" + "、".join(f"{noun} {n}" for noun, n in report.created.items()))

    @app.cli.command("import-template")
    @click.argument("kind_name", metavar="KIND")
    @click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
    def import_template_command(kind_name: str, path: Path) -> None:
        """Write the xlsx template of KIND (its 填写说明 and drop-down lists) to FILE."""
        from portal.services import imports
        from portal.services.imports import workbooks

        try:
            kind = imports.kind_named(kind_name)
        except DomainError as exc:
            raise click.BadParameter(exc.message, param_hint="KIND") from exc
        path.write_bytes(workbooks.template(kind, db.session, None))
        click.echo(f"已写入{kind.title}导入模板：{path}")
