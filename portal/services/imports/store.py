"""Uploaded import files kept between the dry run and the confirmation (outside the database).

Each upload is stored as `<token>.xlsx` with `<token>.json` beside it (its owner, kind, original name,
time and the dry run's report) in the import folder. The token is random (`secrets.token_urlsafe`), so
it cannot be guessed; a file is only ever handed back to the user who uploaded it, and only until it
expires (`ttl`). Expired files are removed whenever an upload is stored, and a confirmed or cancelled
import removes its own.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from portal import clock
from portal.services.imports.core import Report

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass
class Upload:
    """A stored upload: where its file is, whose it is, and its dry run's report."""

    token: str
    path: Path
    user_id: int
    kind: str
    filename: str
    stored_at: datetime
    report: Report | None


class UploadStore:
    """The folder of uploads awaiting confirmation."""

    def __init__(self, root: Path, ttl: timedelta) -> None:
        self.root = root
        self.ttl = ttl

    def _paths(self, token: str) -> tuple[Path, Path]:
        return self.root / f"{token}.xlsx", self.root / f"{token}.json"

    def _claimed(self, token: str) -> Path:
        """Where an upload is while it is being imported (openpyxl reads only names ending in .xlsx)."""
        return self.root / f"{token}.importing.xlsx"

    def save(self, user_id: int, kind: str, filename: str, data: bytes) -> str:
        """Store an upload for `user_id` and return its token."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.purge()
        token = secrets.token_urlsafe(24)
        data_path, meta_path = self._paths(token)
        _write(data_path, data)
        meta = {
            "user_id": user_id,
            "kind": kind,
            "filename": filename,
            "stored_at": clock.utcnow().isoformat(),
            "report": None,
        }
        _write(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        return token

    def get(self, token: str, user_id: int) -> Upload | None:
        """Return the upload if `token` is one of `user_id`'s and has not expired; else None."""
        if not _TOKEN.fullmatch(token or ""):
            return None
        data_path, meta_path = self._paths(token)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            stored_at = datetime.fromisoformat(meta["stored_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        present = data_path.exists() or self._claimed(token).exists()  # being imported: still there
        if meta.get("user_id") != user_id or not present:
            return None
        if clock.utcnow() - stored_at > self.ttl:
            self.discard(token)
            return None
        report = Report.from_dict(meta["report"]) if meta.get("report") else None
        return Upload(token, data_path, user_id, str(meta["kind"]), str(meta["filename"]), stored_at, report)

    def save_report(self, upload: Upload, report: Report) -> None:
        """Keep the dry run's report with the upload."""
        _data_path, meta_path = self._paths(upload.token)
        meta = {
            "user_id": upload.user_id,
            "kind": upload.kind,
            "filename": upload.filename,
            "stored_at": upload.stored_at.isoformat(),
            "report": report.to_dict(),
        }
        _write(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        upload.report = report

    def claim(self, upload: Upload) -> Path | None:
        """Take the upload for its import, so that a second confirmation (a double click) finds it gone;
        returns the file to read, or None if another request has it. `release` gives it back."""
        taken = self._claimed(upload.token)
        try:
            os.rename(upload.path, taken)  # atomic: of two requests, one moves it, the other finds nothing
        except FileNotFoundError:
            return None
        return taken

    def release(self, upload: Upload) -> None:
        """Give a claimed upload back (its import found problems; the user may look at them again)."""
        taken = self._claimed(upload.token)
        if taken.exists():
            os.replace(taken, upload.path)

    def discard(self, token: str) -> None:
        """Remove an upload (confirmed, cancelled or expired)."""
        if not _TOKEN.fullmatch(token or ""):
            return
        data_path, meta_path = self._paths(token)
        for path in (data_path, self._claimed(token), meta_path):
            path.unlink(missing_ok=True)

    def purge(self) -> int:
        """Remove every expired upload; return how many."""
        removed = 0
        if not self.root.is_dir():
            return 0
        limit = (clock.utcnow() - self.ttl).timestamp()
        for meta_path in self.root.glob("*.json"):
            token = meta_path.stem
            try:
                expired = meta_path.stat().st_mtime < limit
            except OSError:
                continue
            if expired and _TOKEN.fullmatch(token):
                self.discard(token)
                removed += 1
        return removed


def _write(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, replacing it whole (a reader never sees half of it)."""
    temporary = path.with_suffix(path.suffix + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
