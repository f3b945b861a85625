"""The XSS corpus stored everywhere, then every page, export and document searched for it as markup.

The module's world (tests/security/world.py) gets the payloads of tests/security/xss.py in every free-text
column of every row, through the ORM (the audit log then records them as changes too), plus through the
pages: a sign-in with a payload for a user name and browser (the 登录日志), a workflow step's reason
typed into its form, the labels, help texts, options and section titles of a published dispute form whose
answers a case carries, and the 研判意见 of an analysis. Then:

- every GET route of the URL map (classified in tests/security/routes.py, opened by the county user it is
  for, with the world's ids) is parsed: a payload may appear only as text, never as an element, an event
  handler, a `javascript:` link or an evaluated template; every page also passes tests/test_headers.py's
  scan for what the Content-Security-Policy refuses (inline script, handlers, style attributes; the browser
  itself is tests/browser/test_csp_browser.py); the whole crawl changes nothing in the database but the
  audit rows of its exports;
- every xlsx and csv it downloads has no cell that a spreadsheet would run as a formula;
- every kind of official document is rendered to the markup WeasyPrint reads, which must escape the
  payloads the same way, and one is laid out to show the fetcher was asked for nothing but the portal's
  own files.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest
from flask import Flask
from markupsafe import escape

from portal import clock
from portal.extensions import db
from portal.models import Case, DisputeType, IssuedDocument
from portal.models.assessment import Assessment, AssessmentRound
from portal.models.auth import User
from portal.models.base import Base
from portal.models.document import DocumentKind
from portal.models.formdef import FormDefinition
from portal.models.recognition import Recognition
from portal.models.review import AccountabilityReview
from portal.models.subsidy import SubsidyClaim
from portal.pdf import (
    analysis_documents,
    assessment_documents,
    case_documents,
    certificates,
    layout,
    markup_only,
    review_documents,
    subsidy_documents,
)
from portal.pdf.fetcher import PortalFetcher
from portal.services import analysis, analysis_notes, formdefs, subsidy_payments
from portal.services.analysis_periods import default_period
from tests.conftest import PASSWORD
from tests.security import fingerprint
from tests.security.conftest import signed_in
from tests.security.routes import PUBLIC, SIGNED_IN, USERS, admin_rules, build_path, expected, methods
from tests.security.world import World
from tests.security.xss import (
    PAYLOADS,
    csv_formulas_in,
    formulas_in,
    markup_in,
    payload_cells,
    store_everywhere,
    text_columns,
)
from tests.test_headers import scan as csp_problems

LABEL = '<script>xss(20)</script>"><img src=x id=xss21 onerror=xss(21)>'


def payload_form() -> dict:
    """A dispute form whose every label, option, help text and message is a payload."""
    return {
        "choices": {"pick": [{"value": "a", "label": LABEL + "甲"}, {"value": "b", "label": "乙"}]},
        "sections": [
            {
                "title": LABEL + "分组",
                "fields": [
                    {
                        "key": "t1",
                        "label": LABEL + "文本",
                        "type": "text",
                        "help": LABEL + "说明",
                        "constraint": ". != 'x'",
                        "constraint_message": LABEL + "提示",
                    },
                    {"key": "a1", "label": LABEL + "多行", "type": "textarea"},
                    {"key": "s1", "label": LABEL + "单选", "type": "select_one", "choices": "pick"},
                    {"key": "m1", "label": LABEL + "多选", "type": "select_multiple", "choices": "pick"},
                    {"key": "n1", "label": LABEL + "说明文字", "type": "note", "help": LABEL},
                    {
                        "key": "r1",
                        "label": LABEL + "重复组",
                        "type": "repeat",
                        "fields": [{"key": "rt", "label": LABEL + "子字段", "type": "text"}],
                    },
                ],
            }
        ],
    }


def _store_corpus(app: Flask, world: World) -> None:
    """Put the corpus everywhere (see the module's docstring)."""
    session = db.session
    admin = session.scalar(db.select(User).where(User.username == "admin"))
    # A published dispute form made of payloads, and the own case answering it.
    kind = session.scalar(db.select(DisputeType).where(DisputeType.code == "14"))
    definition = session.scalar(db.select(FormDefinition).where(FormDefinition.dispute_type_id == kind.id))
    formdefs.save_draft(session, definition, payload_form(), definition.version)
    version = formdefs.publish(session, definition, admin, LABEL)
    case = session.get(Case, world.own["case"])
    case.dispute_type, case.form_version = kind, version
    case.answers = {"t1": PAYLOADS[1], "a1": PAYLOADS[2], "s1": "a", "m1": ["a"], "r1": [{"rt": PAYLOADS[3]}]}
    session.commit()
    # The 研判意见 of the township's last period.
    township = session.get(Case, world.own["case"]).organization
    period = default_period(township, clock.today())
    texts = dict.fromkeys(analysis_notes.NOTE_FIELDS, "\n".join(PAYLOADS))
    analysis_notes.save_notes(session, admin, township, period, texts=texts, expected_version=None)
    # Every free-text column of every row, then the logs (which now hold the payloads as changes).
    store_everywhere(session)
    store_everywhere(session, tables={"audit_event", "sign_in_event"})
    # Through the pages: a sign-in with payloads for name and browser, a step's reason typed into its form.
    anonymous = signed_in(app, None)
    anonymous.post(
        "/login",
        data={"username": "<b id=xss30>", "password": "x"},
        headers={"User-Agent": "<script>xss(31)</script>"},
    )
    step = f"/admin/cases/act/suspend/?id={world.foreign['case']}"
    version_now = session.get(Case, world.foreign["case"]).version
    response = signed_in(app, "admin").post(step, data={"reason": PAYLOADS[2], "lock_version": version_now})
    assert response.status_code == 302, "the step with a payload as its reason was not taken"


CONTEXTS = {
    "text": "<p>{}</p>",
    "double-quoted attribute": '<input value="{}">',
    "single-quoted attribute": "<input value='{}'>",
    "textarea": "<textarea>{}</textarea>",
    "link": '<a href="{}">x</a>',
    "script data": '<script type="application/json">"{}"</script>',
}


def test_the_finder_sees_every_payload_written_unescaped_and_none_escaped():
    """The search would catch each payload in some place a template may put it, raw; escaped, never."""
    caught = set()
    for name, context in CONTEXTS.items():
        for payload in PAYLOADS:
            if markup_in(context.format(payload)):
                caught.add(payload)
            if name == "link" and payload.startswith("javascript:"):
                continue  # escaping does not make a stored URL safe: the pages never link typed text
            assert not markup_in(context.format(escape(payload))), (name, payload)
    markup = {p for p in PAYLOADS if not p.startswith(("=", "@", "{{"))}
    assert markup <= caught, markup - caught
    assert markup_in("<p>54439</p>"), "an evaluated {{7*7777}} is seen"


@pytest.fixture(scope="module")
def corpus(_module_world):
    """The module's world with the corpus stored everywhere (kept for the module, rolled back after)."""
    app, world = _module_world
    _store_corpus(app, world)
    db.session.remove()
    return app, world


@pytest.fixture
def xss_app(corpus, world_app):
    return world_app


def test_every_text_column_holds_the_corpus(xss_app):
    """The corpus reached every table with free text (a new model needs rows in the world to be checked)."""
    empty = []
    for mapper in Base.registry.mappers:
        columns = text_columns(mapper)
        if not columns:
            continue
        values = db.session.execute(db.select(*(getattr(mapper.class_, a) for a, _ in columns))).all()
        if not any("xss" in (v or "") or "7777" in (v or "") for row in values for v in row):
            empty.append(mapper.local_table.name)
    assert not empty, (
        f"tables without a row carrying the corpus (add rows to tests/security/world.py): {empty}"
    )


#: Exports whose columns hold no free text (the 以案定补标准 list: amounts and switches).
NO_TEXT = ("/admin/subsidy_policy/export/",)
#: Pages a county user does not see the world's records on: 我的待办 lists one's own organisation's cases.
CRAWLED_BY = {"my_cases": "entry_a"}


def _crawl_user(spec, blueprint: str) -> str | None:
    """Return the user who opens the route (the first allowed of admin, evaluator, clerk)."""
    if blueprint in CRAWLED_BY:
        return CRAWLED_BY[blueprint]
    for user in ("admin", "evaluator", "clerk"):
        if expected(spec, blueprint, user, foreign=False) - {403, 404}:
            return user
    return None


def test_every_page_and_export_shows_the_corpus_as_text_only(xss_app, world):
    ids = {**world.shared, **world.own, "honour_year": world.honour_year}
    clients = {u: signed_in(xss_app, u) for u in ("admin", "evaluator", "clerk", "entry_a")}
    before = fingerprint.snapshot(xss_app, exports=False)
    failures: list[str] = []
    seen = {"pages": 0, "with_payload": 0, "xlsx": 0, "xlsx_with_payload": 0, "csv": 0}
    urls: list[tuple[str | None, str]] = []
    views = {view.endpoint: view for view in xss_app.extensions["admin"][0]._views}
    for rule, spec, blueprint in admin_rules(xss_app):
        user = _crawl_user(spec, blueprint)
        if "GET" not in methods(rule) or not spec.render or 200 not in spec.ok or user is None:
            continue
        query = "?" + urlencode(spec.query(ids)) if spec.query else ""
        if "export_type" in rule.arguments:  # each format the list offers (xlsx, csv)
            for kind in getattr(views.get(blueprint), "export_types", ["xlsx"]):
                urls.append((user, rule.build({"export_type": kind}, append_unknown=False)[1] + query))
        else:
            urls.append((user, build_path(rule, spec) + query))
    urls += [("admin", "/admin/"), ("admin", "/password")]
    serials = db.session.scalars(db.select(IssuedDocument.serial)).all()
    urls += [(None, f"/verify/{serial}") for serial in serials]
    anonymous = signed_in(xss_app, None)
    for user, url in urls:
        client = clients[user] if user else anonymous
        response = client.get(url)
        if response.status_code >= 400:
            failures.append(f"{user} GET {url}: {response.status_code}")
            continue
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            seen["pages"] += 1
            seen["with_payload"] += "xss" in html
            failures += [f"{url}: {problem}" for problem in markup_in(html)]
            failures += [f"{url}: the policy refuses {problem}" for problem in csp_problems(html)]
        elif response.mimetype.endswith("spreadsheetml.sheet"):
            seen["xlsx"] += 1
            seen["xlsx_with_payload"] += payload_cells(response.data) > 0 or url.startswith(NO_TEXT)
            failures += [f"{url}: formula {cell}" for cell in formulas_in(response.data)]
        elif response.mimetype == "text/csv":
            seen["csv"] += 1
            failures += [
                f"{url}: formula {cell}" for cell in csv_formulas_in(response.get_data(as_text=True))
            ]
        elif response.mimetype not in ("application/json", "application/x-yaml", "application/pdf"):
            failures.append(f"{url}: unexpected type {response.mimetype}")
    changed = fingerprint.changed(before, fingerprint.snapshot(xss_app, exports=False))
    if changed:
        failures.append(
            f"the GET crawl changed {changed}: page views must not write (exports: their audit row only)"
        )
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    # The crawl saw the corpus: most pages and every export carry it (a vacuous crawl would pass).
    assert seen["pages"] > 60 and seen["with_payload"] > 0.7 * seen["pages"], seen
    assert seen["xlsx"] >= 10 and seen["xlsx_with_payload"] == seen["xlsx"] and seen["csv"] >= 10, seen


def _documents(world: World) -> dict[DocumentKind, object]:
    """Return a builder call for every kind of official document, on the world's records."""
    session = db.session
    case, settled = session.get(Case, world.own["case"]), session.get(Case, world.own["settled"])
    rnd = session.get(AssessmentRound, world.own["round"])
    assessment = session.get(Assessment, world.own["assessment"])
    review = session.get(AccountabilityReview, world.own["review"])
    rec = session.get(Recognition, world.own["recognition"])
    org = case.organization
    claim = session.get(SubsidyClaim, world.own["subsidy_claim"])
    plist = subsidy_payments.PaymentList(org, "2026Q1", date(2026, 1, 1), date(2026, 3, 31), [claim], [], [])
    plist.rows = [subsidy_payments.PaymentRow(claim, claim.lines[0].mediator_name, "", 1, claim.total)]
    report = analysis.build_report(session, org, default_period(org, clock.today()), clock.today())
    common = {"serial": "XSS0TEST0SERIAL", "original": None}
    return {
        DocumentKind.ACCEPTANCE: lambda: case_documents.acceptance(case, **common),
        DocumentKind.AGREEMENT: lambda: case_documents.agreement(settled, **common),
        DocumentKind.EVALUATION: lambda: assessment_documents.evaluation_report(assessment, **common),
        DocumentKind.ROUND_SUMMARY: lambda: assessment_documents.round_summary(rnd, **common),
        DocumentKind.REVIEW_DECISION: lambda: review_documents.review_decision(review, **common),
        DocumentKind.CERTIFICATE: lambda: certificates.certificate(rec, **common),
        DocumentKind.ANALYSIS_REPORT: lambda: analysis_documents.analysis_report(report, **common),
        DocumentKind.CIRCULAR: lambda: analysis_documents.circular(report, number="XSS〔2026〕1号", **common),
        DocumentKind.SUBSIDY_PAYMENT: lambda: subsidy_documents.payment_list(
            plist, prepared_by="xss", **common
        ),
    }


def test_every_document_escapes_the_corpus_and_fetches_nothing_else(xss_app, world):
    builders = _documents(world)
    missing = set(DocumentKind) - set(builders)
    assert not missing, f"document kinds the corpus is not rendered into (add them to _documents): {missing}"
    failures = []
    sources = {}
    with xss_app.test_request_context(), markup_only():
        for kind, build in builders.items():
            source = build().source
            sources[kind] = source
            if "xss" not in source.html:
                failures.append(f"{kind.label}: the corpus is not in the document (nothing was checked)")
            failures += [f"{kind.label}: {problem}" for problem in markup_in(source.html)]
    # One layout: whatever the text asks for, the fetcher serves only the portal's own files.
    _document, requested = layout(sources[DocumentKind.ACCEPTANCE], xss_app.static_folder)
    outside = [url for url in requested if not url.startswith(("portal:static/", "portal:inline/"))]
    assert not outside, outside
    # Had a payload become markup, its addresses would have been refused before any I/O.
    fetcher = PortalFetcher(xss_app.static_folder)
    for url in ("http://evil.example/xss", "file:///etc/passwd", "portal:static/../portal/config.py"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert not failures, "\n".join(failures)


def test_the_corpus_is_seen_by_the_users_it_was_typed_by(xss_app, world):
    """The typed payloads reached the pages: the sign-in log and the case history show them as text."""
    admin = signed_in(xss_app, "admin")
    log = admin.get("/admin/sign_ins/?search=xss30").get_data(as_text=True)
    assert "&lt;b id=xss30&gt;" in log and not markup_in(log)
    page = admin.get(f"/admin/cases/details/?id={world.foreign['case']}").get_data(as_text=True)
    assert "onerror=xss(2)" in page and not markup_in(page)
    assert SIGNED_IN and PUBLIC and USERS and PASSWORD  # the crawl's vocabulary is the matrix's
