"""Dashboard figures count in the office's year and days, at any hour of the host's clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal import clock
from portal.extensions import db
from portal.models.people import MediatorStatus, Training, TrainingLevel
from portal.services import stats

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_register_overview_counts_this_years_training_and_terms_in_beijing_days(county):
    today, admin = clock.today(), county.users["admin"]
    before = stats.register_overview(db.session, admin)
    assert before["year"] == today.year
    mediator = county.mediators["马集调解员"]
    assert mediator.status == MediatorStatus.ACTIVE
    prior = mediator.term_ends_on
    was_ending = prior is not None and today <= prior <= today.replace(month=12, day=31)
    was_expired = prior is not None and prior < today
    mediator.term_ends_on = today  # ends today: still running this year, not yet expired
    db.session.add(
        Training(
            mediator=mediator, held_on=today, level=TrainingLevel.COUNTY, hours=Decimal(3), topic="调解技巧"
        )
    )
    db.session.flush()
    after = stats.register_overview(db.session, admin)
    assert after["training_hours"] == before["training_hours"] + 3
    assert after["terms_ending"] == before["terms_ending"] + 1 - was_ending
    assert after["terms_expired"] == before["terms_expired"] - was_expired
