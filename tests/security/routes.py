"""Every route of the URL map, classified: who may use it, which record its ids name, and what to send.

The security suite reads `app.url_map` and looks each endpoint up here, so a new route is checked the
moment it exists, and a route nobody classified fails `unclassified()` with a note saying where it goes:

- a new Flask-Admin register: add its endpoint to READERS, CREATORS and WRITERS in
  tests/admin/test_access.py and to RECORDS below (the world key of the records its `?id` names, or
  None for a catalogue the whole county shares); its standard pages (list, details, edit, export, …)
  are then classified by name (`GENERIC`);
- any other page or POST route: add `"<endpoint>": Spec(...)` to CUSTOM, saying which roles may use it
  (`need`), which record its `?id` (or another argument) names, its path arguments, and what a
  successful request answers (`ok`) — or list it in PUBLIC if it is open to anonymous visitors.

Roles are the test users: the county's admin, evaluator and clerk at the root, and at the township MJ
its admin (admin_a), evaluator (evaluator_a), clerk (clerk_a) and data-entry user (entry_a). To the
township users, the records of the other township (LL, `World.foreign`) are out of scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from portal import clock
from tests.admin.test_access import READERS, WRITERS

#: Open to anonymous visitors: the sign-in page, the language switch, static files, the public
#: verification page of issued documents (rate-limited; it shows a masked name only) and the load
#: balancer's health checks (JSON without names, addresses or error text).
PUBLIC = frozenset(
    {
        "auth.login",
        "auth.set_language",
        "static",
        "admin.static",
        "verify.verify",
        "health.healthz",
        "health.readyz",
    }
)
#: Open to anyone signed in, whatever the role.
SIGNED_IN = frozenset({"home", "admin.index", "auth.change_password", "auth.logout"})

#: user -> (role, at the township?)
USERS = {
    "admin": ("admin", False),
    "evaluator": ("evaluator", False),
    "clerk": ("clerk", False),
    "admin_a": ("admin", True),
    "evaluator_a": ("evaluator", True),
    "clerk_a": ("clerk", True),
    "entry_a": ("entry", True),
}
TOWNSHIP_USERS = [u for u, (_role, local) in USERS.items() if local]

#: Pages that are not registers (no model): who reads them, who writes through them.
PAGE_READERS = {
    "analysis": {"admin", "evaluator", "clerk"},
    "dispute_table": {"admin", "evaluator", "clerk"},
    "imports": {"admin", "entry"},
}
PAGE_WRITERS: dict[str, set[str]] = {
    "analysis": {"admin", "evaluator"},
    "dispute_table": set(),
    "imports": {"admin", "entry"},
}
READ = {**READERS, **PAGE_READERS}
WRITE = {**WRITERS, **PAGE_WRITERS}

#: Register -> the world key of the records its `?id` names; None: a catalogue the whole county shares
#: (scope_column None), which every reader sees and only administrators at the root change.
RECORDS: dict[str, str | None] = {
    # 优秀案例库: published entries are read by the whole county (a shared record, 马集's published one);
    # the proposal and review pages are scoped like any register.
    "case_library": None,
    "excellent_cases": "excellent_case",
    "cases": "case",
    "my_cases": "case",
    "case_warnings": "case",
    "zero_reports": "zero_report",
    "organizations": "organization",
    "mediators": "mediator",
    "experts": "expert",
    "dispute_types": None,
    "reviews": "review",
    "assessment_rounds": "round",
    "assessment_templates": None,
    "subsidies": "mediator",
    "subsidy_claims": "subsidy_claim",
    "subsidy_policy": None,
    "recognitions": "recognition",
    "recognition_criteria": None,
    "users": "user",
    "audit": "audit",
    "sign_ins": "sign_in",
    "form_definitions": None,
    "issued_documents": "document",
    "print_jobs": "print_job",
    "analysis": "township",
    "dispute_table": "township",
    "imports": None,  # a page of its own, no register
    "form_design": None,  # 表单设计: the dispute types and their forms, the way into the builder
    "screening_plans": "screening_plan",
    "screening_records": "screening_record",
    "meetings": "meeting",
    "assignments": "assignment",
}
#: The world key of a shared catalogue's record, by register.
SHARED = {
    "case_library": "library_entry",
    "dispute_types": "dispute_type",
    "assessment_templates": "assessment_template",
    "subsidy_policy": "subsidy_policy",
    "recognition_criteria": "recognition_criteria",
    "form_definitions": "form_definition",
}
#: A bulk action of each register that has one (posted with a foreign id, it must change nothing).
ACTIONS = {
    "organizations": "revoke",
    "mediators": "retire",
    "experts": "withdraw",
    "users": "deactivate",
    "dispute_types": "deactivate",
    "assessment_templates": "copy",
}

#: Who prints: the case documents (受理登记表, 协议书) and the assessment/review/certificate documents.
CASE_PRINTERS = frozenset({"admin", "clerk", "entry"})
PRINTERS = frozenset({"admin", "clerk", "evaluator"})

Ids = dict[str, int]
Args = Callable[[Ids], dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    """How one endpoint is used and who may use it.

    need: "read" (the register's READERS), "write" (its WRITERS; a register nobody writes answers every
    reader with Flask-Admin's redirect), or an explicit set of roles (intersected with the readers).
    record: the world key of the record the request names (its foreign twin must answer `foreign`).
    query/form: the request's query string and POST body, built from the ids of one township.
    ok: what a user allowed to use the route gets with its own ids; foreign: what a township user gets
    with the other township's ids; denied: what a role the route is not for gets with its own ids.
    render: False for routes too costly to request for the positive check
    (a PDF, a batch job), which are still checked for refusals.
    """

    need: str | frozenset[str] = "read"
    record: str | None = None
    path: dict[str, str] = field(default_factory=dict)
    query: Args | None = None
    form: Args | None = None
    ok: frozenset[int] = frozenset({200, 302})
    foreign: frozenset[int] = frozenset({404})
    denied: frozenset[int] = frozenset({403})
    render: bool = True

    def roles(self, blueprint: str) -> frozenset[str]:
        """Return the roles that may use the route."""
        readers = frozenset(READ.get(blueprint, ()))
        if self.need == "read":
            return readers
        if self.need == "write":
            return frozenset(WRITE[blueprint]) or readers  # nobody writes: every reader is redirected
        return readers & frozenset(self.need)


def _id(key: str) -> Args:
    return lambda ids: {"id": ids[key]}


def _with(key: str, **extra: Any) -> Args:
    return lambda ids: {"id": ids[key], **{k: (ids[v] if v in ids else v) for k, v in extra.items()}}


def _span(ids: Ids) -> dict[str, Any]:
    return {"start": f"{ids['honour_year']}-01-01", "end": clock.today().isoformat()}


def _summary(ids: Ids) -> dict[str, Any]:
    return {
        "summary": "安全测试",
        "reason": "安全测试",
        "content": "安全测试",
        "note": "安全测试",
        "lock_version": "1",
    }


def _org(ids: Ids) -> dict[str, Any]:
    return {"org": ids["township"]}


STEP_FORM = {"reason": "安全测试", "note": "安全测试"}
REDIRECT = frozenset({302})
REFUSED_OR_MISSING = frozenset({302, 404})  # a disabled page redirects before it reads the record


def generic(blueprint: str, name: str) -> Spec | None:
    """Return the spec of a standard Flask-Admin page of a register, or None if `name` is not one."""
    key = RECORDS[blueprint]
    record = key or SHARED.get(blueprint)
    disabled_edit = blueprint in EDIT_DISABLED
    no_details = blueprint in DETAILS_DISABLED
    specs = {
        "index_view": Spec("read"),
        "details_view": Spec(
            "read",
            record,
            query=_id(record) if record else None,
            ok=REDIRECT if no_details else Spec.ok,
            foreign=REFUSED_OR_MISSING if no_details else Spec.foreign,
        ),
        "edit_view": Spec(
            "write",
            record,
            query=_id(record) if record else None,
            form=lambda ids: {"lock_version": "1"},
            ok=REDIRECT if disabled_edit else Spec.ok,
            foreign=REFUSED_OR_MISSING if disabled_edit else Spec.foreign,
        ),
        "create_view": Spec("write"),
        # No register deletes (records are voided, revoked or retired): the page redirects.
        "delete_view": Spec(
            "write",
            record,
            form=(lambda ids: {"id": ids[record]}) if record else None,
            ok=REDIRECT,
            foreign=REFUSED_OR_MISSING,
        ),
        "action_view": Spec(
            "write",
            record,
            form=lambda ids: {
                "action": ACTIONS.get(blueprint, "none"),
                "rowid": [ids[record]] if record else [],
            },
            ok=REDIRECT,
            foreign=REFUSED_OR_MISSING,  # a bulk action skips the ids outside the scope
        ),
        # No register offers ajax lookups or inline list editing; the day one does, these fail and
        # say so: its lookups must be scoped like the lists.
        "ajax_lookup": Spec(
            "read", query=lambda ids: {"name": "organization", "query": ""}, ok=frozenset({404})
        ),
        "ajax_update": Spec(
            "write",
            record,
            form=(lambda ids: {"list_form_pk": ids[record], "name": "x"}) if record else None,
            ok=frozenset({404}),
            foreign=frozenset({404}),
        ),
        "export": Spec(
            "read",
            path={"export_type": "xlsx"},
            ok=frozenset({404}) if blueprint in EXPORT_DISABLED else Spec.ok,
        ),
    }
    return specs.get(name)


#: Registers without a details page (the list shows everything) or without the list export.
DETAILS_DISABLED = frozenset({"zero_reports"})
EXPORT_DISABLED: frozenset[str] = frozenset()  # every list exports (portal/admin/exports.py)
#: Registers whose edit page is closed to everyone (records change through steps, or not at all).
EDIT_DISABLED = frozenset(
    {
        "case_library",
        "excellent_cases",
        "zero_reports",
        "assessment_rounds",
        "reviews",
        "recognitions",
        "audit",
        "sign_ins",
        "issued_documents",
        "print_jobs",
        "assignments",
        "subsidy_claims",
    }
)


def _case_routes(view: str) -> dict[str, Spec]:
    # 超期预警 lists open cases at risk only; a settled case's agreement is not among them.
    no_agreement = view == "case_warnings"
    return {
        f"{view}.act": Spec(
            "write",
            "case",
            path={"kind": "suspend"},
            query=_id("case"),
            form=lambda ids: {**STEP_FORM, "lock_version": "1"},
        ),
        f"{view}.agreement": Spec(
            "write",
            "settled",
            query=_id("settled"),
            form=lambda ids: {"performed": "y"},
            ok=frozenset({404}) if no_agreement else Spec.ok,
            denied=frozenset({403, 404}) if no_agreement else Spec.denied,
        ),
        f"{view}.answers_fragment": Spec(
            "write", "case", query=lambda ids: {"id": ids["case"], "dispute_type": ids["dispute_type"]}
        ),
        f"{view}.attachment_view": Spec("read", "attachment", query=_id("attachment")),
        f"{view}.print_document": Spec(
            CASE_PRINTERS, "case", path={"kind": "acceptance"}, query=_id("case"), render=False
        ),
        # 听证, 领导包案, 三调联动 (portal/admin/ledger/case_extras.py): the case's own records.
        f"{view}.hearing": Spec("write", "case", query=_id("case"), form=lambda ids: {"lock_version": "1"}),
        f"{view}.leader": Spec("write", "case", query=_id("case"), form=lambda ids: {"lock_version": "1"}),
        f"{view}.leader_note": Spec(
            "write", "case", query=_with("case", charge="charge"), form=lambda ids: {"lock_version": "1"}
        ),
        f"{view}.leader_end": Spec(
            "write", "case", query=_with("case", charge="charge"), form=lambda ids: {"lock_version": "1"}
        ),
        f"{view}.liaison": Spec(
            "write",
            "case",
            path={"direction": "out"},
            query=_id("case"),
            form=lambda ids: {"lock_version": "1"},
        ),
        f"{view}.liaison_feedback": Spec(
            "write", "case", query=_with("case", liaison="liaison"), form=lambda ids: {"lock_version": "1"}
        ),
        f"{view}.void_record": Spec(
            "write",
            "case",
            path={"kind": "hearing"},
            query=_with("case", record="hearing"),
            form=lambda ids: {"lock_version": "1"},
        ),
    }


ROUND_STEP = {"lock_version": "1", "reason": "安全测试"}

CUSTOM: dict[str, Spec] = {
    # 优秀案例库: printing a published entry; proposing a settled case, writing, anonymising, review steps.
    "case_library.print_entry": Spec("read", "library_entry", query=_id("library_entry"), render=False),
    "excellent_cases.propose": Spec(
        frozenset({"admin", "entry"}), "settled", query=lambda ids: {"case_id": ids["settled"]}
    ),
    "excellent_cases.write": Spec(
        "write", "excellent_case", query=_id("excellent_case"), form=lambda ids: {"lock_version": "1"}
    ),
    "excellent_cases.anonymised": Spec(
        "write", "excellent_case", query=_id("excellent_case"), form=lambda ids: {"lock_version": "1"}
    ),
    "excellent_cases.act": Spec(
        "write",
        "excellent_case",
        path={"kind": "withdraw"},
        query=_id("excellent_case"),
        form=lambda ids: {"note": "安全测试", "lock_version": "1"},
    ),
    **_case_routes("cases"),
    **_case_routes("my_cases"),
    **_case_routes("case_warnings"),
    "zero_reports.missing": Spec("read", query=lambda ids: {"month": "2026-01"}),
    "zero_reports.missing_export": Spec(
        "read", path={"export_type": "xlsx"}, query=lambda ids: {"month": "2026-01"}
    ),
    "assessment_rounds.evidence": Spec("read", "result", query=lambda ids: {"result": ids["result"]}),
    "assessment_rounds.score": Spec(
        "write", "round", query=_id("round"), form=lambda ids: {"lock_version": "1"}
    ),
    "assessment_rounds.finalise": Spec("write", "round", query=_id("round"), form=lambda ids: ROUND_STEP),
    "assessment_rounds.reopen": Spec("write", "round", query=_id("round"), form=lambda ids: ROUND_STEP),
    "assessment_rounds.recompute": Spec("write", "round", query=_id("round"), form=lambda ids: ROUND_STEP),
    "assessment_rounds.results": Spec("read", "round", query=_id("round")),
    "assessment_rounds.print_evaluation": Spec(
        PRINTERS, "round", query=_with("round", assessment="assessment"), render=False
    ),
    "assessment_rounds.print_summary": Spec(PRINTERS, "round", query=_id("round"), render=False),
    "reviews.act": Spec(
        "write", "review", path={"kind": "revise"}, query=_id("review"), form=lambda ids: STEP_FORM
    ),
    "reviews.print_decision": Spec(PRINTERS, "review", query=_id("review"), render=False),
    "recognitions.notice": Spec(
        "write", "recognition", query=_id("recognition"), form=lambda ids: ROUND_STEP
    ),
    "recognitions.approve": Spec(
        "write", "recognition", query=_id("recognition"), form=lambda ids: ROUND_STEP
    ),
    "recognitions.revoke": Spec(
        "write", "recognition", query=_id("recognition"), form=lambda ids: ROUND_STEP
    ),
    "recognitions.nominate": Spec(
        "write",
        "mediator",
        form=lambda ids: {"mediator_id": ids["mediator"], "year": ids["honour_year"], "reason": "安全测试"},
        ok=REDIRECT,
    ),
    "recognitions.print_certificate": Spec(PRINTERS, "recognition", query=_id("recognition"), render=False),
    # The 以案定补 sheet of the world's years (its cases are recent; the default period is last year).
    "subsidies.index_view": Spec("read", query=lambda ids: _span(ids)),
    "subsidies.export": Spec("read", path={"export_type": "xlsx"}, query=lambda ids: _span(ids)),
    "subsidies.details": Spec("read", "mediator", query=lambda ids: {"id": ids["mediator"], **_span(ids)}),
    "subsidies.elsewhere": Spec("read", ok=REDIRECT),
    # 以案定补申报: the steps (who may take which is the service's: others get its message and a redirect);
    # the quarter's 发放清单 of ?org= (another township's is a 404) for the document roles.
    "subsidy_claims.act": Spec(
        "write",
        "subsidy_claim",
        path={"kind": "withdraw"},
        query=_id("subsidy_claim"),
        form=lambda ids: {**STEP_FORM, "lock_version": "1"},
    ),
    "subsidy_claims.payment": Spec(PRINTERS, "township", query=_org),
    "subsidy_claims.payment_xlsx": Spec(PRINTERS, "township", query=_org),
    "subsidy_claims.payment_pdf": Spec(PRINTERS, "township", query=_org, render=False),
    "print_jobs.details_view": Spec("read", "print_job", query=_id("print_job")),
    "print_jobs.progress": Spec("read", "print_job", query=_id("print_job")),
    "print_jobs.download": Spec("read", "print_job", query=_id("print_job")),
    "print_jobs.choose_view": Spec("read"),
    "print_jobs.confirm_view": Spec(
        "read", query=lambda ids: {"kind": "certificates", "year": ids["honour_year"]}, render=False
    ),
    "print_jobs.start": Spec(
        "read",
        form=lambda ids: {"kind": "certificates", "year": ids["honour_year"]},
        ok=REDIRECT,
        render=False,
    ),
    # The world's job is done: 取消 and 重试 are refused with a message (a redirect), and change nothing.
    "print_jobs.cancel": Spec("read", "print_job", query=_id("print_job"), ok=REDIRECT),
    "print_jobs.retry": Spec("read", "print_job", query=_id("print_job"), ok=REDIRECT),
    "print_jobs.start_certificates": Spec(
        "read", form=lambda ids: {"year": ids["honour_year"]}, ok=REDIRECT, render=False
    ),
    # The round is named in the form; another township's round is refused with the message that
    # does not tell a missing round from one out of scope.
    "print_jobs.start_evaluations": Spec(
        "read",
        "round",
        form=lambda ids: {"round_id": ids["round"]},
        ok=REDIRECT,
        foreign=REDIRECT,
        render=False,
    ),
    "form_definitions.field_view": Spec("write", query=lambda ids: {"id": ids["form_definition"]}),
    "form_definitions.preview_view": Spec("write", query=lambda ids: {"id": ids["form_definition"]}),
    "form_definitions.download_view": Spec("write", query=lambda ids: {"id": ids["form_definition"]}),
    "form_definitions.op_view": Spec(
        "write",
        query=lambda ids: {"id": ids["form_definition"]},
        form=lambda ids: {"op": "add_section", "title": "安全测试"},
    ),
    "form_definitions.publish_view": Spec(
        "write", query=lambda ids: {"id": ids["form_definition"]}, form=lambda ids: {"lock_version": "1"}
    ),
    "form_definitions.upload_view": Spec("write"),
    "form_definitions.choices_view": Spec(
        "write",
        query=lambda ids: {"id": ids["form_definition"]},
        form=lambda ids: {"name": "安全测试", "options": "甲\n乙"},
    ),
    "form_definitions.language_view": Spec(
        "write", query=lambda ids: {"id": ids["form_definition"]}, form=lambda ids: {"language2": "English"}
    ),
    "form_definitions.section_view": Spec(
        "write",
        query=lambda ids: {"id": ids["form_definition"], "section": "0"},
        form=lambda ids: {"relevant_mode": "always"},
    ),
    "form_design.index": Spec("read"),
    "form_design.elsewhere": Spec("read", ok=REDIRECT),
    "form_design.create": Spec("write", form=lambda ids: {"type": ids["dispute_type"]}, ok=REDIRECT),
    # 分析研判: ?org= names the organisation reported on (another township's is a 404).
    "analysis.index": Spec("read", "township", query=_org),
    "analysis.export": Spec("read", "township", query=_org),
    "analysis.notes": Spec("write", "township", query=_org, form=lambda ids: {"situation": "安全测试"}),
    "analysis.print_report": Spec(PRINTERS, "township", query=_org, render=False),
    "analysis.print_circular": Spec(frozenset({"admin", "clerk"}), "township", query=_org, render=False),
    # Register-style links (new/edit/details) lead back to the report: refused to readers who write nothing.
    "analysis.elsewhere": Spec("write", ok=REDIRECT),
    "dispute_table.elsewhere": Spec("write", ok=REDIRECT),
    "dispute_table.index": Spec("read", "township", query=_org),
    "dispute_table.export": Spec("read", "township", query=_org),
    # 数据导入: an upload is kept under a token of its user; an unknown (or another user's) token is a 404.
    "imports.index": Spec("read", form=lambda ids: {"kind": "mediators"}),
    "imports.template": Spec("read", path={"kind": "mediators"}),
    "imports.elsewhere": Spec("read", ok=REDIRECT),
    "imports.report": Spec("read", path={"token": "x" * 32}, ok=frozenset({404})),
    "imports.report_xlsx": Spec("read", path={"token": "x" * 32}, ok=frozenset({404})),
    "imports.confirm": Spec("write", path={"token": "x" * 32}, ok=frozenset({404})),
    "imports.discard": Spec("write", path={"token": "x" * 32}, ok=frozenset({404})),
    # 排查督办: the steps of plans, records, meetings and 交办事项.
    "screening_plans.act": Spec(
        "write", "screening_plan", path={"kind": "complete"}, query=_id("screening_plan"), form=_summary
    ),
    "screening_records.act": Spec(
        "write", "screening_record", path={"kind": "void"}, query=_id("screening_record"), form=_summary
    ),
    "screening_records.missing": Spec("read"),
    "meetings.act": Spec("write", "meeting", path={"kind": "decide"}, query=_id("meeting"), form=_summary),
    "assignments.act": Spec(
        "write", "assignment", path={"kind": "progress"}, query=_id("assignment"), form=_summary
    ),
}


def spec_of(endpoint: str) -> Spec | None:
    """Return the spec of an admin endpoint (custom first, then the standard pages), or None."""
    if endpoint in CUSTOM:
        return CUSTOM[endpoint]
    blueprint, _, name = endpoint.partition(".")
    if blueprint not in RECORDS or blueprint not in READ:
        return None
    return generic(blueprint, name)


def unclassified(app: Flask) -> list[str]:
    """Return a note for every route of the app that this module does not classify."""
    notes = []
    unknown: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint in SIGNED_IN or spec_of(rule.endpoint) is not None:
            continue
        blueprint = rule.endpoint.partition(".")[0]
        route = f"{rule.rule} ({rule.endpoint}, {'/'.join(sorted(methods(rule)))})"
        if blueprint in RECORDS:
            notes.append(f"{route}: add '{rule.endpoint}': Spec(need=…, record=…, query=…, form=…) to CUSTOM")
        else:
            unknown.setdefault(blueprint, []).append(route)
    for blueprint, routes in unknown.items():
        notes.append(
            f"'{blueprint}' is not classified: if it is a register, add it to READERS/CREATORS/WRITERS in"
            f" tests/admin/test_access.py and to RECORDS here (its custom routes to CUSTOM); otherwise add"
            f" each route to CUSTOM, or to PUBLIC/SIGNED_IN if it is open to anyone: "
            + "; ".join(sorted(routes))
        )
    return sorted(notes)


def methods(rule: Rule) -> set[str]:
    """Return the methods a rule answers, without HEAD and OPTIONS."""
    return set(rule.methods or ()) - {"HEAD", "OPTIONS"}


def build_path(rule: Rule, spec: Spec | None) -> str:
    """Return the rule's path with its arguments filled (the spec's, or placeholders)."""
    values = dict(spec.path) if spec else {}
    for argument in rule.arguments:
        values.setdefault(argument, {"filename": "css/portal.css", "serial": "X" * 12}.get(argument, "x"))
    return rule.build(values, append_unknown=False)[1]


def admin_rules(app: Flask) -> list[tuple[Rule, Spec, str]]:
    """Return (rule, spec, blueprint) of every classified route that needs a role (not public/signed-in)."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        spec = spec_of(rule.endpoint)
        if spec is not None and rule.endpoint not in PUBLIC | SIGNED_IN:
            found.append((rule, spec, rule.endpoint.partition(".")[0]))
    return found


def expected(spec: Spec, blueprint: str, username: str, foreign: bool) -> frozenset[int]:
    """Return the statuses `username` may get from the route, with its own or the other township's ids."""
    role, local = USERS[username]
    if role not in READ[blueprint]:
        return frozenset({403})
    allowed = spec.roles(blueprint)
    if blueprint in SHARED and local and spec.need == "write":
        allowed = frozenset()  # a shared catalogue is changed only at the root
    if blueprint in {"form_definitions", "form_design"} and local:
        return frozenset({403})  # the designer is closed to township administrators
    if role not in allowed:
        return frozenset({403, 404}) if foreign else spec.denied
    return spec.foreign if foreign else spec.ok
