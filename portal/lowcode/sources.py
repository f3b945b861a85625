"""Definition keys for data-backed choices, cascades, attachments and pages, and their lint.

Pure declarations, imported by `schema` (lint) and by `choices` (checking answers):

- `choices_from: mediators` — a single choice whose options come from a register (REGISTERS), read
  for the user filling the form (organisations, mediators: the user's subtree; experts: the subtree
  and the pools above it; dispute types: the whole dictionary). The answer keeps the record's id and
  its label at the time: `{"id": "12", "label": "张三（马集镇人民调解委员会）"}`.
- `depends_on: category` — a cascading choice: only options whose `parent` is the value of the
  field named are allowed (options of a choice list may carry `parent`; a register's options carry
  theirs, see REGISTER_PARENTS). The browser narrows the list live, the server checks the pair.
- `type: file` — attachments (附件): `accept: [jpeg, png, pdf]` (checked against the content, not only
  the name), `max_size` in MB, `max_files` (default 1). The answer lists the files kept
  (`[{"id": 5, "name": "协议.pdf", "size": 1234, "type": "application/pdf"}]`); the files themselves
  are stored outside the database (`services/attachments.py`).
- `page: 基本情况` on a section — a multi-page form: a section with `page` starts a page under that
  title, the sections after it without one continue it.
"""

from __future__ import annotations

from typing import Any

#: Registers a choice may take its options from, with their Chinese names.
REGISTERS: dict[str, str] = {
    "organizations": "调解组织",
    "townships": "乡镇（街道）调解组织",
    "mediators": "调解员",
    "experts": "特邀专家",
    "dispute_types": "纠纷类型",
}
#: What the `parent` of each register's options is (the value a `depends_on` field must hold).
REGISTER_PARENTS: dict[str, str] = {
    "organizations": "上级组织",
    "townships": "所属县（区）组织的代码",
    "mediators": "所在调解组织",
    "dispute_types": "上级纠纷类型",
}
#: Attachment kinds: name -> (Chinese name, MIME type, file name endings).
FILE_KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "jpeg": ("JPG 图片", "image/jpeg", (".jpg", ".jpeg")),
    "png": ("PNG 图片", "image/png", (".png",)),
    "pdf": ("PDF 文件", "application/pdf", (".pdf",)),
}
DEFAULT_FILE_KINDS = ("jpeg", "png", "pdf")
#: Default and largest size of one attachment, in MB (the request itself is capped by MAX_CONTENT_LENGTH).
DEFAULT_MAX_SIZE_MB = 10
MAX_SIZE_MB = 15
MAX_FILES = 20
MAX_PAGE_TITLE = 30

#: The keys this module adds to a field, for schema.PROPERTIES / PROPERTY_LABELS.
FIELD_PROPERTIES: dict[str, str] = {
    "choices_from": "数据来源",
    "depends_on": "上级字段",
    "accept": "文件类型",
    "max_size": "文件大小上限",
    "max_files": "文件个数上限",
}


def file_kinds(field: dict[str, Any]) -> tuple[str, ...]:
    """Return the attachment kinds a file field accepts."""
    accept = field.get("accept")
    if isinstance(accept, list) and accept:
        return tuple(k for k in accept if k in FILE_KINDS)
    return DEFAULT_FILE_KINDS


def max_size_mb(field: dict[str, Any]) -> float:
    """Return the largest size of one file of this field, in MB."""
    size = field.get("max_size")
    if isinstance(size, int | float) and not isinstance(size, bool) and 0 < size <= MAX_SIZE_MB:
        return float(size)
    return float(DEFAULT_MAX_SIZE_MB)


def max_files(field: dict[str, Any]) -> int:
    """Return how many files a file field keeps at most."""
    count = field.get("max_files")
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1


def field_problems(field: dict[str, Any], kind: str, inside_repeat: bool) -> list[str]:
    """Return the Chinese problems of one field's data-choice, cascade and attachment keys."""
    found: list[str] = []
    source = field.get("choices_from")
    if source not in (None, ""):
        if kind != "select_one":
            found.append("数据来源（choices_from）只能用于单选字段")
        elif source not in REGISTERS:
            names = "、".join(f"{k}（{v}）" for k, v in REGISTERS.items())
            found.append(f"数据来源“{source}”无效，可选：{names}")
        elif field.get("options") or field.get("choices"):
            found.append("已设置数据来源的字段不能再设置选项")
    depends = field.get("depends_on")
    if depends not in (None, ""):
        if kind != "select_one":
            found.append("上级字段（depends_on）只能用于单选字段")
        elif not isinstance(depends, str):
            found.append("上级字段须写字段标识")
        elif source not in (None, "") and source not in REGISTER_PARENTS:
            found.append(f"数据来源“{REGISTERS.get(source, source)}”没有上级，不能设置上级字段")
    if kind == "file":
        if inside_repeat:
            found.append("附件字段不能放在重复组内")
        accept = field.get("accept")
        if accept is not None and (
            not isinstance(accept, list) or not accept or any(k not in FILE_KINDS for k in accept)
        ):
            found.append(f"文件类型须从 {'、'.join(FILE_KINDS)} 中选择")
        size = field.get("max_size")
        if size is not None and (
            isinstance(size, bool) or not isinstance(size, int | float) or not 0 < size <= MAX_SIZE_MB
        ):
            found.append(f"文件大小上限须是 0 到 {MAX_SIZE_MB} 之间的数字（单位 MB）")
        count = field.get("max_files")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_FILES
        ):
            found.append(f"文件个数上限须是 1 到 {MAX_FILES} 之间的整数")
        if field.get("default") not in (None, ""):
            found.append("附件字段不能设置默认值")
    else:
        for name in ("accept", "max_size", "max_files"):
            if field.get(name) is not None:
                found.append(f"只有附件字段可以设置{FIELD_PROPERTIES[name]}")
    return found


def depends_problems(fields: dict[str, dict[str, Any]], groups: dict[str, str]) -> list[tuple[str, str]]:
    """Return (key, problem) for `depends_on` naming a field that is missing, not a choice, or elsewhere.

    `fields` are the body's fields by key, `groups` the repeat group of each inner field's key.
    """
    found = []
    for key, field in fields.items():
        depends = field.get("depends_on")
        if not isinstance(depends, str) or not depends:
            continue
        parent = fields.get(depends)
        if depends == key:
            found.append((key, "上级字段不能是字段自身"))
        elif parent is None:
            found.append((key, f"上级字段“{depends}”不存在"))
        elif parent.get("type") != "select_one":
            found.append((key, f"上级字段“{depends}”须是单选字段"))
        elif groups.get(key) != groups.get(depends) and groups.get(depends) is not None:
            found.append((key, f"上级字段“{depends}”在另一个重复组内"))
    return found


def pages(body: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Return the form's pages as (title, sections); a form without `page` keys is one untitled page."""
    sections = (
        [s for s in body.get("sections") or [] if isinstance(s, dict)] if isinstance(body, dict) else []
    )
    result: list[tuple[str, list[dict[str, Any]]]] = []
    for section in sections:
        title = section.get("page")
        if isinstance(title, str) and title.strip():
            result.append((title.strip(), [section]))
        elif result:
            result[-1][1].append(section)
        else:
            result.append(("", [section]))
    if result and not result[0][0] and len(result) > 1:
        first = result[0][1][0]
        result[0] = (str(first.get("title") or "第一页"), result[0][1])
    return result


def page_problems(body: dict[str, Any]) -> list[str]:
    """Return the Chinese problems of the sections' `page` titles."""
    found = []
    titles = []
    for number, section in enumerate(body.get("sections") or [], 1):
        if not isinstance(section, dict) or section.get("page") in (None, ""):
            continue
        title = section["page"]
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_PAGE_TITLE:
            found.append(f"第 {number} 个分组的分页标题须是不超过 {MAX_PAGE_TITLE} 个字符的文本")
            continue
        if title.strip() in titles:
            found.append(f"分页标题“{title.strip()}”重复")
        titles.append(title.strip())
    return found
