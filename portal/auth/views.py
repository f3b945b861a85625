"""Auth views: thin wrappers around `portal.services.accounts`."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.extensions import db, limiter
from portal.services import DomainError, accounts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return `target` if it is a path on this site, else the dashboard."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


def _client() -> accounts.Client:
    """Return where the request comes from, for the sign-in log."""
    return accounts.Client(request.remote_addr, request.user_agent.string or None)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        policy = accounts.LockoutPolicy(
            current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]
        )
        try:
            user = accounts.authenticate(
                db.session, form.username.data, form.password.data, policy, client=_client()
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            session.clear()  # a fresh session on sign-in prevents session fixation
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign the user out."""
    accounts.sign_out(db.session, current_user, _client())
    logout_user()
    session.clear()
    flash("您已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let the signed-in user change their own password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                current_user,
                form.current.data,
                form.new.data,
                current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except DomainError as exc:
            form[exc.field or "new"].errors.append(exc.message)
        else:
            flash("密码已修改", "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the user's interface language."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
