"""The authorisation matrix: every route of the URL map × every role × ids of the user's own township and
of the other one.

The routes come from `app.url_map` and are classified in tests/security/routes.py, so a new route is in
the matrix at once, or fails `test_every_route_is_classified` with a note saying how to classify it.
For each role (one test each, looping over the routes and collecting every mismatch):

- anonymous: every route but the public ones sends the visitor to the sign-in page (401 allowed for a
  non-HTML client), for GET and POST alike;
- a role the route is not for: the Chinese 403 page, for GET and POST;
- a township user and the other township's ids (details, edit, steps, prints, exports, bulk actions,
  deletes, batch prints …): 404 (a bulk action or a disabled page may redirect), and nothing changes;
- a township user and its own ids: the page opens (PDFs and batch jobs excepted, for time), and neither it
  nor a list, sheet or csv shows a record of the other township.

Every POST is followed by a row count of every table (every change is audited, so a change adds rows),
and each role's sweep ends with a hash of every row: refused requests, and page views, change nothing
(exports only add their audit row).
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import openpyxl
import pytest
from flask import Flask

from portal.extensions import db
from portal.models import Mediator, Recognition
from tests.security import fingerprint
from tests.security.conftest import signed_in
from tests.security.routes import (
    PUBLIC,
    RECORDS,
    SIGNED_IN,
    TOWNSHIP_USERS,
    USERS,
    admin_rules,
    build_path,
    expected,
    methods,
    spec_of,
    unclassified,
)
from tests.security.world import World

CHINESE_403 = "无权访问"
CHINESE_404 = "未找到"


def test_every_route_is_classified(world_app):
    """A new route fails here until tests/security/routes.py says who may use it (see the note)."""
    notes = unclassified(world_app)
    assert not notes, "Routes the security matrix does not know:\n" + "\n".join(notes)


def _ids(world: World, foreign: bool) -> dict[str, int]:
    return {**world.shared, **(world.foreign if foreign else world.own), "honour_year": world.honour_year}


def _url(path: str, query: dict | None) -> str:
    return path + ("?" + urlencode(query, doseq=True) if query else "")


def _is_sign_in_redirect(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith("/login")


def test_anonymous_is_sent_to_sign_in_everywhere_but_the_public_pages(world_app, world):
    client = signed_in(world_app, None)
    ids = _ids(world, foreign=False)
    failures = []
    for rule in world_app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        spec = spec_of(rule.endpoint)
        path = build_path(rule, spec)
        query = spec.query(ids) if spec and spec.query else None
        for method in sorted(methods(rule)):
            url = _url(path, query)
            response = client.open(url, method=method, data=spec.form(ids) if spec and spec.form else None)
            if not (_is_sign_in_redirect(response) or response.status_code == 401):
                failures.append(f"anonymous {method} {url}: {response.status_code} {response.location or ''}")
    # The public pages answer anonymous visitors themselves.
    for url, status in [
        ("/login", 200),
        ("/verify/", 200),
        ("/verify/NO-SUCH-CODE", 404),
        ("/static/js/portal.js", 200),
        ("/healthz", 200),
    ]:
        with client.get(url) as response:
            if response.status_code != status:
                failures.append(f"anonymous GET {url}: {response.status_code}, expected {status}")
    assert not failures, "\n".join(failures)


def _opens_pages(username: str, spec, blueprint: str) -> bool:
    """Return whether `username` is the township user who opens the route with its own ids: the first of
    TOWNSHIP_USERS allowed to use it (one page view per route keeps the matrix fast)."""
    for user in TOWNSHIP_USERS:
        if expected(spec, blueprint, user, foreign=False) - {403, 404}:
            return user == username
    return False


#: Every record of the other township (LL) carries its name: its organisations, people, experts, reviews.
OTHER_TOWNSHIP = "柳林"
EXAMPLE = re.compile(r"如：[^<\"]*")


def _other_township_in(response) -> str | None:
    """Return what of the other township a page, a sheet or a file shows (None: nothing)."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        cells = (
            str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
        )
        text = "\n".join(cells)
    elif response.mimetype in ("text/html", "text/csv", "application/json"):
        # A form's example (“如：柳林镇后王村…”, the help of a review's title) names a place, not a record.
        text = EXAMPLE.sub("", response.get_data(as_text=True))
    else:
        return None
    found = sorted({line.strip()[:60] for line in text.splitlines() if OTHER_TOWNSHIP in line})
    return f"records: {found[:3]}" if found else None


def _sweep(app: Flask, world: World, username: str) -> list[str]:
    """Request every classified route as `username`; return the mismatches."""
    client = signed_in(app, username)
    local = USERS[username][1]
    failures: list[str] = []
    before_all = fingerprint.snapshot(app, exports=False)
    rows: tuple[int, ...] | None = None
    sides = [False, True] if local else [False]
    for rule, spec, blueprint in admin_rules(app):
        path = build_path(rule, spec)
        for foreign in sides:
            scoped = spec.record in world.foreign and RECORDS.get(blueprint) is not None
            if foreign and not scoped:
                continue
            ids = _ids(world, foreign)
            want = expected(spec, blueprint, username, foreign)
            refusal = want <= {403, 404} or foreign
            url = _url(path, spec.query(ids) if spec.query else None)
            for method in sorted(methods(rule)):
                if not refusal and not (
                    method == "GET" and spec.render and _opens_pages(username, spec, blueprint)
                ):
                    continue  # allowed: one township user opens each page (see the module's docstring)
                data = spec.form(ids) if spec.form and method == "POST" else None
                if method != "GET" and rows is None:
                    rows = fingerprint.counts(app)  # a page view before may have added an export's audit row
                response = client.open(url, method=method, data=data)
                side = "foreign" if foreign else "own"
                if response.status_code not in want:
                    got = response.status_code
                    failures.append(f"{username} {method} {url} ({side} ids): {got}, expected {sorted(want)}")
                elif response.status_code == 403 and CHINESE_403 not in response.text:
                    failures.append(f"{username} {method} {url}: 403 without the Chinese page")
                elif not refusal and (leaked := _other_township_in(response)):
                    failures.append(f"{username} GET {url} shows the other township's {leaked}")
                if method == "GET":
                    rows = None
                elif refusal:
                    if (now := fingerprint.counts(app)) != rows:
                        failures.append(
                            f"{username} {method} {url} ({side} ids) was refused but changed rows"
                        )
                    rows = now
    changed = fingerprint.changed(before_all, fingerprint.snapshot(app, exports=False))
    if changed:
        failures.append(f"{username}: the sweep changed {changed} (page views and refused requests must not)")
    return failures


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_role_gets_only_its_routes_and_its_subtree(world_app, world, username):
    failures = _sweep(world_app, world, username)
    assert not failures, f"{len(failures)} mismatches for {username}:\n" + "\n".join(failures)


def test_township_users_are_in_the_matrix():
    """Every role exists at a township, where the other township's ids are out of scope."""
    assert {USERS[u][0] for u in TOWNSHIP_USERS} == {"admin", "evaluator", "clerk", "entry"}
    assert SIGNED_IN <= {"home", "admin.index", "auth.change_password", "auth.logout"}


# --- ids of the other township hidden inside a request about one's own record -----------------------


def test_another_townships_record_inside_ones_own_is_404(world_app, world):
    """A step of one's own review naming the other review's responsible party, one's own round with the
    other round's assessment, one's own screening record or meeting with the other's finding or decision,
    a case registered from the other township's finding: 404, nothing changes."""
    client, entry = signed_in(world_app, "evaluator_a"), signed_in(world_app, "entry_a")
    own, foreign = world.own, world.foreign
    before = fingerprint.snapshot(world_app)
    urls = [
        ("GET", f"/admin/reviews/act/revise_party/?id={own['review']}&party={foreign['review_party']}"),
        ("POST", f"/admin/reviews/act/withdraw_party/?id={own['review']}&party={foreign['review_party']}"),
        ("POST", f"/admin/reviews/act/unlink_case/?id={own['review']}&link={foreign['review_case']}"),
        (
            "POST",
            f"/admin/assessment_rounds/print/evaluation/?id={own['round']}&assessment={foreign['assessment']}",
        ),
    ]
    urls_of_entry = [
        ("GET", f"/admin/cases/new/?finding={foreign['finding']}"),
        (
            "POST",
            f"/admin/screening_records/act/dismiss/?id={own['screening_record']}&finding={foreign['finding']}",
        ),
        ("POST", f"/admin/meetings/act/assign/?id={own['meeting']}&decision={foreign['decision']}"),
        ("POST", f"/admin/meetings/act/withdraw/?id={own['meeting']}&decision={foreign['decision']}"),
    ]
    for who, (method, url) in [(client, u) for u in urls] + [(entry, u) for u in urls_of_entry]:
        response = who.open(url, method=method, data={"reason": "安全测试", "lock_version": "1"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert CHINESE_404 in response.text
    assert fingerprint.changed(before, fingerprint.snapshot(world_app)) == []


def test_nominating_another_townships_mediator_is_404_and_names_nobody(world_app, world):
    """Regression: the nomination looked the mediator up unscoped and flashed the refusal with the
    other township's mediator's name (柳林调解员), so any id told a name."""
    client = signed_in(world_app, "evaluator_a")
    response = client.post(
        "/admin/recognitions/nominate/",
        data={"mediator_id": world.foreign["mediator"], "year": world.honour_year, "reason": "安全测试"},
    )
    assert response.status_code == 404
    name = db.session.get(Mediator, world.foreign["mediator"]).name
    assert name not in response.text
    assert name not in client.get("/admin/recognitions/").text  # nor in a flashed message
    assert db.session.query(Recognition).count() == 2  # the world's two honours only


OFF_SITE = [
    "http:evil.example",
    "https:evil.example",
    "//evil.example/",
    "/\\evil.example",
    "/\t/evil.example",
]


def test_return_addresses_never_lead_off_the_site(world_app, world):
    """Regression: Flask-Admin took `?url=http:evil.example` for a path of the site and redirected to
    `http:///evil.example`, which browsers open as evil.example: a link to a register page whose details or
    edit page redirects (零报告) sent a user, once signed in, wherever the link said."""
    admin = signed_in(world_app, "admin")
    report = world.own["zero_report"]
    for target in OFF_SITE:
        for method, url, query, data in [
            ("GET", "/admin/zero_reports/details/", {"id": report}, None),
            ("GET", "/admin/zero_reports/edit/", {"id": report}, None),
            ("POST", "/admin/mediators/action/", {}, {"action": "retire", "rowid": []}),
            ("POST", "/admin/mediators/delete/", {}, {"id": world.own["mediator"]}),
        ]:
            response = admin.open(url, method=method, query_string={**query, "url": target}, data=data)
            location = response.headers.get("Location", "/")
            seen = re.sub(r"[\x00-\x1f]", "", location).replace("\\", "/")
            assert seen.startswith("/") and not seen.startswith("//"), (method, url, target, location)
    # The site's own return addresses still work.
    back = admin.post(
        "/admin/mediators/action/", data={"action": "retire", "rowid": [], "url": "/admin/mediators/?page=1"}
    )
    assert back.headers["Location"] == "/admin/mediators/?page=1"


def test_a_township_admin_reads_but_cannot_change_the_countys_catalogues(world_app, world):
    """Regression: dispute types, forms, assessment templates, subsidy tiers and recognition criteria
    serve every township; a township's administrator could change them (the subsidy amounts too)."""
    client = signed_in(world_app, "admin_a")
    before = fingerprint.snapshot(world_app)
    for register, key in [
        ("dispute_types", "dispute_type"),
        ("assessment_templates", "assessment_template"),
        ("subsidy_policy", "subsidy_policy"),
        ("recognition_criteria", "recognition_criteria"),
    ]:
        assert client.get(f"/admin/{register}/").status_code == 200, register
        edit = f"/admin/{register}/edit/?id={world.shared[key]}"
        assert client.get(edit).status_code == 403, register
        assert client.post(edit, data={"simple_amount": "99999", "name": "改名"}).status_code == 403, register
        assert client.get(f"/admin/{register}/new/").status_code == 403, register
    assert client.get("/admin/form_definitions/").status_code == 403
    field = f"/admin/form_definitions/op/?id={world.shared['form_definition']}"
    assert client.post(field, data={"op": "add_section", "title": "篡改"}).status_code == 403
    assert fingerprint.changed(before, fingerprint.snapshot(world_app)) == []
    county = signed_in(world_app, "admin")
    assert county.get(f"/admin/subsidy_policy/edit/?id={world.shared['subsidy_policy']}").status_code == 200
