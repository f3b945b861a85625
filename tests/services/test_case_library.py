"""优秀案例库 rules: who proposes and reviews what, versions of the text, no deletes, stale versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ExcellentCase, ExcellentCaseEventKind, LibraryStatus
from portal.models.case_library import FrozenLibraryRecordError
from portal.services import DomainError, audit
from portal.services import case_library as library
from portal.services.deadlines import local_today
from tests.assessment_ledger import settled
from tests.factories import new_case

K = ExcellentCaseEventKind
S = LibraryStatus
TEXTS = {
    "title": "{a}与{b}借款纠纷案",
    "summary": "{a}借给{b}五万元，到期未还。",
    "process": "调解员分别做{a}、{b}工作，促成分期还款。",
    "technique": "背靠背调解。",
    "significance": "以调解方式快速化解民间借贷纠纷。",
}


@pytest.fixture
def done(county):
    with audit.acting_as(audit.Actor(None, "测试")):
        return settled(
            db.session,
            county.users["entry_a"],
            county.mj,
            [county.mediators["马集调解员"]],
            local_today() - timedelta(days=30),
            parties=("赵大勇", "钱小红"),
        )


def texts(case) -> dict[str, str]:
    a, b = case.parties[0].name, case.parties[1].name
    return {key: value.format(a=a, b=b) for key, value in TEXTS.items()}


def test_only_settled_and_performed_cases_in_scope_may_be_proposed(county, done):
    assert library.refusal_to_propose(done, county.users["entry_a"]) is None
    assert "管辖范围" in library.refusal_to_propose(done, county.users["entry_b"])
    assert "调解员" in library.refusal_to_propose(done, county.users["evaluator"])
    fresh = new_case(db.session, county.users["entry_a"], county.mj, today=local_today())
    assert "调解成功" in library.refusal_to_propose(fresh, county.users["entry_a"])
    # Settled but not yet performed nor followed up: not yet.
    with audit.acting_as(audit.Actor(None, "测试")):
        pending = settled(
            db.session,
            county.users["entry_a"],
            county.mj,
            [county.mediators["马集调解员"]],
            local_today() - timedelta(days=10),
            performed=False,
            satisfaction=None,
        )
    assert "履行" in library.refusal_to_propose(pending, county.users["entry_a"])


def test_proposal_anonymises_and_keeps_a_revision(county, done):
    entry = library.propose(db.session, county.users["entry_a"], done, texts(done), ["back_to_back"])
    assert entry.status == S.DRAFT and entry.anon_title == "赵某与钱某借款纠纷案"
    assert entry.county_id == county.root.id and entry.organization == county.mj
    assert entry.revision == 1 and entry.revisions[0].texts["original"]["title"] == "赵大勇与钱小红借款纠纷案"
    with pytest.raises(DomainError, match="已推荐"):
        library.propose(db.session, county.users["admin_a"], done, texts(done), ["back_to_back"])
    with pytest.raises(DomainError, match="至少选择"):
        library.edit(db.session, county.users["entry_a"], entry, texts(done), [], entry.version)
    with pytest.raises(DomainError, match="请填写案情简介"):
        library.edit(
            db.session,
            county.users["entry_a"],
            entry,
            {**texts(done), "summary": " "},
            ["joint"],
            entry.version,
        )


def test_editing_reanonymises_changed_fields_only_and_clears_the_check(county, done):
    author, reviewer = county.users["entry_a"], county.users["evaluator"]
    entry = library.propose(db.session, author, done, texts(done), ["back_to_back"])
    corrected = {**entry.texts(anonymised=True), "technique": "背靠背调解（手工修改）。"}
    library.save_anonymised(db.session, author, entry, corrected, entry.version)
    changed = {**texts(done), "summary": "赵大勇借给钱小红六万元。"}
    assert library.edit(db.session, author, entry, changed, ["back_to_back", "joint"], entry.version)
    assert entry.anon_summary == "赵某借给钱某六万元。"
    assert entry.anon_technique == "背靠背调解（手工修改）。"  # the hand correction stays
    assert [r.reason for r in entry.revisions] == ["推荐", "修改脱敏文本", "修改原文"]
    assert not library.edit(db.session, author, entry, changed, ["back_to_back", "joint"], entry.version)
    library.take_step(db.session, author, entry, K.SUBMIT, entry.version)
    library.save_anonymised(db.session, reviewer, entry, entry.texts(True), entry.version, confirm=True)
    assert entry.anon_checked and entry.anon_checked_by_name == "考评员甲"
    # A correction after the check clears it: publication waits for a new check.
    library.save_anonymised(
        db.session, reviewer, entry, {**entry.texts(True), "title": "某借款纠纷案"}, entry.version
    )
    assert not entry.anon_checked
    with pytest.raises(DomainError, match="请先核对"):
        library.take_step(db.session, reviewer, entry, K.PUBLISH, entry.version)


def test_reviewers_are_the_countys_and_never_the_author(county, done):
    author = county.users["admin"]  # the county's administrator proposes a 马集 case
    entry = library.propose(db.session, author, done, texts(done), ["expert"])
    library.take_step(db.session, author, entry, K.SUBMIT, entry.version)
    assert not library.is_reviewer(author, entry)  # not the author
    assert library.is_reviewer(county.users["evaluator"], entry)
    assert not library.is_reviewer(county.users["admin_a"], entry)  # a township is no reviewer
    assert library.available_steps(entry, county.users["entry_a"]) == [K.WITHDRAW]
    with pytest.raises(DomainError, match="审核由上级"):
        library.take_step(db.session, county.users["admin_a"], entry, K.REJECT, entry.version, "不典型")
    library.take_step(db.session, county.users["evaluator"], entry, K.REJECT, entry.version, "不典型")
    assert entry.status == S.REJECTED and entry.review_note == "不典型"
    # Refused: the case may be proposed again, as a second proposal.
    again = library.propose(db.session, county.users["entry_a"], done, texts(done), ["expert"])
    assert again.proposal_no == 2


def test_a_stale_version_and_a_leaky_text_are_refused(county, done):
    author = county.users["entry_a"]
    entry = library.propose(db.session, author, done, texts(done), ["back_to_back"])
    with pytest.raises(DomainError, match="已被他人更新"):
        library.take_step(db.session, author, entry, K.SUBMIT, entry.version - 1)
    leaky = {**entry.texts(True), "summary": f"钱小红（{done.parties[1].phone}）"}
    library.save_anonymised(db.session, author, entry, leaky, entry.version)
    with pytest.raises(DomainError, match="当事人名称：钱小红；电话号码"):
        library.take_step(db.session, author, entry, K.SUBMIT, entry.version)
    assert entry.status == S.DRAFT


def test_library_records_are_never_deleted(county, done):
    entry = library.propose(db.session, county.users["entry_a"], done, texts(done), ["back_to_back"])
    db.session.delete(entry)
    with pytest.raises(FrozenLibraryRecordError):
        db.session.flush()
    db.session.rollback()
    entry = db.session.scalar(select(ExcellentCase))
    entry.events[0].note = "改写历史"
    with pytest.raises(FrozenLibraryRecordError):
        db.session.flush()
    db.session.rollback()
