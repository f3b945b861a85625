"""Fill a database with a county's ledger at scale: N cases, their parties, answers, sessions, agreements.

A county centre, 12 townships with 8 village committees each and 3 county-level industry committees,
two mediators per committee, the county admin `bench_admin` and 马集's admin `bench_town` (password
PASSWORD), the shipped dispute-type forms (forms/*.yaml) published, then N cases accepted over the last
25 months: numbered per organisation and year, with their parties (≈2.3 per case), answers to the
type's form, 调解记录, agreements, mediators, the first history step, and statuses that follow the
case's age (recent ones in hand, old ones mostly closed; some overdue, red-carded, suspended, voided,
high-risk and group disputes). Volume rises slowly over the two years and peaks before the Spring
Festival and in the autumn harvest.

Rows go in below the ORM, in bulk: executemany batches on SQLite (with the table's secondary indexes
dropped during the load and rebuilt after), COPY on PostgreSQL. The derived tables are then rebuilt
(the SQLite search index, the dashboard's summary tables) and statistics gathered.

    .venv/bin/python bench/seed_scale.py --cases 1000000 --db /tmp/ledger-1m.sqlite3
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m .venv/bin/python bench/seed_scale.py

As a module (bench/ledger.py, bench/dashboard.py): `seed_scale.seed(url, cases)` returns timings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from operator import add
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# Config.load would otherwise read (or create) instance/secret_key; the bench needs no real secret.
os.environ.setdefault("SECRET_KEY", "bench-secret")

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402

from portal import clock, create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models.auth import User  # noqa: E402
from portal.models.case import Case  # noqa: E402
from portal.models.dictionary import DisputeType  # noqa: E402
from portal.models.formdef import FormDefinition, FormVersion  # noqa: E402
from portal.models.org import Industry, Organization, OrgKind, OrgLevel  # noqa: E402
from portal.models.people import Gender, Mediator  # noqa: E402
from portal.services import answer_index, audit, search, tally  # noqa: E402
from portal.services.demo import data  # noqa: E402
from portal.services.demo.answers import fake_answers  # noqa: E402
from portal.services.demo.fake import CASE_TEMPLATES, DemoFaker, format_money  # noqa: E402
from portal.services.demo.seed import load_catalogue  # noqa: E402
from portal.validators import make_id_number  # noqa: E402

PASSWORD = "Bench2026pass"  # noqa: S105 - throwaway accounts in a throwaway database
BATCH = 20_000
SPREAD = 1000  # weighted draws come from lists of this many entries
NAME_POOL = 25_000  # person names per gender; 1 % of parties get a fresh one
TEXT_POOL = 300  # case texts per template key
CHILD_BATCH = 5000  # cases per batch the generator sends
SESSION_COUNTS = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3)
COUNTY_CODE = "QH"
# (township name, code); each township has VILLAGES village committees.
TOWNSHIPS = (
    ("城关街道", "CG"),
    ("东风街道", "DF"),
    ("古城街道", "GC"),
    ("马集镇", "MJ"),
    ("柳林镇", "LL"),
    ("孙寺镇", "SS"),
    ("青堌集镇", "QG"),
    ("杨湖镇", "YH"),
    ("韩集镇", "HJ"),
    ("李楼镇", "LLO"),
    ("王庄乡", "WZ"),
    ("黄岗镇", "HG"),
)
VILLAGES = 8
# The county's industry committees and the type stems they take over from the villages.
INDUSTRY = (
    ("县道路交通事故纠纷人民调解委员会", "QHJT", Industry.TRAFFIC, "道路交通事故"),
    ("县医疗纠纷人民调解委员会", "QHYL", Industry.MEDICAL, "医疗"),
    ("县劳动争议人民调解委员会", "QHLD", Industry.LABOUR, "劳动争议"),
)
# The township whose admin gives the "scoped" figures.
SCOPED_TOWNSHIP = "MJ"
DAYS = 760  # acceptance dates reach back 25 months
COMPANY_WORDS = tuple(
    "恒泰 鑫源 华丰 宏达 金鼎 瑞祥 永兴 顺发 利民 德润 兴旺 广源 福临 盛世 天合 嘉禾".split()
)
COMPANY_TRADES = ("商贸", "建筑工程", "农业科技", "物业服务", "运输", "食品", "置业", "机械")
# Statuses by the case's age in days: older cases are mostly closed, recent ones still in hand.
STATUS_BY_AGE = (
    (15, {"registered": 22, "assigned": 20, "mediating": 44, "settled": 7, "failed": 2, "suspended": 2,
          "voided": 3}),
    (30, {"registered": 3, "assigned": 6, "mediating": 40, "settled": 28, "followed_up": 6, "failed": 5,
          "closed": 6, "suspended": 3, "voided": 3}),
    (90, {"registered": 1, "assigned": 2, "mediating": 7, "settled": 12, "followed_up": 14, "failed": 3,
          "referred": 4, "closed": 52, "suspended": 3, "voided": 2}),
    (10**6, {"mediating": 0.4, "assigned": 0.1, "settled": 1, "followed_up": 1.5, "failed": 0.5,
             "referred": 1, "suspended": 0.5, "closed": 93, "voided": 2}),
)  # fmt: skip
SOURCES = {"application": 40, "screening": 15, "grid": 15, "visit": 12, "police": 6, "court": 4,
           "petition": 4, "government": 2, "other": 2}  # fmt: skip
DIFFICULTIES = {"simple": 45, "normal": 40, "hard": 12, "major": 3}
PARTY_COUNTS = {2: 76, 3: 19, 4: 3, 5: 1, 6: 1}  # mean ≈ 2.3
CONCLUDED = frozenset({"settled", "followed_up", "failed", "referred", "closed"})
ASSIGNED = frozenset({"assigned", "mediating", "suspended"}) | CONCLUDED
MEASURES = (
    "走访双方当事人了解诉求，查明事实后组织面对面调解",
    "邀请村两委和乡贤参与，释法说理，促成和解",
    "联系派出所、村委会共同调处，必要时引导司法确认",
    "组织双方背对背沟通，先稳控情绪再协商赔偿方案",
)
SESSION_TEXTS = (
    "双方陈述了各自意见，调解员释法说理，双方表示回去考虑。",
    "调解员分别做双方工作，申请人同意适当降低赔偿要求。",
    "双方就赔偿金额和支付方式进行协商，达成初步意向。",
    "调解员组织现场勘查，核实了争议事实，双方认可勘查结果。",
)
FAILURES = ("双方分歧较大，未能达成一致", "被申请人拒不到场", "申请人坚持通过诉讼解决")
STABILITY = ("村调委会每周走访一次，防止矛盾激化", "由网格员跟踪稳控，发现异常及时上报")


def bench_app(database_url: str, **overrides: Any) -> Flask:
    """Return an app on the bench database: test mode, CSRF and rate limits off."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
            **overrides,
        }
    )


def _cumulate(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _picker(rng: random.Random, weights: dict[Any, float]) -> Callable[[], Any]:
    """Return a function drawing a key of `weights` with the given odds."""
    values, cum = list(weights), _cumulate(weights.values())
    return lambda: rng.choices(values, cum_weights=cum)[0]


# --- the organisation tree -------------------------------------------------------------------------


def build_org_tree(session: Any) -> list[Organization]:
    """Create the county, its townships and villages, the industry committees, mediators and users."""
    root = Organization(
        name="清河县矛盾纠纷多元化解中心",
        code=COUNTY_CODE,
        level=OrgLevel.COUNTY,
        kind=OrgKind.COORDINATION_CENTRE,
    )
    session.add(root)
    session.flush()
    orgs = [root]
    for name, code, industry, _stem in INDUSTRY:
        orgs.append(
            Organization(
                name=name,
                code=code,
                level=OrgLevel.COUNTY,
                kind=OrgKind.INDUSTRY_COMMITTEE,
                industry=industry,
                parent=root,
            )
        )
        session.add(orgs[-1])
        session.flush()
    village_names = iter(
        f"{s}{suffix}"
        for suffix in ("庄村", "楼村", "集村", "营村", "店村", "寨村")
        for s in data.VILLAGE_SURNAMES
    )
    for t_name, t_code in TOWNSHIPS:
        town = Organization(
            name=f"{t_name}人民调解委员会",
            code=t_code,
            level=OrgLevel.TOWNSHIP,
            kind=OrgKind.COMMITTEE,
            parent=root,
        )
        session.add(town)
        session.flush()
        orgs.append(town)
        for i in range(1, VILLAGES + 1):
            village = Organization(
                name=f"{next(village_names)}人民调解委员会",
                code=f"{t_code}{i:02d}",
                level=OrgLevel.VILLAGE,
                kind=OrgKind.COMMITTEE,
                parent=town,
            )
            session.add(village)
            session.flush()
            orgs.append(village)
    by_code = {o.code: o for o in orgs}
    for username, full_name, code in (
        ("bench_admin", "台账基准管理员", COUNTY_CODE),
        ("bench_town", "马集镇管理员", SCOPED_TOWNSHIP),
    ):
        user = User(username=username, full_name=full_name, organization=by_code[code])
        user.roles = ["admin"]
        user.set_password(PASSWORD)
        session.add(user)
    faker = DemoFaker(seed=7)
    for seq, org in enumerate(orgs):
        for k in range(2):
            gender = Gender.MALE if (seq + k) % 3 else Gender.FEMALE
            born = date(1965 + (seq * 7 + k) % 25, 1 + seq % 12, 1 + k * 9)
            session.add(
                Mediator(
                    name=faker.person_name(gender.value),
                    gender=gender,
                    organization=org,
                    birth_date=born,
                    id_number=make_id_number(data.COUNTY_REGION, born, (seq * 2 + k) % 100, gender.value),
                    phone=f"138{seq:04d}{k:04d}",
                )
            )
    session.flush()
    return orgs


# --- bulk loading ----------------------------------------------------------------------------------


class Loader:
    """Buffered bulk writes: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.raw = connection.connection.dbapi_connection
        self.pg = connection.dialect.name == "postgresql"
        self.buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.columns: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        self.columns[table] = columns
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush(table)

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.columns[table] = columns
        self.buffers[table].extend(rows)
        self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            rows = self.buffers[name]
            if not rows:
                continue
            columns = self.columns[name]
            cursor = self.raw.cursor()
            if self.pg:
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
            cursor.close()
            self.counts[name] += len(rows)
            rows.clear()


BULK_TABLES = (
    "dispute_case",
    "party",
    "case_event",
    "mediation_session",
    "agreement",
    "case_mediator",
    "case_answer",
)


#: Indexes whose keys grow with the rows as they are written (case ids, acceptance dates, no
#: registering user): appending to them costs less than building them again, so they stay.
APPENDED_INDEXES = frozenset(
    {
        "ix_party_case_id",
        "ix_case_event_case_id",
        "ix_mediation_session_case_id",
        "ix_case_answer_case_id",
        "ix_dispute_case_accepted_on",
        "ix_dispute_case_registered_by_id",
    }
)


def _secondary_indexes(connection: Connection) -> list[tuple[str, str]]:
    """Return (name, CREATE statement) of the bulk tables' indexes that back no constraint and that the
    load would update at random places (dropped for the load, built again after it)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).all()
    else:
        rows = connection.execute(
            text(
                "SELECT indexname, indexdef, tablename FROM pg_indexes WHERE tablename = ANY(:tables) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ),
            {"tables": list(BULK_TABLES)},
        ).all()
    return [(name, sql) for name, sql, table in rows if table in BULK_TABLES and name not in APPENDED_INDEXES]


# --- the ledger ------------------------------------------------------------------------------------


class Ledger:
    """Generates the cases and their records, row by row, into a Loader.

    Everything that costs more than a random number is drawn up front into pools (texts with only the
    parties' names left to fill in, ID numbers, form answers); a case then takes a few dozen draws.
    """

    def __init__(self, session: Any, seed: int, today: date) -> None:
        self.rng = rng = random.Random(seed)
        self.faker = DemoFaker(seed=seed)
        self.today = today
        pg = session.get_bind().dialect.name == "postgresql"
        self.search = search.available(session.connection())
        # Dates and times as each database takes them: objects for COPY, SQLAlchemy's text for SQLite.
        days = range(-60, DAYS + 200)
        self.day = {a: (today - timedelta(days=a)) for a in days}
        if not pg:
            self.day = {a: d.isoformat() for a, d in self.day.items()}
        self.stamp = {}
        for a in days:
            moment = datetime.combine(today - timedelta(days=a), datetime.min.time(), UTC) + timedelta(
                hours=1
            )
            self.stamp[a] = moment if pg else f"{moment:%Y-%m-%d %H:%M:%S}.000000"
        self.years = {a: (today - timedelta(days=a)).year for a in days}
        self._orgs(session)
        self._types(session)
        self.sources = _spread(SOURCES)
        self.difficulties = _spread(DIFFICULTIES)
        self.statuses = [(limit, _spread(w)) for limit, w in STATUS_BY_AGE]
        self.party_counts = _spread(PARTY_COUNTS)
        villages = [f"{s}{x}" for s in data.VILLAGE_SURNAMES[:20] for x in ("庄村", "楼村", "集村")]
        self.villages = villages
        self.towns = [name for name, _ in TOWNSHIPS]
        self.addresses = [f"清河县{t}{v}" for t in self.towns for v in villages]
        self.texts = self._texts()
        self.names = {
            g: [self.faker.person_name(g, rng) for _ in range(NAME_POOL)] for g in ("male", "female")
        }
        self.companies = [f"清河县{w}{t}有限公司" for w in COMPANY_WORDS for t in COMPANY_TRADES]
        self.id_pool = {
            g: [
                make_id_number(data.COUNTY_REGION, date(1950 + i % 50, 1 + i % 12, 1 + i % 28), i % 100, g)
                for i in range(2000)
            ]
            for g in ("male", "female")
        }
        self.counters: dict[tuple[int, int], int] = defaultdict(int)
        self.ids: dict[str, int] = defaultdict(int)
        self.loader: Any = None  # set in the generating process

    def _orgs(self, session: Any) -> None:
        orgs = list(session.scalars(select(Organization).order_by(Organization.id)))
        # Who accepts cases: the county centre 3 %, industry committees 7 %, townships 40 %, villages 50 %.
        share = {
            OrgLevel.TOWNSHIP: 40.0 / len(TOWNSHIPS),
            OrgLevel.VILLAGE: 50.0 / (len(TOWNSHIPS) * VILLAGES),
        }
        weights = {
            (o.id, o.code, o.name): 3.0
            if o.code == COUNTY_CODE
            else 7.0 / len(INDUSTRY)
            if o.industry
            else share[o.level]
            for o in orgs
        }
        self.orgs = _spread(weights)
        self.industry_of = {stem: next(o for o in orgs if o.code == code) for _n, code, _i, stem in INDUSTRY}
        mediators: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for m in session.scalars(select(Mediator)):
            mediators[m.organization_id].append((m.id, m.name))
        self.mediators = mediators

    def _types(self, session: Any) -> None:
        types = list(session.scalars(select(DisputeType).order_by(DisputeType.sort_order)))
        parents = {t.id: t for t in types}
        weights = {}
        # Busier types first: 邻里, 婚姻家庭, 合同 and 损害赔偿 make most of a county's ledger.
        busy = {"邻里": 8, "婚姻家庭": 5, "合同": 4, "损害赔偿": 4, "房屋宅基地": 4}
        for t in types:
            top = (parents.get(t.parent_id) or t).name.removesuffix("纠纷")
            stem = data.TYPE_ALIASES.get(top, top)
            key = stem if stem in CASE_TEMPLATES else "其他"
            weights[(t.id, key, top)] = busy.get(key, 2)
        self.types = _spread(weights)
        # Published form versions by type, and a pool of answers for each.
        published = session.execute(
            select(FormDefinition.dispute_type_id, FormVersion.id, FormVersion.body)
            .join(FormVersion, FormVersion.definition_id == FormDefinition.id)
            .order_by(FormVersion.number)
        ).all()
        self.answers: dict[int, tuple[int, list[str]]] = {}
        for type_id, version_id, body in published:
            pool = [
                json.dumps(fake_answers(body, self.rng, self.today), ensure_ascii=False) for _ in range(30)
            ]
            self.answers[type_id] = (version_id, pool)

    def _texts(self) -> dict[str, list[tuple[str, str, str, int | None]]]:
        """Return per template key: (summary, claims, place, amount), the parties' names left as {a}/{r}."""
        rng = self.rng
        pools: dict[str, list[tuple[str, str, str, int | None]]] = {}
        for key, pairs in CASE_TEMPLATES.items():
            plain = tuple(p for p in pairs if "{money}" not in "".join(p)) or pairs
            pool = []
            for _ in range(TEXT_POOL):
                amount = None if rng.random() < 0.6 else rng.randrange(2, 400) * 500
                summary, claims = rng.choice(pairs if amount else plain)
                place = rng.choice(self.villages)
                slots = {
                    "a": "{a}",
                    "r": "{r}",
                    "money": format_money(amount) if amount else "若干",
                    "place": place,
                    "town": rng.choice(self.towns),
                    "n": rng.randint(2, 9),
                    "days": rng.randint(7, 60),
                    "year": rng.randint(2008, self.today.year - 1),
                    "kids": rng.choice("一两"),
                    "x": rng.choice(data.VILLAGE_SURNAMES),
                }
                pool.append((summary.format(**slots), claims.format(**slots), place, amount))
            pools[key] = pool
        return pools

    def ages(self, n: int) -> list[int]:
        """Return n acceptance ages (days), oldest first: slow growth, peaks in January and October."""
        weights = []
        for age in range(DAYS):
            month = (self.today - timedelta(days=age)).month
            season = {1: 1.3, 2: 0.8, 10: 1.2, 11: 1.1}.get(month, 1.0)
            weights.append(season * (1.0 + 0.25 * (DAYS - age) / DAYS))
        ages = self.rng.choices(range(DAYS), cum_weights=_cumulate(weights), k=n)
        ages.sort(reverse=True)
        return ages

    def case(self, age: int) -> None:  # noqa: C901, PLR0912, PLR0915 - one case, written out in full
        """Write one case accepted `age` days ago, with its records."""
        r = self.rng.random
        day, stamp, add, ids = self.day, self.stamp, self.loader.add, self.ids

        def pick(seq: Any) -> Any:
            return seq[int(r() * len(seq))]

        def between(low: int, high: int) -> int:
            return low + int(r() * (high - low + 1))

        ids["case"] += 1
        case_id = ids["case"]
        type_id, type_key, top = pick(self.types)
        org_id, org_code, org_name = pick(self.orgs)
        if top in self.industry_of and r() < 0.3:
            industry = self.industry_of[top]
            org_id, org_code, org_name = industry.id, industry.code, industry.name
        year = self.years[age]
        counter = self.counters[(org_id, year)] = self.counters[(org_id, year)] + 1
        number = f"（{year}）{org_code}人调字第{counter}号"
        status = next(pool for limit, pool in self.statuses if age < limit)[int(r() * SPREAD)]
        created = stamp[age]
        # Parties: mostly people (a few fresh names each run, so some names stay unique), some firms.
        names = []
        for i in range(pick(self.party_counts)):
            ids["party"] += 1
            if i > 0 and r() < 0.12:
                kind, gender, id_number, name = "organization", None, None, pick(self.companies)
            else:
                kind, gender = "person", "male" if r() < 0.55 else "female"
                name = pick(self.names[gender]) if r() < 0.99 else self.faker.person_name(gender, self.rng)
                id_number = pick(self.id_pool[gender]) if r() < 0.8 else None
            names.append(name)
            role = ("applicant", "respondent")[i] if i < 2 else pick(("third", "respondent"))
            phone = f"13{int(r() * 1e9):09d}"
            add("party", PARTY_COLUMNS, (ids["party"], case_id, role, kind, name, gender, id_number, phone,
                                         pick(self.addresses), i, created, created))  # fmt: skip
        summary, claims, place, amount = pick(self.texts[type_key])
        summary = summary.format(a=names[0], r=names[1])
        claims = claims.format(a=names[0], r=names[1])
        party_names = "、".join(names)[:500]
        people = len(names) if r() < 0.93 else between(5, 60)
        group = people >= 5
        roll = r()
        risk = "high" if roll < (0.25 if group else 0.03) else "medium" if roll < 0.2 else "low"
        # The path through the workflow, as ages (days ago) of each step.
        concluded = status in CONCLUDED or (status == "voided" and r() < 0.3)
        done = max(0, age - (between(2, 28) if r() < 0.9 else between(31, 75))) if concluded else None
        outcome = None
        if status in ("settled", "followed_up"):
            outcome = "success"
        elif status in ("failed", "referred"):
            outcome = "failed"
        elif concluded:
            outcome = "success" if r() < 0.88 else "failed"
        assigned = status in ASSIGNED or concluded
        assigned_age = max(0, age - between(0, 3)) if assigned else None
        if status in ("assigned", "mediating"):
            # A fifth are left untouched: red cards once that passes 15 days.
            last = age if r() < 0.2 else max(0, age - between(0, min(age, 40)))
        elif done is not None:
            last = max(0, done - between(0, 20))
        else:
            last = age if assigned_age is None else assigned_age
        closed = max(0, done - between(5, 30)) if status == "closed" and done is not None else None
        if closed is not None:
            last = min(last, closed)
        suspended = status == "suspended"
        supervised = status not in ("closed", "voided") and r() < 0.02
        mediator = pick(self.mediators[org_id]) if assigned else None
        referred = outcome == "failed" and status in ("referred", "closed")
        version_id = answers = None
        if type_id in self.answers:
            version_id, pool = self.answers[type_id]
            answers = pick(pool)
        # In CASE_COLUMNS order.
        row = (
            case_id, number, year, counter, org_id, org_id, pick(self.sources), type_id,
            day[age + between(0, 20)], f"清河县{pick(self.towns)}{place}", summary, claims, people, amount,
            risk, pick(self.difficulties), group,
            mediator[1] if mediator else None, org_name if mediator else None,
            pick(MEASURES) if mediator else None,
            day[age], day[age - 30], status, day[assigned_age] if assigned_age is not None else None,
            day[last], "mediating" if suspended else None, day[max(0, last - 1)] if suspended else None,
            day[between(-10, 5)] if supervised else None, "请于期限内办结并报告结果" if supervised else None,
            pick(FAILURES) if outcome == "failed" else None, "litigation" if referred else None,
            pick(STABILITY) if referred else None, day[closed] if closed is not None else None,
            day[done] if done is not None else None, "重复登记" if status == "voided" else None,
            party_names, version_id, answers, created, stamp[last], 1,
        )  # fmt: skip
        add("dispute_case", CASE_COLUMNS, row)
        if self.search:
            add("case_search", ("rowid", "body"), (case_id, _document(number, party_names, summary)))
        add("case_event", EVENT_COLUMNS, (case_id, case_id, "register", None, "registered", created, "录入员",
                                          org_id, "{}"))  # fmt: skip
        if mediator:
            add("case_mediator", ("case_id", "mediator_id"), (case_id, mediator[0]))
        sessions = (
            pick(SESSION_COUNTS) if done is not None else pick((0, 1, 1, 2)) if status == "mediating" else 0
        )
        for k in range(sessions):
            ids["session"] += 1
            held = min(age, (done if done is not None else last) + (sessions - 1 - k) * between(1, 5))
            result = "agreed" if outcome == "success" and k == sessions - 1 else "continue"
            record = (
                ids["session"], case_id, stamp[held], f"{place}调解室", party_names[:100],
                pick(SESSION_TEXTS), result, mediator[1] if mediator else "调解员",
                stamp[held], stamp[held], 1,
            )  # fmt: skip
            add("mediation_session", SESSION_COLUMNS, record)
        if outcome == "success":
            ids["agreement"] += 1
            agreed = None if amount is None else max(500, int(amount * (0.5 + r() / 2)) // 100 * 100)
            performed = status in ("closed", "followed_up") or r() < 0.5
            add("agreement", AGREEMENT_COLUMNS, (
                ids["agreement"], case_id, number, "written" if r() < 0.85 else "oral", day[done],
                f"经调解，双方自愿达成如下协议：{claims[:80]}", agreed, "一次性支付" if agreed else None,
                performed, day[done] if performed else None, stamp[done], stamp[done], 1,
            ))  # fmt: skip


def _spread(weights: dict[Any, float]) -> list[Any]:
    """Return SPREAD keys of `weights` in proportion, to draw from with one random number."""
    total = sum(weights.values())
    out: list[Any] = []
    for key, weight in weights.items():
        out.extend([key] * round(SPREAD * weight / total))
    while len(out) < SPREAD:
        out.append(max(weights, key=weights.__getitem__))
    return out[:SPREAD]


def _chunks(value: str) -> str:
    """search.chunks, done in C: overlapping two-character chunks, space-separated."""
    value = value.strip()
    return value if len(value) < 2 else " ".join(map(add, value, value[1:]))


def _document(number: str, party_names: str, summary: str) -> str:
    return "\n".join((_chunks(number), _chunks(party_names), _chunks(summary)))


CASE_COLUMNS = (
    "id",
    "number",
    "year",
    "seq",
    "numbering_organization_id",
    "organization_id",
    "source",
    "dispute_type_id",
    "occurred_on",
    "place",
    "summary",
    "claims",
    "people_involved",
    "amount",
    "risk_level",
    "difficulty",
    "is_group",
    "responsible_person",
    "responsible_unit",
    "measures",
    "accepted_on",
    "deadline",
    "status",
    "assigned_on",
    "last_activity_on",
    "suspended_from",
    "suspended_on",
    "supervision_deadline",
    "supervision_note",
    "failure_reason",
    "referral_route",
    "stability_plan",
    "closed_on",
    "concluded_on",
    "void_reason",
    "party_names",
    "form_version_id",
    "answers",
    "created_at",
    "updated_at",
    "version",
)
PARTY_COLUMNS = (
    "id",
    "case_id",
    "role",
    "kind",
    "name",
    "gender",
    "id_number",
    "phone",
    "address",
    "sort_order",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "from_status",
    "to_status",
    "at",
    "actor_name",
    "organization_id",
    "details",
)
SESSION_COLUMNS = (
    "id",
    "case_id",
    "held_at",
    "place",
    "participants",
    "content",
    "result",
    "recorder",
    "created_at",
    "updated_at",
    "version",
)
AGREEMENT_COLUMNS = (
    "id",
    "case_id",
    "number",
    "form",
    "signed_on",
    "terms",
    "amount",
    "performance_manner",
    "performed",
    "performed_on",
    "created_at",
    "updated_at",
    "version",
)


# --- the whole run ---------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist yet (never drops anything)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
            conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def case_count(url: str) -> int:
    """Return how many cases the database holds (0 if it has no ledger yet)."""
    ensure_database(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Case)) or 0
    except Exception:  # noqa: BLE001 - no schema yet
        return 0
    finally:
        engine.dispose()


def seed(
    url: str, cases: int = 1_000_000, seed: int = 2026, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Migrate an empty database and load the ledger; return timings (s) and row counts.

    Two processes share the work: a child generates the rows (and, on SQLite, builds the search index
    in a scratch file), the parent writes them; the index's tables are copied in at the end.
    """
    ensure_database(url)
    started = time.perf_counter()
    app = bench_app(url)
    timings: dict[str, Any] = {}
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Case)):
            raise SystemExit(f"{url} already holds cases: seed an empty database")
        with audit.acting_as(audit.Actor(None, "bench")):
            build_org_tree(db.session)
            db.session.commit()
            load_catalogue(db.session)
        today = clock.today()
        timings["setup_s"] = time.perf_counter() - started
        ledger = Ledger(db.session, seed, today)
        db.session.remove()
        db.engine.dispose()  # the load's connection alone (SQLite leaves WAL mode only then)
        timings["pools_s"] = time.perf_counter() - started - timings["setup_s"]
        with db.engine.connect() as conn, tempfile.TemporaryDirectory(prefix="seed-scale-") as scratch:
            loader = Loader(conn)
            _prepare(conn)
            indexes = _secondary_indexes(conn)
            for name, _sql in indexes:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            mark = time.perf_counter()
            fts = Path(scratch) / "search.sqlite3" if ledger.search else None
            counters = _generate_in_child(ledger, cases, loader, fts, log, mark)
            loader.flush()
            conn.execute(
                text("INSERT INTO case_counter (organization_id, year, last_value) VALUES (:o, :y, :v)"),
                [{"o": o, "y": y, "v": v} for (o, y), v in counters.items()],
            )
            answer_index.rebuild(conn)  # the answers' typed index, before its indexes are rebuilt
            timings["load_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            for _name, sql in indexes:
                conn.exec_driver_sql(sql)
            timings["indexes_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            if loader.pg:
                for table in ("dispute_case", "party", "case_event", "mediation_session", "agreement"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    conn.exec_driver_sql(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")  # noqa: S608
            if fts is not None:
                _copy_search_index(conn, fts)
            tally.rebuild(conn)
            conn.commit()
            timings["derived_s"] = time.perf_counter() - mark
            counts = dict(loader.counts)
        mark = time.perf_counter()
        _analyze(db.engine)
        timings["analyze_s"] = time.perf_counter() - mark
        db.engine.dispose()
    timings["total_s"] = time.perf_counter() - started
    return {**{k: round(v, 1) for k, v in timings.items()}, "rows": counts}


class _Batches:
    """The child's loader: rows go to the parent in batches; search index rows to a scratch file."""

    def __init__(self, queue: Any, fts: Path | None) -> None:
        self.queue = queue
        self.pg = False
        self.rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
        self.fts = None
        if fts is not None:
            self.fts = sqlite3.connect(fts)
            self.fts.execute("PRAGMA synchronous=OFF")
            self.fts.execute("PRAGMA journal_mode=OFF")
            self.fts.execute("PRAGMA cache_size=-262144")  # the index's merges stay in memory
            self.fts.execute(search.CREATE)
            self.fts_rows: list[tuple[int, str]] = []

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        if table == "case_search" and self.fts is not None:
            self.fts_rows.append(row)  # type: ignore[arg-type]
            return
        self.rows.setdefault(table, (columns, []))[1].append(row)

    def send(self) -> None:
        if self.rows:
            self.queue.put(self.rows)
            self.rows = {}
        if self.fts is not None and self.fts_rows:
            self.fts.executemany("INSERT INTO case_search (rowid, body) VALUES (?, ?)", self.fts_rows)
            self.fts_rows = []


def _generate_in_child(
    ledger: Ledger, cases: int, loader: Loader, fts: Path | None, log: Callable[[str], None], mark: float
) -> dict[tuple[int, int], int]:
    """Generate the rows in a forked child and write what it sends; return the case counters."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=6)

    def produce() -> None:
        batches = _Batches(queue, fts)
        ledger.loader = batches  # type: ignore[assignment]
        for done, age in enumerate(ledger.ages(cases), 1):
            ledger.case(age)
            if done % CHILD_BATCH == 0:
                batches.send()
        batches.send()
        if batches.fts is not None:
            batches.fts.commit()
            batches.fts.close()
        queue.put(("done", dict(ledger.counters)))

    child = context.Process(target=produce, name="seed-scale-rows", daemon=True)
    child.start()
    written, waited = 0, 0.0
    while True:
        started = time.perf_counter()
        message = queue.get(timeout=600)
        waited += time.perf_counter() - started
        if isinstance(message, tuple):
            child.join(timeout=60)
            if child.exitcode:
                raise SystemExit(f"the row generator failed (exit code {child.exitcode})")
            log(f"  the writer waited {waited:.0f} s for rows in all")
            return message[1]
        for table, (columns, rows) in message.items():
            loader.write(table, columns, rows)
            if table == "dispute_case":
                written += len(rows)
                if written % 200_000 < len(rows):
                    log(f"  {written:,} cases written ({time.perf_counter() - mark:.0f} s)")


def _copy_search_index(conn: Connection, fts: Path) -> None:
    """Copy the search index built in the scratch file into the ledger (the FTS5 tables, as stored)."""
    conn.commit()  # ATTACH and DETACH outside a transaction
    raw = conn.connection.dbapi_connection
    raw.execute(f"ATTACH DATABASE '{fts}' AS scratch")
    for suffix in ("data", "idx", "content", "docsize", "config"):
        conn.exec_driver_sql(f"DELETE FROM main.case_search_{suffix}")  # noqa: S608 - fixed names
        copy = f"INSERT INTO main.case_search_{suffix} SELECT * FROM scratch.case_search_{suffix}"  # noqa: S608
        conn.exec_driver_sql(copy)
    conn.commit()
    raw.execute("DETACH DATABASE scratch")
    _check_search_sample(conn)


def _check_search_sample(conn: Connection) -> None:
    """Fail if the index rows written in bulk differ from what `services.search` would write."""
    rows = conn.exec_driver_sql(
        "SELECT d.number, d.party_names, d.summary, s.body FROM dispute_case d "
        "JOIN case_search s ON s.rowid = d.id WHERE d.id % 9973 = 1"
    ).all()
    assert rows and all(search.document(*row[:3]) == row[3] for row in rows), "search index rows differ"
    match = text("SELECT rowid FROM case_search WHERE case_search MATCH :q")
    for number, *_rest in rows:
        if (phrase := search.phrase(number)) is not None:
            assert conn.execute(match, {"q": phrase}).all(), f"the search index does not find {number}"


def _prepare(conn: Connection) -> None:
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        conn.commit()  # PRAGMAs outside a transaction
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-524288")
        raw.execute("PRAGMA foreign_keys=OFF")
        # No journal while a fresh database is filled (each page written once, not to the WAL and
        # then again); the portal's connections switch it back to WAL when they open it.
        raw.execute("PRAGMA journal_mode=OFF")
        # Index builds and GROUP BYs sort with helper threads, in memory.
        raw.execute("PRAGMA threads=2")
        raw.execute("PRAGMA temp_store=MEMORY")
    else:
        conn.exec_driver_sql("SET synchronous_commit = off")
        # Skip the foreign-key triggers row by row (the rows are consistent by construction).
        conn.exec_driver_sql("SET session_replication_role = replica")


def _analyze(engine: Any) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if engine.dialect.name == "sqlite":
            # Statistics from a sample of each index, as `PRAGMA optimize` gathers them.
            raw.execute("PRAGMA analysis_limit=2000")
            raw.execute("ANALYZE")
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            raw.autocommit = True
            raw.execute("VACUUM ANALYZE")


def database_url(args: argparse.Namespace) -> str:
    if args.db:
        return f"sqlite:///{Path(args.db).resolve()}"
    default = Path(tempfile.gettempdir()) / "ledger-scale.sqlite3"
    return os.environ.get("DATABASE_URL") or f"sqlite:///{default}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to load (default 1,000,000)")
    parser.add_argument("--db", help="SQLite file (default: DATABASE_URL, else /tmp/ledger-scale.sqlite3)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    args = parser.parse_args(argv)
    url = database_url(args)
    print(
        f"seeding {args.cases:,} cases into {make_url(url).render_as_string(hide_password=True)} …",
        flush=True,
    )
    result = seed(url, args.cases, args.seed)
    print(json.dumps({"cases": args.cases, **result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
