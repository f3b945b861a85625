"""The attachments' files in a backup: `<backup folder>/files/<ab>/<sha256>`, shared by every backup there.

Attachments are stored by content hash and never change, so the files folder beside the backups is
copied incrementally: a backup adds the files it lacks (each read once, its hash checked against its
name), a restore puts back the files the upload folder lacks, checked the same way. A file whose bytes
do not match its name is reported and left out, never copied.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = "files"
_NAME = re.compile(r"[0-9a-f]{64}")


@dataclass
class Copied:
    """What a copy did: files copied, files already there, files refused (bad content)."""

    copied: int = 0
    present: int = 0
    damaged: list[str] = field(default_factory=list)


def _stored(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.glob("??/*")
        if p.is_file() and _NAME.fullmatch(p.name) and p.parent.name == p.name[:2]
    )


def _digest(path: Path) -> str:
    found = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            found.update(chunk)
    return found.hexdigest()


def copy_files(source: Path, target: Path) -> Copied:
    """Copy the content-addressed files of `source` missing from `target` (0700 folders, 0600 files)."""
    result = Copied()
    for path in _stored(source):
        destination = target / path.parent.name / path.name
        if destination.exists():
            result.present += 1
            continue
        if _digest(path) != path.name:
            result.damaged.append(path.name)
            continue
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = destination.with_name(f".{path.name}.part")
        shutil.copyfile(path, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, destination)
        result.copied += 1
    return result


def backup_files(upload_folder: str | Path, dump: Path) -> Copied:
    """Copy the upload folder's new files next to the backup `dump` (into its folder's `files`)."""
    return copy_files(Path(upload_folder), dump.parent / FOLDER)


def restore_files(dump: Path, upload_folder: str | Path) -> Copied:
    """Put back the files the upload folder lacks from the `files` folder next to the backup `dump`."""
    return copy_files(dump.parent / FOLDER, Path(upload_folder))
