"""Enabling and disabling modules: the one service behind the CLI, the API and the page."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.models import CoreMeta, CoreModule
from core.modules import BROKEN, DISABLED, ENABLED, ModuleError


def registry():
    return current_app.extensions["comptoir"]


@dataclass
class ModuleView:
    name: str
    version: str
    summary: str
    depends: list[str]
    state: str
    error: str | None
    builtin: bool
    author: str
    license: str


def list_modules() -> list[ModuleView]:
    reg = registry()
    reg.refresh(force=True)
    views = []
    for name in sorted(reg.modules):
        module = reg.modules[name]
        state = BROKEN if module.status == BROKEN else (
            ENABLED if reg.is_active(name) else DISABLED)
        manifest = module.manifest
        views.append(ModuleView(
            name=name, version=module.version, summary=module.summary,
            depends=list(module.depends), state=state,
            error=module.error or reg.hook_failures.get(name), builtin=module.builtin,
            author=manifest.author if manifest else "", license=manifest.license if manifest else "",
        ))
    return views


def unknown(name: str) -> ModuleError:
    known = ", ".join(sorted(registry().modules)) or "(none)"
    return ModuleError(f"unknown module '{name}'; known modules: {known}", status=404,
                       names=sorted(registry().modules))


def _lock() -> None:
    """Serialize module changes across processes (SQLite: the immediate transaction)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(727001)"))


def _bump_serial() -> None:
    meta = db.session.get(CoreMeta, "modules_serial")
    if meta is None:
        db.session.add(CoreMeta(key="modules_serial", value="1"))
    else:
        meta.value = str(int(meta.value) + 1)


def _set_state(name: str, state: str) -> None:
    reg = registry()
    row = db.session.get(CoreModule, name)
    if row is None:
        row = CoreModule(name=name, state=state)
        db.session.add(row)
    row.state = state
    row.installed_version = reg.modules[name].version


def enable(name: str) -> list[str]:
    """Enable ``name`` and what it depends on; upgrade their schemas. Returns the
    modules that were switched on."""
    from core import migrate
    from core.plugins import call_each

    reg = registry()
    module = reg.get(name)
    if module is None:
        raise unknown(name)
    if module.status == BROKEN:
        raise ModuleError(f"module '{name}' is broken: {module.error}", status=409)
    needed = reg.dependencies(name)
    for dep in needed:
        if reg.modules[dep].status == BROKEN:
            raise ModuleError(f"'{name}' needs '{dep}', which is broken: {reg.modules[dep].error}")
    reg.refresh(force=True)
    to_enable = [n for n in needed if not reg.is_active(n)]
    if not to_enable:
        return []
    # Schema first (its own transactions), then the states, all at once.
    migrate.upgrade(to_enable)
    try:
        _lock()
        for dep in to_enable:
            _set_state(dep, ENABLED)
        _bump_serial()
        db.session.flush()
        reg.refresh(force=True)
        for dep in to_enable:
            call_each("on_module_enabled", safe=False, name=dep)
        db.session.commit()
    except Exception:
        db.session.rollback()
        reg.refresh(force=True)
        raise
    return to_enable


def disable(name: str, *, cascade: bool = False) -> list[str]:
    """Disable ``name``; with ``cascade`` also the modules that need it (otherwise a
    ModuleError lists them). Data stays."""
    reg = registry()
    module = reg.get(name)
    if module is None:
        raise unknown(name)
    reg.refresh(force=True)
    if not reg.is_active(name):
        return []
    dependents = [d for d in reg.dependents(name) if reg.is_active(d)]
    if dependents and not cascade:
        raise ModuleError(
            f"'{name}' is needed by: {', '.join(dependents)}; disable them too (confirm)",
            names=dependents, status=409,
        )
    to_disable = [*dependents, name]
    try:
        _lock()
        for item in to_disable:
            _set_state(item, DISABLED)
        _bump_serial()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    reg.refresh(force=True)
    return to_disable


def initialize_new_database() -> list[str]:
    """On a database without module states: the built-in modules start enabled."""
    reg = registry()
    has_rows = db.session.scalar(sa.select(sa.func.count()).select_from(CoreModule))
    if has_rows:
        return []
    builtins = [m.name for m in reg.loaded() if m.builtin]
    for name in builtins:
        _set_state(name, ENABLED)
    _bump_serial()
    db.session.commit()
    reg.refresh(force=True)
    return builtins


def upgrade_all() -> list[str]:
    """``comptoir db upgrade``: core, then every enabled module (idempotent)."""
    from core import migrate

    migrate.upgrade([])
    reg = registry()
    initialize_new_database()
    states = dict(db.session.execute(sa.select(CoreModule.name, CoreModule.state)).all())
    enabled = [n for n in reg.order if states.get(n) == ENABLED]
    migrate.upgrade(enabled)
    db.session.commit()
    reg.refresh(force=True)
    return enabled
