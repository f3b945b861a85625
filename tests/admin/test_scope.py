"""属地管理: a township's users never reach another township's records, whatever id they type."""

from __future__ import annotations

import io

import openpyxl
import pytest

from portal.extensions import db
from portal.models import Mediator, MediatorStatus


def _xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return list(book.active.iter_rows(values_only=True))


def test_entry_lists_only_its_subtree(login_as, county):
    """The mediator list of township A shows A and its villages, not B."""
    page = login_as("entry_a").get("/admin/mediators/").text
    assert "马集调解员" in page and "前李调解员" in page
    assert "柳林调解员" not in page and "后王调解员" not in page


@pytest.mark.parametrize("page", ["details", "edit"])
def test_entry_cannot_open_other_township_by_id(login_as, county, page):
    """Changing the id in the URL to B's mediator gives 404, for details and edit alike."""
    other = county.mediators["柳林调解员"]
    response = login_as("entry_a").get(f"/admin/mediators/{page}/?id={other.id}")
    assert response.status_code == 404
    assert "柳林调解员" not in response.text


def test_entry_cannot_save_other_township_by_id(login_as, county):
    """A forged edit POST for B's mediator is refused and changes nothing."""
    other = county.mediators["柳林调解员"]
    response = login_as("entry_a").post(
        f"/admin/mediators/edit/?id={other.id}",
        data={"name": "被篡改", "organization": county.mj.id, "gender": "male", "id_number": other.id_number},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Mediator, other.id).name == "柳林调解员"


def test_entry_cannot_run_action_on_other_township(login_as, county):
    """A forged bulk action with B's id touches nothing."""
    other = county.mediators["柳林调解员"]
    mine = county.mediators["马集调解员"]
    response = login_as("entry_a").post(
        "/admin/mediators/action/", data={"action": "retire", "rowid": [str(other.id), str(mine.id)]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mediator, other.id).status == MediatorStatus.ACTIVE
    assert db.session.get(Mediator, mine.id).status == MediatorStatus.RETIRED


def test_export_is_scoped_and_masked(login_as, county):
    """The xlsx export holds only the subtree's mediators, with ID numbers and phones masked."""
    response = login_as("entry_a").get("/admin/mediators/export/xlsx/")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    header, body = rows[0], rows[1:]
    names = {row[header.index("姓名")] for row in body}
    assert names == {"马集调解员", "前李调解员"}
    ids = [row[header.index("身份证号")] for row in body]
    phones = [row[header.index("联系电话")] for row in body]
    assert all("********" in value for value in ids)
    assert all("****" in value for value in phones)
    assert county.mediators["马集调解员"].id_number not in response.data.decode("latin-1")


def test_list_masks_id_numbers_and_phones(login_as, county):
    """Lists and details never show a whole ID number."""
    client = login_as("admin")
    person = county.mediators["马集调解员"]
    assert person.phone not in client.get("/admin/mediators/").text
    details = client.get(f"/admin/mediators/details/?id={person.id}").text
    assert person.id_number not in details
    assert person.id_number[:6] + "********" + person.id_number[-4:] in details


def test_org_filter_outside_scope_yields_nothing(login_as, county):
    """Filtering by another township's id does not open its records."""
    client = login_as("entry_a")
    response = client.get(f"/admin/mediators/?flt0_0={county.ll.id}")
    assert "柳林调解员" not in response.text


def test_organisation_tree_is_scoped(login_as, county):
    """A township user sees its own node and villages, not the county or the other township."""
    client = login_as("entry_a")
    page = client.get("/admin/organizations/").text
    assert "马集镇人民调解委员会" in page and "前李村人民调解委员会" in page
    assert "柳林镇人民调解委员会" not in page
    assert client.get(f"/admin/organizations/details/?id={county.ll.id}").status_code == 404


def test_experts_held_above_are_visible_but_read_only(login_as, county):
    """The county's expert pool is visible to a township admin, who cannot change it."""
    client = login_as("admin_a")
    expert = county.experts["县专家"]
    page = client.get("/admin/experts/").text
    assert "县专家" in page and "柳林专家" not in page
    response = client.post(
        f"/admin/experts/edit/?id={expert.id}",
        data={
            "name": "改名",
            "gender": "male",
            "profession": "律师",
            "organization": county.mj.id,
            "lock_version": expert.version,
        },
    )
    assert response.status_code == 200
    assert "该记录由上级单位管理" in response.text
    db.session.expire_all()
    assert db.session.get(type(expert), expert.id).name == "县专家"


def test_entry_cannot_assign_a_mediator_to_another_township(login_as, county):
    """The organisation choice is limited to the subtree; a forged id is rejected by validation."""
    client = login_as("entry_a")
    form = client.get("/admin/mediators/new/").text
    assert "柳林镇人民调解委员会" not in form
    response = client.post(
        "/admin/mediators/new/",
        data={
            "name": "越界",
            "organization": county.ll.id,
            "gender": "male",
            "id_number": "11010519491231002X",
            "position": "mediator",
            "employment": "part_time",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert db.session.query(Mediator).filter_by(name="越界").count() == 0
