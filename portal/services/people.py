"""Roster rules: who may be a mediator, what a training counts; mediators leave office and experts leave
the pool; nobody is deleted.

The register forms (`admin/registers/people.py`) and the xlsx import (`services/imports`) apply these
same functions, so a roster typed in and a roster imported obey one set of rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.models.people import Expert, ExpertStatus, Mediator, MediatorStatus
from portal.validators import age_on, birth_date_from_id

#: 人民调解法 第十四条: a people's mediator is an adult citizen.
ADULT_AGE = 18
ADULT_MESSAGE = "人民调解员应为成年公民（年满18周岁）"
BIRTH_MISMATCH_MESSAGE = "出生日期与身份证号中的出生日期不一致"
#: The hours one training may count.
TRAINING_HOURS = (Decimal("0.5"), Decimal("500"))
TRAINING_HOURS_MESSAGE = "学时应在0.5至500之间"


def is_adult(born: date, today: date) -> bool:
    """Return True when someone born on `born` is 18 or older on `today`."""
    return age_on(born, today) >= ADULT_AGE


def birth_date_error(birth: date, id_number: str | None, today: date) -> str | None:
    """Return why a typed birth date is refused: it differs from the ID number's, or makes a minor."""
    from_id = birth_date_from_id(id_number or "")
    if from_id is not None and birth != from_id:
        return BIRTH_MISMATCH_MESSAGE
    return None if is_adult(birth, today) else ADULT_MESSAGE


def adult_by_id_error(id_number: str | None, birth: date | None, today: date) -> str | None:
    """Without a birth date, the ID number's birth date must make the person an adult."""
    born = birth_date_from_id(id_number or "")
    if birth is None and born is not None and not is_adult(born, today):
        return ADULT_MESSAGE
    return None


def training_hours_error(hours: Decimal) -> str | None:
    """Return the message when a training's hours lie outside TRAINING_HOURS."""
    low, high = TRAINING_HOURS
    return None if low <= hours <= high else TRAINING_HOURS_MESSAGE


def prepare_mediator(mediator: Mediator, today: date) -> None:
    """Fill what a saved mediator derives: the birth date from the ID number, the 离任 date of a retired
    mediator (today when not given); an active mediator has none."""
    if mediator.birth_date is None:
        mediator.birth_date = birth_date_from_id(mediator.id_number)
    if mediator.status == MediatorStatus.RETIRED and mediator.left_on is None:
        mediator.left_on = today
    if mediator.status == MediatorStatus.ACTIVE:
        mediator.left_on = None


def prepare_expert(expert: Expert) -> None:
    """An expert without an ID number stores none (the column is unique; "" would collide)."""
    if expert.id_number == "":
        expert.id_number = None


def retire_mediators(session: Session, mediators: Iterable[Mediator], on: date) -> int:
    """Record that mediators left office (离任) on a date; commits. Returns how many changed."""
    count = 0
    for mediator in mediators:
        if mediator.status == MediatorStatus.RETIRED:
            continue
        mediator.status = MediatorStatus.RETIRED
        mediator.left_on = on
        count += 1
    session.commit()
    return count


def reinstate_mediators(session: Session, mediators: Iterable[Mediator]) -> int:
    """Put retired mediators back in office; commits."""
    count = 0
    for mediator in mediators:
        if mediator.status == MediatorStatus.ACTIVE:
            continue
        mediator.status = MediatorStatus.ACTIVE
        mediator.left_on = None
        count += 1
    session.commit()
    return count


def withdraw_experts(session: Session, experts: Iterable[Expert]) -> int:
    """Take experts out of the pool (已退出); commits."""
    count = 0
    for expert in experts:
        if expert.status != ExpertStatus.WITHDRAWN:
            expert.status = ExpertStatus.WITHDRAWN
            count += 1
    session.commit()
    return count
