"""`flask --app app backup` and `flask --app app restore` (docs/deploy.md, 备份与恢复)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from portal import backup as backups
from portal.backup import files as backup_files
from portal.extensions import db
from portal.models.audit import AuditAction
from portal.services import audit

SYSTEM_ACTOR = audit.Actor(None, "命令行")


def _record(summary: str, **changes: str) -> None:
    """Write one audit row (backups copy every person's data; a restore replaces the database)."""
    try:
        with audit.acting_as(SYSTEM_ACTOR):
            audit.record(db.session, AuditAction.EXPORT, "database", None, summary, **changes)
            db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        click.echo(
            "审计日志未记录：数据库结构与代码版本不一致，请先运行 flask --app app db upgrade。"
            " / Not audited: the schema differs from the code; run flask --app app db upgrade.",
            err=True,
        )


def _report_files(result: backup_files.Copied, what: str) -> None:
    """Say what the attachments' copy did; a file whose content does not match its name is an error."""
    click.echo(f"  {what}: 复制 {result.copied} 个，已有 {result.present} 个 / copied, already there")
    for name in result.damaged:
        click.echo(f"  附件文件内容与其校验和不符，未复制 / damaged, not copied: {name}", err=True)


def register_backup_cli(app: Flask) -> None:
    """Attach the backup and restore commands to the app."""

    @app.cli.command("backup")
    @click.option(
        "--out",
        type=click.Path(path_type=Path),
        help="A folder (default BACKUP_DIR, instance/backups) or a file name.",
    )
    @click.option("--checksums", is_flag=True, help="Also store a checksum of every table (slower).")
    @click.option(
        "--keep", type=click.IntRange(min=1), help="Then keep only the newest N backups in the folder."
    )
    def backup_command(out: Path | None, checksums: bool, keep: int | None) -> None:
        """Back up the database (SQLite: online backup API; PostgreSQL: pg_dump) with a sha256 manifest."""
        folder = Path(app.config["BACKUP_DIR"])
        try:
            path, manifest = backups.backup(app.config["SQLALCHEMY_DATABASE_URI"], out or folder, checksums)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest.tables.values())
        _record(f"备份数据库：{path.name}（{len(manifest.tables)}张表，{rows}行）", sha256=manifest.sha256)
        click.echo(f"已备份 / Backed up: {path}")
        click.echo(f"  {len(manifest.tables)} 张表 / tables, {rows} 行 / rows, {manifest.size} 字节 / bytes")
        click.echo(f"  sha256 {manifest.sha256}  ({backups.manifest_path(path).name})")
        _report_files(backup_files.backup_files(app.config["UPLOAD_FOLDER"], path), "附件文件 / attachments")
        if keep:
            for gone in backups.prune(path.parent, keep):
                click.echo(f"已删除旧备份 / Removed old backup: {gone}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--yes", is_flag=True, help="Overwrite a database that is not empty.")
    def restore_command(path: Path, yes: bool) -> None:
        """Restore a backup made by `backup` after checking it against its manifest."""
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        db.session.remove()
        db.engine.dispose()  # this command's own connections must not hold the tables
        try:
            found = backups.existing(uri)
            if found.other_sessions:
                click.echo(
                    f"注意：还有 {found.other_sessions} 个连接在使用该数据库；请先停止网站和批量打印进程。"
                    " / Other sessions use this database: stop the app hosts and print workers first.",
                    err=True,
                )
            manifest = backups.restore(uri, path, force=yes)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest.tables.values())
        click.echo(
            f"已恢复 / Restored: {path.name}（{manifest.created_at}，{len(manifest.tables)} 张表，{rows} 行）"
        )
        click.echo(
            "  行数"
            + ("和校验和" if manifest.checksums else "")
            + "与备份一致 / verified against the manifest"
        )
        _report_files(
            backup_files.restore_files(path, app.config["UPLOAD_FOLDER"]), "恢复附件文件 / attachments"
        )
        _record(f"从备份恢复数据库：{path.name}（备份于{manifest.created_at}）", sha256=manifest.sha256)
        click.echo(
            f"  数据库版本 / schema revision {manifest.revision}；"
            "如代码较新，请运行 / if the code is newer, run: flask --app app db upgrade"
        )
