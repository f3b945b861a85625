"""A round's pages and the saving of scores read all its targets at once, not four queries per target."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from portal.extensions import db
from portal.models.assessment import CriterionKind, PeriodKind
from portal.services import scoring, standard_templates

PEOPLE = ("马集调解员", "前李调解员", "柳林调解员", "后王调解员")


def _round(county, template, people):
    return scoring.open_round(
        db.session,
        county.users["evaluator"],
        template=template,
        period_kind=PeriodKind.YEAR,
        year=2025,
        number=1,
        targets=[county.mediators[name] for name in people],
        title=f"{len(people)}人",
        today=date(2026, 1, 20),
    )


def _queries(client, method: str, path: str, data=None) -> int:
    """Return how many SELECTs the request ran (writes follow the rows changed; the signed-in user's
    row is read when the session's identity map does not hold it yet)."""
    statements: list[str] = []

    def count(*args) -> None:
        if args[2].lstrip().upper().startswith("SELECT") and "FROM user_account" not in args[2]:
            statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.open(path, method=method, data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code in (200, 302), response.text
    return len(statements)


def test_round_pages_and_score_saving_do_not_query_per_target(county, login_as):
    """The details page, the score page and a save read as much for one target as for four."""
    template = next(t for t in standard_templates.install(db.session) if t.target_kind.value == "mediator")
    db.session.commit()
    small, large = _round(county, template, PEOPLE[:1]), _round(county, template, PEOPLE)
    criterion = next(c for c in template.criteria if c.kind == CriterionKind.MANUAL)
    client = login_as("evaluator")
    counts = {}
    for rnd in (small, large):
        score = {f"s-{rnd.assessments[0].id}-{criterion.id}": "3", "lock_version": str(rnd.version)}
        counts[rnd.id] = [
            _queries(client, "GET", f"/admin/assessment_rounds/details/?id={rnd.id}"),
            _queries(client, "GET", f"/admin/assessment_rounds/score/?id={rnd.id}"),
            _queries(client, "POST", f"/admin/assessment_rounds/score/?id={rnd.id}", score),
        ]
    assert counts[small.id] == counts[large.id]
