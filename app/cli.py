"""`flask --app app goodplay ...` (or `python app.py goodplay ...`): setting up and operating a database.

`goodplay init` is the one place that writes at set-up: indexes, layout migrations, catalogs, the payment
provider record, the bootstrap admin and (with demo data on) the demo records. It is idempotent: run it
before every start (scripts/run.sh, the container start-up, the test session).
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.core.infrastructure import EXTENSION


def init_database(app: Flask, *, demo: bool | None = None) -> None:
    """Set the app's database up (idempotent). demo=None follows SEED_DEMO_DATA."""
    install_schema(app)
    install_content(app, demo=demo)


def install_schema(app: Flask) -> None:
    """Indexes and layout migrations of every module."""
    registry = app.extensions[EXTENSION]
    for module, _services in registry.modules():
        module.setup.install_schema(registry.infra)


def install_content(app: Flask, *, demo: bool | None = None) -> None:
    """Catalogs, the payment provider record, the bootstrap admin, and the demo data when `demo`."""
    registry = app.extensions[EXTENSION]
    demo = app.config["SEED_DEMO_DATA"] if demo is None else demo
    with app.app_context():
        for module, services in registry.modules():
            module.setup.install_content(registry.infra, services, demo=demo)


def init_cli(app: Flask) -> None:
    group = AppGroup("goodplay", help="Set up and operate the GoodPlay database.")

    @group.command("init")
    @click.option("--demo/--no-demo", default=None, help="Load the demo data (default: SEED_DEMO_DATA).")
    def init(demo):
        """Create indexes, migrate layouts, install catalogs, the bootstrap admin and demo data."""
        init_database(current_app, demo=demo)
        click.echo("database ready")

    @group.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--first-name", default="GoodPlay")
    @click.option("--last-name", default="Admin")
    def create_admin(email, password, first_name, last_name):
        """Create an admin account (or promote an existing one)."""
        auth = current_app.extensions[EXTENSION].core.auth
        user = auth.ensure_admin(email=email, password=password, first_name=first_name, last_name=last_name)
        click.echo(f"admin {user['email']} ready (id {user['_id']})")

    @group.command("retry-hooks")
    def retry_hooks():
        """Run one hook-manager retry pass now."""
        click.echo(current_app.extensions[EXTENSION].infra.hooks.retry_pass())

    @group.command("mail")
    @click.option("--to", default=None, help="Only the mail to this address.")
    @click.option("--limit", default=10, show_default=True)
    def mail(to, limit):
        """The newest messages of the mail outbox, with their plain-text bodies (without a mail server, in
        development, this is where the verification and reset links are)."""
        rows, total = current_app.extensions[EXTENSION].core.mail.page(to=to, limit=limit)
        for message in rows:
            click.echo(f"--- {message['created_at']:%Y-%m-%d %H:%M:%S} {message['status']} to {message['to']}")
            click.echo(f"Subject: {message['subject']}\n\n{message['text']}\n")
        click.echo(f"{len(rows)} of {total} messages")

    @group.command("send-mail")
    def send_mail():
        """Send the mail that is due now (what the mail_send job does every MAIL_SEND_SECONDS)."""
        click.echo(current_app.extensions[EXTENSION].core.mail.send_due())

    app.cli.add_command(group)
