"""Flask commands: seed-demo, create-user, forms load/export, print-worker; backup (portal.backup)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from portal.cli_import import register_import_cli
from portal.extensions import db
from portal.models.auth import Role
from portal.models.formdef import FormDefinition
from portal.models.org import Organization
from portal.services import DomainError, accounts, audit, formdefs

SYSTEM_ACTOR = audit.Actor(None, "命令行")


def register_cli(app: Flask) -> None:
    """Attach the portal's commands to the app."""
    from portal.backup.cli import register_backup_cli

    register_backup_cli(app)

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
        click.echo(f"演示账户 admin / evaluator / evaluator2 / clerk / entry，密码：{DEMO_PASSWORD}")

    @app.cli.command("load-assessment-templates")
    def load_assessment_templates_command() -> None:
        """Add the two shipped assessment templates (调解员, 调委会) where they are missing."""
        from portal.services import standard_templates

        with audit.acting_as(SYSTEM_ACTOR):
            added = standard_templates.install(db.session)
            db.session.commit()
        click.echo(f"已载入考评方案 {len(added)} 个：{'、'.join(t.name for t in added) or '（均已存在）'}")

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

    @app.cli.command("print-worker")
    @click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
    def print_worker_command(burst: bool) -> None:
        """Run an RQ worker for batch prints (批量打印) on the REDIS_URL queue; start one per host."""
        from redis import Redis
        from rq import Queue, Worker

        from portal.pdf.jobs import QUEUE

        url = app.config.get("REDIS_URL")
        if not url:
            raise click.ClickException("未设置 REDIS_URL：未配置 Redis 时批量打印在网站进程内运行")
        connection = Redis.from_url(url)
        # The worker runs inside this command's app context; each job opens its own (pdf.jobs).
        queue = Queue(app.config.get("PRINT_JOBS_QUEUE") or QUEUE, connection=connection)
        # Look for jobs whose worker died and run them again (pdf.jobs) about every minute (RQ's default:
        # ten): an idle worker runs its maintenance between blocking reads of the queue, which last
        # worker_ttl - 15 seconds.
        Worker([queue], connection=connection, worker_ttl=75, maintenance_interval=60).work(burst=burst)

    register_import_cli(app)

    forms = click.Group("forms", help="Load and export low-code form definitions (forms/*.yaml).")
    app.cli.add_command(forms)

    @forms.command("load")
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    def forms_load_command(path: Path) -> None:
        """Load definition files (a file or a folder) and publish those that changed."""
        try:
            with audit.acting_as(SYSTEM_ACTOR):
                results = formdefs.load_path(db.session, path, None)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        for definition, version in results:
            state = f"发布第{version.number}版" if version else f"未变化（第{definition.latest.number}版）"
            click.echo(f"{definition.key}: {definition.title} — {state}")

    @forms.command("export")
    @click.argument("key", required=False)
    @click.option("--version", "number", type=int, help="A published version (default: the draft).")
    @click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
    @click.option("--out", type=click.Path(path_type=Path), help="A file, or a folder when exporting all.")
    def forms_export_command(key: str | None, number: int | None, fmt: str, out: Path | None) -> None:
        """Export one definition (by key) or, without KEY, all of them into --out."""
        query = select(FormDefinition).order_by(FormDefinition.key)
        definitions = db.session.scalars(query.where(FormDefinition.key == key) if key else query).all()
        if not definitions:
            raise click.ClickException(f"找不到表单 {key}" if key else "还没有表单")
        for definition in definitions:
            version = next((v for v in definition.versions if v.number == number), None) if number else None
            if number and version is None:
                raise click.ClickException(f"{definition.key} 没有第{number}版")
            text = formdefs.dump(formdefs.to_file(definition, version), fmt)
            if out is None:
                click.echo(text)
                continue
            target = out / f"{definition.key}.{fmt}" if (not key or out.is_dir()) else out
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            click.echo(f"已导出 {target}")
