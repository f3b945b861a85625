"""Build the demo county 清河县: townships, villages and its tree of mediation organisations."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from portal.services.demo import data

__all__ = ["LEVELS", "OrgSpec", "between", "build_county", "stem"]

LEVELS = ("county", "township", "village", "grid")
# (credit kind, rng) -> a fresh 统一社会信用代码: DemoFaker.credit_code, so codes stay unique across the demo.
CreditCodeMaker = Callable[[str, random.Random], str]


def between(rng: random.Random, start: date, end: date) -> date:
    """Return a uniformly random day in [start, end]."""
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def stem(name: str) -> str:
    """Return a village or community name without its 村/社区 suffix."""
    return name.removesuffix("社区").removesuffix("村")


@dataclass(frozen=True)
class OrgSpec:
    """One node of the demo organisation tree (调解组织); children is a tuple so the tree stays immutable."""

    name: str
    short_code: str
    level: str
    kind: str
    industry: str | None = None
    children: tuple[OrgSpec, ...] = ()
    address: str = ""
    filing_number: str | None = None
    filing_date: date | None = None
    credit_code: str | None = None

    def walk(self) -> Iterator[OrgSpec]:
        """Yield this node and all its descendants, parents first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class _Node:
    """Mutable org node used while building, so filing numbers can be assigned in date order."""

    name: str
    short_code: str
    level: str
    kind: str
    address: str
    industry: str | None = None
    filed_between: tuple[int, int] | None = None
    credit_kind: str | None = None
    children: list[_Node] = field(default_factory=list)
    filing_number: str | None = None
    filing_date: date | None = None

    def walk(self) -> Iterator[_Node]:
        """Yield this node and its descendants."""
        yield self
        for child in self.children:
            yield from child.walk()


def _village_names(rng: random.Random, township: str, short: str, used: set[str]) -> list[str]:
    """Return 12-13 unique village/community names; 街道 are mostly 社区, 乡镇 mostly 村."""
    total = rng.choice((12, 13, 13))
    communities = rng.randint(7, 9) if township.endswith("街道") else 1
    names: list[str] = []
    if not township.endswith("街道"):
        names.append(f"{short}社区")  # the seat of a 乡镇 is a 社区 named after it
    while len(names) < total:
        if len(names) < communities:
            name = rng.choice(data.COMMUNITY_WORDS) + "社区"
        elif rng.random() < 0.08:
            name = rng.choice(data.VILLAGE_NATURAL)
        else:
            name = rng.choice(data.VILLAGE_PATTERNS).format(x=rng.choice(data.VILLAGE_SURNAMES))
        if stem(name) not in used:
            used.add(stem(name))
            names.append(name)
    return names


def build_county(rng: random.Random, today: date, credit_code: CreditCodeMaker) -> dict[str, Any]:
    """Build the county's description and its organisation tree (rooted at 清河县司法局) from rng."""
    county = data.COUNTY_NAME
    used_stems = {short for _, short in data.TOWNSHIPS}
    root = _Node(county + "司法局", data.COUNTY_SHORT, "county", "协调中心", f"{county}府前街66号")
    root.credit_kind = "government"
    root.children.append(
        _Node(county + "人民法院诉调对接中心", "诉调", "county", "诉调对接中心", f"{county}人民路118号")
    )
    for name, short, industry in data.INDUSTRY_COMMITTEES:
        address = f"{county}{rng.choice(data.ROADS)}{rng.randint(1, 200)}号"
        node = _Node(county + name, short, "county", "行业性专业性调委会", address, industry=industry)
        node.filed_between, node.credit_kind = (2018, 2022), "committee"
        root.children.append(node)
    land = _Node(
        county + "自然资源局土地权属争议调处中心", "土调", "county", "行政调解组织", f"{county}黄河路9号"
    )
    social = _Node(county + "和为贵调解服务中心", "和为贵", "county", "社会调解组织", f"{county}文化路27号")
    social.filed_between, social.credit_kind = (2020, 2023), "social"
    root.children += [land, social]
    townships = []
    for township, short in data.TOWNSHIPS:
        seat = f"{county}{township}{rng.choice(data.ROADS)}{rng.randint(1, 120)}号"
        office = _Node(short + "司法所", short + "所", "township", "司法所", seat, credit_kind="government")
        committee = _Node(township + "人民调解委员会", short, "township", "人民调解委员会", seat)
        committee.filed_between, committee.credit_kind = (2016, 2019), "committee"
        office.children.append(committee)
        villages = []
        for village in _village_names(rng, township, short, used_stems):
            # The seat community shares its stem with the township, so it keeps its full name as code.
            code = village if stem(village) == short else stem(village)
            office.children.append(_village_node(rng, township, village, code))
            children = office.children[-1].children
            grids = [child.name.removeprefix(village) for child in children if child.level == "grid"]
            villages.append({"name": village, "short_code": code, "grids": grids})
        root.children.append(office)
        kind = "街道" if township.endswith("街道") else township[-1]
        townships.append({"name": township, "short_code": short, "kind": kind, "villages": villages})
    _assign_filings(rng, root, today)
    return {
        "name": county,
        "short_code": data.COUNTY_SHORT,
        "region_code": data.COUNTY_REGION,
        "prefecture": data.PREFECTURE,
        "province": data.PROVINCE,
        "townships": townships,
        "root": _freeze(root, rng, credit_code),
    }


def _village_node(rng: random.Random, township: str, village: str, short: str) -> _Node:
    """Return a village committee with, now and then, 网格 民调小组 and a named 调解室."""
    office = "居委会" if village.endswith("社区") else "村委会"
    address = f"{data.COUNTY_NAME}{township}{village}{office}"
    node = _Node(village + "人民调解委员会", short, "village", "人民调解委员会", address)
    node.filed_between, node.credit_kind = (2018, 2023), "committee"
    # Communities are gridded more often than villages.
    if rng.random() < (0.4 if village.endswith("社区") else 0.1):
        for ordinal in data.GRID_ORDINALS[: rng.randint(1, 3)]:
            grid = _Node(village + ordinal, f"{short}网{ordinal[1]}", "grid", "民调小组", address)
            node.children.append(grid)
    if rng.random() < 0.06:
        host = rng.choice(data.VILLAGE_SURNAMES)
        room = _Node(f"{village}老{host}调解室", short + "室", "village", "调解室", address)
        room.filed_between = (2021, 2024)
        node.children.append(room)
    return node


def _assign_filings(rng: random.Random, root: _Node, today: date) -> None:
    """Give every filed node a date, then number them per year in date order: 清司调备〔2021〕012号."""
    dated = []
    for node in root.walk():
        if node.filed_between:
            first, last = node.filed_between
            end = min(date(last, 12, 28), today)
            dated.append((between(rng, min(date(first, 1, 4), end), end), node.name, node))
    per_year: dict[int, int] = {}
    for filed, _, node in sorted(dated, key=lambda item: item[:2]):
        per_year[filed.year] = per_year.get(filed.year, 0) + 1
        node.filing_date = filed
        node.filing_number = f"{data.COUNTY_SHORT}司调备〔{filed.year}〕{per_year[filed.year]:03d}号"


def _freeze(node: _Node, rng: random.Random, credit_code: CreditCodeMaker) -> OrgSpec:
    """Turn a build node into an immutable OrgSpec, issuing its credit code."""
    return OrgSpec(
        name=node.name,
        short_code=node.short_code,
        level=node.level,
        kind=node.kind,
        industry=node.industry,
        children=tuple(_freeze(child, rng, credit_code) for child in node.children),
        address=node.address,
        filing_number=node.filing_number,
        filing_date=node.filing_date,
        credit_code=credit_code(node.credit_kind, rng) if node.credit_kind else None,
    )
