"""附件: store uploads of a form's file fields outside the database, attach them to cases, serve them.

- **Checked before stored**: not empty, not larger than the field's limit (`sources.max_size_mb`), a
  plain file name (no folder, no `..`, no control characters), and the content itself one of the
  field's kinds — a JPEG, PNG or PDF is recognised by its first bytes (`sniff`), and the name's ending
  must agree with it. Every refusal is a `DomainError` with a Chinese message naming the file.
- **Stored by content**: `<UPLOAD_FOLDER>/<ab>/<sha256>`, written to a temporary name and renamed, so a
  file is complete or absent; the same bytes uploaded twice are one file. The folder is 0700.
- **Attached on save** (`link`): the files an answer keeps become 有效 on the case and field; those the
  case had on the field and no longer keeps become 已移除 (row and file kept). Uploads of a form that
  was not saved stay 待提交, usable by their uploader only.
- **Read in scope**: `readable` says whether a user may download one (the case's scope, or the uploader
  of a pending one); the view answers 404 otherwise. Uploads are audited as records (新增/修改), each
  download with `audit_download`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.lowcode import choices, sources
from portal.models.attachment import Attachment, AttachmentStatus
from portal.models.audit import AuditAction
from portal.models.auth import User
from portal.models.case import Case
from portal.services import DomainError, audit
from portal.services.scope import can_reach_org

_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
)
_CHUNK = 1024 * 1024
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|\.\.")
MAX_NAME = 120


def sniff(head: bytes) -> str | None:
    """Return the kind (`jpeg`, `png`, `pdf`) the first bytes of a file show, or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def clean_name(filename: str | None) -> str:
    """Return the upload's name as kept and shown, or raise DomainError for a name with a path in it."""
    name = unicodedata.normalize("NFC", (filename or "").strip())
    if not name:
        raise DomainError("文件缺少文件名")
    if _BAD_NAME.search(name):
        raise DomainError(f"文件名“{name[:40]}”不能包含路径、“..”或控制字符，请改名后重新上传")
    if len(name) > MAX_NAME:
        stem, dot, ending = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ending) - 1] + dot + ending) if dot else name[:MAX_NAME]
    return name


def path_for(folder: str | Path, sha256: str) -> Path:
    """Return where the bytes with this sha256 are kept (the hash is hex: no path can come of it)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256")
    return Path(folder) / sha256[:2] / sha256


def store(
    session: Session,
    user: User,
    field: dict[str, Any],
    filename: str | None,
    stream: IO[bytes],
    folder: str | Path,
) -> Attachment:
    """Check and keep one upload for a file field; return its pending Attachment (flushed, with its id)."""
    name = clean_name(filename)
    kinds = sources.file_kinds(field)
    limit = int(sources.max_size_mb(field) * 1024 * 1024)
    shown_limit = choices.describe_file_limits(field)
    root = Path(folder)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise DomainError(f"文件“{name}”过大（{shown_limit}）")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DomainError(f"文件“{name}”是空文件，请重新选择")
        kind = sniff(head)
        allowed = "、".join(sources.FILE_KINDS[k][0] for k in kinds)
        if kind is None or kind not in kinds:
            raise DomainError(f"文件“{name}”的内容不是允许的类型（只接受 {allowed}）")
        if not name.lower().endswith(sources.FILE_KINDS[kind][2]):
            endings = "、".join(sources.FILE_KINDS[kind][2])
            raise DomainError(
                f"文件“{name}”的扩展名与内容不符：内容是{sources.FILE_KINDS[kind][0]}，应以 {endings} 结尾"
            )
        sha = digest.hexdigest()
        target = path_for(root, sha)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        if target.exists():
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    attachment = Attachment(
        field_key=str(field["key"]),
        name=name,
        content_type=sources.FILE_KINDS[kind][1],
        size=size,
        sha256=sha,
        status=AttachmentStatus.PENDING,
        uploaded_by=user,
    )
    session.add(attachment)
    session.flush()
    return attachment


def as_option(attachment: Attachment) -> dict[str, Any]:
    """Return an attachment as the option a file field lists (`choices.resolve`)."""
    return {
        "value": str(attachment.id),
        "label": attachment.name,
        "size": attachment.size,
        "type": attachment.content_type,
    }


def attachable(session: Session, user: User, case: Case | None, key: str) -> list[dict[str, Any]]:
    """Return what an answer to file field `key` may keep: the case's files on it and the user's pending."""
    mine = (Attachment.case_id.is_(None)) & (Attachment.uploaded_by_id == user.id)
    mine &= Attachment.status == AttachmentStatus.PENDING
    where = mine
    if case is not None and case.id is not None:
        where = mine | ((Attachment.case_id == case.id) & (Attachment.status == AttachmentStatus.ACTIVE))
    found = session.scalars(
        select(Attachment).where(where, Attachment.field_key == key).order_by(Attachment.id)
    )
    return [as_option(a) for a in found]


def link(
    session: Session, user: User, case: Case, body: dict[str, Any] | None, values: dict[str, Any]
) -> None:
    """Make the files the answers keep 有效 on the case; mark those it no longer keeps 已移除.

    Called while the case is being filled in (a new case has no number yet): nothing is flushed here.
    """
    with session.no_autoflush:
        _link(session, user, case, body, values)


def _link(
    session: Session, user: User, case: Case, body: dict[str, Any] | None, values: dict[str, Any]
) -> None:
    kept = choices.attachment_ids(values, body) if body is not None else {}
    wanted = {i for ids in kept.values() for i in ids}
    current = (
        list(
            session.scalars(
                select(Attachment).where(
                    Attachment.case_id == case.id, Attachment.status == AttachmentStatus.ACTIVE
                )
            )
        )
        if case.id is not None
        else []
    )
    for attachment in current:
        if attachment.id not in wanted or attachment.field_key not in kept:
            attachment.status = AttachmentStatus.REMOVED
            attachment.removed_at = clock.utcnow()
            attachment.removed_by = user
    for key, ids in kept.items():
        for attachment in _by_ids(session, ids):
            if attachment.field_key != key:
                continue
            if attachment.status == AttachmentStatus.PENDING and attachment.uploaded_by_id == user.id:
                attachment.case = case
                attachment.status = AttachmentStatus.ACTIVE


def _by_ids(session: Session, ids: Iterable[int]) -> list[Attachment]:
    ids = list(ids)
    return list(session.scalars(select(Attachment).where(Attachment.id.in_(ids)))) if ids else []


def read(folder: str | Path, attachment: Attachment) -> tuple[bytes, str] | None:
    """Return the file's bytes and the MIME type its content shows; None when the file is missing, does not
    match its recorded hash, or is no longer one of the accepted kinds (never served as something else)."""
    try:
        path = path_for(folder, attachment.sha256)
        data = path.read_bytes()
    except (ValueError, OSError):
        return None
    kind = sniff(data[:16])
    if kind is None or hashlib.sha256(data).hexdigest() != attachment.sha256:
        return None
    return data, sources.FILE_KINDS[kind][1]


def download_name(attachment: Attachment) -> str:
    """Return the name offered on download: the stored name without anything a header could not carry."""
    return re.sub(r"[\x00-\x1f\x7f\"\\/]", "", attachment.name).strip() or f"附件{attachment.id}"


def readable(user: User, attachment: Attachment | None) -> bool:
    """Return whether the user may download this file: the case in scope, or their own pending upload."""
    if attachment is None:
        return False
    if attachment.case is None:
        return attachment.uploaded_by_id == user.id
    return can_reach_org(user, attachment.case.organization)


def audit_download(session: Session, attachment: Attachment) -> None:
    """Write the audit row of a download (导出): the file, its case and field."""
    case = attachment.case
    where = f"（{case.number}）" if case is not None else "（待提交）"
    audit.record(
        session,
        AuditAction.EXPORT,
        "attachment",
        attachment.id,
        f"下载附件：{attachment.name}{where}",
        case_id=case.id if case is not None else None,
        field=attachment.field_key,
        sha256=attachment.sha256,
    )
