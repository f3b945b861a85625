"""Flask-Admin setup: one `Admin` per app, the dashboard and the register views."""

from __future__ import annotations

import os

from flask import Flask
from flask_admin import Admin, expose
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from portal.admin.base import PortalIndexView
from portal.admin.dictionary import DisputeTypeView
from portal.admin.orgs import OrganizationView
from portal.admin.people import ExpertView, MediatorView
from portal.admin.users import AuditEventView, UserView
from portal.extensions import db
from portal.models import AuditEvent, DisputeType, Expert, Mediator, Organization, User
from portal.services import stats

REGISTERS = "组织与人员"
SYSTEM = "系统管理"


class DashboardView(PortalIndexView):
    """工作台: figures of the user's subtree."""

    @expose("/")
    def index(self):
        """Show the dashboard."""
        return self.render("admin/dashboard.html", overview=stats.register_overview(db.session, current_user))


def init_admin(app: Flask) -> Admin:
    """Build the admin for this app (a new one per `create_app`, so tests do not share views)."""
    admin = Admin(
        name="大调解综合管理平台",
        # Our catalogue completes and refines Flask-Admin's Chinese (its shipped .mo lags its .po).
        translations_path=os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations"),
        theme=Bootstrap4Theme(base_template="admin/portal_base.html", fluid=True),
        index_view=DashboardView(name="工作台", url="/admin", menu_icon_type="fa", menu_icon_value="fa-home"),
    )
    admin.add_view(
        OrganizationView(Organization, name="调解组织", endpoint="organizations", category=REGISTERS)
    )
    admin.add_view(MediatorView(Mediator, name="调解员名册", endpoint="mediators", category=REGISTERS))
    admin.add_view(ExpertView(Expert, name="特邀专家库", endpoint="experts", category=REGISTERS))
    admin.add_view(DisputeTypeView(DisputeType, name="纠纷类型", endpoint="dispute_types", category=SYSTEM))
    admin.add_view(UserView(User, name="用户管理", endpoint="users", category=SYSTEM))
    admin.add_view(AuditEventView(AuditEvent, name="审计日志", endpoint="audit", category=SYSTEM))
    admin.init_app(app)
    return admin
