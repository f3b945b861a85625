"""The county evaluator assesses two township mediators for last year's fourth quarter and finalises it.

She opens a 季度 round with the shipped 调解员 template for two mediators, looks at the cases behind one
automatic figure, enters her manual scores, and finalises the round after the confirmation page; the results
are then locked with totals, ranks and bands.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models.assessment import AssessmentRound, CriterionKind, PeriodKind, RoundStatus
from portal.models.org import Organization, OrgKind, OrgLevel
from portal.models.people import Mediator, MediatorStatus
from portal.services.deadlines import local_today
from tests.e2e.conftest import Journey
from tests.live import choose, expect, log_in_demo, nav

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TEMPLATE = "调解员年度绩效考评方案"
TITLE = "第四季度乡镇调解员考评"


def test_evaluator_scores_and_finalises_a_round(journey: Journey, live_app: Flask) -> None:
    page = journey.page
    year = local_today().year - 1
    with live_app.app_context():  # two township mediators, whose names the demo generated
        targets = list(
            db.session.scalars(
                select(Mediator.name)
                .join(Organization)
                .where(
                    Organization.kind == OrgKind.COMMITTEE,
                    Organization.level == OrgLevel.TOWNSHIP,
                    Mediator.status == MediatorStatus.ACTIVE,
                )
                .order_by(Mediator.id)
                .limit(2)
            )
        )
        db.session.remove()
    assert len(targets) == 2, targets

    log_in_demo(page, "evaluator")

    # 1. Open the round: template, 季度 4 of last year, the two mediators.
    nav(page, "考核评价", "考评批次")
    page.locator(".nav-tabs").get_by_role("link", name="创建").click()
    expect(page).to_have_url(re.compile(r"/admin/assessment_rounds/new/"))
    choose(page, "template", TEMPLATE)
    page.select_option("#period_kind", label="季度")
    expect(page.locator("#year")).to_have_value(str(year))
    page.fill("#number", "4")
    for name in targets:
        choose(page, "mediators", name)
    page.fill("#title", TITLE)
    journey.snap("open-round")
    page.get_by_role("button", name="开启批次并计算").click()
    expect(page.locator(".alert-success")).to_contain_text("已开启考评批次")
    expect(page.locator("#round-title")).to_have_text(TITLE)
    expect(page.locator("#round-status")).to_have_text("评分中")
    rows = page.locator("#round-results tbody tr")
    expect(rows).to_have_count(2)
    round_url = page.url

    # 2. The cases behind the first automatic figure.
    rows.first.locator("td a[href*='/evidence/']").first.click()
    expect(page).to_have_url(re.compile(r"/evidence/\?result=\d+"))
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text("计分依据")
    journey.snap("evidence")
    page.goto(round_url)

    # 3. Her manual scores: each criterion's maximum less one point.
    page.locator("#round-steps").get_by_role("link", name="录入人工评分").click()
    inputs = page.locator("#score-table input.score-input")
    assert inputs.count() > 0
    for i in range(inputs.count()):
        field = inputs.nth(i)
        field.fill(str(max(0, int(float(field.get_attribute("max"))) - 1)))
    journey.snap("scores")
    page.get_by_role("button", name="保存我的评分").click()
    expect(page.locator(".alert-success", has_text="已保存")).to_be_visible()

    # 4. Finalise after the confirmation page; the round is locked.
    page.locator("#round-steps").get_by_role("link", name="定稿").click()
    expect(page.locator("#confirm-hint")).to_contain_text("锁定")
    page.get_by_role("button", name="确认定稿").click()
    expect(page.locator(".alert-success")).to_contain_text(f"已定稿：{TITLE}")
    expect(page.locator("#round-status")).to_have_text("已定稿")
    expect(page.locator("#round-steps").get_by_role("link", name="录入人工评分")).to_have_count(0)
    expect(page.locator("#round-steps").get_by_role("link", name="重新开启")).to_be_visible()
    for i in range(2):
        expect(rows.nth(i).locator(".badge")).to_have_text(re.compile("优秀|良好|合格|不合格"))
    journey.snap("finalised")
    journey.finish()

    with live_app.app_context():
        rnd = db.session.scalar(select(AssessmentRound).where(AssessmentRound.title == TITLE))
        assert rnd.status == RoundStatus.FINAL
        assert rnd.period_kind == PeriodKind.QUARTER
        assert (rnd.period_start, rnd.period_end) == (date(year, 10, 1), date(year, 12, 31))
        assert rnd.finalised_by.username == "evaluator"
        assert sorted(a.mediator.name for a in rnd.assessments) == sorted(targets)
        assert min(a.rank for a in rnd.assessments) == 1
        manual = [c for c in rnd.template.criteria if c.kind == CriterionKind.MANUAL]
        for assessment in rnd.assessments:
            assert assessment.total is not None and assessment.band is not None
            mine = [s for s in assessment.scores if s.evaluator.username == "evaluator"]
            assert len(mine) == len(manual)
            assert all(s.points == c.max_points - 1 for s in mine for c in manual if c.id == s.criterion_id)
        db.session.remove()
