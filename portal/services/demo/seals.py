"""The demo county's 公章: drawn seals, marked 演示专用 / DEMO, for the bodies that issue documents."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from portal.models.org import Organization, OrgKind, OrgLevel
from portal.services.seals import draw_demo_seal

#: Who signs documents under a seal in the demo: the county's and the townships' offices and
#: committees (考评结果通知书, 责任倒查决定书, 情况通报, 荣誉证书, the townships' 协议书). Village
#: committees go without, so the demo also shows a document printed with no seal on file.
SEALED_LEVELS = frozenset({OrgLevel.COUNTY, OrgLevel.TOWNSHIP})
SEALED_KINDS = frozenset(
    {OrgKind.COORDINATION_CENTRE, OrgKind.JUSTICE_OFFICE, OrgKind.COMMITTEE, OrgKind.INDUSTRY_COMMITTEE}
)


@lru_cache(maxsize=256)
def _seal(name: str) -> bytes:
    """Return the drawn seal of `name` (about 0.1 s each; a process seeding twice draws it once)."""
    return draw_demo_seal(name)


def seal_demo_orgs(orgs: Iterable[Organization]) -> int:
    """Give the issuing bodies among `orgs` a drawn demo seal (the root always); return how many."""
    count = 0
    for org in orgs:
        if org.parent_id is None or (org.level in SEALED_LEVELS and org.kind in SEALED_KINDS):
            org.seal_png = _seal(org.name)
            count += 1
    return count
