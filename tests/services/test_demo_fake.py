"""Tests for the pure demo data generator (portal.services.demo.fake)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal import clock
from portal.services.demo import data
from portal.services.demo.fake import CASE_TEMPLATES, CREDIT_KINDS, DemoFaker, add_years, format_money
from portal.validators import birth_date_from_id, credit_code_error, id_number_error, phone_error

TODAY = date(2026, 3, 1)
KINDS = {
    "协调中心",
    "司法所",
    "人民调解委员会",
    "行业性专业性调委会",
    "调解室",
    "民调小组",
    "行政调解组织",
    "诉调对接中心",
    "社会调解组织",
}
CJK = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture
def faker() -> DemoFaker:
    """Return a faker with a fixed seed and a fixed today."""
    return DemoFaker(seed=7, today=TODAY)


def _sample(faker: DemoFaker) -> list[object]:
    """Draw one of everything, in a fixed order."""
    profile = faker.mediator_profile("township")
    return [
        faker.person_name("female"),
        faker.mobile(),
        faker.landline(),
        faker.credit_code("company"),
        profile,
        faker.committee_roster(4),
        faker.trainings(profile["appointed_date"], 3),
        faker.expert_profile(),
        faker.address(),
        faker.case_summary("邻里", "张三", "李四", 5000),
    ]


def test_same_seed_gives_same_output() -> None:
    assert _sample(DemoFaker(2026, TODAY)) == _sample(DemoFaker(2026, TODAY))
    assert _sample(DemoFaker(2026, TODAY)) != _sample(DemoFaker(2027, TODAY))


def test_county_does_not_depend_on_earlier_draws() -> None:
    fresh, used = DemoFaker(2026, TODAY), DemoFaker(2026, TODAY)
    _sample(used)
    assert fresh.county() == used.county()


def test_county_has_twelve_townships_and_about_150_unique_villages(faker: DemoFaker) -> None:
    county = faker.county()
    townships = county["townships"]
    assert county["name"] == "清河县" and len(county["region_code"]) == 6
    assert len(townships) == 12
    assert len({t["short_code"] for t in townships}) == 12
    assert {t["kind"] for t in townships} == {"街道", "镇", "乡"}
    villages = [v["name"] for t in townships for v in t["villages"]]
    assert 140 <= len(villages) <= 165
    assert len(set(villages)) == len(villages)
    assert all(v.endswith(("村", "社区")) for v in villages)
    assert all(11 <= len(t["villages"]) <= 14 for t in townships)
    assert any(v["grids"] for t in townships for v in t["villages"])


def test_org_tree_is_consistent(faker: DemoFaker) -> None:
    root = faker.county()["root"]
    nodes = list(root.walk())
    assert root.name == "清河县司法局" and root.kind == "协调中心" and root.level == "county"
    assert {n.kind for n in nodes} <= KINDS
    assert {n.level for n in nodes} == {"county", "township", "village", "grid"}
    codes = [n.short_code for n in nodes]
    assert len(set(codes)) == len(codes)
    assert len({n.name for n in nodes}) == len(nodes)
    industries = [n for n in nodes if n.kind == "行业性专业性调委会"]
    assert len(industries) == 6 and all(n.industry for n in industries)
    offices = [n for n in root.children if n.kind == "司法所"]
    assert len(offices) == 12
    for office in offices:
        assert any(c.kind == "人民调解委员会" and c.level == "township" for c in office.children)
    for node in nodes:
        if node.level == "grid":
            assert node.kind == "民调小组" and node.name.endswith("网格")
        if node.filing_number:
            assert re.fullmatch(r"清司调备〔20\d\d〕\d{3}号", node.filing_number)
            assert node.filing_date and node.filing_date <= TODAY
            assert str(node.filing_date.year) in node.filing_number
        if node.credit_code:
            assert credit_code_error(node.credit_code) is None
    assert {n.kind for n in nodes if n.filing_number} >= {"人民调解委员会", "行业性专业性调委会"}
    numbers = [n.filing_number for n in nodes if n.filing_number]
    assert len(set(numbers)) == len(numbers)


def test_generated_identifiers_validate(faker: DemoFaker) -> None:
    ids = []
    for _ in range(300):
        gender = faker.gender()
        birth = faker.birth_date(18, 90)
        number = faker.id_number(gender, birth)
        assert id_number_error(number, gender=gender, today=TODAY) is None
        assert birth_date_from_id(number) == birth
        ids.append(number)
        assert phone_error(faker.mobile()) is None
        assert phone_error(faker.landline()) is None
    assert len(set(ids)) == len(ids)
    assert sum(n.startswith(data.COUNTY_REGION) for n in ids) > len(ids) // 2
    for kind, prefix in CREDIT_KINDS.items():
        code = faker.credit_code(kind)
        assert credit_code_error(code) is None and code.startswith(prefix + data.COUNTY_REGION)
    for person in [faker.mediator_profile(level) for level in ("county", "township", "village", "grid")] + [
        faker.expert_profile() for _ in range(20)
    ]:
        assert id_number_error(person["id_number"], gender=person["gender"], today=TODAY) is None
        assert phone_error(person["phone"]) is None


def test_mobiles_use_real_prefixes(faker: DemoFaker) -> None:
    mobiles = [faker.mobile() for _ in range(500)]
    assert len(set(mobiles)) == 500
    assert all(re.fullmatch(r"1[3579]\d{9}|18\d{9}", m) for m in mobiles)
    assert all(re.fullmatch(r"0530-[2-8]\d{6}", faker.landline()) for _ in range(50))


def test_names_are_chinese_with_occasional_rare_characters(faker: DemoFaker) -> None:
    names = [faker.person_name() for _ in range(3000)]
    assert all(CJK.fullmatch(n) and 2 <= len(n) <= 4 for n in names)
    assert any(n.startswith(data.COMPOUND_SURNAMES) for n in names)
    assert any(n[0] in data.RARE_SURNAMES for n in names)
    rare_given = set(data.RARE_GIVEN["male"] + data.RARE_GIVEN["female"])
    assert any(set(n[1:]) & rare_given for n in names)
    assert sum(n[0] == "王" for n in names) > sum(n[0] == "汤" for n in names)


@pytest.mark.parametrize("size", range(1, 10))
def test_roster_has_exactly_one_chair(faker: DemoFaker, size: int) -> None:
    roster = faker.committee_roster(size, "county" if size % 2 else "village")
    positions = [p["position"] for p in roster]
    assert len(roster) == size
    assert positions[0] == "主任" and positions.count("主任") == 1
    assert positions.count("副主任") <= 2
    assert set(positions) <= {"主任", "副主任", "委员", "调解员", "首席调解员"}


def test_mediator_profiles_are_plausible(faker: DemoFaker) -> None:
    for _ in range(200):
        p = faker.mediator_profile(faker.rng.choice(("county", "township", "village", "grid")))
        age = (
            TODAY.year
            - p["birth_date"].year
            - ((TODAY.month, TODAY.day) < (p["birth_date"].month, p["birth_date"].day))
        )
        assert 25 <= age <= 72
        assert p["appointed_date"] <= TODAY
        assert p["term_end"] in (add_years(p["appointed_date"], 3), add_years(p["appointed_date"], 5))
        assert (p["status"] == "离任") == (p["left_date"] is not None)
        if p["left_date"]:
            assert p["appointed_date"] <= p["left_date"] <= TODAY
        assert p["grade"] in {"一级", "二级", "三级", "四级"} and p["employment"] in {"专职", "兼职"}
        assert set(p["specialties"]) <= set(data.DISPUTE_TYPES)
        assert len(set(p["background_tags"])) == len(p["background_tags"]) <= 2
    with pytest.raises(ValueError):
        faker.mediator_profile("province")


def test_trainings_fall_between_appointment_and_today(faker: DemoFaker) -> None:
    appointed = date(2021, 6, 15)
    records = faker.trainings(appointed, 30)
    assert len(records) == 30
    assert [r["date"] for r in records] == sorted(r["date"] for r in records)
    for record in records:
        assert appointed <= record["date"] <= TODAY
        assert 2 <= record["hours"] <= 40 and record["level"] in data.TRAINING_LEVELS
        assert record["topic"] in data.TRAINING_TOPICS and record["organizer"]


def test_experts_have_consistent_specialties(faker: DemoFaker) -> None:
    for _ in range(100):
        expert = faker.expert_profile()
        _, employers, titles, specialties, _ = data.EXPERT_PROFESSIONS[expert["profession"]]
        assert expert["employer"] in employers and expert["title"] in titles
        assert expert["specialties"] and set(expert["specialties"]) <= set(specialties)
        assert expert["availability"] in {"可随时参与", "工作日", "需提前预约"}


def test_address_uses_the_given_village(faker: DemoFaker) -> None:
    township = faker.county()["townships"][3]
    village = township["villages"][1]["name"]
    assert faker.address(village).startswith(f"清河县{township['name']}{village}")
    assert faker.address().startswith("清河县")
    with pytest.raises(ValueError):
        faker.address("不存在村")


@pytest.mark.parametrize("type_name", data.DISPUTE_TYPES)
def test_every_dispute_type_has_summaries_naming_the_applicant(faker: DemoFaker, type_name: str) -> None:
    assert len(CASE_TEMPLATES[type_name]) >= 4
    for amount in (None, 12000, 8650):
        for _ in range(10):
            summary, claims = faker.case_summary(type_name, "禤赟", "欧阳桂兰", amount)
            assert "禤赟" in summary
            assert claims and "{" not in summary + claims
            if amount is None:
                assert "元" not in summary + claims


def test_sub_types_and_unknown_types_fall_back() -> None:
    faker = DemoFaker(1, TODAY)
    assert "张三" in faker.case_summary("拖欠农民工工资", "张三", "李四", 30000)[0]
    assert "张三" in faker.case_summary("不存在的类型", "张三", "李四", None)[0]


def test_format_money() -> None:
    assert format_money(35000) == "3.5万元"
    assert format_money(8650) == "8650元"
    assert format_money(12345) == "12345元"


@pytest.mark.usefixtures("frozen_clock")
def test_the_demo_is_dated_by_the_offices_today():
    assert DemoFaker(seed=7).today == clock.today()
