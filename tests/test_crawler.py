"""Crawler: every route of the URL map, with valid and garbage input, answers below 500.

Routes are read from `app.url_map`, so a new view or `@expose` page is crawled without editing this file.
Valid path and query arguments are harvested from the links of the pages themselves (a list links to
its details, a details page to its steps and documents), starting from every route that needs no path
argument; each route is then requested with those arguments and with garbage in place of them: wrong
types, numbers beyond 64 bits, negative numbers, unknown enum values, control characters, very long
and odd unicode text, and every list filter of the view set to garbage at once. The garbage is sampled
with a fixed seed per route, so a failure repeats. It runs signed in as the county administrator and
as a township's data-entry user (who is also handed the administrator's links, ids outside its scope),
and anonymously. Every POST route then gets garbage in its form fields and its `id`.
"""

from __future__ import annotations

import html
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from portal.extensions import db
from portal.models import (
    IncidentKind,
    IssuedDocument,
    Meeting,
    MeetingKind,
    PrintJob,
    RecordResult,
    ScreeningFinding,
    ScreeningKind,
    ScreeningPlan,
    ScreeningRecord,
)
from portal.models.assessment import PeriodKind
from portal.models.document import DocumentKind
from portal.models.print_job import PrintJobKind, PrintJobStatus
from portal.services import (
    assignments,
    documents,
    formdefs,
    meetings,
    review_steps,
    scoring,
    screening,
    screening_plans,
    standard_templates,
)
from portal.services.deadlines import local_today
from tests.assessment_ledger import failed, in_mediation, settled
from tests.auth.conftest import fresh_client
from tests.conftest import PASSWORD
from tests.factories import County, honour, new_case

ROOT = Path(__file__).resolve().parent.parent

HUGE = 10**30
GARBAGE = [
    "abc",
    "-1",
    "0",
    str(HUGE),
    str(-HUGE),
    str(2**63),
    "99999999999999999999999",
    "1.5",
    "1e400",
    "nan",
    "inf",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x1f",
    "\x7f",
    "x" * 3000,
    "中文测试" * 50,
    "\u202e\ufeff\U0001f600",
    "true",
    "是",
    "2026-13-45",
    "0001-01-01",
    "9999-12-31",
    "²",
    "[]",
    "{}",
    "%",
    "%00",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "//evil.example/",
    "javascript:alert(1)",
    "unknown_enum_value",
]
# Query keys every route gets garbage in, besides those its own links use and its view's filters.
GENERIC_KEYS = [
    "id",
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "url",
    "next",
    "year",
    "month",
    "kind",
    "format",
    "version",
    *(f"flt{pos}_{idx}" for pos in range(3) for idx in range(6)),
]
# Each argument a route's links carry (and `id`) is tried with each of these.
SHARP = [str(HUGE), "abc", "a\x00b", "²"]
SAMPLES_PER_ROUTE = 3
# Form fields a POST route gets garbage in (CSRF is off in tests, so the handlers see the values).
POST_KEYS = [
    "id",
    "year",
    "round_id",
    "assessment",
    "link",
    "party",
    "lock_version",
    "reason",
    "name",
    "op",
    "key",
    "section",
    "action",
    "rowid",
    "url",
    "next",
    "line",
    "amount",
    "paid_on",
    "payment_method",
    "organization",
    "period",
]
FILTER_SAMPLES = 3
LINK = re.compile(r'(?:href|src|action|data-url)="([^"]+)"')


def _build_ledger() -> None:
    """Add to the shared county what the crawler should walk through: the dispute forms, cases from
    registered to settled and failed, an assessment round with its evidence, a review, a recognition,
    an issued document and a finished print job."""
    county = County.load(db.session)
    today = local_today()
    formdefs.load_path(db.session, ROOT / "forms", None)
    entry_a, entry_b = county.users["entry_a"], county.users["entry_b"]
    new_case(db.session, entry_a, county.mj, today=today, parties=("甲某", "乙某"))
    mj_people, ll_people = [county.mediators["马集调解员"]], [county.mediators["柳林调解员"]]
    in_mediation(db.session, entry_a, county.mj, mj_people, today - timedelta(days=3))
    settled(db.session, entry_a, county.mj, mj_people, today - timedelta(days=40))
    failed(db.session, entry_b, county.ll, ll_people, today - timedelta(days=30))
    ll_case = new_case(db.session, entry_b, county.ll, today=today, parties=("丙某", "丁某"))
    templates = {t.target_kind.value: t for t in standard_templates.install(db.session)}
    db.session.commit()
    evaluator = county.users["evaluator"]
    rnd = scoring.open_round(
        db.session,
        evaluator,
        template=templates["mediator"],
        period_kind=PeriodKind.YEAR,
        year=today.year,
        targets=[county.mediators["马集调解员"], county.mediators["柳林调解员"]],
        today=today,
    )
    review = review_steps.open_review(
        db.session,
        evaluator,
        title="柳林镇越级上访倒查",
        incident_kind=IncidentKind.PETITION,
        incident_at=datetime.now(UTC) - timedelta(days=2),
        incident_place="市信访局",
        people_involved="王某某",
        description="赴市上访",
        cases=[ll_case],
        today=today,
    )
    review_steps.investigate(db.session, review, evaluator, investigators="张科长")
    rec = honour(db.session, county.mediators["马集调解员"], 1, year=today.year - 1)
    db.session.flush()
    document = IssuedDocument(
        kind=DocumentKind.CERTIFICATE,
        subject_type="recognition",
        subject_id=rec.id,
        title="调解能手荣誉证书",
        number=rec.serial,
        masked_name="马**",
        serial=documents.new_serial(),
        sha256="0" * 64,
        pages=1,
        organization=county.root,
        issued_by=county.users["admin"],
        issued_by_name="系统管理员",
    )
    job = PrintJob(
        kind=PrintJobKind.EVALUATIONS,
        title=f"考评结果通知书：{rnd.id}",
        parameters={"round_id": rnd.id, "ids": []},
        organization=county.root,
        requested_by_name="系统管理员",
        status=PrintJobStatus.DONE,
        pdf=b"%PDF-1.4\n%%EOF\n",
    )
    db.session.add_all([document, job])
    db.session.commit()
    _build_screening(county, today)
    _build_claim(county, today)


def _build_claim(county: County, today: date) -> None:
    """A 以案定补 claim of 马集 for the last ended quarter, adjusted once (its steps and lines are linked)."""
    from portal.services import subsidy_claims

    period = subsidy_claims.last_ended_period(today)
    start, _end = subsidy_claims.period_bounds(period)
    settled(db.session, county.users["entry_a"], county.mj, [county.mediators["马集调解员"]], start)
    claim = subsidy_claims.declare(db.session, county.users["entry_a"], county.mj, period=period, today=today)
    subsidy_claims.adjust(
        db.session, claim, claim.lines[0], county.users["evaluator"], amount="80", reason="核减"
    )


def _build_screening(county: County, today: date) -> None:
    """A 排查 plan, a record with a pending finding, a 无纠纷 record, minutes with a decision handed out."""
    entry_a, admin = county.users["entry_a"], county.users["admin"]
    plan = ScreeningPlan(
        organization=county.mj,
        kind=ScreeningKind.ROLLING,
        period_start=today,
        period_end=today,
        responsible_person="马集所长",
    )
    screening_plans.prepare_plan(db.session, plan, entry_a, today=today)
    db.session.commit()
    for result, findings in ((RecordResult.FOUND, ["宅基地纠纷"]), (RecordResult.NONE, [])):
        record = ScreeningRecord(
            organization=county.mj,
            plan=plan,
            kind=ScreeningKind.ROLLING,
            screened_on=today,
            situation="走访",
            result=result,
            other_screeners="网格员",
        )
        record.areas = [county.mj_village]
        record.findings = [ScreeningFinding(summary=text, people_involved=2) for text in findings]
        screening.file_record(db.session, record, entry_a, today=today)
    meeting = Meeting(
        organization=county.root,
        kind=MeetingKind.MONTHLY,
        held_on=today,
        place="县司法局",
        host="局长",
        content="研判",
        external_attendees="派出所",
    )
    meetings.record_meeting(db.session, meeting, admin, today=today, decisions="化解\n排查")
    assignments.assign(
        db.session,
        meeting.decisions[0],
        admin,
        organization=county.mj,
        owner_person="所长",
        content=None,
        deadline=today,
        today=today,
    )


class Crawl:
    """Requests of one client, the links seen, and the failures (status >= 500 or an exception)."""

    def __init__(self, app: Flask, client: FlaskClient, who: str) -> None:
        self.app = app
        self.client = client
        self.who = who
        self.adapter = app.url_map.bind("localhost")
        self.failures: list[str] = []
        self.requests = 0

    def get(self, path: str, args: dict[str, str] | list[tuple[str, str]] | None = None) -> str:
        """GET a URL; record a failure; return the text of an HTML answer."""
        self.requests += 1
        url = path + ("?" + urlencode(args) if args else "")
        try:
            response = self.client.get(url)
        except Exception as exc:  # noqa: BLE001 - the crawler reports every crash, not just the first
            self.failures.append(f"{self.who} GET {url[:300]!r}: {type(exc).__name__}: {str(exc)[:300]}")
            db.session.rollback()
            return ""
        if response.status_code >= 500:
            self.failures.append(f"{self.who} GET {url[:300]!r}: {response.status_code}")
        if response.mimetype == "text/html":
            return response.get_data(as_text=True)
        return ""

    def post(self, path: str, args: dict[str, str], data: dict[str, str]) -> None:
        """POST a form; record a failure."""
        self.requests += 1
        url = path + ("?" + urlencode(args) if args else "")
        try:
            response = self.client.post(url, data=data)
        except Exception as exc:  # noqa: BLE001 - the crawler reports every crash, not just the first
            self.failures.append(
                f"{self.who} POST {url[:300]!r} {data}: {type(exc).__name__}: {str(exc)[:300]}"
            )
            db.session.rollback()
            return
        if response.status_code >= 500:
            self.failures.append(f"{self.who} POST {url[:300]!r} {data}: {response.status_code}")

    def harvest(self, text: str, found: dict[str, list[tuple[dict, list]]]) -> list[str]:
        """Collect the GET links of a page by endpoint; return those not seen before."""
        fresh = []
        for raw in LINK.findall(text):
            link = html.unescape(raw)
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            try:
                endpoint, view_args = self.adapter.match(parts.path, method="GET")
            except HTTPException:
                continue
            query = parse_qsl(parts.query, keep_blank_values=True)
            example = (view_args, query)
            if example not in found[endpoint]:
                found[endpoint].append(example)
                fresh.append(link)
        return fresh


def _rule_path(rule: Rule, view_args: dict[str, str]) -> str | None:
    try:
        return rule.build(view_args, append_unknown=False)[1]
    except Exception:  # noqa: BLE001 - a value a converter refuses cannot be requested
        return None


def _filter_keys(app: Flask, endpoint: str) -> list[str]:
    """Return the URL keys of the view's list filters (flt0_<key>)."""
    blueprint = endpoint.split(".", 1)[0]
    for view in app.extensions["admin"][0]._views:
        if view.endpoint == blueprint and getattr(view, "_filter_args", None):
            if not endpoint.endswith((".index_view", ".export")):
                return []
            return [f"flt0_{key}" for key in view._filter_args]
    return []


def crawl(app: Flask, crawl: Crawl, found: dict, rounds: int = 2, per_endpoint: int = 3) -> None:
    """Open every route without path arguments, then follow the links found, a few per endpoint."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    queue = [r.rule for r in rules if not r.arguments]
    for _ in range(rounds):
        next_queue = []
        for link in queue:
            next_queue += crawl.harvest(crawl.get(link), found)
        opened: dict[str, int] = defaultdict(int)
        queue = []
        for link in next_queue:
            endpoint = crawl.adapter.match(urlsplit(link).path, method="GET")[0]
            if opened[endpoint] < per_endpoint and endpoint not in ("admin.static", "static"):
                opened[endpoint] += 1
                queue.append(link)


def fill_gaps(app: Flask, found: dict) -> None:
    """Lend routes no link led to the arguments of their likes: the same page of another view
    (`my_cases.act` from `cases.act`), or the ids of their own view's details page."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or found.get(rule.endpoint):
            continue
        blueprint, _, name = rule.endpoint.rpartition(".")
        likes = [e for ep, examples in found.items() if ep.endswith("." + name) for e in examples]
        likes = [(a, q) for a, q in likes if set(a) == set(rule.arguments)]
        if not likes and not rule.arguments:
            ids = [q for _a, q in found.get(f"{blueprint}.details_view", []) if dict(q).get("id")]
            likes = [({}, [("id", dict(q)["id"])]) for q in ids]
        found[rule.endpoint] = likes[:3]


def hammer(app: Flask, crawl: Crawl, found: dict, only: set[str] | None = None) -> None:
    """Request every GET route (or those of the endpoints `only`) with harvested and garbage arguments."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or (only is not None and rule.endpoint not in only):
            continue
        rng = random.Random(rule.rule)  # noqa: S311 - a fixed, reproducible sample per route
        examples = found.get(rule.endpoint) or []
        if rule.endpoint in ("static", "admin.static"):
            for name in ["../../etc/passwd", "%00", "\x00", "nothing.js", "x" * 500]:
                crawl.get(_rule_path(rule, {"filename": name}) or "/static/")
            continue
        if rule.arguments and not examples:
            examples = [(dict.fromkeys(rule.arguments, "x"), [])]
        paths = set()
        for n, (view_args, query) in enumerate(examples[:2]):
            if n == 0:  # valid ids (for the entry user, perhaps another scope's)
                crawl.get(_rule_path(rule, view_args) or rule.rule, query)
            garbled = {k: rng.choice(GARBAGE) for k in view_args}
            for candidate in (view_args, garbled):
                path = _rule_path(rule, candidate)
                if path:
                    paths.add(path)
        paths_list = sorted(paths) or [rule.rule]
        base_queries = [q for _a, q in examples] or [[]]
        own_keys = sorted({k for _a, q in examples for k, _v in q} | {"id"})
        # Each argument the route's own links carry, and `id`, gets the sharpest garbage in turn.
        for key in own_keys:
            for value in SHARP:
                crawl.get(rng.choice(paths_list), {**dict(rng.choice(base_queries)), key: value})
        # A sample of garbage in a few keys at once, the route's own and the ones every list reads.
        query_keys = sorted(set(own_keys) | set(GENERIC_KEYS))
        for _ in range(SAMPLES_PER_ROUTE):
            args = dict(rng.choice(base_queries))
            for key in rng.sample(query_keys, k=rng.randint(1, 3)):
                args[key] = rng.choice(GARBAGE)
            crawl.get(rng.choice(paths_list), args)
        # Every filter of a list (and its export) set to the same garbage at once.
        filters = _filter_keys(app, rule.endpoint)
        for value in rng.sample(GARBAGE, k=FILTER_SAMPLES) if filters else []:
            crawl.get(paths_list[0], dict.fromkeys(filters, value))


def knock(app: Flask, crawl: Crawl, found: dict) -> None:
    """Anonymous: the public pages get the full treatment, every other route a few garbage requests."""
    public = {"verify.verify", "auth.login"}
    hammer(app, crawl, {e: found.get(e, []) for e in public}, only=public)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in public | {"static", "admin.static"}:
            path = _rule_path(rule, dict.fromkeys(rule.arguments, "x")) or rule.rule
            for value in SHARP:
                crawl.get(path, dict.fromkeys(("id", "next", "url", "flt0_0", "page"), value))


@pytest.fixture
def ledger(app):
    """The shared county with a ledger to crawl, rolled back after the test."""
    _build_ledger()


def _client_as(app: Flask, username: str | None) -> FlaskClient:
    client = fresh_client(app)
    if username:
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302
    return client


def _report(*crawls: Crawl) -> str:
    failures = [f for c in crawls for f in c.failures]
    return f"{len(failures)} of {sum(c.requests for c in crawls)} requests failed:\n" + "\n".join(failures)


@pytest.mark.parametrize("username", ["admin", "entry_a", None])
def test_every_get_route_answers_below_500(app, ledger, username):
    """Valid and garbage input on every GET route: the county's administrator, a township's data-entry
    user (handed the administrator's links too, so ids outside its scope) and an anonymous visitor."""
    if username is None:
        anonymous = Crawl(app, _client_as(app, None), "anonymous")
        serials = db.session.scalars(select(IssuedDocument.serial)).all()
        knock(app, anonymous, {"verify.verify": [({"serial": s}, []) for s in serials]})
        assert not anonymous.failures, _report(anonymous)
        return
    found: dict[str, list] = defaultdict(list)
    admin = Crawl(app, _client_as(app, "admin"), "admin")
    crawl(app, admin, found)
    # The walk reached the deep pages through links, so the ids below are real ones.
    assert {"cases.details_view", "cases.act", "assessment_rounds.evidence", "reviews.act"} <= set(found)
    fill_gaps(app, found)
    if username == "admin":
        hammer(app, admin, found)
        assert not admin.failures, _report(admin)
        return
    user = Crawl(app, _client_as(app, username), username)
    own: dict[str, list] = defaultdict(list)
    crawl(app, user, own)
    for endpoint, examples in found.items():
        own[endpoint] += [e for e in examples if e not in own[endpoint]]
    fill_gaps(app, own)
    hammer(app, user, own)
    assert not admin.failures and not user.failures, _report(admin, user)


def test_every_post_route_answers_below_500(app, ledger):
    """Garbage in the form fields (and the id) of every POST route, with real ids where links gave them."""
    found: dict[str, list] = defaultdict(list)
    admin = Crawl(app, _client_as(app, "admin"), "admin")
    crawl(app, admin, found)
    fill_gaps(app, found)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout", "auth.login"):
            continue
        view_args, query = (found.get(rule.endpoint) or [(dict.fromkeys(rule.arguments, "x"), [])])[0]
        path = _rule_path(rule, view_args) or rule.rule
        for value in SHARP:
            for args in (dict(query), {**dict(query), "id": value}):
                admin.post(path, args, dict.fromkeys(POST_KEYS, value))
    assert not admin.failures, _report(admin)
