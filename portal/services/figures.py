"""What the dashboard's figures count: the periods, the rates' definitions and the ledger conditions.

A figure on the 工作台 links to the ledger filtered to exactly its cases, so each condition here is
both what the figure counts and what the ledger's filter 办理进度 applies (`admin/ledger/figure_filters`).

Definitions (docs/architecture.md, "Dashboard figures"); all count the cases accepted (受理) in the
period and held by the user's subtree, voided cases (已作废) left out:

- 调解成功率 = 调解成功 ÷ (调解成功 + 调解不成): of the cases with an outcome, the share settled by
  agreement (调解成功: the case has an agreement; 调解不成: it has a failure reason and no agreement).
- 办结率 = 已办结 ÷ 受理: the share whose mediation has ended (调解成功, 调解不成, 已引导, 已回访 or
  结案归档).
- 按期办结率 = 按期办结 ÷ (按期办结 + 超期办结): of the cases with a 办结日期, the share that ended on or
  before their 办结时限 (the deadline after extensions and pauses).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, false

from portal.models.base import LabeledEnum
from portal.models.case import OPEN_STATUSES, Case, CaseStatus
from portal.services.deadlines import DeadlineRules, add_months, red_card_clause

S = CaseStatus
#: Statuses in which mediation has ended (已办结).
CONCLUDED_STATUSES = frozenset({S.SETTLED, S.FAILED, S.REFERRED, S.FOLLOWED_UP, S.CLOSED})

RATE_HELP = {
    "success": "调解成功率 = 调解成功件数 ÷（调解成功 + 调解不成）件数；统计期内受理、不含已作废的案件",
    "closure": "办结率 = 已办结件数 ÷ 受理件数；已办结指调解成功、调解不成、已引导、已回访或已结案归档；"
    "统计期内受理、不含已作废的案件",
    "on_time": "按期办结率 = 按期办结件数 ÷（按期 + 超期办结）件数；"
    "按期指办结日期不晚于办结时限（含延期、中止顺延）；统计期内受理、不含已作废的案件",
}


class Progress(LabeledEnum):
    """Where a case stands, as the dashboard counts it (the ledger filter 办理进度)."""

    OPEN = "open", "在办"
    CONCLUDED = "concluded", "已办结"
    ON_TIME = "on_time", "按期办结"
    LATE = "late", "超期办结"
    RED_CARD = "red_card", "红牌（交办后超期未处理）"


def progress_clause(progress: Progress | str, today: date, rules: DeadlineRules) -> ColumnElement[bool]:
    """Return the ledger condition of a progress value (an unknown one matches nothing)."""
    valid = Case.status != S.VOIDED
    match progress:
        case Progress.OPEN:
            return Case.status.in_(OPEN_STATUSES)
        case Progress.CONCLUDED:
            return Case.status.in_(CONCLUDED_STATUSES)
        case Progress.ON_TIME:
            return and_(valid, Case.concluded_on.is_not(None), Case.concluded_on <= Case.deadline)
        case Progress.LATE:
            return and_(valid, Case.concluded_on.is_not(None), Case.concluded_on > Case.deadline)
        case Progress.RED_CARD:
            return red_card_clause(today, rules)
    return false()


class Period(LabeledEnum):
    """The dashboard's period: whole months of acceptance."""

    YEAR = "year", "本年度"
    LAST_12 = "12m", "近12个月"
    LAST_YEAR = "last_year", "上年度"


def month_end(first: date) -> date:
    """Return the last day of the month starting on `first`."""
    return add_months(first, 1) - timedelta(days=1)


def period_range(period: Period, today: date) -> tuple[date, date]:
    """Return the first and last day of the period containing (or, for 上年度, before) `today`."""
    if period == Period.LAST_12:
        this_month = today.replace(day=1)
        return add_months(this_month, -11), month_end(this_month)
    year = today.year - (1 if period == Period.LAST_YEAR else 0)
    return date(year, 1, 1), date(year, 12, 31)


def trend_months(today: date, count: int = 24) -> list[date]:
    """Return the first days of the last `count` months, oldest first, this month last."""
    this_month = today.replace(day=1)
    return [add_months(this_month, -back) for back in range(count - 1, -1, -1)]
