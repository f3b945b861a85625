"""Demo answers for the register choices of a form (`choices_from`): the records a clerk would pick.

`fake_answers` fills a form from its own definition and cannot know the registers, so the demo cases'
register choices are filled here, for the case's organisation as its clerk would see them
(`services.choices`): the township of the case for a `townships` field (with 省/市/县 set to the
demo county, which most disputes lie in), a serving mediator of the case's organisation, and now and
then an expert of the county's pool. Cascades stay consistent: a township goes with its county.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.orm import Session

from portal.lowcode import choices, schema
from portal.models.auth import User
from portal.models.org import Organization
from portal.services import choices as registers

#: The share of cases whose 发生地 is the demo county itself (the rest keep the drawn region, no township).
LOCAL_SHARE = 0.85
EXPERT_SHARE = 0.3


class RegisterAnswers:
    """Fill register choices of demo answers, reading each organisation's registers once."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.session = session
        self.rng = rng
        self.cache: dict[tuple[int, str], list[dict[str, str]]] = {}

    def options(self, org_id: int, name: str) -> list[dict[str, str]]:
        if (org_id, name) not in self.cache:
            org = self.session.get(Organization, org_id)
            viewer = cast(User, SimpleNamespace(organization=org))  # what a clerk of the case's office sees
            self.cache[(org_id, name)] = registers.register_options(self.session, viewer)(name)
        return self.cache[(org_id, name)]

    def fill(self, org_id: int, body: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
        """Return the answers with the register choices of `body` filled for a case of `org_id`."""
        if not choices.uses_data(body):
            return answers
        filled = dict(answers)
        fields = schema.fields_by_key(body)
        for key, field in fields.items():
            source = field.get("choices_from")
            if not source or field.get("type") != "select_one":
                continue
            options = self.options(org_id, source)
            if source == "townships":  # the case's own township, among the county's
                county = self.session.get(Organization, org_id)
                root = county.ancestor_ids[0] if county is not None else org_id
                chosen = self._township(org_id, self.options(root, source), body, key, filled)
            elif source == "experts" and self.rng.random() > EXPERT_SHARE:
                chosen = None
            else:
                chosen = self.rng.choice(options) if options else None
            if chosen is None:
                filled.pop(key, None)
            else:
                filled[key] = {"id": chosen["value"], "label": chosen["label"]}
        return filled

    def _township(
        self,
        org_id: int,
        options: list[dict[str, str]],
        body: dict[str, Any],
        key: str,
        filled: dict[str, Any],
    ) -> dict[str, str] | None:
        fields = schema.fields_by_key(body)
        county_key = fields[key].get("depends_on")
        if not options or not isinstance(county_key, str) or self.rng.random() > LOCAL_SHARE:
            return None
        org = self.session.get(Organization, org_id)
        above = org.ancestor_ids if org is not None else []
        offices = set(above[1:])  # the case's township-level offices, the county left out

        def own_township(option: dict[str, str]) -> bool:
            committee = self.session.get(Organization, int(option["value"]))
            return committee is not None and (committee.id in above or committee.parent_id in offices)

        own = [o for o in options if own_township(o)]
        chosen = own[0] if own else self.rng.choice(options)
        # Walk the cascade up: the county whose value is the township's parent, its city, its province.
        parent_value: str | None = chosen.get("parent")
        field_key: str | None = county_key
        while field_key and parent_value is not None:
            filled[field_key] = parent_value
            spec = fields.get(field_key) or {}
            body_options = {o["value"]: o.get("parent") for o in schema.options_of(body, spec)}
            parent_value = body_options.get(parent_value)
            field_key = spec.get("depends_on")
        return chosen
