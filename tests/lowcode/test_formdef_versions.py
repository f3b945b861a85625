"""Form versions through the ledger: a case keeps the version it was entered with."""

from __future__ import annotations

import copy
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, DisputeType, FormDefinition
from portal.services import DomainError, formdefs
from tests.admin.test_case_views import registration

TRAFFIC = "13"
V1 = {
    "sections": [
        {
            "title": "事故情况",
            "fields": [
                {"key": "report_no", "label": "事故认定书编号", "type": "text", "required": True},
                {"key": "plate", "label": "车牌号", "type": "text"},
                {"key": "injured", "label": "是否有人受伤", "type": "boolean", "required": True},
                {
                    "key": "injured_count",
                    "label": "受伤人数",
                    "type": "integer",
                    "min": 1,
                    "required": True,
                    "relevant": "${injured} = true",
                },
                {
                    "key": "claim",
                    "label": "索赔金额",
                    "type": "money",
                    "constraint": ". <= 10000000",
                    "constraint_message": "索赔金额超出上限",
                },
            ],
        }
    ]
}


def _type(code: str) -> DisputeType:
    return db.session.scalar(select(DisputeType).where(DisputeType.code == code))


@pytest.fixture
def traffic_form(county):
    """A published v1 of the traffic form."""
    definition = formdefs.create(db.session, "traffic_test", "道路交通事故", _type(TRAFFIC))
    formdefs.save_draft(db.session, definition, V1, None)
    formdefs.publish(db.session, definition, county.users["admin"], "首版")
    return definition


def _v2_body() -> dict:
    body = copy.deepcopy(V1)
    fields = body["sections"][0]["fields"]
    fields[0]["label"] = "交通事故认定书编号"  # renamed label
    del fields[1]  # removed the plate field
    fields.append({"key": "insurer", "label": "保险公司", "type": "text", "required": True})  # new, required
    return body


def _answers(**extra) -> dict:
    data = {
        "answers.report_no": "鲁公交认字〔2026〕第0012号",
        "answers.plate": "鲁P12345",
        "answers.injured": "1",
        "answers.injured_count": "3",
        "answers.claim": "82000.50",
    }
    data.update(extra)
    return data


def test_registration_stores_answers_with_their_version(county, login_as, traffic_form):
    """The case form checks the type's fields on the server and keeps answers + version."""
    client = login_as("entry_a")
    data = registration(county, dispute_type=_type(TRAFFIC).id, **_answers())
    response = client.post("/admin/cases/new/", data=data)
    assert response.status_code == 302, response.text
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.form_version == traffic_form.latest
    assert case.answers == {
        "report_no": "鲁公交认字〔2026〕第0012号",
        "plate": "鲁P12345",
        "injured": True,
        "injured_count": 3,
        "claim": 82000.5,
    }


def test_registration_shows_chinese_errors_and_drops_hidden_values(county, login_as, traffic_form):
    """A missing required answer keeps the form open with its message; a hidden field keeps no value."""
    client = login_as("entry_a")
    bad = registration(county, dispute_type=_type(TRAFFIC).id, **_answers(**{"answers.injured_count": ""}))
    response = client.post("/admin/cases/new/", data=bad)
    assert response.status_code == 200
    assert "请填写此项" in response.text and "附加信息有 1 处需要修改" in response.text
    assert "鲁P12345" in response.text  # nothing typed is lost
    hidden = registration(
        county,
        dispute_type=_type(TRAFFIC).id,
        **_answers(**{"answers.injured": "0", "answers.injured_count": "9"}),
    )
    assert client.post("/admin/cases/new/", data=hidden).status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert "injured_count" not in case.answers and case.answers["injured"] is False


def test_old_case_renders_edits_and_exports_with_its_own_version(county, login_as, traffic_form):
    """v2 renames a label, removes a field and adds a required one; the v1 case is untouched by all three."""
    client = login_as("entry_a")
    assert (
        client.post(
            "/admin/cases/new/", data=registration(county, dispute_type=_type(TRAFFIC).id, **_answers())
        ).status_code
        == 302
    )
    old = db.session.scalar(select(Case).order_by(Case.id.desc()))
    formdefs.save_draft(db.session, traffic_form, _v2_body(), None)
    v2 = formdefs.publish(db.session, traffic_form, county.users["admin"], "第二版")
    assert v2.number == 2

    page = client.get(f"/admin/cases/details/?id={old.id}").text
    assert "事故认定书编号" in page and "交通事故认定书编号" not in page
    assert "车牌号" in page and "鲁P12345" in page and "保险公司" not in page
    assert "第1版" in page and "现行为第2版" in page

    form = client.get(f"/admin/cases/edit/?id={old.id}").text
    assert 'name="answers.plate"' in form and 'name="answers.insurer"' not in form
    data = registration(
        county,
        dispute_type=_type(TRAFFIC).id,
        lock_version=old.version,
        **_answers(**{"answers.plate": "鲁P54321"}),
    )
    data.update(
        {"parties-0-id": old.parties[0].id, "parties-1-id": old.parties[1].id, "parties-1-id_number": ""}
    )
    assert client.post(f"/admin/cases/edit/?id={old.id}", data=data).status_code == 302
    db.session.expire_all()
    assert old.form_version.number == 1 and old.answers["plate"] == "鲁P54321"

    # A new case uses v2 and must answer the new required field.
    response = client.post(
        "/admin/cases/new/", data=registration(county, dispute_type=_type(TRAFFIC).id, **_answers())
    )
    assert response.status_code == 200 and "请填写此项" in response.text

    admin = login_as("admin")
    sheet = load_workbook(
        io.BytesIO(admin.get(f"/admin/cases/export/xlsx/?flt0_0={_type(TRAFFIC).id}").data)
    ).active
    header = [c.value for c in sheet[1]]
    assert "交通事故认定书编号" in header and "车牌号" in header and "保险公司" in header
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == old.number)
    assert row[header.index("车牌号")] == "鲁P54321"
    assert row[header.index("交通事故认定书编号")] == "鲁公交认字〔2026〕第0012号"


def test_answer_filter(county, login_as, traffic_form):
    """The ledger filters by an answer: 交通事故 cases with injured_count >= 3."""
    client = login_as("entry_a")
    for count in ("1", "3", "5"):
        data = registration(
            county,
            dispute_type=_type(TRAFFIC).id,
            summary=f"受伤{count}人的事故",
            **_answers(**{"answers.injured_count": count}),
        )
        assert client.post("/admin/cases/new/", data=data).status_code == 302
    view = next(
        v for v in client.application.extensions["admin"][0]._views if getattr(v, "endpoint", "") == "cases"
    )
    index = next(i for i, f in enumerate(view._filters) if f.name == "附加信息条件")
    key = next(k for k, (i, _f) in view._filter_args.items() if i == index)
    page = client.get("/admin/cases/", query_string={f"flt0_{key}": "injured_count >= 3"}).text
    assert "受伤3人" in page and "受伤5人" in page and "受伤1人" not in page
    page = client.get(
        "/admin/cases/", query_string={f"flt0_{key}": "${report_no} = 'x' and plate = '鲁P12345'"}
    ).text
    assert "受伤3人" not in page
    page = client.get("/admin/cases/", query_string={f"flt0_{key}": "__import__('os')"}).text
    assert "附加信息条件无效" in page


def test_publish_refuses_lint_problems_and_key_type_changes(county, traffic_form):
    """Publishing lints, names the field, and keeps a published key's type."""
    body = copy.deepcopy(V1)
    body["sections"][0]["fields"][1]["relevant"] = "${nowhere} = 1"
    formdefs.save_draft(db.session, traffic_form, body, None)
    with pytest.raises(DomainError, match="plate.*nowhere"):
        formdefs.publish(db.session, traffic_form, None)
    body = copy.deepcopy(V1)
    body["sections"][0]["fields"][1]["type"] = "integer"
    formdefs.save_draft(db.session, traffic_form, body, None)
    with pytest.raises(DomainError, match="第1版中该标识是“单行文本”"):
        formdefs.publish(db.session, traffic_form, None)
    assert [v.number for v in traffic_form.versions] == [1]


def test_stale_draft_edit_is_refused(county, traffic_form):
    """Two administrators edit one draft: the second save is refused."""
    seen = traffic_form.version
    formdefs.save_draft(db.session, traffic_form, _v2_body(), seen)
    with pytest.raises(DomainError, match="已被他人修改"):
        formdefs.save_draft(db.session, traffic_form, V1, seen)


def test_history_describes_changes(county, traffic_form):
    """The history lists what each version changed."""
    formdefs.save_draft(db.session, traffic_form, _v2_body(), None)
    formdefs.publish(db.session, traffic_form, None)
    (v2, changes), (v1, first) = formdefs.history(traffic_form)
    assert first == ["首次发布"]
    assert "新增字段“保险公司”（insurer，单行文本）" in changes
    assert "删除字段“车牌号”（plate）" in changes
    assert any("标签由“事故认定书编号”改为“交通事故认定书编号”" in c for c in changes)


def test_file_round_trip(county, traffic_form):
    """Export to YAML and import again gives the same body."""
    text = formdefs.dump(formdefs.to_file(traffic_form, traffic_form.latest))
    data = formdefs.parse_file(text)
    data["key"] = "traffic_copy"
    data["dispute_type"] = "12"
    definition, version = formdefs.import_file(db.session, data, None, publish_it=True)
    assert version.body == traffic_form.latest.body
    assert db.session.scalar(select(FormDefinition).where(FormDefinition.key == "traffic_copy")) is definition


def test_retired_form_keeps_the_answers_of_an_edited_case(county, login_as, traffic_form):
    """Retiring a form (停用) changes nothing for existing cases: editing one keeps its answers."""
    client = login_as("entry_a")
    data = registration(county, dispute_type=_type(TRAFFIC).id, **_answers())
    assert client.post("/admin/cases/new/", data=data).status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    answers = dict(case.answers)
    traffic_form.archived = True
    db.session.commit()
    form = client.get(f"/admin/cases/edit/?id={case.id}").text
    assert 'name="answers.plate"' in form
    data = registration(
        county, dispute_type=_type(TRAFFIC).id, summary="更正简要情况", lock_version=case.version
    )
    data.update(
        {"parties-0-id": case.parties[0].id, "parties-1-id": case.parties[1].id, "parties-1-id_number": ""}
    )
    data.update(_answers())
    assert client.post(f"/admin/cases/edit/?id={case.id}", data=data).status_code == 302
    db.session.expire_all()
    assert case.summary == "更正简要情况" and case.answers == answers and case.form_version.number == 1


def test_personal_answers_are_filtered_only_by_presence(county, login_as, traffic_form):
    """A masked phone or ID number cannot be read back by comparing it piece by piece."""
    body = copy.deepcopy(V1)
    body["sections"][0]["fields"].append({"key": "driver_phone", "label": "驾驶人电话", "type": "phone"})
    formdefs.save_draft(db.session, traffic_form, body, None)
    formdefs.publish(db.session, traffic_form, None)
    client = login_as("clerk")
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "cases")
    index = next(i for i, f in enumerate(view._filters) if f.name == "附加信息条件")
    arg = view.get_filter_arg(index, view._filters[index])
    page = client.get("/admin/cases/", query_string={f"flt0_{arg}": "driver_phone >= '139'"}).text
    assert "只能按“已填写/未填写”筛选" in page
    page = client.get("/admin/cases/", query_string={f"flt0_{arg}": "driver_phone is not empty"}).text
    assert "附加信息条件无效" not in page


def test_refused_import_leaves_the_draft_alone(county, traffic_form):
    """An import that cannot be published changes nothing, not even the draft."""
    before = copy.deepcopy(traffic_form.draft)
    body = copy.deepcopy(V1)
    body["sections"][0]["fields"][1]["type"] = "integer"  # plate was published as text
    data = {"key": "traffic_test", "title": "改过的标题", "dispute_type": TRAFFIC, **body}
    with pytest.raises(DomainError, match="第1版中该标识是“单行文本”"):
        formdefs.import_file(db.session, data, None, publish_it=True)
    db.session.expire_all()
    assert traffic_form.draft == before and traffic_form.title == "道路交通事故"
