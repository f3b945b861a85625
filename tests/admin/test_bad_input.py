"""Garbage in the query string: lists ignore what their filters cannot take, ids beyond range are 404.

The crawler (tests/test_crawler.py) throws garbage at every route; these pin the cases found by hand
and the exact answers: the Chinese error page, or the list with a Chinese message about the filter.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger, String

from portal.admin import guards

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/admin/organizations/?flt0_0=1", "筛选条件“层级”的值无效：1"),  # not an OrgLevel
        ("/admin/organizations/?flt0_2=%E6%98%AF", "筛选条件“状态”的值无效：是"),
        ("/admin/experts/?flt0_0=abc&flt1_1=abc&flt2_2=abc&flt3_3=abc", "的值无效：abc"),
        (f"/admin/zero_reports/?flt0_0={HUGE}", f"筛选条件“报送单位（含下级）”的值无效：{HUGE}"),
        (f"/admin/reviews/?flt0_2={HUGE}", "的值无效"),
        ("/admin/audit/?flt0_0=abc", "筛选条件“对象类型”的值无效：abc"),
        ("/admin/audit/?flt0_2=a%00b", "筛选条件“操作”的值无效：ab"),
        ("/admin/organizations/?flt0_4=a%00b", "筛选条件“组织名称”的值无效：ab"),
    ],
)
def test_a_filter_value_the_filter_cannot_take_is_ignored_with_a_message(login_as, url, message):
    response = login_as("admin").get(url)
    assert response.status_code == 200
    assert message in response.text


def test_the_invalid_filter_message_is_short(login_as):
    response = login_as("admin").get("/admin/organizations/?flt0_0=" + "x" * 3000)
    assert response.status_code == 200
    assert "的值无效：" + "x" * 40 + "…" in response.text


def test_the_filter_still_works_with_a_valid_value(login_as, county):
    page = login_as("admin").get("/admin/organizations/?flt0_0=township").text
    assert "马集镇人民调解委员会" in page and "前李村人民调解委员会" not in page
    assert "的值无效" not in page


def test_an_org_filter_outside_the_users_subtree_is_refused(login_as, county):
    page = login_as("entry_a").get(f"/admin/zero_reports/?flt0_0={county.ll.id}").text
    assert "筛选条件“报送单位（含下级）”的值无效" in page


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/organizations/details/?id={HUGE}",
        f"/admin/organizations/edit/?id={HUGE}",
        f"/admin/cases/details/?id={HUGE}",
        f"/admin/cases/details/?id={2**31}",  # beyond PostgreSQL's integer
        "/admin/cases/details/?id=-1",
        "/admin/cases/details/?id=a%00b",
        "/admin/assessment_rounds/evidence/?result=abc",
        f"/admin/assessment_rounds/evidence/?result={HUGE}",
        f"/admin/subsidies/details/?id={HUGE}",
        "/admin/subsidies/details/?id=abc",
    ],
)
def test_an_id_that_cannot_exist_is_404_in_chinese(login_as, url):
    response = login_as("admin").get(url)
    assert response.status_code == 404
    assert "未找到" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        f"page={HUGE}",
        "page=abc",
        "sort=999",
        "sort=-5",
        "sort=abc&desc=abc",
        "page_size=-1",
        f"page_size={HUGE}",
        "search=%00",
        "search=a%00b%01c",
        "search=" + "长" * 5000,
    ],
)
def test_paging_sorting_and_search_garbage_shows_the_list(login_as, query):
    for endpoint in ("cases", "organizations", "audit"):
        response = login_as("admin").get(f"/admin/{endpoint}/?{query}")
        assert response.status_code == 200, endpoint


def test_review_form_prefill_ignores_a_case_id_beyond_range(login_as):
    response = login_as("evaluator").get(f"/admin/reviews/new/?case_id={HUGE}")
    assert response.status_code == 200


def test_answers_fragment_ignores_a_dispute_type_beyond_range(login_as):
    response = login_as("admin").get(f"/admin/cases/answers/?dispute_type={HUGE}")
    assert response.status_code == 200 and response.text == ""


def test_parse_int_takes_plain_numbers_within_range_only():
    assert guards.parse_int("42") == 42
    assert guards.parse_int(" -7 ") == -7
    assert guards.parse_int(str(2**31 - 1)) == 2**31 - 1
    for raw in (str(2**31), HUGE, "1.5", "1e3", "abc", "", None, "4\x002", "0x10"):
        assert guards.parse_int(raw) is None
    assert guards.parse_int(str(2**40), limit=2**63) == 2**40


def test_fits_follows_the_column_type():
    assert guards.fits(2**31 - 1, Integer())
    assert not guards.fits(2**31, Integer())
    assert guards.fits(2**31, BigInteger())
    assert not guards.fits(2**15, SmallInteger())
    assert not guards.fits(float("inf"), None) and not guards.fits(float("nan"), None)
    assert not guards.fits(Decimal("1e400"), Numeric(12, 2))
    assert not guards.fits(Decimal("10000000000"), Numeric(12, 2))
    assert guards.fits(Decimal("9999999999.99"), Numeric(12, 2))
    assert not guards.fits("a\x00b", String())
    assert guards.fits(["1", 2], Integer())
    assert not guards.fits([1, 2**40], Integer())


def test_search_text_and_page_number():
    assert guards.search_text("\x00张\x01三\t") == "张三"
    assert guards.search_text("\x00\x01") is None
    assert guards.search_text("长" * 500) == "长" * guards.MAX_SEARCH
    assert guards.page_number(-1) == 0
    assert guards.page_number(10**30) == guards.MAX_PAGE


def test_an_integer_beyond_its_column_is_a_message_on_the_field(login_as):
    """The year of 调解能手评选条件 is unique: Flask-Admin's uniqueness check must not query with 10**30."""
    response = login_as("admin").post("/admin/recognition_criteria/new/", data={"year": HUGE})
    assert response.status_code == 200
    assert "数值超出允许范围" in response.text


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/admin/print_jobs/start/certificates/", {"year": HUGE}, "请填写要打印证书的年度"),
        ("/admin/print_jobs/start/evaluations/", {"round_id": HUGE}, "考评批次不存在"),
    ],
)
def test_batch_printing_with_a_number_beyond_range_is_refused_with_a_message(login_as, url, data, message):
    client = login_as("admin")
    assert client.post(url, data=data).status_code == 302
    with client.session_transaction() as session:
        assert any(message in text for _category, text in session["_flashes"])
