"""A hand-built ledger for the dashboard tests, dated back from today (the ledger's filters read the clock).

    case  org     accepted   what                                    counts as
    a     前李村  T-40       settled T-5 (deadline T-10), visited    success, concluded late, open (已回访)
    b     前李村  T-20       failed T-15                             failed, concluded on time, open
    c     马集镇  T-25       in mediation, untouched since T-25      red card (红), open
    d     柳林镇  T-35       registered, high risk, 6 people         overdue, high risk, group (红)
    e     马集镇  T-3        voided                                  voided only
    f     后王村  T-400      registered                              overdue (红); outside the 12 months

With the period 近12个月: 受理 4 (a-d), 调解成功 1, 调解不成 1, 已办结 2, 按期 1, 超期 1.
"""

from __future__ import annotations

from datetime import date, timedelta

from portal.extensions import db
from portal.models import Case, RiskLevel
from portal.services import cases
from tests.assessment_ledger import failed, in_mediation, registered, settled


def build(county, today: date) -> dict[str, Case]:
    """Add the cases of the module docstring; return them by name."""
    s = db.session
    ea, eb = county.users["entry_a"], county.users["entry_b"]
    mjv = [county.mediators["前李调解员"]]

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    c = {
        "a": settled(s, ea, county.mj_village, mjv, ago(40), days=35),
        "b": failed(s, ea, county.mj_village, mjv, ago(20), days=5),
        "c": in_mediation(s, ea, county.mj, [county.mediators["马集调解员"]], ago(25)),
        "d": registered(s, eb, county.ll, ago(35), risk_level=RiskLevel.HIGH, people_involved=6),
        "e": registered(s, ea, county.mj, ago(3)),
        "f": registered(s, eb, county.ll_village, ago(400)),
    }
    cases.void(s, c["e"], ea, reason="重复登记", today=today)
    s.commit()
    return c
