"""Every error page is the portal's own, in Chinese: each code werkzeug knows, 405 on a real route, 500."""

from __future__ import annotations

import re

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

from portal.errors import MESSAGES

ERROR_CODES = sorted(code for code in default_exceptions if code >= 400)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def app(fresh_app):
    """These tests add URL rules, which an app shared with other tests no longer accepts."""
    return fresh_app


def test_every_error_code_werkzeug_can_raise_has_a_chinese_page():
    """A new werkzeug release with a new code fails here until the code has its Chinese title."""
    assert set(ERROR_CODES) <= set(MESSAGES)
    for title, text in MESSAGES.values():
        assert CJK.search(title) and CJK.search(text)


@pytest.mark.parametrize("code", ERROR_CODES)
def test_each_error_renders_the_chinese_page_with_its_status(app, login_as, code):
    app.add_url_rule("/_error/<int:code>", "raise_error", lambda code: abort(code))
    response = login_as("admin").get(f"/_error/{code}")
    assert response.status_code == code
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert f'<h1 class="h4">{MESSAGES[code][0]}</h1>' in body
    assert MESSAGES[code][1] in body
    # werkzeug's English page is gone.
    assert default_exceptions[code].description not in body
    assert "<title>" in body and CJK.search(body.split("<title>", 1)[1].split("</title>", 1)[0])


def test_a_get_on_a_post_only_route_is_a_chinese_405_naming_the_allowed_method(login_as, county):
    """Printing is a POST carrying the CSRF token; opening its address shows the Chinese 405 page."""
    client = login_as("admin")
    for url in ("/admin/cases/print/agreement/?id=1", "/admin/assessment_rounds/print/summary/?id=1"):
        response = client.get(url)
        assert response.status_code == 405
        assert "操作方式不正确" in response.text and "通过页面上的按钮进行操作" in response.text
        assert "Method Not Allowed" not in response.text
        assert "POST" in response.headers["Allow"]


def test_a_get_on_logout_is_a_chinese_405_for_anyone(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "操作方式不正确" in response.text


def test_an_unknown_address_is_the_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "未找到" in response.text and "Not Found" not in response.text


def test_routing_redirects_are_not_turned_into_error_pages(login_as):
    response = login_as("admin").get("/admin/cases")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/admin/cases/")


def test_an_unhandled_exception_is_the_chinese_500(app, login_as):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers, not the test

    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/_boom", "boom", boom)
    response = login_as("admin").get("/_boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "系统错误" in body and "a bug" not in body and "Internal Server Error" not in body
