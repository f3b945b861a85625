"""The attachments' files travel with the backups: copied incrementally, checked by their hash."""

from __future__ import annotations

import hashlib

from portal.backup import files


def _put(root, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    (root / sha[:2]).mkdir(parents=True, exist_ok=True)
    (root / sha[:2] / sha).write_bytes(data)
    return sha


def test_files_are_copied_once_checked_and_restored(tmp_path):
    uploads, backups = tmp_path / "uploads", tmp_path / "backups"
    backups.mkdir()
    dump = backups / "portal-20261207.sqlite3"
    first = _put(uploads, b"%PDF-1.4 first")
    first_run = files.backup_files(uploads, dump)
    assert (first_run.copied, first_run.present) == (1, 0)
    second = _put(uploads, b"%PDF-1.4 second")
    # a file whose bytes no longer match its name is reported, never copied
    bad = hashlib.sha256(b"original").hexdigest()
    (uploads / bad[:2]).mkdir(exist_ok=True)
    (uploads / bad[:2] / bad).write_bytes(b"tampered")
    again = files.backup_files(uploads, dump)
    assert (again.copied, again.present, again.damaged) == (1, 1, [bad])
    copied = backups / "files" / second[:2] / second
    assert copied.read_bytes() == b"%PDF-1.4 second" and oct(copied.stat().st_mode & 0o777) == "0o600"
    # a fresh host: the restore puts every file back
    fresh = tmp_path / "fresh"
    restored = files.restore_files(dump, fresh)
    assert restored.copied == 2
    assert (fresh / first[:2] / first).read_bytes() == b"%PDF-1.4 first"
