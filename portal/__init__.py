"""The 大调解 portal: a Flask app built by `create_app`."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user

from portal.config import Config, engine_options, secure_cookies
from portal.extensions import (
    babel,
    configure_sqlite,
    csrf,
    db,
    init_sessions,
    limiter,
    login_manager,
    mark_reading_request,
    migrate,
    retry_connects,
)
from portal.headers import init_headers

log = logging.getLogger(__name__)

# Endpoints reachable without signing in; everything else redirects to /login.
# The health probes (portal/health.py) answer the load balancer and carry no data.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.set_language",
    "static",
    "admin.static",
    "verify.verify",
    "health.healthz",
    "health.readyz",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an app instance; `config` overrides the environment (tests)."""
    app = Flask(
        __name__, instance_relative_config=True, template_folder="../templates", static_folder="../static"
    )
    app.config.from_mapping(Config.load(app.instance_path))
    if config:
        app.config.update(config)
    secure_cookies(app.config)
    if "SQLALCHEMY_ENGINE_OPTIONS" not in (config or {}):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config.get("PROXY_FIX"):
        # Behind nginx: trust that many proxies' X-Forwarded-For/-Proto/-Host/-Port (docs/deploy.md), so
        # sign-in throttling and the logs see the client's address and url_for the public scheme and host.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    db.init_app(app)
    init_sessions(app)
    app.before_request(mark_reading_request)  # first: before any hook that queries
    with app.app_context():
        configure_sqlite(db.engine)
        for engine in db.engines.values():
            retry_connects(engine, app.config.get("DB_CONNECT_RETRY", 0))
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    init_headers(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)
    _init_audit()

    from portal import health
    from portal.admin import init_admin
    from portal.auth.views import bp as auth_bp
    from portal.cli import register_cli
    from portal.errors import register_error_handlers
    from portal.pdf import fonts
    from portal.pdf.views import bp as verify_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(verify_bp)
    health.init_app(app)
    app.add_template_filter(_beijing_date, "beijing_date")
    if not app.config.get("TESTING"):
        fonts.check(log)  # a missing HarfBuzz or CJK font is said once, at start
    init_admin(app)
    register_cli(app)
    register_error_handlers(app)
    app.before_request(_require_login)
    app.add_url_rule("/", "home", lambda: redirect(url_for("admin.index")))
    return app


def _beijing_date(value) -> str:
    """Format a stored UTC time as its date in the office's zone (Beijing), e.g. 2026年11月24日."""
    from portal import clock

    if value is None:
        return ""
    local = clock.local_date(value)
    return f"{local.year}年{local.month}月{local.day}日"


def _select_locale() -> str:
    """Use the language the user chose, else Simplified Chinese."""
    from flask import current_app

    return session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_login(app: Flask) -> None:
    from portal.models.auth import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None


def _init_audit() -> None:
    from sqlalchemy.orm import Session

    from portal.services import answer_index, audit, search, tally

    def web_actor() -> audit.Actor | None:
        if not request or not current_user or not current_user.is_authenticated:
            return None
        return audit.Actor(current_user.id, current_user.full_name, request.remote_addr)

    audit.set_actor_provider(_in_request(web_actor))
    if not getattr(Session, "_portal_audited", False):
        audit.register(Session)
        search.register(Session)
        answer_index.register(Session)
        tally.register(Session)
        Session._portal_audited = True  # type: ignore[attr-defined]


def _in_request(provider):
    from flask import has_request_context

    def wrapped():
        return provider() if has_request_context() else None

    return wrapped


def _require_login():
    """Send anonymous visitors of any non-public page to the sign-in page."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None
