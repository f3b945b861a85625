"""Flask commands: seed-demo, create-user."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.auth import Role
from portal.models.org import Organization
from portal.services import DomainError, accounts, audit

SYSTEM_ACTOR = audit.Actor(None, "命令行")


def register_cli(app: Flask) -> None:
    """Attach the portal's commands to the app."""

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing if the database already has organisations.")
    @click.option(
        "--seed", default=2026, show_default=True, help="Random seed: the same seed builds the same county."
    )
    @click.option(
        "--scale", default=1.0, show_default=True, help="Fraction of the full demo size (tests use less)."
    )
    def seed_demo_command(if_empty: bool, seed: int, scale: float) -> None:
        """Load a realistic demo county: organisations, mediators, experts and the demo accounts."""
        from portal.services.demo.seed import DEMO_PASSWORD, seed_demo

        if if_empty and db.session.scalar(select(func.count()).select_from(Organization)):
            click.echo("数据库已有数据，跳过演示数据。")
            return
        with audit.acting_as(SYSTEM_ACTOR):
            summary = seed_demo(db.session, seed=seed, scale=scale)
        for key, value in summary.items():
            click.echo(f"{key}: {value}")
        click.echo(f"演示账户 admin / evaluator / clerk / entry，密码：{DEMO_PASSWORD}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", "full_name", required=True, help="The person's full name.")
    @click.option("--org", "org_code", required=True, help="Organisation 简称 (code) the user belongs to.")
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        type=click.Choice([r.value for r in Role]),
        help="Role; repeat for several.",
    )
    @click.password_option(help="Initial password (asked for when omitted).")
    def create_user_command(
        username: str, full_name: str, org_code: str, roles: tuple[str, ...], password: str
    ) -> None:
        """Create a portal account."""
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"找不到简称为 {org_code} 的组织")
        try:
            with audit.acting_as(SYSTEM_ACTOR):
                user = accounts.create_user(db.session, username, full_name, password, list(roles), org)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(
            f"已创建用户 {user.username}（{'、'.join(r.label for r in user.roles)}），所属：{org.name}"
        )
