"""The SQLite search index: chunking, and search results identical to a plain substring scan."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Case, PartyRole
from portal.services import search
from portal.services.deadlines import local_today
from tests.factories import new_case, person


def test_chunks_and_phrases():
    """Texts become overlapping two-character chunks; unusable terms are left to the scan."""
    assert search.chunks("上官丽华") == "上官 官丽 丽华"
    assert search.chunks("红") == "红"
    assert search.phrase("秀英") == '"秀英"'
    assert search.phrase("第12号") == '"第1 12 2号"'
    assert search.phrase("红") is None
    assert search.phrase('a"b') is None  # ASCII punctuation never reaches the MATCH syntax


@pytest.fixture
def ledger(county):
    """A few cases with names that overlap in tricky ways."""
    admin, today = county.users["admin"], local_today()
    return [
        new_case(
            db.session,
            admin,
            county.mj,
            today=today,
            parties=("上官丽华", "王秀英"),
            summary="宅基地边界争议",
        ),
        new_case(db.session, admin, county.mj, today=today, parties=("丽华", "张秀"), summary="借款未还"),
        new_case(
            db.session,
            admin,
            county.ll,
            today=today,
            parties=("秀英", "官丽"),
            summary="噪音扰民，多次协商无果",
        ),
    ]


TERMS = [
    "丽华",
    "上官丽华",
    "官丽华",
    "秀英",
    "王秀英",
    "边界争议",
    "人调字第1号",
    "（20",
    "MJ",
    "LL人调",
    "，多次",
    "红",
    "无此人",
]


@pytest.mark.parametrize("term", TERMS)
def test_search_matches_the_plain_scan(county, login_as, ledger, term):
    """Whatever the term, the ledger lists exactly the cases whose fields contain it."""
    expected = {c.number for c in ledger if term in c.number or term in c.party_names or term in c.summary}
    page = login_as("admin").get("/admin/cases/", query_string={"search": term}).text
    assert {c.number for c in ledger if c.number in page} == expected


def test_index_follows_later_changes(county, login_as, ledger):
    """A party added or renamed after registration is found by the new name, not the old."""
    case = ledger[1]
    case.parties.append(person("欧阳娜娜", PartyRole.THIRD, seq=9))
    case.parties[0].name = "丽芳"
    db.session.commit()
    client = login_as("admin")
    assert case.number in client.get("/admin/cases/", query_string={"search": "欧阳娜"}).text
    assert case.number in client.get("/admin/cases/", query_string={"search": "丽芳"}).text
    assert case.number not in client.get("/admin/cases/", query_string={"search": "丽华 借款"}).text


def test_rebuild_recreates_every_row(ledger):
    """The index is derived data: a rebuild indexes every case again."""
    connection = db.session.connection()
    if not search.available(connection):
        pytest.skip("the index exists on SQLite only")
    assert search.rebuild(connection) == db.session.query(Case).count()
    assert search.hits(db.session, search.phrase("上官丽华")) == 1
