"""The ``comptoir`` command line: Flask's CLI bound to ``core.create_app``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    from core import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=True)
def main():
    """Comptoir: a modular CRM and sales platform."""


def register_core_commands(app) -> None:
    from core.plugin_new import plugins_group

    for command in (db_group, users_group, modules_group, demo_command, scheduler_command,
                    plugins_group):
        app.cli.add_command(command)


# --- db ---------------------------------------------------------------------------

@click.group("db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Create or upgrade the schema of the core and every enabled module."""
    from core.module_admin import upgrade_all

    enabled = upgrade_all()
    click.echo(f"Schema up to date (core, {', '.join(enabled) or 'no modules'}).")


@db_group.command("recount")
@click.option("--check", is_flag=True, help="Only report differences (exit status 1 if any).")
@with_appcontext
def db_recount(check):
    """Count the running totals (dashboards' tallies) again from their tables. Triggers keep
    them exact; this is for a table restored or loaded with its triggers off."""
    import sqlalchemy as sa

    from core import tally
    from core.db import db

    existing = set(sa.inspect(db.engine).get_table_names())
    wrong = 0
    with db.engine.begin() as connection:
        for name, spec in sorted(tally.REGISTRY.items()):
            if name not in existing or spec.source not in existing:
                continue
            rows = tally.drift(connection, spec)
            wrong += bool(rows)
            if check:
                click.echo(f"{name}: {'exact' if not rows else f'{len(rows)} rows differ'}")
                for key, stored, counted in rows[:20]:
                    click.echo(f"  {key}: stored {stored}, counted {counted}")
            else:
                tally.rebuild(connection, spec)
                click.echo(f"{name}: recounted ({len(rows)} rows were wrong)")
    if check and wrong:
        sys.exit(1)


@db_group.command("revision")
@click.argument("module")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(module, message):
    """(Developers) autogenerate a migration of MODULE's tables into its migrations/."""
    from alembic import command

    from core import migrate

    registry = current_app.extensions["comptoir"]
    if module == "core":
        folder, prefix = str(migrate.HERE / "migrations" / "versions"), "core_"
    else:
        mod = registry.get(module)
        if mod is None or mod.path is None:
            raise click.ClickException(f"unknown module '{module}'")
        (mod.path / "migrations").mkdir(exist_ok=True)
        folder, prefix = str(mod.path / "migrations"), f"{module}_"
    # Alembic compares the database with every head it knows: a module installed but never
    # enabled (no tables, its branch not applied) made it refuse with "Target database is
    # not up to date". Only the branches the database has, and the module's own, count.
    cfg = migrate.alembic_config(only=migrate.applied_branches() | {module})
    cfg.attributes["include_prefix"] = prefix
    heads = migrate.branch_heads()
    kwargs = {"head": f"{module}@head"} if module in heads else {
        "head": "base", "branch_label": module, "depends_on": heads.get("core")}
    command.revision(cfg, message=message, autogenerate=True, version_path=folder,
                     rev_id=f"{module}_{len(list((migrate.Path(folder)).glob('*.py'))) + 1:04d}",
                     **kwargs)


# --- users --------------------------------------------------------------------------

@click.group("users")
def users_group():
    """User accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "manager", "salesperson"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create(email, name, role, password):
    """Create a user."""
    from core.auth import services
    from core.errors import BusinessError

    try:
        user = services.create_user(email=email, name=name, role=role, password=password)
    except BusinessError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()) or exc.message
        raise click.ClickException(details) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users_group.command("token")
@click.argument("email")
@click.option("--name", default="CLI", help="A label to recognise the token by.")
@with_appcontext
def users_token(email, name):
    """Create an API token for EMAIL and print it alone."""
    from core.auth import services

    user = services.find_user(email)
    if user is None or not user.active:
        raise click.ClickException(f"no active user with email '{email}'")
    clear = services.issue_token(user, name)
    click.echo(clear)


# --- modules -------------------------------------------------------------------------

@click.group("modules")
def modules_group():
    """List, enable and disable modules."""


@modules_group.command("list")
@with_appcontext
def modules_list():
    """One line per module: name, version, state, depends (and the error if broken)."""
    from core.module_admin import list_modules

    for m in list_modules():
        depends = ",".join(m.depends) or "-"
        line = f"{m.name:<16} {m.version:<10} {m.state:<9} {depends}"
        if m.error:
            line += f"  ({m.error})"
        click.echo(line)


def _module_error(exc) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


@modules_group.command("enable")
@click.argument("name")
@with_appcontext
def modules_enable(name):
    """Enable NAME and what it depends on."""
    from core.module_admin import enable
    from core.modules import ModuleError

    try:
        done = enable(name)
    except ModuleError as exc:
        _module_error(exc)
    click.echo(f"Enabled: {', '.join(done)}" if done else f"'{name}' was already enabled.")


@modules_group.command("disable")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Also disable the modules that need it.")
@with_appcontext
def modules_disable(name, yes):
    """Disable NAME (and, after confirmation, the modules that need it)."""
    from core.module_admin import disable
    from core.modules import ModuleError

    try:
        done = disable(name, cascade=yes)
    except ModuleError as exc:
        if exc.status == 409 and exc.names and not yes and sys.stdin.isatty():
            if click.confirm(f"{exc} Disable them too?"):
                done = disable(name, cascade=True)
            else:
                sys.exit(1)
        else:
            _module_error(exc)
    click.echo(f"Disabled: {', '.join(done)}" if done else f"'{name}' was already disabled.")


# --- demo, scheduler ----------------------------------------------------------------

@click.command("demo")
@with_appcontext
def demo_command():
    """Load realistic demo data (idempotent)."""
    from core.demo import load_demo

    for line in load_demo():
        click.echo(line)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler in the foreground until SIGINT/SIGTERM."""
    from core.scheduler import run_blocking

    run_blocking(current_app._get_current_object())
