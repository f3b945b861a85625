"""A hand-built ledger for the 分析研判 and statistics-table tests, with known answers.

October 2025 is the county's month under review (September the period before, October 2024 the same
period a year before); the townships' halves of October split on the 15th and 16th. Every step is dated
to its day (tests/assessment_ledger.py), so the overdue picture at a past day can be replayed.

    case  org     accepted    type         outcome                    notes
    c1    前李村  2025-10-03  邻里 02      settled (written) 10-08    防止民转刑
    c2    马集镇  2025-10-15  婚姻 0101    settled (oral) 10-18
    c3    马集镇  2025-10-16  征地拆迁 08  in mediation               12 people, high, major, 防止群体性上访
    c4    后王村  2025-10-31  邻里 02      failed 11-05
    c5    柳林镇  2025-10-20  邻里 02      registered, 50,000 元
    c6    马集镇  2025-09-10  邻里 02      settled 09-15
    c7    马集镇  2025-09-20  劳动 10      registered (overdue from 10-21)
    c8    柳林镇  2024-10-05  邻里 02      settled 2024-10-10
    c9    马集镇  2025-10-05  邻里 02      voided
    c10a  马集镇  2025-08-20  邻里 02      in mediation (overdue from 09-20)
    c10b  马集镇  2025-08-25  邻里 02      settled 11-05 (overdue at 10-31)
    c10c  马集镇  2025-08-01  邻里 02      settled 10-10
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.models import AgreementForm, Case, Difficulty, RiskLevel
from portal.services import cases
from tests.assessment_ledger import failed, in_mediation, registered, settled

D = date


def build(county) -> dict[str, Case]:
    """Add the cases of the module docstring; return them by name."""
    s = db.session
    ea, eb = county.users["entry_a"], county.users["entry_b"]
    mj_med, mjv_med = [county.mediators["马集调解员"]], [county.mediators["前李调解员"]]
    ll_med, llv_med = [county.mediators["柳林调解员"]], [county.mediators["后王调解员"]]
    c: dict[str, Case] = {}
    c["c1"] = settled(s, ea, county.mj_village, mjv_med, D(2025, 10, 3), days=5, type_code="02")
    c["c2"] = settled(s, ea, county.mj, mj_med, D(2025, 10, 15), days=3, type_code="0101")
    c["c2"].agreement.form = AgreementForm.ORAL
    c["c3"] = in_mediation(
        s,
        ea,
        county.mj,
        mj_med,
        D(2025, 10, 16),
        type_code="08",
        people_involved=12,
        risk_level=RiskLevel.HIGH,
        difficulty=Difficulty.MAJOR,
    )
    c["c4"] = failed(s, eb, county.ll_village, llv_med, D(2025, 10, 31), days=5)
    c["c5"] = registered(s, eb, county.ll, D(2025, 10, 20), amount=Decimal(50000))
    c["c6"] = settled(s, ea, county.mj, mj_med, D(2025, 9, 10), days=5, type_code="02")
    c["c7"] = registered(s, ea, county.mj, D(2025, 9, 20), type_code="10")
    c["c8"] = settled(s, eb, county.ll, ll_med, D(2024, 10, 5), days=5, type_code="02")
    c["c9"] = registered(s, ea, county.mj, D(2025, 10, 5))
    cases.void(s, c["c9"], ea, reason="重复登记", today=D(2025, 10, 6))
    c["c10a"] = in_mediation(s, ea, county.mj, mj_med, D(2025, 8, 20))
    c["c10b"] = settled(s, ea, county.mj, mj_med, D(2025, 8, 25), days=72, satisfaction=None)
    c["c10c"] = settled(s, ea, county.mj, mj_med, D(2025, 8, 1), days=70, satisfaction=None)
    c["c1"].prevented_crime = True
    c["c3"].prevented_group_petition = True
    s.commit()
    return c
