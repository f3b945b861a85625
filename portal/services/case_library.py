"""优秀案例库: who may propose, edit, check, review and read excellent cases, and the steps themselves.

- **Proposing** (推荐): an administrator or 调解员/录入员 whose subtree holds a case that was settled and
  then performed (履行), followed up or archived (`refusal_to_propose`) writes it up; the anonymised text
  is computed at once by the rules of `services.anonymise`.
- **Editing**: the proposing side while the entry is 草稿 or 退回修改. Each save of the text is a new
  revision (`ExcellentCaseRevision`); a changed original is anonymised again field by field (the hand
  corrections of the other fields are kept); any change clears the reviewer's check of the anonymised text.
- **Reviewing** (审核): an administrator or evaluator of a county-level organisation above the entry's (or
  of the county itself, for the county's own cases), never the proposer: checks the anonymised text side by
  side with the original and confirms it (脱敏核对: who and when are recorded), then takes the entry into
  the library (入库), returns it with a reason (退回修改) or refuses it (不予入库). Publication needs the
  confirmed text and refuses one in which `anonymise.leaks` still finds a name or a number.
- **Reading**: a published entry is read by every signed-in user of its county (the root of its tree),
  its anonymised text only; the original and the link to the case only within the case's scope.
- **Withdrawing** (撤出案例库): a published entry by its reviewers or an administrator of the proposing
  side, an unpublished one by the proposing side; a reason is required. Nothing is deleted.

Every step checks the version the user's page was built on, records an `ExcellentCaseEvent` and commits;
the audit log records it through `services.audit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, select
from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case, CaseStatus
from portal.models.case_library import (
    EDITABLE_STATUSES,
    FINAL_STATUSES,
    TEXT_FIELDS,
    ExcellentCase,
    ExcellentCaseEvent,
    ExcellentCaseEventKind,
    ExcellentCaseRevision,
    LibraryStatus,
    MethodTag,
)
from portal.models.org import Organization, OrgLevel
from portal.services import DomainError
from portal.services import anonymise as rules
from portal.services.scope import can_reach_org
from portal.text import strip_control

K = ExcellentCaseEventKind
S = LibraryStatus

#: Who writes cases up: the people who mediate and their administrators.
PROPOSERS = frozenset({Role.ADMIN, Role.ENTRY})
#: Who reviews them: administrators and evaluators of the county.
REVIEWERS = frozenset({Role.ADMIN, Role.EVALUATOR})
#: Who may open the proposal and review pages at all (clerks read the library only).
WORKERS = PROPOSERS | REVIEWERS
STALE = "该案例已被他人更新，请刷新页面查看最新内容后再办理（本次操作未保存）。"
MAX_TITLE = 200
MAX_TEXT = 20000
NAMES = dict(TEXT_FIELDS)

#: Which steps may be taken from which statuses (editing and the anonymised text: `can_edit`, `can_check`).
STEPS: dict[ExcellentCaseEventKind, frozenset[LibraryStatus]] = {
    K.SUBMIT: frozenset({S.DRAFT, S.RETURNED}),
    K.RETURN: frozenset({S.SUBMITTED}),
    K.REJECT: frozenset({S.SUBMITTED}),
    K.PUBLISH: frozenset({S.SUBMITTED}),
    K.WITHDRAW: frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED, S.PUBLISHED}),
}
#: Steps that need a reason.
REASON_REQUIRED = frozenset({K.RETURN, K.REJECT, K.WITHDRAW})


# --- who ---------------------------------------------------------------------------------------------


def county_id_of(org: Organization) -> int:
    """Return the id of the root of the organisation's tree (its county)."""
    ids = org.ancestor_ids
    return ids[0] if ids else org.id


def refusal_to_propose(case: Case, actor: User) -> str | None:
    """Return why `actor` may not propose `case` as an excellent case, or None if they may."""
    if not actor.has_role(*PROPOSERS):
        return "只有调解员、录入员或管理员可以推荐优秀案例"
    if not can_reach_org(actor, case.organization):
        return "该案件不在您单位的管辖范围内"
    agreement = case.agreement
    if agreement is None:
        return "只有调解成功（达成协议）的案件可以推荐为优秀案例"
    done = case.status in (CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED) or (
        case.status == CaseStatus.SETTLED and agreement.performed
    )
    if not done:
        return "案件须协议已履行、已回访或已结案归档后，方可推荐为优秀案例"
    return None


def is_proposer(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor writes for the proposing side (a proposer role within its subtree)."""
    return actor.has_role(*PROPOSERS) and can_reach_org(actor, entry.organization)


def is_reviewer(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor reviews the entry: at the county above it (or its own), not its author."""
    org = actor.organization
    if not actor.has_role(*REVIEWERS) or org.level != OrgLevel.COUNTY:
        return False
    if entry.proposed_by_id is not None and entry.proposed_by_id == actor.id:
        return False
    return org.id in entry.organization.ancestor_ids


def can_edit(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor may change the write-up now."""
    return entry.status in EDITABLE_STATUSES and is_proposer(actor, entry)


def can_edit_anonymised(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor may correct the anonymised text (author before, reviewer in review)."""
    return can_edit(actor, entry) or (entry.status == S.SUBMITTED and is_reviewer(actor, entry))


def can_check(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor may confirm the anonymised text (脱敏核对)."""
    return entry.status == S.SUBMITTED and is_reviewer(actor, entry)


def refusal(entry: ExcellentCase, actor: User, kind: ExcellentCaseEventKind) -> str | None:
    """Return why `actor` may not take step `kind` on the entry now, or None if they may."""
    if kind not in STEPS:
        return f"不能办理「{kind.label}」"
    if entry.status not in STEPS[kind]:
        return f"案例当前状态为「{entry.status.label}」，不能办理「{kind.label}」"
    if kind == K.SUBMIT:
        allowed = is_proposer(actor, entry)
    elif kind == K.WITHDRAW:
        # 撤出案例库: the reviewers or the proposing side's administrator; 撤回推荐: the proposing side.
        allowed = is_reviewer(actor, entry) or (
            is_proposer(actor, entry) and (entry.status != S.PUBLISHED or actor.has_role(Role.ADMIN))
        )
    else:
        allowed = is_reviewer(actor, entry)
    if not allowed:
        return f"您不能办理「{kind.label}」：推荐由案件所在单位办理，审核由上级区（县）管理员或考评员办理"
    return None


def available_steps(entry: ExcellentCase, actor: User) -> list[ExcellentCaseEventKind]:
    """Return the steps the actor may take on the entry now."""
    return [kind for kind in STEPS if refusal(entry, actor, kind) is None]


def may_see_case(actor: User, entry: ExcellentCase) -> bool:
    """Return whether the actor's scope covers the underlying case (its link, its original text)."""
    return can_reach_org(actor, entry.case.organization) or can_reach_org(actor, entry.organization)


# --- what a user reads -------------------------------------------------------------------------------


def library_clause(actor: User) -> ColumnElement[bool]:
    """Return the clause of the library a user reads: the published entries of the user's county."""
    if not actor.organization.path:
        return false()
    return and_(
        ExcellentCase.status == S.PUBLISHED,
        ExcellentCase.county_id == county_id_of(actor.organization),
    )


def entries_of_case(session: Session, case: Case) -> list[ExcellentCase]:
    """Return the proposals made of a case, newest first (for the case page)."""
    query = select(ExcellentCase).where(ExcellentCase.case_id == case.id).order_by(ExcellentCase.id.desc())
    return list(session.scalars(query))


# --- the steps --------------------------------------------------------------------------------------


def _clean_texts(texts: Mapping[str, Any]) -> dict[str, str]:
    """Return the write-up's texts cleaned and checked (all required, bounded)."""
    cleaned: dict[str, str] = {}
    for name, label in TEXT_FIELDS:
        value = strip_control(str(texts.get(name) or ""), multiline=name != "title").strip()
        if not value:
            raise DomainError(f"请填写{label}", name)
        limit = MAX_TITLE if name == "title" else MAX_TEXT
        if len(value) > limit:
            raise DomainError(f"{label}不能超过{limit}字", name)
        cleaned[name] = value
    return cleaned


def _clean_methods(methods: Sequence[str]) -> list[MethodTag]:
    known = {tag.value: tag for tag in MethodTag}
    if any(m not in known for m in methods):
        raise DomainError("请从列表中选择调解方法", "methods")
    tags = [known[m] for m in dict.fromkeys(methods)]
    if not tags:
        raise DomainError("请至少选择一项六前工作法或调解方法", "methods")
    return tags


def _check_version(entry: ExcellentCase, expected: int | None) -> None:
    if expected is None or expected != entry.version:
        raise DomainError(STALE)


def _event(
    session: Session,
    entry: ExcellentCase,
    actor: User,
    kind: ExcellentCaseEventKind,
    *,
    to: LibraryStatus | None = None,
    note: str | None = None,
    **details: Any,
) -> ExcellentCaseEvent:
    event = ExcellentCaseEvent(
        entry=entry,
        kind=kind,
        from_status=entry.status,
        to_status=to or entry.status,
        actor=actor,
        actor_name=actor.full_name,
        organization_id=actor.organization_id,
        note=(note or "").strip() or None,
        details={k: v for k, v in details.items() if v not in (None, "", [])},
    )
    session.add(event)
    if to is not None:
        entry.status = to
    return event


def _revision(session: Session, entry: ExcellentCase, actor: User, reason: str) -> None:
    """Keep the texts as they now stand as the entry's next revision."""
    number = max((r.number for r in entry.revisions), default=0) + 1
    entry.revision = number
    session.add(
        ExcellentCaseRevision(
            entry=entry,
            number=number,
            author_id=actor.id,
            author_name=actor.full_name,
            reason=reason,
            texts={
                "original": entry.texts(anonymised=False),
                "anonymised": entry.texts(anonymised=True),
                "methods": [tag.value for tag in entry.methods],
            },
        )
    )


def _clear_check(entry: ExcellentCase) -> None:
    entry.anon_checked_at = None
    entry.anon_checked_by_id = None
    entry.anon_checked_by_name = None


def _year_of(case: Case) -> int:
    day = case.concluded_on or (case.agreement.signed_on if case.agreement else None) or case.accepted_on
    return day.year


def propose(
    session: Session, actor: User, case: Case, texts: Mapping[str, Any], methods: Sequence[str]
) -> ExcellentCase:
    """Write a case up as an excellent case (草稿), with its anonymised text computed; commits."""
    if reason := refusal_to_propose(case, actor):
        raise DomainError(reason)
    cleaned, tags = _clean_texts(texts), _clean_methods(methods)
    earlier = entries_of_case(session, case)
    if any(e.status not in FINAL_STATUSES for e in earlier):
        raise DomainError("该案件已推荐为优秀案例，请在原推荐上修改")
    anonymised = rules.anonymise_all(cleaned, rules.rules_for_case(case))
    entry = ExcellentCase(
        case=case,
        proposal_no=len(earlier) + 1,
        organization=case.organization,
        county_id=county_id_of(case.organization),
        dispute_type_id=case.dispute_type_id,
        year=_year_of(case),
        status=S.DRAFT,
        proposed_by=actor,
        proposed_by_name=actor.full_name,
        **cleaned,
        **{f"anon_{name}": value for name, value in anonymised.items()},
    )
    entry.methods = tags
    session.add(entry)
    _event(session, entry, actor, K.PROPOSE, case=case.number)
    _revision(session, entry, actor, "推荐")
    session.commit()
    return entry


def edit(
    session: Session,
    actor: User,
    entry: ExcellentCase,
    texts: Mapping[str, Any],
    methods: Sequence[str],
    expected_version: int | None,
) -> bool:
    """Save the proposer's changes to the write-up and tags; changed fields are anonymised again. Commits.

    Returns whether anything changed (an unchanged form writes nothing).
    """
    if not can_edit(actor, entry):
        raise DomainError("只有推荐单位可以在草稿或退回修改时修改案例")
    _check_version(entry, expected_version)
    cleaned, tags = _clean_texts(texts), _clean_methods(methods)
    changed = [name for name, value in cleaned.items() if getattr(entry, name) != value]
    tags_changed = tags != entry.methods
    if not changed and not tags_changed:
        return False
    case_rules = rules.rules_for_case(entry.case)
    for name in changed:
        setattr(entry, name, cleaned[name])
        setattr(entry, f"anon_{name}", rules.anonymise(cleaned[name], case_rules))
    entry.methods = tags
    _clear_check(entry)
    _event(session, entry, actor, K.EDIT, fields="、".join(NAMES[n] for n in changed) or None)
    _revision(session, entry, actor, "修改原文" if changed else "修改标签")
    session.commit()
    return True


def save_anonymised(
    session: Session,
    actor: User,
    entry: ExcellentCase,
    texts: Mapping[str, Any] | None,
    expected_version: int | None,
    *,
    confirm: bool = False,
) -> None:
    """Save corrections of the anonymised text (None: apply the rules again), and confirm it if asked.

    Confirming (脱敏核对) is the reviewer's: it records who and when, and refuses a text in which
    `anonymise.leaks` still finds a party's name, an ID, a phone or a case number. Commits.
    """
    if not can_edit_anonymised(actor, entry):
        raise DomainError("您不能修改该案例的脱敏文本")
    if confirm and not can_check(actor, entry):
        raise DomainError("脱敏核对由审核人在审核时确认")
    _check_version(entry, expected_version)
    case_rules = rules.rules_for_case(entry.case)
    if texts is None:
        wanted = rules.anonymise_all(entry.texts(anonymised=False), case_rules)
        reason = "按规则重新脱敏"
    else:
        wanted = _clean_texts(texts)
        reason = "修改脱敏文本"
    if confirm and (found := rules.leaks(wanted.values(), case_rules)):
        raise DomainError("脱敏文本中仍有可识别当事人的信息：" + "；".join(found) + "。请修改后再确认")
    changed = [name for name, value in wanted.items() if getattr(entry, f"anon_{name}") != value]
    for name in changed:
        setattr(entry, f"anon_{name}", wanted[name])
    if changed:
        _clear_check(entry)
        _revision(session, entry, actor, reason)
    if confirm:
        entry.anon_checked_at = utcnow()
        entry.anon_checked_by_id = actor.id
        entry.anon_checked_by_name = actor.full_name
        _event(session, entry, actor, K.CHECK, revision=entry.revision)
    elif changed:
        _event(session, entry, actor, K.EDIT, fields="脱敏文本：" + "、".join(NAMES[n] for n in changed))
    session.commit()


def take_step(
    session: Session,
    actor: User,
    entry: ExcellentCase,
    kind: ExcellentCaseEventKind,
    expected_version: int | None,
    note: str | None = None,
) -> None:
    """Take one step (提交审核, 退回修改, 不予入库, 入库, 撤出案例库) on the entry; commits."""
    if reason := refusal(entry, actor, kind):
        raise DomainError(reason)
    _check_version(entry, expected_version)
    note = strip_control(note or "").strip() or None
    if kind in REASON_REQUIRED and not note:
        raise DomainError("请填写理由", "note")
    if note and len(note) > 2000:
        raise DomainError("理由不能超过2000字", "note")
    case_rules = rules.rules_for_case(entry.case)
    now = utcnow()
    if kind == K.SUBMIT:
        if found := rules.leaks(entry.texts(anonymised=True).values(), case_rules):
            raise DomainError("脱敏文本中仍有可识别当事人的信息：" + "；".join(found) + "。请修改后再提交")
        entry.submitted_at = now
        _event(session, entry, actor, kind, to=S.SUBMITTED, note=note)
    elif kind in (K.RETURN, K.REJECT):
        _clear_check(entry)
        entry.reviewed_at, entry.reviewed_by_name, entry.review_note = now, actor.full_name, note
        _event(session, entry, actor, kind, to=S.RETURNED if kind == K.RETURN else S.REJECTED, note=note)
    elif kind == K.PUBLISH:
        if not entry.anon_checked:
            raise DomainError("请先核对脱敏文本并确认，再入库")
        if found := rules.leaks(entry.texts(anonymised=True).values(), case_rules):
            raise DomainError("脱敏文本中仍有可识别当事人的信息：" + "；".join(found) + "。不能入库")
        entry.reviewed_at, entry.reviewed_by_name, entry.review_note = now, actor.full_name, note
        entry.published_at = now
        _event(session, entry, actor, kind, to=S.PUBLISHED, note=note, revision=entry.revision)
    elif kind == K.WITHDRAW:
        entry.withdrawn_at, entry.withdrawn_by_name, entry.withdraw_reason = now, actor.full_name, note
        _event(session, entry, actor, kind, to=S.WITHDRAWN, note=note)
    session.commit()
