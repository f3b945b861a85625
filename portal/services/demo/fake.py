"""Generate deterministic, realistic demo people, organisations and case texts for 清河县 (no database)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from portal import clock
from portal.services.demo import data
from portal.services.demo.county import LEVELS, OrgSpec, between, build_county
from portal.validators import CREDIT_CHARSET, make_credit_code, make_id_number

__all__ = ["CREDIT_KINDS", "DemoFaker", "OrgSpec", "add_years", "format_money"]

# GB 32100 department + category digits per kind of body. 人民调解委员会 are 备案'd with the 司法行政
# department, so they take 3 (司法行政) + 9 (其他) rather than Y1 (其他部门); 司法局/司法所 are 机关 (11).
CREDIT_KINDS = {
    "committee": "39",
    "government": "11",
    "institution": "12",
    "association": "51",
    "social": "52",
    "law_firm": "31",
    "company": "91",
    "individual": "92",
    "coop": "93",
    "other": "Y1",
}
# Market entities registered since 2015 get "MA…" organisation codes; the others keep 8-digit legacy ones.
_MA_KINDS = frozenset({"91", "92", "93"})

_SURNAMES = [c for _, chars in data.SURNAME_TIERS for c in chars]
_SURNAME_CUM = list(accumulate(w for w, chars in data.SURNAME_TIERS for _ in chars))
_MOBILE_PREFIXES = (
    "134 135 136 137 138 139 150 151 152 157 158 159 182 183 187 188 198 "  # 中国移动
    "130 131 132 155 156 175 176 185 186 "  # 中国联通
    "133 153 173 177 180 181 189 191 199"  # 中国电信
).split()
_ROSTER_OTHERS = ("委员", "调解员")


def _parse_templates(text: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Parse data.CASE_TEMPLATES into {type: ((summary, claims), ...)}."""
    templates: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in filter(None, map(str.strip, text.splitlines())):
        if line.startswith("["):
            current = templates.setdefault(line.strip("[]"), [])
        else:
            summary, claims = line.split("｜")
            current.append((summary, claims))
    return {name: tuple(pairs) for name, pairs in templates.items()}


CASE_TEMPLATES = _parse_templates(data.CASE_TEMPLATES)


def add_years(day: date, years: int) -> date:
    """Return day shifted by whole years, moving 29 February to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def format_money(amount: int) -> str:
    """Format yuan the way dispute records write them: 3.5万元 for round sums, else 8600元."""
    if amount >= 10000 and amount % 100 == 0:
        return f"{amount / 10000:g}万元"
    return f"{amount}元"


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    """Pick a value from (value, weight) pairs."""
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


class DemoFaker:
    """Deterministic generator of 清河县 demo data: the same seed (and today) always gives the same output."""

    def __init__(self, seed: int = 2026, today: date | None = None) -> None:
        self.seed = seed
        self.today = today or clock.today()
        self.rng = random.Random(seed)
        self._county: dict[str, Any] | None = None
        self._townships_by_village: dict[str, str] | None = None
        self._ids: set[str] = set()
        self._mobiles: set[str] = set()
        self._credit_codes: set[str] = set()

    # --- people --------------------------------------------------------------------------------------------

    def gender(self) -> str:
        """Return "male" or "female" with equal odds."""
        return self.rng.choice(("male", "female"))

    def person_name(self, gender: str | None = None, rng: random.Random | None = None) -> str:
        """Return a full name: a weighted surname (rarely compound or rare) and a gendered given name."""
        rng = rng or self.rng
        gender = gender or self.gender()
        roll = rng.random()
        if roll < 0.005:
            surname = rng.choice(data.COMPOUND_SURNAMES)
        elif roll < 0.02:
            surname = rng.choice(data.RARE_SURNAMES)
        else:
            surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
        style = rng.random()
        if style < 0.35:
            given = rng.choice(data.GIVEN_SINGLE[gender])
        elif style < 0.5:
            given = rng.choice(data.GIVEN_CLASSIC[gender])
        else:
            first = rng.choice(data.GIVEN_FIRST[gender])
            second = rng.choice(data.GIVEN_SECOND[gender].replace(first, ""))
            given = first + second
        if rng.random() < 0.02:
            rare = rng.choice(data.RARE_GIVEN[gender])
            given = given[:-1] + rare
        return surname + given

    def birth_date(self, min_age: int, max_age: int, today: date | None = None) -> date:
        """Return a birth date for someone aged min_age..max_age (inclusive) on today."""
        today = today or self.today
        earliest = add_years(today, -(max_age + 1)) + timedelta(days=1)
        return between(self.rng, earliest, add_years(today, -min_age))

    def id_number(self, gender: str, birth: date, region: str | None = None) -> str:
        """Return a valid 身份证号 unique within this faker, mostly registered in the county itself."""
        if region is None:
            region = (
                data.COUNTY_REGION if self.rng.random() < 0.85 else self.rng.choice(data.NEIGHBOUR_REGIONS)
            )
        for seq in self.rng.sample(range(100), 100):
            number = make_id_number(region, birth, seq, gender)
            if number not in self._ids:
                self._ids.add(number)
                return number
        raise RuntimeError(f"no unused ID number left for {region} {birth} {gender}")

    def mobile(self) -> str:
        """Return an unused mainland mobile number with a real carrier prefix."""
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._mobiles:
                self._mobiles.add(number)
                return number

    def landline(self) -> str:
        """Return a 菏泽 landline such as 0530-5612345 (local numbers there have 7 digits)."""
        return f"{data.AREA_CODE}-{self.rng.choice('2345678')}{self.rng.randrange(10**6):06d}"

    def credit_code(self, kind: str = "company", rng: random.Random | None = None) -> str:
        """Return an unused, valid 统一社会信用代码 for a kind of body in CREDIT_KINDS."""
        rng = rng or self.rng
        prefix = CREDIT_KINDS[kind]
        while True:
            if prefix in _MA_KINDS:
                body = "MA" + "".join(rng.choice(CREDIT_CHARSET) for _ in range(6))
            else:
                body = f"{rng.randrange(10**8):08d}"
            code = make_credit_code(data.COUNTY_REGION, body, kind=prefix)
            if code not in self._credit_codes:
                self._credit_codes.add(code)
                return code

    # --- places and organisations --------------------------------------------------------------------------

    def county(self) -> dict[str, Any]:
        """Return the county: name, short_code, region_code, townships with villages, and the root OrgSpec."""
        if self._county is None:
            # A private Random keeps the county identical however many other values were drawn before.
            self._county = build_county(random.Random(f"county:{self.seed}"), self.today, self.credit_code)
        return self._county

    def _village_index(self) -> dict[str, str]:
        """Map every village/community name to its township."""
        if self._townships_by_village is None:
            townships = self.county()["townships"]
            self._townships_by_village = {v["name"]: t["name"] for t in townships for v in t["villages"]}
        return self._townships_by_village

    def village(self) -> tuple[str, str]:
        """Return a random (township, village) pair of the county."""
        township = self.rng.choice(self.county()["townships"])
        return township["name"], self.rng.choice(township["villages"])["name"]

    def address(self, village: str | None = None) -> str:
        """Return a home address: 清河县马集镇前李村3组28号, or a flat for a 社区."""
        if village is None:
            township, village = self.village()
        elif village in (index := self._village_index()):
            township = index[village]
        else:
            raise ValueError(f"{village} is not a village of {data.COUNTY_NAME}")
        prefix = f"{data.COUNTY_NAME}{township}{village}"
        if village.endswith("社区"):
            building, unit = self.rng.randint(1, 24), self.rng.randint(1, 4)
            room = self.rng.randint(1, 18) * 100 + self.rng.randint(1, 4)
            street = f"{self.rng.choice(data.ROADS)}{self.rng.randint(1, 300)}号"
            return f"{prefix}{street}{building}号楼{unit}单元{room}室"
        return f"{prefix}{self.rng.randint(1, 8)}组{self.rng.randint(1, 120)}号"

    # --- mediators, trainings, experts ----------------------------------------------------------------------

    def mediator_profile(self, org_level: str = "village", position: str = "调解员") -> dict[str, Any]:
        """Return a 调解员 as a dict of Mediator fields, shaped by the level of the organisation."""
        rng, level = self.rng, "village" if org_level == "grid" else org_level
        if level not in data.EDUCATION_BY_LEVEL:
            raise ValueError(f"unknown org level {org_level!r}; expected one of {LEVELS}")
        gender = (
            "male" if rng.random() < {"county": 0.55, "township": 0.6, "village": 0.7}[level] else "female"
        )
        # Retired cadres, teachers and village elders make up much of the people's mediator corps.
        retiree_share = {"county": 0.3, "township": 0.35, "village": 0.5}[level]
        age = rng.randint(58, 72) if rng.random() < retiree_share else rng.randint(25, 57)
        if position in ("主任", "首席调解员") and age < 40:
            age = rng.randint(40, 65)  # chairs and chief mediators are seasoned
        birth = self.birth_date(age, age)
        education = _weighted(rng, data.EDUCATION_BY_LEVEL[level])
        political = _weighted(rng, data.POLITICAL)
        if position == "主任" and rng.random() < 0.9:
            political = "中共党员"  # a committee is usually chaired by the Party secretary or a cadre
        elif political == "共青团员" and age > 28:
            political = "群众"
        appointed = between(rng, self.today - timedelta(days=3650), self.today - timedelta(days=30))
        appointed = min(max(appointed, add_years(birth, 22)), self.today)
        left = rng.random() < 0.05
        return {
            "gender": gender,
            "name": self.person_name(gender),
            "ethnicity": _weighted(rng, data.ETHNICITIES),
            "birth_date": birth,
            "id_number": self.id_number(gender, birth),
            "phone": self.mobile(),
            "political_status": political,
            "education": education,
            "position": position,
            "employment": "专职"
            if rng.random() < {"county": 0.6, "township": 0.4, "village": 0.1}[level]
            else "兼职",
            "background_tags": self._background(level, age, political, education),
            "specialties": rng.sample(data.DISPUTE_TYPES, rng.randint(1, 3)),
            "grade": _weighted(rng, data.GRADES),
            "appointed_date": appointed,
            "term_end": add_years(appointed, rng.choice((3, 5))),
            "status": "离任" if left else "在职",
            "left_date": between(rng, appointed, self.today) if left else None,
        }

    def _background(self, level: str, age: int, political: str, education: str) -> list[str]:
        """Return 0-2 background tags that fit the person's age, party membership and education."""
        fits = {
            "退休干警": age >= 55,
            "老干部": age >= 55,
            "老党员": age >= 55 and political == "中共党员",
            "大学生村官": age <= 35 and education in ("大专", "本科", "研究生"),
            "网格员": age < 60,
            "律师": education in ("本科", "研究生"),
            "法律工作者": education in ("大专", "本科", "研究生"),
            "社会工作者": age < 60,
        }
        pool = [tag for tag in data.BACKGROUND_BY_LEVEL[level] if fits[tag]]
        k = min(len(pool), self.rng.choices((0, 1, 2), weights=(3, 5, 2))[0])
        return self.rng.sample(pool, k)

    def committee_roster(self, size: int, org_level: str = "village") -> list[dict[str, Any]]:
        """Return a committee's mediators: one 主任, 1-2 副主任, then 委员/调解员 (a 首席 at county level)."""
        if size < 1:
            raise ValueError("a committee needs at least one member")
        deputies = min(size - 1, self.rng.randint(1, 2))
        positions = ["主任"] + ["副主任"] * deputies
        positions += [self.rng.choice(_ROSTER_OTHERS) for _ in range(size - 1 - deputies)]
        if org_level == "county" and size >= 5:
            positions[-1] = "首席调解员"
        return [self.mediator_profile(org_level, position) for position in positions]

    def trainings(self, mediator_appointed: date, n: int) -> list[dict[str, Any]]:
        """Return n training records between appointment and today, oldest first."""
        start = min(mediator_appointed, self.today)
        records = []
        for _ in range(n):
            level = _weighted(self.rng, [(lv, weight) for lv, (weight, _) in data.TRAINING_LEVELS.items()])
            records.append(
                {
                    "date": between(self.rng, start, self.today),
                    "level": level,
                    "hours": self.rng.choice(data.TRAINING_HOURS),
                    "topic": self.rng.choice(data.TRAINING_TOPICS),
                    "organizer": self.rng.choice(data.TRAINING_LEVELS[level][1]),
                }
            )
        return sorted(records, key=lambda record: record["date"])

    def expert_profile(self) -> dict[str, Any]:
        """Return a 特邀专家 with a profession, a consistent employer, title and specialties."""
        rng = self.rng
        weights = [(name, spec[0]) for name, spec in data.EXPERT_PROFESSIONS.items()]
        profession = _weighted(rng, weights)
        _, employers, titles, specialties, retired = data.EXPERT_PROFESSIONS[profession]
        gender = "male" if rng.random() < 0.65 else "female"
        birth = self.birth_date(*((58, 72) if retired else (30, 60)))
        return {
            "name": self.person_name(gender),
            "gender": gender,
            "birth_date": birth,
            "id_number": self.id_number(gender, birth),
            "phone": self.mobile(),
            "profession": profession,
            "employer": rng.choice(employers),
            "title": rng.choice(titles),
            "specialties": sorted(
                rng.sample(specialties, rng.randint(1, min(3, len(specialties)))), key=specialties.index
            ),
            "availability": _weighted(rng, data.AVAILABILITY),
        }

    # --- cases ---------------------------------------------------------------------------------------------

    def case_summary(
        self, type_name: str, applicant: str, respondent: str, amount: int | None = None
    ) -> tuple[str, str]:
        """Return (summary, claims) naming the parties; unknown types use 其他, amount None omits sums."""
        type_name = data.TYPE_ALIASES.get(type_name, type_name)
        pairs = CASE_TEMPLATES.get(type_name, CASE_TEMPLATES["其他"])
        if amount is None:
            pairs = tuple(pair for pair in pairs if "{money}" not in "".join(pair))
        summary, claims = self.rng.choice(pairs)
        town, place = self.village()
        slots = {
            "a": applicant,
            "r": respondent,
            "money": format_money(amount) if amount is not None else "",
            "place": place,
            "town": town,
            "n": self.rng.randint(2, 9),
            "days": self.rng.randint(7, 60),
            "year": self.rng.randint(2008, self.today.year - 1),
            "kids": self.rng.choice("一两"),
        }
        return summary.format(**slots), claims.format(**slots)
