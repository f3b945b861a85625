"""Ledger benchmark: the 矛盾纠纷 list, a filtered list and a party-name search at scale.

Builds (or reuses) an SQLite ledger of N cases and ~2.3N parties, signs in through the real login
page and times, through the Flask test client, the portal's `CaseView` (/admin/cases/) against a
stock Flask-Admin `ModelView` over the same table (/admin/baseline_cases/), registered on the same
app for this run only. Each scenario is also split into SQL time (the count query, the page query,
everything else) and the rest (Python: view, formatters, Jinja rendering).

    .venv/bin/python bench/ledger.py                 # 200,000 cases in a temporary directory
    .venv/bin/python bench/ledger.py --cases 1000000 --db /tmp/ledger-1m.sqlite3 --keep

The last line of output is one JSON object (cases, list/filter/search p50s, the baseline's search
p50 and the speed-up); the table above it is for people.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Config.load would otherwise read (or create) instance/secret_key; the bench needs no real secret.
os.environ.setdefault("SECRET_KEY", "bench-secret")

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_admin.contrib.sqla import filters as sqla_filters  # noqa: E402
from flask_login import current_user  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models.auth import User  # noqa: E402
from portal.models.case import Case, CaseCounter, Party  # noqa: E402
from portal.models.dictionary import DisputeType  # noqa: E402
from portal.models.org import Organization, OrgKind, OrgLevel  # noqa: E402
from portal.models.people import Gender, Mediator  # noqa: E402
from portal.services import audit, formdefs, search  # noqa: E402
from portal.services.deadlines import local_today  # noqa: E402
from portal.services.demo import data  # noqa: E402
from portal.services.demo.fake import CASE_TEMPLATES, DemoFaker, format_money  # noqa: E402
from portal.services.numbering import format_case_number  # noqa: E402
from portal.validators import make_id_number  # noqa: E402

PASSWORD = "Bench2026pass"  # noqa: S105 - a throwaway account in a throwaway database
BATCH = 10_000
COUNTY_CODE = "QH"
# (township name, code); each township has three village committees.
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
VILLAGES_PER_TOWNSHIP = 3
# The township whose admin gives the "scoped" figures.
SCOPED_TOWNSHIP = "MJ"
COMPANY_WORDS = tuple(
    "恒泰 鑫源 华丰 宏达 金鼎 瑞祥 永兴 顺发 利民 德润 兴旺 广源 福临 盛世 天合 嘉禾".split()
)
COMPANY_TRADES = ("商贸", "建筑工程", "农业科技", "物业服务", "运输", "食品", "置业", "机械")
# Statuses by the case's age in days: older cases are mostly closed, recent ones still in hand.
STATUS_BY_AGE = (
    (30, {"registered": 20, "assigned": 20, "mediating": 35, "settled": 12, "closed": 5, "failed": 3,
          "suspended": 3, "voided": 2}),
    (90, {"mediating": 10, "settled": 15, "followed_up": 10, "closed": 50, "failed": 5, "referred": 5,
          "suspended": 3, "voided": 2}),
    (10**6, {"closed": 88, "followed_up": 2, "failed": 2, "referred": 3, "suspended": 1, "mediating": 1,
             "settled": 1, "voided": 2}),
)  # fmt: skip
SOURCES = {"application": 40, "screening": 15, "grid": 15, "visit": 12, "police": 6, "court": 4,
           "petition": 4, "government": 2, "other": 2}  # fmt: skip
RISKS = {"low": 75, "medium": 20, "high": 5}
DIFFICULTIES = {"simple": 45, "normal": 40, "hard": 12, "major": 3}
# Number of parties of a case: mean ≈ 2.3.
PARTY_COUNTS = {2: 76, 3: 19, 4: 3, 5: 1, 6: 1}
SEARCH_TERM = "秀英"  # a classic given name: matches roughly 1-2 % of cases


# --- building the ledger ---------------------------------------------------------------------------


def bench_app(database_url: str) -> Flask:
    """Return an app on the bench database: test mode, CSRF and rate limits off."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )


def _picker(rng: random.Random, weights: dict[Any, int]) -> Callable[[], Any]:
    """Return a function drawing a key of `weights` with the given odds."""
    values = list(weights)
    cum = list(_cumulate(weights.values()))

    def pick() -> Any:
        return rng.choices(values, cum_weights=cum)[0]

    return pick


def _build_org_tree(session: Any) -> list[Organization]:
    """Create the county, 12 townships and 36 village committees, plus the admin and mediators."""
    root = Organization(
        name="清河县矛盾纠纷多元化解中心",
        code=COUNTY_CODE,
        level=OrgLevel.COUNTY,
        kind=OrgKind.COORDINATION_CENTRE,
    )
    session.add(root)
    session.flush()
    orgs = [root]
    village_names = iter(
        f"{s}{suffix}" for suffix in ("庄村", "楼村", "集村", "营村") for s in data.VILLAGE_SURNAMES
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
        for i in range(1, VILLAGES_PER_TOWNSHIP + 1):
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
    admin = User(username="bench_admin", full_name="台账基准管理员", organization=root)
    admin.roles = ["admin"]
    admin.set_password(PASSWORD)
    town_admin = User(username="bench_town", full_name="马集镇管理员", organization=by_code[SCOPED_TOWNSHIP])
    town_admin.roles = ["admin"]
    town_admin.set_password(PASSWORD)
    session.add_all([admin, town_admin])
    for seq, (name, code) in enumerate((("王建国", "MJ"), ("李秀兰", "LL"), ("张卫东", COUNTY_CODE)), 1):
        gender = Gender.MALE if seq != 2 else Gender.FEMALE
        born = date(1970, 3, seq)
        session.add(
            Mediator(
                name=name,
                gender=gender,
                organization=by_code[code],
                birth_date=born,
                id_number=make_id_number(data.COUNTY_REGION, born, seq, gender.value),
                phone=f"1380000{seq:04d}",
            )
        )
    session.flush()
    return orgs


def _template_key(type_name: str, parent_name: str | None) -> str:
    name = (parent_name or type_name).removesuffix("纠纷")
    name = data.TYPE_ALIASES.get(name, name)
    return name if name in CASE_TEMPLATES else "其他"


# Columns the builder fills, in the order of its row tuples; every NOT NULL column is among them.
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
    "accepted_on",
    "deadline",
    "status",
    "assigned_on",
    "last_activity_on",
    "suspended_from",
    "suspended_on",
    "failure_reason",
    "referral_route",
    "closed_on",
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
    "phone",
    "address",
    "sort_order",
    "created_at",
    "updated_at",
)
CLOSED_STATUSES = frozenset({"closed", "voided", "referred", "followed_up"})


def _insert_sql(table: Any, columns: tuple[str, ...]) -> str:
    """Return Core's INSERT of these columns compiled for SQLite, its parameters in this order."""
    compiled = insert(table).compile(dialect=db.engine.dialect, column_keys=list(columns))
    assert list(compiled.positiontup or ()) == list(columns), "list CASE_COLUMNS/PARTY_COLUMNS in table order"
    return str(compiled)


# The extra fields of 道路交通事故纠纷 the answer filter scenario reads (a cut of forms/ traffic form).
TRAFFIC_FORM = {
    "key": "bench_traffic",
    "title": "道路交通事故",
    "dispute_type": "13",
    "sections": [
        {
            "title": "事故情况",
            "fields": [
                {"key": "injured", "label": "是否有人受伤", "type": "boolean", "required": True},
                {
                    "key": "injured_count",
                    "label": "受伤人数",
                    "type": "integer",
                    "min": 1,
                    "relevant": "${injured} = true",
                },
            ],
        }
    ],
}
ANSWER_CONDITION = "injured_count >= 3"


def _traffic_form(session: Any) -> tuple[int, int]:
    """Publish the bench's traffic form; return (dispute type id, version id)."""
    definition, version = formdefs.import_file(session, TRAFFIC_FORM, None, publish_it=True)
    assert version is not None and definition.dispute_type_id is not None
    return definition.dispute_type_id, version.id


def build_ledger(app: Flask, n_cases: int, seed: int) -> dict[str, Any]:
    """Migrate the database and load N cases with ~2.3N parties; return timings and counts.

    Rows are written with the INSERT statements SQLAlchemy Core compiles for the two tables, run as
    DB-API executemany batches of 10,000 with values already in SQLite's storage format (ISO dates):
    no ORM, no flush hooks, no audit events. Case ids follow the acceptance date, as in real use.
    """
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "bench")):
            orgs = _build_org_tree(db.session)
        db.session.commit()
        types = [
            (t.id, _template_key(t.name, t.parent.name if t.parent else None))
            for t in db.session.scalars(select(DisputeType).order_by(DisputeType.sort_order))
        ]
        org_rows = [(o.id, o.code, o.level) for o in orgs]
        traffic_id, traffic_version = _traffic_form(db.session)
        db.session.remove()
        migrated = time.perf_counter()

        rng = random.Random(seed)
        faker = DemoFaker(seed=seed)
        person_name = faker.person_name
        rand = rng.random
        choice = rng.choice
        randint = rng.randint
        today = local_today()
        # Who accepts cases: the county centre 5 %, townships 45 %, village committees 50 %.
        org_weights = [
            {OrgLevel.COUNTY: 5.0, OrgLevel.TOWNSHIP: 45.0 / 12, OrgLevel.VILLAGE: 50.0 / 36}[level]
            for _, _, level in org_rows
        ]
        org_cum = list(_cumulate(org_weights))
        # Busier types first: 邻里, 婚姻家庭, 合同 and 损害赔偿 make most of a county's ledger.
        type_weights = [
            {"邻里": 8, "婚姻家庭": 5, "合同": 4, "损害赔偿": 4, "房屋宅基地": 4}.get(key, 2)
            for _, key in types
        ]
        type_cum = list(_cumulate(type_weights))
        pick_source = _picker(rng, SOURCES)
        pick_risk = _picker(rng, RISKS)
        pick_difficulty = _picker(rng, DIFFICULTIES)
        pick_status = [(limit, _picker(rng, pairs)) for limit, pairs in STATUS_BY_AGE]
        pick_party_count = _picker(rng, PARTY_COUNTS)
        villages = [f"{s}{suffix}" for s in data.VILLAGE_SURNAMES[:20] for suffix in ("庄村", "楼村", "集村")]
        towns = [name for name, _ in TOWNSHIPS]
        no_money = {
            key: tuple(p for p in pairs if "{money}" not in "".join(p))
            for key, pairs in CASE_TEMPLATES.items()
        }
        # Dates as SQLite stores them (SQLAlchemy's formats), one string per day.
        day_text = {age: (today - timedelta(days=age)).isoformat() for age in range(-60, 800)}
        stamp_text = {age: f"{day_text[age]} 01:30:00.000000" for age in day_text}

        case_sql = _insert_sql(Case.__table__, CASE_COLUMNS)
        party_sql = _insert_sql(Party.__table__, PARTY_COLUMNS)
        # Acceptance dates over two years, oldest first, so ids grow with the date.
        ages = sorted((rng.randrange(0, 730) for _ in range(n_cases)), reverse=True)
        counters: dict[tuple[int, int], int] = defaultdict(int)
        case_rows: list[tuple[Any, ...]] = []
        party_rows: list[tuple[Any, ...]] = []
        party_id = 0
        with db.engine.connect() as conn:
            # Outside the transaction (SQLite refuses otherwise): no fsync, a 256 MB page cache.
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-262144")
            conn.begin()
            for case_id, age in enumerate(ages, start=1):
                accepted = today - timedelta(days=age)
                org_id, org_code, _ = rng.choices(org_rows, cum_weights=org_cum)[0]
                type_id, type_key = rng.choices(types, cum_weights=type_cum)[0]
                year = accepted.year
                counters[(org_id, year)] += 1
                seq = counters[(org_id, year)]
                status = next(pick for limit, pick in pick_status if age < limit)()
                n_parties = pick_party_count()
                created = stamp_text[age]
                names: list[str] = []
                for i in range(n_parties):
                    party_id += 1
                    if i > 0 and rand() < 0.12:
                        kind, gender = "organization", None
                        name = f"清河县{choice(COMPANY_WORDS)}{choice(COMPANY_TRADES)}有限公司"
                    else:
                        kind, gender = "person", "male" if rand() < 0.55 else "female"
                        name = person_name(gender, rng)
                    names.append(name)
                    role = ("applicant", "respondent")[i] if i < 2 else choice(("third", "respondent"))
                    party_rows.append(
                        (
                            party_id,
                            case_id,
                            role,
                            kind,
                            name,
                            gender,
                            f"13{rng.randrange(10**9):09d}",
                            f"清河县{choice(towns)}{choice(villages)}",
                            i,
                            created,
                            created,
                        )
                    )
                amount = None if rand() < 0.6 else rng.randrange(2, 400) * 500
                pairs = (
                    CASE_TEMPLATES[type_key] if amount else (no_money[type_key] or CASE_TEMPLATES[type_key])
                )
                summary, claims = choice(pairs)
                place = choice(villages)
                slots = {
                    "a": names[0],
                    "r": names[1],
                    "money": format_money(amount) if amount else "若干",
                    "place": place,
                    "town": choice(towns),
                    "n": randint(2, 9),
                    "days": randint(7, 60),
                    "year": randint(2008, today.year - 1),
                    "kids": choice("一两"),
                    "x": choice(data.VILLAGE_SURNAMES),
                }
                done_age = max(0, age - randint(3, 45))
                people = n_parties if rand() < 0.9 else randint(5, 40)
                registered = status == "registered"
                unsettled = status in ("failed", "referred")
                answers = version_id = None
                if type_id == traffic_id:
                    injured = rand() < 0.4
                    answer = (
                        {"injured": injured, "injured_count": randint(1, 6)}
                        if injured
                        else {"injured": False}
                    )
                    answers, version_id = json.dumps(answer), traffic_version
                case_rows.append(
                    (
                        case_id,
                        format_case_number(year, org_code, seq),
                        year,
                        seq,
                        org_id,
                        org_id,
                        pick_source(),
                        type_id,
                        day_text[age + randint(0, 20)],
                        f"清河县{choice(towns)}{place}",
                        summary.format(**slots),
                        claims.format(**slots),
                        people,
                        amount,
                        pick_risk(),
                        pick_difficulty(),
                        people >= 5,
                        day_text[age],
                        day_text[age - 30],
                        status,
                        None if registered else day_text[max(0, age - 1)],
                        day_text[age] if registered else day_text[done_age],
                        "mediating" if status == "suspended" else None,
                        day_text[done_age] if status == "suspended" else None,
                        "双方分歧较大，未能达成一致" if unsettled else None,
                        "litigation" if status == "referred" else None,
                        day_text[done_age] if status in CLOSED_STATUSES else None,
                        "重复登记" if status == "voided" else None,
                        " ".join(names)[:500],
                        version_id,
                        answers,
                        created,
                        stamp_text[done_age],
                        1,
                    )
                )
                if len(case_rows) >= BATCH:
                    conn.exec_driver_sql(case_sql, case_rows)
                    conn.exec_driver_sql(party_sql, party_rows)
                    case_rows.clear()
                    party_rows.clear()
            if case_rows:
                conn.exec_driver_sql(case_sql, case_rows)
                conn.exec_driver_sql(party_sql, party_rows)
            conn.execute(
                insert(CaseCounter.__table__),
                [{"organization_id": o, "year": y, "last_value": v} for (o, y), v in counters.items()],
            )
            conn.commit()
        loaded = time.perf_counter()
        with db.engine.connect() as conn:
            # The rows went in below the ORM, so the session hook did not index them: rebuild, as the
            # migration does for an existing ledger.
            search.rebuild(conn)
            conn.commit()
        indexed = time.perf_counter()
        with db.engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # autocommit: ANALYZE and checkpoint run on their own
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    done = time.perf_counter()
    return {
        "migrate_s": migrated - started,
        "load_s": loaded - migrated,
        "index_s": indexed - loaded,
        "analyze_s": done - indexed,
        "total_s": done - started,
        "parties": party_id,
    }


def _cumulate(weights: Iterable[float]) -> Iterator[float]:
    total = 0
    for w in weights:
        total += w
        yield total


# --- what to look for ------------------------------------------------------------------------------


@dataclass
class Facts:
    """Numbers the responses are checked against, read straight from the database."""

    cases: int
    parties: int
    first_number: str | None
    filter_count: int
    filter_first: str | None
    search_count: int
    search_first: str | None
    rare_name: str
    rare_number: str
    town_cases: int
    town_first: str | None
    town_search_count: int
    baseline_search_rows: int = 0
    baseline_rare_rows: int = 0
    answer_count: int = 0
    answer_first: str | None = None


def read_facts(path: Path) -> Facts:
    """Query the expected counts and first rows with plain sqlite3 (the same order as CaseView)."""
    conn = sqlite3.connect(path)
    one = conn.execute

    def first_of(sql: str, params: Any = ()) -> Any:
        row = one(sql, params).fetchone()
        return row[0] if row else None

    order = "ORDER BY accepted_on DESC, id DESC LIMIT 1"
    match = "(instr(number, ?) > 0 OR instr(party_names, ?) > 0 OR instr(summary, ?) > 0)"
    cases = one("SELECT count(*) FROM dispute_case").fetchone()[0]
    parties = one("SELECT count(*) FROM party").fetchone()[0]
    first = first_of(f"SELECT number FROM dispute_case {order}")  # noqa: S608
    flt = "status = 'mediating' AND risk_level = 'high'"
    filter_count = one(f"SELECT count(*) FROM dispute_case WHERE {flt}").fetchone()[0]  # noqa: S608
    filter_first = first_of(f"SELECT number FROM dispute_case WHERE {flt} {order}")  # noqa: S608
    term = (SEARCH_TERM,) * 3
    search_count = one(f"SELECT count(*) FROM dispute_case WHERE {match}", term).fetchone()[0]  # noqa: S608
    search_first = first_of(f"SELECT number FROM dispute_case WHERE {match} {order}", term)  # noqa: S608
    # A rare full name: a rare or compound surname, on exactly one party and matching one case.
    rare_name = rare_number = ""
    rare = tuple(data.RARE_SURNAMES) + tuple(data.COMPOUND_SURNAMES)
    where = " OR ".join("name LIKE ?" for _ in rare)
    candidates = one(
        f"SELECT name FROM party WHERE {where} GROUP BY name HAVING count(*) = 1 ORDER BY name",  # noqa: S608
        [f"{s}%" for s in rare],
    ).fetchall()
    for (name,) in candidates:
        if len(name) < 3:
            continue
        rows = one(f"SELECT number FROM dispute_case WHERE {match} LIMIT 2", (name,) * 3).fetchall()  # noqa: S608
        if len(rows) == 1:
            rare_name, rare_number = name, rows[0][0]
            break
    scope = (
        "organization_id IN (SELECT id FROM organization WHERE path LIKE "
        "(SELECT path FROM organization WHERE code = ?) || '%')"
    )
    town_cases = one(f"SELECT count(*) FROM dispute_case WHERE {scope}", (SCOPED_TOWNSHIP,)).fetchone()[0]  # noqa: S608
    town_first = first_of(f"SELECT number FROM dispute_case WHERE {scope} {order}", (SCOPED_TOWNSHIP,))  # noqa: S608
    town_search_count = one(
        f"SELECT count(*) FROM dispute_case WHERE {scope} AND {match}",  # noqa: S608
        (SCOPED_TOWNSHIP, *term),
    ).fetchone()[0]

    # The stock search joins the parties, so it counts (case, party) rows, not cases.
    def joined_rows(term: str) -> int:
        return one(
            "SELECT count(*) FROM dispute_case LEFT OUTER JOIN party ON dispute_case.id = party.case_id "
            "WHERE lower(dispute_case.number) LIKE ? OR lower(dispute_case.summary) LIKE ? "
            "OR lower(party.name) LIKE ?",
            (f"%{term}%",) * 3,
        ).fetchone()[0]

    answered = (
        "dispute_type_id = (SELECT id FROM dispute_type WHERE code = '13') "
        "AND json_type(answers, '$.injured_count') = 'integer' "
        "AND json_extract(answers, '$.injured_count') >= 3"
    )
    answer_count = one(f"SELECT count(*) FROM dispute_case WHERE {answered}").fetchone()[0]  # noqa: S608
    answer_first = first_of(f"SELECT number FROM dispute_case WHERE {answered} {order}")  # noqa: S608
    baseline_rows = joined_rows(SEARCH_TERM)
    baseline_rare_rows = joined_rows(rare_name) if rare_name else 0
    conn.close()
    return Facts(
        cases,
        parties,
        first,
        filter_count,
        filter_first,
        search_count,
        search_first,
        rare_name,
        rare_number,
        town_cases,
        town_first,
        town_search_count,
        baseline_rows,
        baseline_rare_rows,
        answer_count,
        answer_first,
    )


# --- the stock baseline ----------------------------------------------------------------------------


class BaselineCaseView(ModelView):
    """A stock Flask-Admin view of the ledger, configured the way the docs suggest; bench only."""

    column_list = (
        "number",
        "accepted_on",
        "dispute_type",
        "summary",
        "organization",
        "status",
        "risk_level",
        "deadline",
    )
    column_searchable_list = ["number", "summary", "parties.name"]
    column_filters = ["status", "risk_level"]
    column_default_sort = ("accepted_on", True)
    page_size = 20
    can_create = can_edit = can_delete = False

    def is_accessible(self) -> bool:
        return current_user.is_authenticated


def add_baseline(app: Flask) -> BaselineCaseView:
    """Register the baseline view on the app's Admin (before the first request)."""
    admin = app.extensions["admin"][0]
    view = BaselineCaseView(Case, db, name="基准台账", endpoint="baseline_cases")
    with app.app_context():
        admin.add_view(view)
    return view


def filter_args(view: Any, wanted: dict[str, str]) -> dict[str, str]:
    """Return ?flt<n>_<arg>=value for the equality filters named by label or column name.

    The argument name is looked up from the view's `_filters` at run time, so it follows any change
    to `column_filters`.
    """
    args: dict[str, str] = {}
    for pos, (name, value) in enumerate(wanted.items()):
        for index, flt in enumerate(view._filters):
            column = getattr(flt, "column", None)
            names = {str(flt.name), getattr(column, "key", None)}
            if isinstance(flt, sqla_filters.FilterEqual) and name in names:
                if getattr(flt, "enum_class", None) is not None:  # stock enum filters take member names
                    value = flt.enum_class(value).name
                args[f"flt{pos}_{view.get_filter_arg(index, flt)}"] = value
                break
        else:
            raise LookupError(f"{type(view).__name__} has no equality filter {name!r}")
    return args


def answer_args(view: Any, condition: str) -> dict[str, str]:
    """Return the filter arguments for 纠纷类型 = 道路交通事故纠纷 and an 附加信息条件."""
    with view.admin.app.app_context():
        traffic = db.session.scalar(select(DisputeType.id).where(DisputeType.code == "13"))
    args = {}
    for pos, label in enumerate(("纠纷类型", "附加信息条件")):
        index, flt = next((i, f) for i, f in enumerate(view._filters) if str(f.name) == label)
        args[f"flt{pos}_{view.get_filter_arg(index, flt)}"] = str(traffic) if pos == 0 else condition
    return args


# --- timing ----------------------------------------------------------------------------------------


class SqlLog:
    """Record the SQL statements of a request, classified as the count query, the page query or other."""

    def __init__(self, engine: Any) -> None:
        self.statements: list[tuple[str, str, Any]] = []
        event.listen(engine, "after_cursor_execute", self._after)

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        self.statements.append((classify(statement), statement, parameters))


def classify(statement: str) -> str:
    """Name a statement of a list request: the ledger's count query, its page query, or other."""
    if "dispute_case" not in statement:
        return "other"
    if statement.lstrip().startswith("SELECT count("):
        return "count"
    if "LIMIT" in statement:
        return "page"
    return "other"


def replay(path: Path, statements: list[tuple[str, str, Any]], repeat: int) -> dict[str, float]:
    """Re-run a request's SELECTs with plain sqlite3, fetching every row; return ms per kind.

    Timing cursor events would miss the work SQLite does while rows are fetched (a LIMIT query
    walks the table as the rows are read), so the statements are replayed to completion instead.
    """
    conn = sqlite3.connect(path)
    spent = {"count": 0.0, "page": 0.0, "other": 0.0}
    for kind, statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        conn.execute(statement, parameters).fetchall()
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute(statement, parameters).fetchall()
            runs.append((time.perf_counter() - started) * 1000)
        spent[kind] += statistics.median(runs)
    conn.close()
    return spent


@dataclass
class Result:
    """Timings of one scenario, in milliseconds."""

    label: str
    totals: list[float]
    sql: dict[str, float]
    statements: list[tuple[str, str, Any]]

    @property
    def p50(self) -> float:
        return statistics.median(self.totals)

    @property
    def p90(self) -> float:
        ordered = sorted(self.totals)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def python(self) -> float:
        """The p50 less the SQL: view code, ORM, formatters and template rendering."""
        return self.p50 - sum(self.sql.values())


ROW_MARK = "人调字第"
LABEL_WIDTH = 36


def pad(text: str, width: int = LABEL_WIDTH) -> str:
    """Left-justify to a terminal width, counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def time_page(
    client: FlaskClient,
    log: SqlLog,
    path: Path,
    label: str,
    url: str,
    repeat: int,
    warmup: int,
    check: Callable[[str], None],
) -> Result:
    """GET the url warm-up + repeat times; check the body once; time its SQL; return the timings."""
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, f"{label}: HTTP {response.status_code} for {url}"
    check(response.get_data(as_text=True))
    totals: list[float] = []
    for _ in range(repeat):
        log.statements = []
        started = time.perf_counter()
        response = client.get(url)
        totals.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{label}: HTTP {response.status_code}"
    statements = list(log.statements)  # the last timed request's; the next warm-up appends
    return Result(label, totals, replay(path, statements, max(3, repeat // 4)), statements)


def expect(count: int | None, first: str | None = None, rows: int | None = None) -> Callable[[str], None]:
    """Return a body check: the list count shown, the first row's number, the number of rows."""

    def check(body: str) -> None:
        if count:  # Flask-Admin shows "(n)" only when n > 0
            assert f"({count})" in body, f"expected count ({count}) not shown"
        if first is not None:
            assert first in body, f"expected row {first} missing"
        if rows is not None:
            shown = body.count(ROW_MARK)
            assert shown == rows, f"expected {rows} rows, page shows {shown}"

    return check


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed ({response.status_code})"
    return client


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200_000, help="cases to build (default 200,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per scenario (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per scenario first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the ledger")
    parser.add_argument("--db", type=Path, help="SQLite file: reused if it has a ledger, else built there")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock view (quick runs)")
    return parser.parse_args(argv)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[Path]:
    """Yield the database file: --db as given, else one in a temporary directory (kept with --keep)."""
    if args.db:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        yield args.db.resolve()
        return
    tmp = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    if args.keep:
        print(f"keeping the database: rerun with --db {tmp / 'ledger.sqlite3'}")
    try:
        yield tmp / "ledger.sqlite3"
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def has_ledger(path: Path) -> bool:
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT count(*) FROM dispute_case").fetchone()[0])
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args) as path:
        url = f"sqlite:///{path}"
        build: dict[str, Any] | None = None
        if has_ledger(path):
            print(f"reusing {path}")
        else:
            print(f"building {args.cases:,} cases in {path} …", flush=True)
            build = build_ledger(bench_app(url), args.cases, args.seed)
            print(
                f"built in {build['total_s']:.1f} s (migrate {build['migrate_s']:.1f} s, "
                f"load {build['load_s']:.1f} s, search index {build['index_s']:.1f} s, "
                f"analyze {build['analyze_s']:.1f} s), "
                f"{build['parties']:,} parties",
                flush=True,
            )
        facts = read_facts(path)
        results = run(args, path, facts)
        report(args, path, facts, build, results)
    return 0


def run(args: argparse.Namespace, db_path: Path, facts: Facts) -> dict[str, Result]:
    app = bench_app(f"sqlite:///{db_path}")
    baseline = None if args.no_baseline else add_baseline(app)
    ours = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "cases")
    with app.app_context():
        log = SqlLog(db.engine)
    client = login(app, "bench_admin")
    town = login(app, "bench_town")
    page = min(20, facts.cases)
    wanted = {"办理状态": "mediating", "风险等级": "high"}
    search = urlencode({"search": SEARCH_TERM})
    rare = urlencode({"search": facts.rare_name})
    n, w = args.repeat, args.warmup
    results: dict[str, Result] = {}

    def go(key: str, label: str, who: FlaskClient, path: str, check: Callable[[str], None]) -> None:
        results[key] = time_page(who, log, db_path, label, path, n, w, check)
        r = results[key]
        print(f"  {pad(label)} p50 {r.p50:8.1f} ms   p90 {r.p90:8.1f} ms", flush=True)

    print(f"timing: {w} warm-up + {n} timed requests per scenario")
    go("list", "portal list", client, "/admin/cases/", expect(facts.cases, facts.first_number, page))
    flt = urlencode(filter_args(ours, wanted))
    go(
        "filter",
        "portal filter 调解中+高风险",
        client,
        f"/admin/cases/?{flt}",
        expect(facts.filter_count, facts.filter_first, min(20, facts.filter_count)),
    )
    go(
        "search",
        f"portal search {SEARCH_TERM}",
        client,
        f"/admin/cases/?{search}",
        expect(facts.search_count, facts.search_first, min(20, facts.search_count)),
    )
    if facts.rare_name:
        go(
            "rare",
            f"portal search {facts.rare_name}",
            client,
            f"/admin/cases/?{rare}",
            expect(1, facts.rare_number, 1),
        )
    go(
        "town_list",
        f"portal list ({SCOPED_TOWNSHIP} admin)",
        town,
        "/admin/cases/",
        expect(facts.town_cases, facts.town_first, min(20, facts.town_cases)),
    )
    go(
        "town_search",
        f"portal search {SEARCH_TERM} ({SCOPED_TOWNSHIP} admin)",
        town,
        f"/admin/cases/?{search}",
        expect(facts.town_search_count, None, min(20, facts.town_search_count)),
    )
    answer_filter = {**filter_args(ours, {}), **answer_args(ours, ANSWER_CONDITION)}
    go(
        "answer",
        f"portal filter 交通事故 {ANSWER_CONDITION}",
        client,
        f"/admin/cases/?{urlencode(answer_filter)}",
        expect(facts.answer_count, facts.answer_first, min(20, facts.answer_count)),
    )
    if baseline is not None:
        bflt = urlencode(filter_args(baseline, {"status": "mediating", "risk_level": "high"}))
        go("b_list", "stock list", client, "/admin/baseline_cases/", expect(facts.cases, None, page))
        go(
            "b_filter",
            "stock filter 调解中+高风险",
            client,
            f"/admin/baseline_cases/?{bflt}",
            expect(facts.filter_count, facts.filter_first, min(20, facts.filter_count)),
        )
        go(
            "b_search",
            f"stock search {SEARCH_TERM}",
            client,
            f"/admin/baseline_cases/?{search}",
            expect(facts.baseline_search_rows, None, None),
        )
        if facts.rare_name:
            go(
                "b_rare",
                f"stock search {facts.rare_name}",
                client,
                f"/admin/baseline_cases/?{rare}",
                expect(facts.baseline_rare_rows, facts.rare_number, None),
            )
    return results


def report(
    args: argparse.Namespace,
    path: Path,
    facts: Facts,
    build: dict[str, Any] | None,
    results: dict[str, Result],
) -> None:
    print()
    print(
        f"ledger: {facts.cases:,} cases, {facts.parties:,} parties, SQLite {sqlite3.sqlite_version}; "
        f"'{SEARCH_TERM}' matches {facts.search_count:,} cases, "
        f"调解中+高风险 {facts.filter_count:,}, {SCOPED_TOWNSHIP} subtree {facts.town_cases:,}"
    )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (other processes skew the figures)")
    print(
        "ms; count/page/other: the request's SQL replayed to the last row (count query, page query, the\n"
        "rest: user, filter options …); py = p50 − SQL (view code, ORM loading, formatters, Jinja;\n"
        "a negative py means the replayed SQL ran slower than the timed requests: noise)"
    )
    columns = ("p50", "p90", "count", "page", "other", "py", "stmts")
    header = pad("scenario") + "".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(
            f"{pad(r.label)}{r.p50:8.1f}{r.p90:8.1f}{r.sql['count']:8.1f}{r.sql['page']:8.1f}"
            f"{r.sql['other']:8.1f}{r.python:8.1f}{len(r.statements):8d}"
        )
    pairs = [("list", "b_list"), ("filter", "b_filter"), ("search", "b_search"), ("rare", "b_rare")]
    compared = [(a, b) for a, b in pairs if a in results and b in results]
    if compared:
        print()
        print(f"{pad('p50: portal vs stock ModelView')}{'portal':>8}{'stock':>8}{'speed-up':>10}")
        for a, b in compared:
            mine, stock = results[a].p50, results[b].p50
            print(f"{pad(results[a].label)}{mine:8.1f}{stock:8.1f}{stock / mine:9.2f}x")
    target = 150.0
    over = [r.label for k, r in results.items() if not k.startswith("b_") and r.p50 > target]
    print()
    print(f"target p50 ≤ {target:.0f} ms: " + ("met" if not over else "MISSED by " + ", ".join(over)))
    slower = [
        results[a].label for a, b in compared if a in ("search", "rare") and results[a].p50 >= results[b].p50
    ]
    if compared:
        print("search faster than stock: " + ("yes" if not slower else "NO for " + ", ".join(slower)))
    summary: dict[str, Any] = {
        "cases": facts.cases,
        "list_p50_ms": round(results["list"].p50, 1),
        "filter_p50_ms": round(results["filter"].p50, 1),
        "search_p50_ms": round(results["search"].p50, 1),
        "baseline_search_p50_ms": round(results["b_search"].p50, 1) if "b_search" in results else None,
        "search_speedup": (
            round(results["b_search"].p50 / results["search"].p50, 2) if "b_search" in results else None
        ),
    }
    extra = {
        "rare_search_p50_ms": "rare",
        "answer_filter_p50_ms": "answer",
        "scoped_list_p50_ms": "town_list",
        "scoped_search_p50_ms": "town_search",
        "baseline_list_p50_ms": "b_list",
        "baseline_filter_p50_ms": "b_filter",
        "baseline_rare_search_p50_ms": "b_rare",
    }
    for key, name in extra.items():
        if name in results:
            summary[key] = round(results[name].p50, 1)
    if build:
        summary["build_s"] = round(build["total_s"], 1)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    raise SystemExit(main())
