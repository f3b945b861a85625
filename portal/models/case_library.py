"""优秀案例库: closed cases written up as excellent cases, anonymised, reviewed by the county and read by all.

An entry is proposed (推荐) by the organisation that handled the case, with a write-up (案情简介, 调解过程,
调解方法/技巧, 典型意义) and tags (the dispute type, the 六前 work methods and mediation methods). The text
is anonymised by rule (`services.anonymise`) and checked by a reviewer of an organisation above, who may
return it, refuse it or take it into the library (入库); a published entry is read across the county and
can be withdrawn (撤出案例库) with a reason. Every save of the text is kept as a revision; nothing here is
ever deleted. Status changes only through `services.case_library`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.base import (
    Base,
    JSONType,
    LabeledEnum,
    TimestampMixin,
    VersionedMixin,
    enum_type,
    utcnow,
)
from portal.models.dictionary import DisputeType
from portal.models.org import Organization

if TYPE_CHECKING:
    from portal.models.auth import User
    from portal.models.case import Case


class LibraryStatus(LabeledEnum):
    """Where an entry stands: 草稿 → 待审核 → 已入库 (or 退回修改, 不予入库), 已入库 → 已撤出."""

    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "退回修改"
    PUBLISHED = "published", "已入库"
    REJECTED = "rejected", "不予入库"
    WITHDRAWN = "withdrawn", "已撤出"

    @property
    def badge(self) -> str:
        """Return the Bootstrap colour of the status's badge."""
        return STATUS_BADGES[self]


STATUS_BADGES = {
    LibraryStatus.DRAFT: "secondary",
    LibraryStatus.SUBMITTED: "warning",
    LibraryStatus.RETURNED: "info",
    LibraryStatus.PUBLISHED: "success",
    LibraryStatus.REJECTED: "danger",
    LibraryStatus.WITHDRAWN: "dark",
}
#: Statuses in which the proposing organisation may still change the write-up.
EDITABLE_STATUSES = frozenset({LibraryStatus.DRAFT, LibraryStatus.RETURNED})
#: Statuses that end an entry's life (kept for the record, never reopened).
FINAL_STATUSES = frozenset({LibraryStatus.REJECTED, LibraryStatus.WITHDRAWN})


class MethodGroup(LabeledEnum):
    """The two families of method tags."""

    LIUQIAN = "liuqian", "六前工作法"
    METHOD = "method", "调解方法"


class MethodTag(LabeledEnum):
    """A work or mediation method an excellent case shows (fixed list, Chinese labels)."""

    # 六前工作法 (from the 枫桥经验's 四前 with 排查 and 宣传 added, as county offices write it).
    ORGANISE_FIRST = "org_first", "组织在前"
    PREDICT_FIRST = "predict_first", "预测在前"
    PREVENT_FIRST = "prevent_first", "预防在前"
    MEDIATE_FIRST = "mediate_first", "调解在前"
    WORK_FIRST = "work_first", "工作在前"
    PUBLICISE_FIRST = "publicise_first", "宣传在前"
    # Mediation methods.
    FACE_TO_FACE = "face_to_face", "面对面调解"
    BACK_TO_BACK = "back_to_back", "背靠背调解"
    JOINT = "joint", "联合调解"
    EXPERT = "expert", "专家调解"
    JUDICIAL_CONFIRMATION = "judicial_confirmation", "司法确认"
    LAW_AND_REASON = "law_and_reason", "情理法结合"
    COUNSELLING = "counselling", "心理疏导"
    ELDERS = "elders", "乡贤参与"
    PRECEDENT = "precedent", "以案释法"

    @property
    def group(self) -> MethodGroup:
        """Return the family the tag belongs to."""
        return MethodGroup.LIUQIAN if self.value.endswith("_first") else MethodGroup.METHOD

    @property
    def meaning(self) -> str:
        """Return what the tag stands for, shown as a hint next to the choice."""
        return METHOD_MEANINGS.get(self, "")


METHOD_MEANINGS = {
    MethodTag.ORGANISE_FIRST: "组织建设走在工作前",
    MethodTag.PREDICT_FIRST: "预测工作走在预防前",
    MethodTag.PREVENT_FIRST: "预防工作走在调解前",
    MethodTag.MEDIATE_FIRST: "调解工作走在激化前",
    MethodTag.WORK_FIRST: "排查工作走在矛盾前",
    MethodTag.PUBLICISE_FIRST: "法治宣传走在纠纷前",
}

#: The texts of a write-up, in the order they are printed, with their Chinese headings.
TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "标题"),
    ("summary", "案情简介"),
    ("process", "调解过程"),
    ("technique", "调解方法和技巧"),
    ("significance", "典型意义"),
)


class ExcellentCase(TimestampMixin, VersionedMixin, Base):
    """An excellent case (优秀案例): the write-up, its anonymised text, tags, review and publication."""

    __tablename__ = "excellent_case"
    __table_args__ = (
        Index("ix_excellent_case_library", "county_id", "status", "published_at"),
        UniqueConstraint("case_id", "proposal_no", name="uq_excellent_case_case_id_proposal_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id"), index=True)
    # A case refused or withdrawn may be proposed again: each proposal of the case has its number.
    proposal_no: Mapped[int] = mapped_column(default=1, server_default="1")
    # The proposing organisation (the case's when proposed); it writes, its ancestors review.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # The root of its tree: the county whose users read the entry once published.
    county_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    dispute_type_id: Mapped[int] = mapped_column(ForeignKey("dispute_type.id"), index=True)
    # 年度: the year mediation ended (办结), for the library's filter.
    year: Mapped[int] = mapped_column(index=True)
    # Method tags as ",code,code," so that one LIKE finds a tag on both databases.
    method_codes: Mapped[str] = mapped_column(String(400), default=",", server_default=",")
    status: Mapped[LibraryStatus] = mapped_column(
        enum_type(LibraryStatus), default=LibraryStatus.DRAFT, index=True
    )
    # The write-up as the proposer wrote it (may name the parties: read only within the case's scope).
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    process: Mapped[str] = mapped_column(Text)
    technique: Mapped[str] = mapped_column(Text)
    significance: Mapped[str] = mapped_column(Text)
    # The anonymised text (脱敏文本): computed by rule, corrected by hand, the only text readers see.
    anon_title: Mapped[str] = mapped_column(String(200))
    anon_summary: Mapped[str] = mapped_column(Text)
    anon_process: Mapped[str] = mapped_column(Text)
    anon_technique: Mapped[str] = mapped_column(Text)
    anon_significance: Mapped[str] = mapped_column(Text)
    # Who confirmed the anonymised text, and when; cleared whenever either text changes again.
    anon_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    anon_checked_by_name: Mapped[str | None] = mapped_column(String(50))
    anon_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Number of the current text revision (ExcellentCaseRevision.number).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    proposed_by_name: Mapped[str] = mapped_column(String(50), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_name: Mapped[str | None] = mapped_column(String(50))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The reviewer's reason for returning or refusing, or the opinion given on publication (审核意见).
    review_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_name: Mapped[str | None] = mapped_column(String(50))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    county: Mapped[Organization] = relationship(foreign_keys=[county_id])
    dispute_type: Mapped[DisputeType] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    anon_checked_by: Mapped[User | None] = relationship(foreign_keys=[anon_checked_by_id])
    events: Mapped[list[ExcellentCaseEvent]] = relationship(
        back_populates="entry",
        order_by="ExcellentCaseEvent.at, ExcellentCaseEvent.id",
        cascade="save-update, merge",
    )
    revisions: Mapped[list[ExcellentCaseRevision]] = relationship(
        back_populates="entry", order_by="ExcellentCaseRevision.number", cascade="save-update, merge"
    )

    def __str__(self) -> str:
        # The anonymised title: this is what the audit log and the lists name.
        return self.anon_title or self.title or "（新案例）"

    @property
    def methods(self) -> list[MethodTag]:
        """Return the method tags, in the order of `MethodTag`."""
        codes = set((self.method_codes or "").split(","))
        return [tag for tag in MethodTag if tag.value in codes]

    @methods.setter
    def methods(self, tags: list[MethodTag] | list[str]) -> None:
        chosen = {str(t) if not isinstance(t, MethodTag) else t.value for t in tags}
        self.method_codes = "," + "".join(f"{tag.value}," for tag in MethodTag if tag.value in chosen)

    @property
    def methods_text(self) -> str:
        """Return the tags as one line: 预防在前、背靠背调解."""
        return "、".join(tag.label for tag in self.methods)

    @property
    def anon_checked(self) -> bool:
        """Return whether a reviewer has confirmed the current anonymised text."""
        return self.anon_checked_at is not None

    def texts(self, anonymised: bool) -> dict[str, str]:
        """Return the write-up's texts by field name, the anonymised ones or the originals."""
        prefix = "anon_" if anonymised else ""
        return {name: getattr(self, prefix + name) or "" for name, _label in TEXT_FIELDS}


class ExcellentCaseEventKind(LabeledEnum):
    """A step in an entry's history."""

    PROPOSE = "propose", "推荐"
    EDIT = "edit", "修改案例"
    SUBMIT = "submit", "提交审核"
    CHECK = "check", "脱敏核对"
    RETURN = "return", "退回修改"
    REJECT = "reject", "不予入库"
    PUBLISH = "publish", "入库"
    WITHDRAW = "withdraw", "撤出案例库"


class ExcellentCaseEvent(Base):
    """One step of an entry's history: who did what, when, from which status to which."""

    __tablename__ = "excellent_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("excellent_case.id"), index=True)
    kind: Mapped[ExcellentCaseEventKind] = mapped_column(enum_type(ExcellentCaseEventKind))
    from_status: Mapped[LibraryStatus | None] = mapped_column(enum_type(LibraryStatus))
    to_status: Mapped[LibraryStatus | None] = mapped_column(enum_type(LibraryStatus))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    entry: Mapped[ExcellentCase] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


class ExcellentCaseRevision(Base):
    """A saved version of the write-up (原文 and 脱敏文本), never changed afterwards."""

    __tablename__ = "excellent_case_revision"
    __table_args__ = (UniqueConstraint("entry_id", "number", name="uq_excellent_case_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("excellent_case.id"), index=True)
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_name: Mapped[str] = mapped_column(String(50), default="")
    # What changed, in words: 推荐, 修改原文, 修改脱敏文本, 重新脱敏.
    reason: Mapped[str] = mapped_column(String(50), default="")
    # {"original": {field: text}, "anonymised": {field: text}, "methods": [codes]}.
    texts: Mapped[dict[str, Any]] = mapped_column(JSONType)

    entry: Mapped[ExcellentCase] = relationship(back_populates="revisions")

    def __str__(self) -> str:
        return f"第{self.number}版"


class FrozenLibraryRecordError(Exception):
    """An attempt to delete a library record or to rewrite its history."""


@event.listens_for(Session, "before_flush")
def _keep_library_intact(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse deletes of library records and changes to stored steps and revisions."""
    for obj in session.deleted:
        if isinstance(obj, ExcellentCase | ExcellentCaseEvent | ExcellentCaseRevision):
            raise FrozenLibraryRecordError("优秀案例库的记录不能删除，请使用“撤出案例库”")
    for obj in session.dirty:
        if isinstance(obj, ExcellentCaseEvent | ExcellentCaseRevision) and session.is_modified(obj):
            raise FrozenLibraryRecordError("优秀案例的办理记录和历史版本不能修改")
