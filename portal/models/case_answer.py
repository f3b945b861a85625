"""The answers of a case's extra fields (自定义表单), one typed row per field, for the ledger's filter.

`Case.answers` holds the form's answers as JSON; filtering 1,000,000 cases by `受伤人数 >= 3` would read
every case's JSON. Each top-level answer is copied here in the transaction that saves it
(`services/answer_index.py`): numbers and yes/no (1/0) in `number`, a text, choice or date of at most
`TEXT_MAX` characters in `text`, each ticked option of a multiple choice as its own row, and a row
with neither for an answer that has a value too long or too complex to index (so 已填写 finds it).
The index only narrows the candidates; the filter still checks each case's JSON.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base

#: Longest text answer copied into `text` (the filter's values are at most 200 characters too).
TEXT_MAX = 200


class CaseAnswer(Base):
    """One answer of a case (derived from `Case.answers`; rebuilt by `services.answer_index.rebuild`)."""

    __tablename__ = "case_answer"
    __table_args__ = (
        # Both read as index-only range scans: key = ? AND number >= ? → case ids.
        Index("ix_case_answer_number", "key", "number", "case_id"),
        Index("ix_case_answer_text", "key", "text", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    number: Mapped[float | None]
    text: Mapped[str | None] = mapped_column(String(TEXT_MAX))
