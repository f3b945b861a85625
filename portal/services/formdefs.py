"""Form definitions (自定义表单): drafts, the builder's edits, publishing, files and history.

A definition's draft may be incomplete; publishing lints it and freezes a numbered copy
(`FormVersion`). Cases keep the version their answers were entered with, so a published version is
never changed. Field keys are immutable: a key once published keeps its type in every later version,
so filters and exports over years of cases mean the same thing.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.lowcode import builder, expr, schema
from portal.models.auth import User
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition, FormVersion
from portal.services import DomainError

FILE_KEYS = ("key", "title", "dispute_type", "description", "language2", "choices", "sections")
#: How deep lists and mappings may nest in a definition file (a real one needs about 8), and how many
#: items they may hold together (the largest catalogue form has a few hundred).
MAX_FILE_DEPTH = 40
MAX_FILE_ITEMS = 50_000
BODY_KEYS = ("description", "language2", "choices", "sections")
EMPTY_BODY: dict[str, Any] = {"sections": [{"title": "基本情况", "fields": []}]}
#: How many builder edits of a draft can be undone (since the last publish).
UNDO_STEPS = 20


def _check_version(definition: FormDefinition, expected_version: int | None) -> None:
    if expected_version is not None and definition.version != expected_version:
        raise DomainError("该表单已被他人修改，请刷新页面后重试")


def _type_by_code(session: Session, code: str | None) -> DisputeType | None:
    if not code:
        return None
    found = session.scalar(select(DisputeType).where(DisputeType.code == code))
    if found is None:
        raise DomainError(f"纠纷类型代码“{code}”不存在")
    return found


def create(session: Session, key: str, title: str, dispute_type: DisputeType | None) -> FormDefinition:
    """Start a new definition with an empty draft; commits."""
    key = (key or "").strip()
    if not expr.KEY_RE.match(key):
        raise DomainError("表单标识须以小写字母开头，只含小写字母、数字和下划线", field="key")
    if session.scalar(select(FormDefinition.id).where(FormDefinition.key == key)):
        raise DomainError(f"表单标识“{key}”已被使用", field="key")
    if dispute_type is not None and _owner(session, dispute_type) is not None:
        raise DomainError(f"纠纷类型“{dispute_type}”已有表单", field="dispute_type")
    definition = FormDefinition(
        key=key, title=title.strip(), dispute_type=dispute_type, draft=copy.deepcopy(EMPTY_BODY)
    )
    session.add(definition)
    session.commit()
    return definition


def _owner(session: Session, dispute_type: DisputeType) -> FormDefinition | None:
    return session.scalar(select(FormDefinition).where(FormDefinition.dispute_type_id == dispute_type.id))


def create_for_type(session: Session, dispute_type: DisputeType) -> FormDefinition:
    """Start the form of a dispute type from the 表单设计 page: named after the type, a key made up."""
    code = re.sub(r"[^a-z0-9]+", "_", dispute_type.code.lower()).strip("_") or str(dispute_type.id)
    base = f"type_{code}"[:34]
    key, number = base, 1
    while session.scalar(select(FormDefinition.id).where(FormDefinition.key == key)):
        number += 1
        key = f"{base}_{number}"
    return create(session, key, dispute_type.name, dispute_type)


def save_draft(
    session: Session,
    definition: FormDefinition,
    body: dict[str, Any],
    expected_version: int | None,
    step: str | None = None,
) -> list[schema.Problem]:
    """Replace the draft (incomplete drafts are kept); commits and returns its lint problems.

    A builder edit names its `step` (已添加字段“…”): the draft before it joins the undo steps.
    """
    _check_version(definition, expected_version)
    if step and body != definition.draft:
        earlier = list(definition.undo_stack or [])
        earlier.append({"label": step[:100], "body": copy.deepcopy(definition.draft)})
        definition.undo_stack = earlier[-UNDO_STEPS:]
    definition.draft = copy.deepcopy(body)
    definition.draft_dirty = definition.latest is None or definition.latest.body != definition.draft
    session.commit()
    return schema.lint(definition.draft)


def undo(session: Session, definition: FormDefinition, expected_version: int | None) -> str:
    """Put back the draft before the last builder edit; commits and returns what was undone."""
    _check_version(definition, expected_version)
    earlier = list(definition.undo_stack or [])
    if not earlier:
        raise DomainError("没有可以撤销的修改（发布后不能撤销此前的修改）")
    last = earlier.pop()
    definition.undo_stack = earlier or None
    definition.draft = copy.deepcopy(last["body"])
    definition.draft_dirty = definition.latest is None or definition.latest.body != definition.draft
    session.commit()
    return str(last.get("label") or "上一步修改")


def undo_label(definition: FormDefinition) -> str | None:
    """Return what the next undo would take back, None when there is nothing to undo."""
    steps = definition.undo_stack or []
    return str(steps[-1].get("label") or "上一步修改") if steps else None


def publish(
    session: Session,
    definition: FormDefinition,
    actor: User | None,
    note: str | None = None,
    expected_version: int | None = None,
) -> FormVersion:
    """Lint the draft and freeze it as the next version; commits. Refuses with every problem listed."""
    _check_version(definition, expected_version)
    problems = schema.lint(definition.draft) + _history_problems(definition)
    if problems:
        raise DomainError("表单有以下问题，未发布：" + "；".join(map(str, problems)))
    latest = definition.latest
    if latest is not None and latest.body == definition.draft and latest.title == definition.title:
        raise DomainError("草稿与最新发布版本相同，无需发布")
    version = FormVersion(
        definition=definition,
        number=(latest.number if latest else 0) + 1,
        title=definition.title,
        body=copy.deepcopy(definition.draft),
        note=(note or "").strip() or None,
        published_by=actor,
    )
    session.add(version)
    definition.draft_dirty = False
    definition.undo_stack = None  # a published version is final: its edits are no longer undone
    session.commit()
    return version


def _history_problems(definition: FormDefinition, body: dict[str, Any] | None = None) -> list[schema.Problem]:
    """Refuse a key that an earlier version used with another type."""
    earlier: dict[str, tuple[Any, int]] = {}
    for version in definition.versions:
        for key, field in schema.fields_by_key(version.body).items():
            earlier[key] = (field.get("type"), version.number)
    problems = []
    for key, field in schema.fields_by_key(definition.draft if body is None else body).items():
        if key in earlier and earlier[key][0] != field.get("type"):
            kind, number = earlier[key]
            problems.append(
                schema.Problem(
                    key,
                    f"第{number}版中该标识是“{schema.TYPES.get(kind, kind)}”，不能改为"
                    f"“{schema.TYPES.get(field.get('type'), field.get('type'))}”；请换一个新的字段标识",
                )
            )
    return problems


def history(definition: FormDefinition) -> list[tuple[FormVersion, list[str]]]:
    """Return each version, newest first, with what changed from the one before."""
    rows = []
    previous: dict[str, Any] = {"sections": []}
    for version in definition.versions:
        found = changes(previous, version.body) if version.number > 1 else ["首次发布"]
        rows.append((version, found))
        previous = version.body
    return rows[::-1]


def draft_changes(definition: FormDefinition) -> list[str]:
    """Describe what the draft changes against the latest published version."""
    latest = definition.latest
    return changes(latest.body, definition.draft) if latest else []


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changes from one body to the next, in Chinese: the fields' diff, then each choice list's."""
    found = [c for c in schema.diff(old, new) if c != "选项列表已修改"]
    before, after = builder.choice_lists(old), builder.choice_lists(new)
    for name, items in after.items():
        if name not in before:
            found.append(f"新增选项列表“{name}”（{len(items) if isinstance(items, list) else 0} 个选项）")
        elif before[name] != items:
            old_labels = {o["value"]: o for o in schema._option_list(before[name])}
            new_labels = {o["value"]: o for o in schema._option_list(items)}
            added = [o["label"] for v, o in new_labels.items() if v not in old_labels]
            removed = [o["label"] for v, o in old_labels.items() if v not in new_labels]
            detail = []
            if added:
                detail.append(f"新增“{'、'.join(added)}”")
            if removed:
                detail.append(f"删除“{'、'.join(removed)}”")
            if not detail:
                detail.append("选项文字或顺序已修改")
            found.append(f"选项列表“{name}”：{'，'.join(detail)}")
    found += [f"删除选项列表“{name}”" for name in before if name not in after]
    if old.get("language2") != new.get("language2"):
        found.append(f"第二语言由“{old.get('language2') or '无'}”改为“{new.get('language2') or '无'}”")
    return found


def version_for_type(session: Session, dispute_type: DisputeType | None) -> FormVersion | None:
    """Return the latest published version that applies to a dispute type (its own, else its parent's)."""
    while dispute_type is not None:
        definition = _owner(session, dispute_type)
        if definition is not None and not definition.archived and definition.latest is not None:
            return definition.latest
        dispute_type = dispute_type.parent
    return None


# --- files ------------------------------------------------------------------------------------------


def to_file(definition: FormDefinition, version: FormVersion | None = None) -> dict[str, Any]:
    """Return the definition (its draft, or one version) as the mapping written to a file."""
    body = version.body if version is not None else definition.draft
    data: dict[str, Any] = {
        "key": definition.key,
        "title": version.title if version is not None else definition.title,
        "dispute_type": definition.dispute_type.code if definition.dispute_type else None,
    }
    if body.get("description"):
        data["description"] = body["description"]
    if body.get("language2"):
        data["language2"] = body["language2"]
    if body.get("choices"):
        data["choices"] = body["choices"]
    data["sections"] = body.get("sections", [])
    return data


def dump(data: dict[str, Any], fmt: str = "yaml") -> str:
    """Serialise a definition file as YAML (the default, readable) or JSON."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _check_shape(data: Any) -> None:
    """Refuse a file whose lists and mappings nest too deep or hold too many items (YAML aliases can make
    a small file a huge or endless one); walked without recursion."""
    items, pending = 0, [(data, 1)]
    while pending:
        item, level = pending.pop()
        if not isinstance(item, dict | list):
            continue
        if level > MAX_FILE_DEPTH:
            raise DomainError(f"文件嵌套层次过深（最多{MAX_FILE_DEPTH}层），不是有效的表单定义")
        items += len(item)
        if items > MAX_FILE_ITEMS:
            raise DomainError(f"文件内容过多（最多{MAX_FILE_ITEMS}项），不是有效的表单定义")
        pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))


def parse_file(text: str) -> dict[str, Any]:
    """Read a YAML or JSON definition file; raise DomainError when it is not one."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DomainError(f"文件不是有效的 YAML/JSON：{error}") from None
    except RecursionError:
        raise DomainError(f"文件嵌套层次过深（最多{MAX_FILE_DEPTH}层），不是有效的表单定义") from None
    _check_shape(data)
    if not isinstance(data, dict) or not data.get("key") or not data.get("title"):
        raise DomainError("文件格式不正确：需要 key、title 和 sections")
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise DomainError(f"文件中有未知的项：{'、'.join(map(str, unknown))}")
    return data


def import_file(
    session: Session,
    data: dict[str, Any],
    actor: User | None,
    publish_it: bool = False,
    note: str | None = None,
) -> tuple[FormDefinition, FormVersion | None]:
    """Create or update a definition's draft from a file; optionally publish it. Commits."""
    body = {k: data[k] for k in BODY_KEYS if data.get(k) is not None}
    problems = schema.lint(body)
    if problems:
        raise DomainError(f"表单“{data.get('title')}”有以下问题：" + "；".join(map(str, problems)))
    dispute_type = _type_by_code(session, data.get("dispute_type"))
    definition = session.scalar(select(FormDefinition).where(FormDefinition.key == data["key"]))
    if definition is not None and publish_it:
        # Refuse before writing anything, so a refused import leaves the draft as it was.
        problems = _history_problems(definition, body)
        if problems:
            raise DomainError(f"表单“{data.get('title')}”有以下问题：" + "；".join(map(str, problems)))
    if definition is None:
        definition = create(session, str(data["key"]), str(data["title"]), dispute_type)
    elif dispute_type is not None and definition.dispute_type_id != dispute_type.id:
        other = _owner(session, dispute_type)
        if other is not None:
            raise DomainError(f"纠纷类型“{dispute_type}”已有表单“{other.title}”")
        definition.dispute_type = dispute_type
    definition.title = str(data["title"]).strip()
    save_draft(session, definition, body, None)
    version = None
    if publish_it and (
        definition.latest is None
        or definition.latest.body != body
        or definition.latest.title != definition.title
    ):
        version = publish(session, definition, actor, note or "从文件导入")
    return definition, version


def load_path(
    session: Session, path: Path, actor: User | None
) -> list[tuple[FormDefinition, FormVersion | None]]:
    """Load and publish every definition file at a path (a file or a folder of .yaml/.yml/.json)."""
    files = (
        sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
        if path.is_dir()
        else [path]
    )
    if not files:
        raise DomainError(f"{path} 中没有表单文件（.yaml/.yml/.json）")
    results = []
    for file in files:
        try:
            data = parse_file(file.read_text(encoding="utf-8"))
            results.append(import_file(session, data, actor, publish_it=True, note=f"从 {file.name} 载入"))
        except DomainError as error:
            session.rollback()
            raise DomainError(f"{file.name}：{error.message}") from None
    return results


def version_for(session: Session, dispute_type: DisputeType | None, case: Any = None) -> FormVersion | None:
    """Return the version for a case's answers: its own while its type's form is the same, else the latest."""
    own = getattr(case, "form_version", None)
    if own is not None and dispute_type is not None and case.dispute_type_id == dispute_type.id:
        # Same type: the answers stay with their version, even after the form was retired or moved.
        return own
    return version_for_type(session, dispute_type)


def attach_answers(case: Any, version: FormVersion | None, values: dict[str, Any]) -> None:
    """Keep checked answers on a case together with the version they were entered with."""
    case.form_version = version
    case.answers = values if version is not None and values else None
