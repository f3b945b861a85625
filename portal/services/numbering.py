"""Case numbers: （2026）<org code>人调字第<N>号, per organisation per year, unique and gapless.

The same counters number other series (`reserve`): 责任倒查 decisions `X司倒查〔2026〕3号` use
`DocumentCounter`, keyed by series, organisation and year.

The counter row of (organisation, year) is incremented with `UPDATE … RETURNING` inside the
transaction that inserts the case. The update takes the row lock (PostgreSQL) or the write lock
(SQLite), so a second registration waits until the first commits or rolls back: numbers never
repeat, and a rolled-back registration gives its number back, so none is skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.models.case import CaseCounter
from portal.models.org import Organization


def format_case_number(year: int, org_code: str, seq: int) -> str:
    """Return the display number of a case."""
    return f"（{year}）{org_code}人调字第{seq}号"


def _insert_counter(session: Session, counter: Any, keys: dict[str, Any]) -> None:
    """Create the counter at 0 unless another transaction just did."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(counter).values(**keys, last_value=0).on_conflict_do_nothing())


def reserve(session: Session, counter: Any, **keys: Any) -> int:
    """Reserve and return the next value of the counter row identified by `keys` (its primary key)."""
    statement = (
        update(counter)
        .where(*(getattr(counter, name) == value for name, value in keys.items()))
        .values(last_value=counter.last_value + 1)
        .returning(counter.last_value)
        .execution_options(synchronize_session=False)
    )
    seq = session.execute(statement).scalar_one_or_none()
    if seq is None:
        _insert_counter(session, counter, keys)
        seq = session.execute(statement).scalar_one()
    return seq


def next_seq(session: Session, organization: Organization, year: int) -> int:
    """Reserve and return the next sequence number of `organization` in `year`."""
    return reserve(session, CaseCounter, organization_id=organization.id, year=year)
