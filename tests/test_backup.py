"""Backup and restore: a backup restored into a fresh database equals the original, table by table."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal import backup as backups
from portal.backup.tables import table_checksums, table_counts
from portal.extensions import db
from portal.models.audit import AuditEvent
from tests.conftest import make_app

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgresql")


def fingerprint(url: str) -> tuple[dict[str, int], dict[str, str]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return table_counts(conn), table_checksums(conn)
    finally:
        engine.dispose()


def assert_equal_but_the_restore_entry(source_url: str, restored_url: str) -> None:
    """Every table has the same rows, but the audit log, which has one more: the restore itself."""
    (counts, sums), (new_counts, new_sums) = fingerprint(source_url), fingerprint(restored_url)
    assert new_counts.keys() == counts.keys() and len(counts) > 40
    assert new_counts.pop("audit_event") == counts.pop("audit_event") + 1
    del sums["audit_event"], new_sums["audit_event"]
    assert new_counts == counts and new_sums == sums


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite variant; the PostgreSQL one is marked postgres")
def test_sqlite_backup_restores_into_a_fresh_database(database_url, tmp_path):
    """The online backup of the worker's database, restored through the command into a new file, has the
    same tables with the same row counts and checksums; the restore is audited and a second restore over
    the now non-empty database, or of a changed file, is refused."""
    dump, manifest = backups.backup(database_url, tmp_path / "backups", checksums=True)
    assert manifest.sha256 == backups.sha256_of(dump) and manifest.revision
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    app = make_app(restored_url)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["restore", str(dump)])
    assert result.exit_code == 0, result.output
    assert "与备份一致" in result.output
    assert_equal_but_the_restore_entry(database_url, restored_url)
    with app.app_context():
        entry = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert entry.summary.startswith("从备份恢复数据库") and entry.actor_name == "命令行"
        db.engine.dispose()

    again = runner.invoke(args=["restore", str(dump)])
    assert again.exit_code == 1 and "目标数据库不是空的" in again.output and "--yes" in again.output

    changed = tmp_path / "changed.sqlite3"
    shutil.copy(dump, changed)
    shutil.copy(backups.manifest_path(dump), backups.manifest_path(changed))
    data = bytearray(changed.read_bytes())
    data[-1] ^= 0xFF
    changed.write_bytes(bytes(data))
    refused = runner.invoke(args=["restore", str(changed), "--yes"])
    assert refused.exit_code == 1 and "sha256" in refused.output


def test_prune_keeps_the_newest_backups(tmp_path):
    """--keep N removes the older backups (file and manifest) of the folder and nothing else."""
    for stamp in ("20261201-020000", "20261202-020000", "20261203-020000"):
        dump = tmp_path / f"portal-main-{stamp}.dump"
        dump.write_bytes(b"x")
        backups.manifest_path(dump).write_text("{}")
    (tmp_path / "notes.txt").write_text("kept")
    gone = backups.prune(tmp_path, keep=2)
    assert sorted(p.name for p in gone) == [
        "portal-main-20261201-020000.dump",
        backups.manifest_path(gone[0]).name,
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "portal-main-20261202-020000.dump",
        "portal-main-20261202-020000.dump.manifest.json",
        "portal-main-20261203-020000.dump",
        "portal-main-20261203-020000.dump.manifest.json",
    ]


def test_pg_credentials_go_through_the_environment():
    """pg_dump and pg_restore get the password in PGPASSWORD, never as an argument."""
    env = backups.pg_env(
        make_url("postgresql+psycopg://portal:s3cret@db.example:6432/portal?sslmode=require")
    )
    assert env["PGPASSWORD"] == "s3cret" and env["PGUSER"] == "portal" and env["PGHOST"] == "db.example"
    assert env["PGPORT"] == "6432" and env["PGDATABASE"] == "portal" and env["PGSSLMODE"] == "require"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgresql+psycopg://…")
def test_postgresql_backup_restores_into_a_fresh_database(database_url, tmp_path):
    """pg_dump of the worker's database, restored with pg_restore into a database made for this test,
    has the same row counts and checksums in every table and the same sequence positions."""
    url = make_url(database_url)
    fresh = f"{url.database}_restored"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    restored_url = url.set(database=fresh).render_as_string(hide_password=False)
    try:
        dump, _manifest = backups.backup(database_url, tmp_path, checksums=True)
        app = make_app(restored_url)
        result = app.test_cli_runner().invoke(args=["restore", str(dump)])
        assert result.exit_code == 0, result.output
        with app.app_context():
            db.engine.dispose()
        assert_equal_but_the_restore_entry(database_url, restored_url)
        assert _sequences(restored_url) == _sequences(database_url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()


def _sequences(url: str) -> dict[str, int | None]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            query = text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            found = dict(conn.execute(query).all())
    finally:
        engine.dispose()
    found.pop("audit_event_id_seq", None)  # the restore's own audit entry moved it on
    return found


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgresql+psycopg://…")
def test_pool_survives_terminated_database_connections(database_url):
    """After the server drops the app's connections (a restart, a failover), the next request succeeds:
    the pool pings each connection before use and replaces the dead ones."""
    app = make_app(database_url)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        pids = [db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()]
        db.session.remove()
    killer = create_engine(database_url, poolclass=NullPool)
    with killer.connect() as conn:
        assert conn.execute(
            text("SELECT bool_and(pg_terminate_backend(p)) FROM unnest(:p) AS p"), {"p": pids}
        ).scalar()
    killer.dispose()
    for _ in range(3):
        answer = client.get("/readyz")
        assert answer.status_code == 200 and answer.json["checks"]["database"] == "ok"
    with app.app_context():
        db.engine.dispose()
