"""Backup and restore of the portal's database (`flask --app app backup` / `restore`, docs/deploy.md).

A backup is one file plus its manifest (`<file>.manifest.json`): the file's sha256 and size, the
database kind, the schema revision and every table's row count, all taken from the same consistent
view of the database, and with `checksums=True` a checksum of every table's rows as well.

- **SQLite**: SQLite's online backup API copies the database page by page in one step under a read
  lock, so the copy is consistent while the portal keeps running (WAL lets it go on reading and
  writing); the copy is then checked with `PRAGMA integrity_check`.
- **PostgreSQL**: `pg_dump -Fc` reads one snapshot. The manifest's counts are taken in a transaction
  that exports that snapshot to pg_dump (`--snapshot`), so counts and dump describe the same instant.
  The password and the other connection settings go to pg_dump and pg_restore through PG* environment
  variables, never on the command line (where `ps` would show them).

A restore checks the file against its manifest first, refuses to overwrite a database that has tables
unless told to (`force`), loads it (SQLite: the backup API in the other direction, in one step;
PostgreSQL: `pg_restore --clean --if-exists --single-transaction`, so a failed restore changes nothing),
then counts (and checksums) the tables again and fails if anything differs from the manifest.

The files hold personal data: they are written 0600 into a 0700 folder, and a file appears under its
final name only when complete (its manifest last).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore with fixed arguments, no shell
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from portal import clock
from portal.backup.tables import table_checksums, table_counts, table_names

#: Name prefix of the backups this module writes (retention prunes only these).
PREFIX = "portal-"
MANIFEST_SUFFIX = ".manifest.json"
#: How long a PostgreSQL restore waits for a table lock held by a running portal before giving up.
LOCK_TIMEOUT = "30s"
#: Query parameters of a PostgreSQL URL that have a libpq environment variable.
PG_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "host": "PGHOST",
    "port": "PGPORT",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese, then English."""


@dataclass
class Manifest:
    """What a backup file holds, written next to it as JSON."""

    file: str
    sha256: str
    size: int
    database: str  # "sqlite" or "postgresql"
    created_at: str
    revision: str | None
    tables: dict[str, int]
    checksums: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        _write_private(path, json.dumps(self.__dict__, ensure_ascii=False, indent=2).encode())

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise BackupError(
                f"找不到或无法读取校验清单 {path.name}：不能确认备份文件完整，未恢复。"
                f" / The manifest {path.name} is missing or unreadable; nothing was restored."
            ) from error


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ----------------------------------------------------------------------------------------


def backup(database_uri: str, out: Path, checksums: bool = False) -> tuple[Path, Manifest]:
    """Back up the database into `out` and return the file and its manifest.

    `out` is a folder (one that exists, or a name without a suffix), where the file is named after the
    database and the office time, or a file name (`…/before-upgrade.dump`).
    """
    url = make_url(database_uri)
    kind = _kind(url)
    target = out
    if out.is_dir() or not out.suffix:
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        name = Path(url.database or "db").stem
        target = out / f"{PREFIX}{name}-{stamp}{'.sqlite3' if kind == 'sqlite' else '.dump'}"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        raise BackupError(f"文件已存在：{target}，未覆盖。 / {target} exists; not overwritten.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            tables, sums, revision = _backup_sqlite(_sqlite_path(url), partial, checksums)
        else:
            tables, sums, revision = _backup_postgresql(url, partial, checksums)
        partial.chmod(0o600)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        file=target.name,
        sha256=sha256_of(target),
        size=target.stat().st_size,
        database=kind,
        created_at=clock.now().isoformat(timespec="seconds"),
        revision=revision,
        tables=tables,
        checksums=sums,
    )
    manifest.write(manifest_path(target))
    return target, manifest


def _backup_sqlite(source: Path, target: Path, checksums: bool) -> tuple[dict[str, int], dict[str, str], Any]:
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source} / The database file {source} does not exist.")
    with contextlib.closing(sqlite3.connect(source, timeout=30)) as src:
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # all pages in one step: one consistent snapshot
    with contextlib.closing(sqlite3.connect(target)) as copy:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份文件未通过完整性检查。 / The copy failed SQLite's integrity check.")
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return table_counts(conn), table_checksums(conn) if checksums else {}, _revision(conn)
    finally:
        engine.dispose()


def _backup_postgresql(url: URL, target: Path, checksums: bool) -> tuple[dict[str, int], dict[str, str], Any]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                _run(
                    ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
                    url,
                    "pg_dump",
                )
                counts, revision = table_counts(conn), _revision(conn)
                sums = table_checksums(conn) if checksums else {}
    finally:
        engine.dispose()
    return counts, sums, revision


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups written by `backup` in `folder`; return what went."""
    dumps = list(iter_backups(folder))
    gone: list[Path] = []
    for dump in dumps[: max(len(dumps) - keep, 0)]:
        for path in (dump, manifest_path(dump)):
            if path.exists():
                path.unlink()
                gone.append(path)
    return gone


# --- restore ---------------------------------------------------------------------------------------


@dataclass
class Existing:
    """What a restore would overwrite."""

    tables: int
    other_sessions: int = 0


def existing(database_uri: str) -> Existing:
    """Return how many tables the target database has, and (PostgreSQL) how many other sessions use it."""
    url = make_url(database_uri)
    if _kind(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return Existing(0)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = len(inspect(conn).get_table_names())
            others = 0
            if conn.dialect.name == "postgresql":
                others = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            return Existing(tables, others)
    finally:
        engine.dispose()


def verify(dump: Path) -> Manifest:
    """Return the dump's manifest after checking the file's size and sha256 against it."""
    if not dump.is_file():
        raise BackupError(f"备份文件不存在：{dump} / The backup {dump} does not exist.")
    manifest = Manifest.read(manifest_path(dump))
    if dump.stat().st_size != manifest.size or sha256_of(dump) != manifest.sha256:
        raise BackupError(
            f"备份文件 {dump.name} 与校验清单不符（sha256 不一致），文件已损坏或被改动，未恢复。"
            f" / {dump.name} does not match its manifest's sha256; nothing was restored."
        )
    return manifest


def restore(database_uri: str, dump: Path, force: bool = False) -> Manifest:
    """Restore `dump` into the database; refuse a non-empty one unless `force`. Returns the manifest."""
    manifest = verify(dump)
    url = make_url(database_uri)
    kind = _kind(url)
    if manifest.database != kind:
        raise BackupError(
            f"这是 {manifest.database} 的备份，不能恢复到 {kind} 数据库。"
            f" / A {manifest.database} backup cannot be restored into {kind}."
        )
    found = existing(database_uri)
    if found.tables and not force:
        raise BackupError(
            f"目标数据库不是空的（已有 {found.tables} 张表），恢复将覆盖其中的全部数据；"
            "确认后加 --yes 重新执行。"
            f" / The target database is not empty ({found.tables} tables): restoring overwrites all of it;"
            " run again with --yes to confirm."
        )
    if kind == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as src:
            with contextlib.closing(sqlite3.connect(target, timeout=30)) as dst:
                src.backup(dst)  # replaces every page of the target in one step
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={url.database}",
                str(dump),
            ],
            url,
            "pg_restore",
            extra_env={"PGOPTIONS": f"-c lock_timeout={LOCK_TIMEOUT}"},
        )
    _check_restored(url, manifest)
    return manifest


def _check_restored(url: URL, manifest: Manifest) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            sums = table_checksums(conn, manifest.checksums) if manifest.checksums else {}
    finally:
        engine.dispose()
    wrong = [name for name, rows in manifest.tables.items() if counts.get(name) != rows]
    wrong += [name for name, digest in manifest.checksums.items() if sums.get(name) != digest]
    if wrong:
        raise BackupError(
            f"恢复后以下表的行数或校验和与备份时不一致：{'、'.join(sorted(set(wrong)))}。"
            f" / After the restore these tables differ from the backup: {', '.join(sorted(set(wrong)))}."
        )


# --- helpers ---------------------------------------------------------------------------------------


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("内存数据库无法备份。 / An in-memory database cannot be backed up.")
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"不支持的数据库：{backend} / Unsupported database: {backend}")


def _sqlite_path(url: URL) -> Path:
    return Path(url.database or "").expanduser().resolve()


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in table_names(conn):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def pg_env(url: URL) -> dict[str, str]:
    """Return the libpq environment that connects to `url` (credentials included, never on argv)."""
    env = {"PGAPPNAME": "portal-backup"}
    for value, name in (
        (url.host, "PGHOST"),
        (url.port, "PGPORT"),
        (url.username, "PGUSER"),
        (url.password, "PGPASSWORD"),
        (url.database, "PGDATABASE"),
    ):
        if value not in (None, ""):
            env[name] = str(value)
    for key, name in PG_QUERY_ENV.items():
        given = url.query.get(key)
        if given:
            env[name] = given if isinstance(given, str) else given[0]
    return env


def _run(args: list[str], url: URL, tool: str, extra_env: dict[str, str] | None = None) -> None:
    executable = shutil.which(args[0])
    if executable is None:
        raise BackupError(
            f"找不到 {tool}：请安装与数据库服务器同版本或更新的 PostgreSQL 客户端（postgresql-client）。"
            f" / {tool} not found: install the PostgreSQL client tools."
        )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PG")},
        **pg_env(url),
        **(extra_env or {}),
    }
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [executable, *args[1:]], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            f"{tool} 执行失败（退出码 {done.returncode}），数据库未改动。"
            f" / {tool} failed:\n{done.stderr.strip()}"
        )


def _write_private(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    partial.rename(path)


def iter_backups(folder: Path) -> Iterator[Path]:
    """Yield the backups written by `backup` in `folder`, oldest first."""
    for manifest in sorted(folder.glob(f"{PREFIX}*{MANIFEST_SUFFIX}")):
        yield manifest.with_name(manifest.name.removesuffix(MANIFEST_SUFFIX))
