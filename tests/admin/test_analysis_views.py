"""分析研判 and the statistics table over HTTP: figures link to their cases, the township scope holds on
pages, workbooks and prints, bad periods are messages or the Chinese 400, notes are written by
administrators and evaluators only."""

from __future__ import annotations

import html
import io
import re
from datetime import date

from openpyxl import load_workbook

from portal.extensions import db
from tests import analysis_ledger
from tests.assessment_ledger import registered

OCTOBER = "month=2025-10&half="


def _href(page: str, marker: str) -> str:
    """Return the first link after `marker` in the page."""
    found = re.search(r'href="([^"]+)"', page[page.index(marker) :])
    assert found, marker
    return html.unescape(found[1])


def _cells(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value)


def test_every_count_opens_the_ledger_on_its_cases(county, login_as):
    ledger = analysis_ledger.build(county)
    client = login_as("admin")
    page = client.get(f"/admin/analysis/?org={county.root.id}&{OCTOBER}")
    assert page.status_code == 200 and "2025年10月" in page.text and "上升150.0%" in page.text
    listed = client.get(_href(page.text, 'data-metric="accepted"')).text
    for name in ("c1", "c2", "c3", "c4", "c5"):
        assert ledger[name].number in listed, name
    for name in ("c6", "c8", "c9", "c10a"):  # September, a year before, voided, August
        assert ledger[name].number not in listed, name
    settled = client.get(_href(page.text, 'data-metric="settled"')).text
    assert ledger["c1"].number in settled and ledger["c2"].number in settled
    assert ledger["c3"].number not in settled and ledger["c4"].number not in settled

    table = client.get(f"/admin/dispute_table/?org={county.root.id}&start=2025-10-01&end=2025-10-31")
    assert table.status_code == 200
    oral = client.get(_href(table.text, '<td class="">婚姻家庭纠纷</td>')).text  # its first count
    assert ledger["c2"].number in oral and ledger["c1"].number not in oral
    sheet = client.get(
        f"/admin/dispute_table/export/xlsx/?org={county.root.id}&start=2025-10-01&end=2025-10-31"
    )
    assert sheet.status_code == 200 and "调解民间纠纷分类统计表" in _cells(sheet.data)


def test_a_township_sees_only_its_subtree(county, login_as):
    mine = registered(db.session, county.users["entry_a"], county.mj, date(2025, 10, 16), people_involved=9)
    theirs = registered(db.session, county.users["entry_b"], county.ll, date(2025, 10, 20), people_involved=9)
    client = login_as("admin_a")  # 马集镇's administrator
    own = client.get(f"/admin/analysis/?org={county.mj.id}&month=2025-10&half=2")
    assert own.status_code == 200 and mine.number in own.text and theirs.number not in own.text
    assert county.ll.name not in own.text.split('id="analysis-period"')[1].split("</form>")[0]
    data = client.get(f"/admin/analysis/export/xlsx/?org={county.mj.id}&{OCTOBER}").data
    assert mine.number in _cells(data) and theirs.number not in _cells(data)
    ll = county.ll.id
    for response in (
        client.get(f"/admin/analysis/?org={ll}&{OCTOBER}"),
        client.get(f"/admin/analysis/export/xlsx/?org={ll}&{OCTOBER}"),
        client.post(f"/admin/analysis/print/report/?org={ll}&{OCTOBER}"),
        client.post(f"/admin/analysis/print/circular/?org={ll}&{OCTOBER}"),
        client.post(f"/admin/analysis/notes/?org={ll}&{OCTOBER}", data={"situation": "x"}),
        client.get(f"/admin/dispute_table/?org={ll}"),
        client.get(f"/admin/dispute_table/export/xlsx/?org={ll}"),
        client.get("/admin/analysis/?org=abc"),
        client.get("/admin/dispute_table/?type=99999999"),
    ):
        assert response.status_code == 404
    mine = client.get("/admin/dispute_table/export/xlsx/?start=2025-10-01&end=2025-10-31")
    assert f"填报单位（盖章）：{county.mj.name}" in _cells(mine.data)


def test_bad_periods_are_messages_on_pages_and_400_on_downloads(county, login_as, auth):
    client = login_as("evaluator")
    page = client.get("/admin/analysis/?month=2099-01&half=2")
    assert page.status_code == 200 and "尚未开始" in page.text and "已显示默认期间" in page.text
    assert client.get("/admin/analysis/?month=%00&half=9").status_code == 200
    bad = client.get("/admin/analysis/export/xlsx/?month=2026-13")
    assert bad.status_code == 400 and "月份应在1至12之间" in bad.text
    assert client.post("/admin/analysis/print/report/?month=abc").status_code == 400
    table = client.get("/admin/dispute_table/?start=2025-02-30&end=x")
    assert table.status_code == 200 and "无效" in table.text
    assert client.get("/admin/dispute_table/export/xlsx/?start=1800-01-01").status_code == 400
    swapped = client.get("/admin/dispute_table/?start=2025-10-31&end=2025-10-01")
    assert "已按先后顺序统计" in swapped.text and "2025年10月1日至2025年10月31日" in swapped.text
    auth.logout()
    assert login_as("entry_a").get("/admin/analysis/").status_code == 403


def test_notes_are_written_by_evaluators_with_stale_saves_refused(county, login_as, auth):
    url = f"/admin/analysis/notes/?org={county.mj.id}&month=2025-10&half=1"
    client = login_as("evaluator")
    saved = client.post(
        url, data={"situation": "婚姻家庭纠纷多发", "risks": "", "suggestions": "", "lock_version": ""}
    )
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).text
    assert "婚姻家庭纠纷多发" in page and "已保存" in page
    stale = client.post(url, data={"situation": "我的新意见", "lock_version": ""})
    assert stale.status_code == 200 and "已被他人修改" in stale.text and "我的新意见" in stale.text
    auth.logout()
    clerk = login_as("clerk")
    assert clerk.post(url, data={"situation": "x"}).status_code == 403
    read_only = clerk.get(url.replace("notes/", "")).text
    assert "婚姻家庭纠纷多发" in read_only and 'id="notes-form"' not in read_only
    db.session.expire_all()
