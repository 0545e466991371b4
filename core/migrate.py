"""Alembic, driven from the application: one environment, one branch per module.

Each module keeps its revisions in its own ``migrations/`` folder; its first revision
carries ``branch_labels = ("<module>",)`` and ``depends_on`` the revisions it needs.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from core.db import db

HERE = Path(__file__).parent
VERSION_TABLE = "core_alembic_version"


def alembic_config(only: set[str] | None = None) -> Config:
    """Alembic's configuration over the core's and the loaded modules' revisions (``only``:
    those of these modules)."""
    registry = current_app.extensions["comptoir"]
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    locations = [str(HERE / "migrations" / "versions")]
    for module in registry.loaded():
        if module.migrations_path and (only is None or module.name in only):
            locations.append(str(module.migrations_path))
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["flask_app"] = current_app._get_current_object()
    return cfg


def branch_heads() -> dict[str, str]:
    script = ScriptDirectory.from_config(alembic_config())
    heads = {}
    for rev in script.get_revisions("heads"):
        for label in _labels(script, rev):
            heads[label] = rev.revision
    return heads


def _labels(script: ScriptDirectory, rev) -> set[str]:
    labels = set()
    for r in script.iterate_revisions(rev.revision, "base"):
        labels |= set(r.branch_labels or ())
    return labels


def applied_branches() -> set[str]:
    """The modules whose tables the database has (their branch is in the version table),
    enabled or not."""
    script = ScriptDirectory.from_config(alembic_config())
    labels: set[str] = set()
    for revision in current_revisions():
        found = script.get_revision(revision)
        if found is not None:
            labels |= _labels(script, found)
    return labels


def has_branch(name: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config())
    return any(name in (r.branch_labels or ()) for r in script.walk_revisions())


def upgrade(branches: list[str]) -> None:
    """Upgrade ``core`` and the given modules' branches to their heads."""
    cfg = alembic_config()
    # Migrations run on their own connection: end the session's transaction first, or
    # SQLite's single writer lock would make them wait for us.
    db.session.commit()
    for branch in ["core", *branches]:
        if branch == "core" or has_branch(branch):
            command.upgrade(cfg, f"{branch}@head")


def current_revisions() -> set[str]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return set(context.get_current_heads())
