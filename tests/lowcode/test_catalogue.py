"""The shipped form catalogue (forms/*.yaml) and the demo answers made for it."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.lowcode import engine, schema
from portal.models import DisputeType
from portal.services import formdefs
from portal.services.demo.answers import fake_answers

FORMS = Path(__file__).resolve().parents[2] / "forms"
FILES = sorted(FORMS.glob("*.yaml"))
TODAY = date(2026, 11, 24)
# 道路交通事故, 医疗, 拖欠农民工工资, 征地拆迁, 婚姻家庭, 物业, 环境污染; 民间借贷/合同 is checked apart.
REQUIRED_TYPES = {"13", "12", "1001", "08", "01", "14", "09"}
LENDING_TYPES = {"04", "0401"}


def _load(path: Path) -> dict[str, Any]:
    return formdefs.parse_file(path.read_text(encoding="utf-8"))


def _body(data: dict[str, Any]) -> dict[str, Any]:
    """The version body a file publishes, as formdefs.import_file builds it."""
    return {k: data[k] for k in ("description", "choices", "sections") if data.get(k) is not None}


BODIES = {path.stem: _body(_load(path)) for path in FILES}


def _check(name: str, answers: dict[str, Any]) -> engine.Outcome:
    return engine.check(BODIES[name], answers, TODAY.isoformat())


# --- the files --------------------------------------------------------------------------------------------


def test_the_catalogue_covers_the_required_dispute_types():
    types = [_load(path)["dispute_type"] for path in FILES]
    assert REQUIRED_TYPES <= set(types)
    assert LENDING_TYPES & set(types)
    assert len(types) == len(set(types)), "two files claim the same dispute type"
    keys = [_load(path)["key"] for path in FILES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_parses_and_lints_clean(path: Path):
    data = _load(path)
    assert schema.lint(data) == []  # the file's extra top-level keys are no problem
    assert schema.lint(_body(data)) == []
    assert data["key"] == path.stem
    assert data["title"].strip() and data["description"].strip() and data["dispute_type"]
    fields = [f for f, _ in schema.walk(data)]
    assert 10 <= len(fields) <= 25
    assert any(f.get("relevant") for f in fields)
    constrained = [f for f in fields if f.get("constraint")]
    assert constrained and all(f.get("constraint_message") for f in constrained)
    assert all(f.get("label") for f in fields)


def test_traffic_has_a_repeat_group_named_choices_and_a_calculation():
    fields = schema.fields_by_key(BODIES["traffic_accident"])
    assert fields["injured_persons"]["type"] == "repeat"
    assert fields["injured_persons"]["relevant"] == "${injured} = true"
    assert BODIES["traffic_accident"]["choices"]["liability"]
    assert fields["outstanding"]["calculate"]
    assert any(isinstance(f.get("required"), str) for f in fields.values())


def test_the_catalogue_loads_and_publishes_against_the_real_dictionary(app):
    """Every dispute_type code exists, and no two forms claim one type: load_path publishes them all."""
    results = formdefs.load_path(db.session, FORMS, None)
    assert len(results) == len(FILES)
    assert all(version is not None and version.number == 1 for _, version in results)
    for definition, _ in results:
        assert definition.dispute_type is not None
    wages = db.session.scalar(select(DisputeType).where(DisputeType.code == "1001"))
    assert formdefs.version_for_type(db.session, wages).definition.key == "migrant_wage_arrears"


# --- demo answers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BODIES))
def test_fake_answers_always_pass_the_check(name: str):
    body = BODIES[name]
    shown: dict[str, int] = {}
    for seed in range(150):
        answers = fake_answers(body, random.Random(seed), TODAY)
        outcome = engine.check(body, answers, TODAY.isoformat())
        assert outcome.ok, (seed, outcome.errors)
        assert outcome.values == answers  # already the cleaned values a case stores
        for key in answers:
            shown[key] = shown.get(key, 0) + 1
    conditional = [f["key"] for f, g in schema.walk(body) if g is None and f.get("relevant")]
    # Fields behind a condition appear in some answer sets and not in others.
    assert any(0 < shown.get(key, 0) < 150 for key in conditional)
    assert len(shown) >= 0.7 * len([f for f, g in schema.walk(body) if g is None])


def test_fake_answers_are_deterministic_and_plausible():
    body = BODIES["traffic_accident"]
    first = fake_answers(body, random.Random(7), TODAY)
    assert first == fake_answers(body, random.Random(7), TODAY)
    rows = [
        row
        for seed in range(60)
        for row in fake_answers(body, random.Random(seed), TODAY).get("injured_persons", [])
    ]
    assert rows and all(2 <= len(row["injured_name"]) <= 4 for row in rows)
    answers = [fake_answers(body, random.Random(seed), TODAY) for seed in range(60)]
    assert all(a["accident_time"][:10] <= TODAY.isoformat() for a in answers)
    assert all(a.get("advance_paid", 0) <= a["claim_amount"] for a in answers)
    assert any(a.get("injured") for a in answers) and any(a.get("injured") is False for a in answers)


def test_fake_answers_respect_a_case_accepted_long_ago():
    """Dates stay on or before the day the case was accepted (`today` of the answers)."""
    accepted = date(2025, 3, 1)
    for seed in range(40):
        answers = fake_answers(BODIES["medical_dispute"], random.Random(seed), accepted)
        assert answers["treatment_start"] <= accepted.isoformat()


# --- behaviour of the shipped forms -----------------------------------------------------------------------

TRAFFIC = {
    "accident_time": "2026-11-01 08:30",
    "accident_place": "G342 线马集镇段",
    "injured": "否",
    "deaths": "0",
    "insurance_types": ["compulsory"],
    "insurer": "中国人民财产保险股份有限公司清河支公司",
    "claim_amount": "20000",
}


def test_traffic_no_injury_hides_and_drops_the_injury_fields():
    outcome = _check(
        "traffic_accident", {**TRAFFIC, "injured_count": "3", "injured_persons": [{"injured_name": "张三"}]}
    )
    assert outcome.ok, outcome.errors
    assert "injured_count" in outcome.hidden and "injured_persons" in outcome.hidden
    assert "injured_count" not in outcome.values and "injured_persons" not in outcome.values
    assert outcome.values["outstanding"] == 20000


def test_traffic_injury_requires_a_count_no_smaller_than_the_list():
    outcome = _check("traffic_accident", {**TRAFFIC, "injured": "是"})
    assert outcome.errors == {"injured_count": "请填写此项"}
    persons = [
        {"injured_name": "张三", "injury_level": "light"},
        {"injured_name": "李四", "injury_level": "serious", "medical_cost": "1200.50"},
    ]
    outcome = _check(
        "traffic_accident", {**TRAFFIC, "injured": "是", "injured_count": "1", "injured_persons": persons}
    )
    assert outcome.errors == {"injured_count": "受伤人数不能少于下方登记的受伤人员数"}
    outcome = _check(
        "traffic_accident", {**TRAFFIC, "injured": "是", "injured_count": "2", "injured_persons": persons}
    )
    assert outcome.ok, outcome.errors
    assert outcome.values["total_medical_cost"] == 1200.5


def test_traffic_advance_over_claim_is_refused_with_the_message():
    outcome = _check("traffic_accident", {**TRAFFIC, "advance_paid": "25000"})
    assert outcome.errors == {"advance_paid": "已垫付金额不能超过索赔金额"}
    outcome = _check("traffic_accident", {**TRAFFIC, "advance_paid": "5000"})
    assert outcome.ok and outcome.values["outstanding"] == 15000


def test_traffic_report_number_makes_liability_required_and_checks_its_format():
    outcome = _check("traffic_accident", {**TRAFFIC, "report_no": "第371729120260000123号"})
    assert set(outcome.errors) == {"applicant_liability", "respondent_liability"}
    both_full = {"applicant_liability": "full", "respondent_liability": "full"}
    outcome = _check("traffic_accident", {**TRAFFIC, "report_no": "鲁公交认字2026第12号", **both_full})
    assert outcome.errors["report_no"] == "编号应写成“第……号”，中间为 10–20 位数字"
    outcome = _check("traffic_accident", {**TRAFFIC, "plate_no": "鲁R·A1234"})
    assert outcome.errors == {"plate_no": "号牌格式不正确，如“鲁RA1234”“鲁RD12345”"}
    assert _check("traffic_accident", {**TRAFFIC, "plate_no": "鲁RD12345"}).ok
    outcome = _check("traffic_accident", {**TRAFFIC, "report_no": "第371729120260000123号", **both_full})
    assert outcome.errors == {"respondent_liability": "双方不能都负全部责任"}


def test_traffic_future_accident_and_uninsured_with_a_policy_are_refused():
    outcome = _check(
        "traffic_accident",
        {**TRAFFIC, "accident_time": "2026-12-01 10:00", "insurance_types": ["uninsured", "compulsory"]},
    )
    assert outcome.errors == {
        "accident_time": "事故发生时间不能晚于今天",
        "insurance_types": "选择“未投保”时不能再选择其他险种",
    }
    outcome = _check("traffic_accident", {**TRAFFIC, "insurance_types": ["uninsured"]})
    assert outcome.ok and "insurer" in outcome.hidden


WAGES = {
    "employer_name": "山东鑫源建筑工程有限公司",
    "employer_role": "labor_sub",
    "worker_count": "12",
    "arrears_months": "4",
    "arrears_amount": "240000",
    "complained": "否",
}


def test_wages_ten_or_more_workers_ask_about_a_mass_incident():
    outcome = _check("migrant_wage_arrears", {**WAGES, "worker_count": "12"})
    assert outcome.errors == {"mass_incident": "请填写此项", "representatives": "请至少填写一行"}
    rep = {"rep_name": "王建国", "rep_phone": "13953012345", "rep_amount": "300000"}
    outcome = _check("migrant_wage_arrears", {**WAGES, "mass_incident": "否", "representatives": [rep]})
    assert outcome.errors == {"representatives.0.rep_amount": "个人被拖欠金额不能超过拖欠工资总额"}
    rep["rep_amount"] = "20000"
    outcome = _check("migrant_wage_arrears", {**WAGES, "mass_incident": "否", "representatives": [rep]})
    assert outcome.ok, outcome.errors
    assert outcome.values["arrears_per_worker"] == 20000
    few = {**WAGES, "worker_count": "2", "mass_incident": "是", "representatives": [rep, rep, rep]}
    outcome = _check("migrant_wage_arrears", few)
    assert outcome.errors == {"representatives": "工人代表人数不能多于涉及人数"}
    assert "mass_incident" in outcome.hidden


def test_medical_appraisal_result_only_once_the_appraisal_is_done():
    base = {
        "hospital": "清河县人民医院",
        "department": "骨科",
        "treatment_start": "2026-10-01",
        "patient_died": "否",
        "records_sealed": "是",
        "appraisal_applied": "是",
        "claim_amount": "80000",
    }
    assert _check("medical_dispute", base).errors == {"appraisal_status": "请填写此项"}
    assert _check("medical_dispute", {**base, "appraisal_status": "pending"}).ok
    outcome = _check("medical_dispute", {**base, "appraisal_status": "done"})
    assert outcome.errors == {"appraisal_result": "请填写此项"}
    outcome = _check(
        "medical_dispute", {**base, "appraisal_status": "pending", "treatment_end": "2026-09-01"}
    )
    assert outcome.errors == {"treatment_end": "出院日期应在就诊日期之后，且不晚于今天"}
