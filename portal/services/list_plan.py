"""SQLite: which way the ledger's page query should read a township's cases, newest first.

A user below the root sees the cases of their subtree: `organization_id IN (subtree)`. SQLite then
either reads the subtree's cases by the organisation index and sorts all of them (the township 马集,
71,000 of 1,000,000 cases: 300 ms for every page), or walks the acceptance-date index newest first and
keeps the rows of the subtree until the page is full (0.2 ms for the first page, and 14 ms for the
hundredth). Which is cheaper depends on numbers SQLite's planner does not have: the walk reads about
`(offset + page) / share` rows, where `share` is the subtree's fraction of the ledger (times the
fraction a dense search term keeps), the index read reads the subtree's cases. For a village of 0.5 %
the walk pays for the first page only; for a deep page of a township, or a search within a village,
the index read wins. PostgreSQL's planner weighs this itself (its statistics know the subtree), so it
is left alone.

`share` comes from the dashboard's summary table (`case_status_tally`: a few thousand rows, not the
ledger), cached per process for a minute: it changes slowly, and a stale share costs speed, not
correctness — both plans return the same rows.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.tally import CaseStatusTally
from portal.services.scope import subtree_ids

#: How long a subtree's case count is reused (seconds).
CACHE_SECONDS = 60.0

_cache: dict[tuple[int, str], tuple[float, int, int]] = {}
_lock = threading.Lock()


def subtree_share(session: Session, user: User) -> tuple[int, int]:
    """Return (cases in the user's subtree, cases in the ledger), from the summary table."""
    key = (id(session.get_bind()), user.organization.path)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1], cached[2]
    total = session.scalar(select(func.coalesce(func.sum(CaseStatusTally.cases), 0))) or 0
    subtree = (
        session.scalar(
            select(func.coalesce(func.sum(CaseStatusTally.cases), 0)).where(
                CaseStatusTally.organization_id.in_(subtree_ids(user))
            )
        )
        or 0
    )
    with _lock:
        _cache[key] = (now, int(subtree), int(total))
    return int(subtree), int(total)


def walk_by_date(rows_wanted: int, subtree: int, total: int, kept: float = 1.0) -> bool:
    """Return whether walking the date index beats reading the subtree by organisation.

    `rows_wanted` is the offset plus the page size; `kept` the fraction of the subtree's cases the
    other conditions (a dense search term) keep.
    """
    if subtree <= 0 or total <= 0 or kept <= 0:
        return False
    share = subtree / total * min(kept, 1.0)
    return rows_wanted / share < subtree
