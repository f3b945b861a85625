"""One battery over every admin view and every role: who may open, create and edit what."""

from __future__ import annotations

import pytest

# endpoint -> roles that may open its list
READERS = {
    "case_library": {"admin", "evaluator", "clerk", "entry"},
    "excellent_cases": {"admin", "evaluator", "entry"},
    "cases": {"admin", "evaluator", "clerk", "entry"},
    "my_cases": {"admin", "entry"},
    "case_warnings": {"admin", "evaluator", "clerk", "entry"},
    "zero_reports": {"admin", "evaluator", "clerk", "entry"},
    "organizations": {"admin", "evaluator", "clerk", "entry"},
    "mediators": {"admin", "evaluator", "clerk", "entry"},
    "experts": {"admin", "evaluator", "clerk", "entry"},
    "dispute_types": {"admin", "evaluator", "clerk", "entry"},
    "reviews": {"admin", "evaluator", "clerk"},
    "assessment_rounds": {"admin", "evaluator", "clerk"},
    "assessment_templates": {"admin", "evaluator", "clerk"},
    "subsidies": {"admin", "evaluator", "clerk"},
    "subsidy_policy": {"admin", "evaluator", "clerk"},
    "subsidy_claims": {"admin", "evaluator", "clerk", "entry"},
    "recognitions": {"admin", "evaluator", "clerk"},
    "recognition_criteria": {"admin", "evaluator", "clerk"},
    "users": {"admin"},
    "audit": {"admin"},
    "sign_ins": {"admin"},
    "form_definitions": {"admin"},
    "form_design": {"admin"},
    "issued_documents": {"admin", "evaluator", "clerk"},
    "print_jobs": {"admin", "evaluator", "clerk"},
    "screening_plans": {"admin", "evaluator", "clerk", "entry"},
    "screening_records": {"admin", "evaluator", "clerk", "entry"},
    "meetings": {"admin", "evaluator", "clerk", "entry"},
    "assignments": {"admin", "evaluator", "clerk", "entry"},
    "analysis": {"admin", "evaluator", "clerk"},
    "dispute_table": {"admin", "evaluator", "clerk"},
    "imports": {"admin", "entry"},
}
# endpoint -> roles that may open the create form
CREATORS = {
    "case_library": set(),
    "excellent_cases": set(),  # proposed from the case page
    "cases": {"admin", "entry"},
    "my_cases": {"admin", "entry"},
    "case_warnings": set(),
    "zero_reports": {"admin", "entry"},
    "organizations": {"admin"},
    "mediators": {"admin", "entry"},
    "experts": {"admin"},
    "dispute_types": {"admin"},
    "reviews": {"admin", "evaluator"},
    "assessment_rounds": {"evaluator"},
    "assessment_templates": {"admin"},
    "subsidies": set(),
    "subsidy_policy": set(),
    "subsidy_claims": {"admin", "entry"},
    "recognitions": {"evaluator"},
    "recognition_criteria": {"admin"},
    "users": {"admin"},
    "audit": set(),
    "sign_ins": set(),
    "form_definitions": {"admin"},
    "form_design": set(),
    "issued_documents": set(),
    "print_jobs": set(),
    "screening_plans": {"admin", "entry"},
    "screening_records": {"admin", "entry"},
    "meetings": {"admin", "entry"},
    "assignments": set(),
    "analysis": set(),
    "dispute_table": set(),
    "imports": set(),
}
# endpoint -> roles that may change its records (forms, actions, steps); none: a read-only register
WRITERS = {
    "case_library": {"admin"},  # nothing to change (案例推荐审核 does), closed below the root
    "excellent_cases": {"admin", "evaluator", "entry"},
    "cases": {"admin", "entry"},
    "my_cases": {"admin", "entry"},
    "case_warnings": {"admin", "entry"},
    "zero_reports": {"admin", "entry"},
    "organizations": {"admin"},
    "mediators": {"admin", "entry"},
    "experts": {"admin"},
    "dispute_types": {"admin"},
    "reviews": {"admin", "evaluator"},
    "assessment_rounds": {"evaluator"},
    "assessment_templates": {"admin"},
    "subsidies": set(),
    "subsidy_policy": {"admin"},
    "subsidy_claims": {"admin", "evaluator", "entry"},  # 申报 / 审核 / 审批 and 发放
    "recognitions": {"evaluator"},
    "recognition_criteria": {"admin"},
    "users": {"admin"},
    "audit": set(),
    "sign_ins": set(),
    "form_definitions": {"admin"},
    "form_design": {"admin"},
    "issued_documents": set(),
    "print_jobs": set(),
    "screening_plans": {"admin", "entry"},
    "screening_records": {"admin", "entry"},
    "meetings": {"admin", "entry"},
    "assignments": {"admin", "entry"},
    "analysis": {"admin", "evaluator"},  # the 研判意见
    "dispute_table": set(),
    "imports": {"admin", "entry"},  # registers by administrators, historical cases also by entry users
}
ROLE_USERS = {"admin": "admin", "evaluator": "evaluator", "clerk": "clerk", "entry": "entry_a"}


def test_every_admin_view_is_in_the_battery(app):
    """A new view must be added to READERS, CREATORS and WRITERS, so nothing escapes the battery."""
    endpoints = {v.endpoint for v in app.extensions["admin"][0]._views} - {"admin"}
    assert endpoints == set(READERS) == set(CREATORS) == set(WRITERS)


@pytest.mark.parametrize("endpoint", sorted(READERS))
@pytest.mark.parametrize("page", ["/", "/new/", "/details/?id=1", "/edit/?id=1", "/export/xlsx/"])
def test_anonymous_is_sent_to_login(client, endpoint, page):
    """Every admin page redirects an anonymous visitor to /login."""
    response = client.get(f"/admin/{endpoint}{page}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/", "/admin/", "/password"])
def test_anonymous_is_sent_to_login_elsewhere_too(client, path):
    """Non-admin pages are closed as well."""
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("endpoint", sorted(READERS))
@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_list_access_by_role(login_as, endpoint, role):
    """A role sees a register's list only if it may (200), otherwise 403."""
    client = login_as(ROLE_USERS[role])
    response = client.get(f"/admin/{endpoint}/")
    expected = 200 if role in READERS[endpoint] else 403
    assert response.status_code == expected
    if expected == 200:
        assert "大调解综合管理平台" in response.text


@pytest.mark.parametrize("endpoint", sorted(READERS))
@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_create_form_access_by_role(login_as, endpoint, role):
    """Only writing roles get the create form; a role that may not write is refused (403), a writer of a
    register without a create form (or a read-only register) is sent back to the list."""
    client = login_as(ROLE_USERS[role])
    response = client.get(f"/admin/{endpoint}/new/")
    if role not in READERS[endpoint] or (WRITERS[endpoint] and role not in WRITERS[endpoint]):
        assert response.status_code == 403
    elif role in CREATORS[endpoint]:
        assert response.status_code == 200
    else:
        assert response.status_code == 302


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_dashboard_shows_chinese_for_every_role(login_as, role):
    """The dashboard greets every role in Chinese."""
    response = login_as(ROLE_USERS[role]).get("/admin/")
    assert response.status_code == 200
    assert "工作台" in response.text
    assert "在职调解员" in response.text
