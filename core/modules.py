"""Modules: discovery through entry points, the dependency graph, loading, and the live
switch between enabled and disabled.

Every importable module is loaded at start-up (its hooks registered, its blueprints and
migrations known). Which modules are *active* is data: the ``core_module`` table and a
serial in ``core_meta`` that each enable/disable bumps. Each process re-reads the serial
at most every ``MODULES_REFRESH_SECONDS`` and recomputes its active set, so a change
reaches every web worker and scheduler without a restart.
"""

from __future__ import annotations

import graphlib
import importlib
import importlib.util
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pluggy
import sqlalchemy as sa

from core.manifest import Manifest, ManifestError

log = logging.getLogger("comptoir.modules")

ENTRY_POINT_GROUP = "comptoir.modules"
CORE_DIST = "comptoir"
LOADED, BROKEN = "loaded", "broken"
ENABLED, DISABLED = "enabled", "disabled"


class ModuleError(Exception):
    """An enable/disable request that cannot be carried out (the message says why)."""

    def __init__(self, message: str, *, names: list[str] | None = None, status: int = 409):
        super().__init__(message)
        self.names = names or []
        self.status = status


@dataclass
class Module:
    name: str
    import_path: str
    dist: str
    builtin: bool
    manifest: Manifest | None = None
    status: str = LOADED  # loaded or broken
    error: str | None = None
    package: ModuleType | None = None
    plugin: ModuleType | None = None
    blueprints: list = field(default_factory=list)
    path: Path | None = None

    @property
    def version(self) -> str:
        return self.manifest.version if self.manifest else "?"

    @property
    def depends(self) -> tuple[str, ...]:
        return self.manifest.depends if self.manifest else ()

    @property
    def summary(self) -> str:
        return self.manifest.summary if self.manifest else ""

    @property
    def migrations_path(self) -> Path | None:
        if self.path and (self.path / "migrations").is_dir():
            return self.path / "migrations"
        return None

    def mark_broken(self, reason: str) -> None:
        if self.status != BROKEN:
            self.status = BROKEN
            self.error = reason
            log.error("module %s is broken: %s", self.name, reason)


def discover(safe_mode: bool = False, group: str = ENTRY_POINT_GROUP) -> list[Module]:
    """Find modules through entry points and read their manifests (no module code runs)."""
    found: dict[str, list[Module]] = {}
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist else "?"
        module = Module(name=ep.name, import_path=ep.value, dist=dist, builtin=dist == CORE_DIST)
        if safe_mode and not module.builtin:
            continue
        found.setdefault(ep.name, []).append(module)
    modules: list[Module] = []
    for name, candidates in sorted(found.items()):
        if len(candidates) > 1:
            # Editable and regular installs of one distribution can show twice: same path.
            distinct = {(m.dist, m.import_path) for m in candidates}
            if len(distinct) > 1:
                for module in candidates:
                    module.mark_broken(
                        f"duplicate name '{name}', provided by "
                        + ", ".join(sorted(f"{d} ({p})" for d, p in distinct))
                    )
                    modules.append(module)
                continue
        module = candidates[0]
        _read_manifest(module)
        modules.append(module)
    return modules


def _read_manifest(module: Module) -> None:
    try:
        spec = importlib.util.find_spec(module.import_path)
    except (ImportError, ValueError) as exc:
        module.mark_broken(f"cannot find package '{module.import_path}': {exc}")
        return
    if spec is None or not spec.submodule_search_locations:
        module.mark_broken(f"'{module.import_path}' is not an importable package")
        return
    module.path = Path(list(spec.submodule_search_locations)[0])
    try:
        module.manifest = Manifest.from_file(module.path / "manifest.toml")
    except ManifestError as exc:
        module.mark_broken(f"bad manifest: {exc}")
        return
    if module.manifest.name != module.name:
        module.mark_broken(
            f"bad manifest: field 'name' is '{module.manifest.name}' but the entry point "
            f"is named '{module.name}'"
        )


def resolve(modules: list[Module], core_version: str) -> list[Module]:
    """Mark modules broken for unsupported core versions, missing dependencies and cycles
    (and, transitively, their dependents); return the loadable ones in dependency order."""
    by_name = {m.name: m for m in modules}
    for module in modules:
        if module.status == BROKEN:
            continue
        if not module.manifest.supports_core(core_version):
            module.mark_broken(
                f"needs core {module.manifest.core}, but this is core {core_version}"
            )
    for module in modules:
        if module.status == BROKEN:
            continue
        missing = [d for d in module.depends if d not in by_name]
        if missing:
            module.mark_broken("missing dependency: " + ", ".join(missing))
    # Cycles, among the modules still standing.
    graph = {m.name: set(m.depends) for m in modules if m.status != BROKEN}
    while True:
        try:
            order = list(graphlib.TopologicalSorter(graph).static_order())
            break
        except graphlib.CycleError as exc:
            cycle = exc.args[1]
            text = " -> ".join(cycle)
            for name in set(cycle):
                by_name[name].mark_broken(f"dependency cycle: {text}")
                graph.pop(name, None)
    _propagate_broken(modules)
    return [by_name[n] for n in order if n in by_name and by_name[n].status != BROKEN]


def _propagate_broken(modules: list[Module]) -> None:
    by_name = {m.name: m for m in modules}
    changed = True
    while changed:
        changed = False
        for module in modules:
            if module.status == BROKEN:
                continue
            for dep in module.depends:
                if dep in by_name and by_name[dep].status == BROKEN:
                    module.mark_broken(f"depends on broken module '{dep}'")
                    changed = True
                    break


def _short_traceback(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip()


class ModuleRegistry:
    """The modules of one application: what is loaded, what is active, and the hooks."""

    def __init__(self, app, pm: pluggy.PluginManager, core_version: str):
        self.app = app
        self.pm = pm
        self.core_version = core_version
        self.modules: dict[str, Module] = {}
        self.order: list[str] = []  # loaded modules, dependency order
        self.blueprint_owner: dict[str, str] = {}
        self._active: frozenset[str] = frozenset()
        self._serial: str | None = None
        self._checked_at = 0.0
        self._states_read = False  # the states were read from the database at least once
        self._lock = threading.RLock()
        self._callers: dict[str, pluggy.HookCaller] = {}
        self._impls: dict[str, list] = {}
        self.hook_failures: dict[str, str] = {}
        self.hook_failure_count = 0  # ever: a caller can tell whether its call_each skipped one
        self._plugin_count = 0
        #: derived data (access rules...) valid for the current active set and plugins.
        self.cache: dict = {}

    # --- loading -----------------------------------------------------------------

    def load(self, modules: list[Module]) -> None:
        self.modules = {m.name: m for m in modules}
        ordered = resolve(modules, self.core_version)
        for module in ordered:
            if any(self.modules[d].status == BROKEN for d in module.depends):
                module.mark_broken(f"depends on broken module '{module.depends[0]}'")
                continue
            try:
                module.package = importlib.import_module(module.import_path)
                specs = _optional_submodule(module.import_path, "hookspecs")
                if specs is not None:
                    self.pm.add_hookspecs(specs)
            except Exception as exc:  # any failure to import is the module's, not ours
                module.mark_broken(f"import failed: {_short_traceback(exc)}")
                _propagate_broken(modules)
        for module in ordered:
            if module.status == BROKEN:
                continue
            try:
                module.plugin = _optional_submodule(module.import_path, "hooks")
                if module.plugin is not None:
                    self.pm.register(module.plugin, name=module.name)
            except Exception as exc:
                module.mark_broken(f"registration failed: {_short_traceback(exc)}")
                _propagate_broken(modules)
        self._check_pending()
        # Anything that became broken after registration leaves the plugin manager.
        for module in modules:
            if module.status == BROKEN and module.plugin and self.pm.is_registered(module.plugin):
                self.pm.unregister(module.plugin)
        self.order = [m.name for m in ordered if m.status != BROKEN]

    def _check_pending(self) -> None:
        """``pm.check_pending()``, but blaming (and disabling) the module at fault."""
        for name in dir(self.pm.hook):
            if name.startswith("_"):
                continue
            caller = getattr(self.pm.hook, name)
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                module = self.modules.get(impl.plugin_name)
                if module is not None:
                    module.mark_broken(f"implements unknown hook '{name}'")
        _propagate_broken(list(self.modules.values()))
        # What is left must pass pluggy's own check.
        for module in self.modules.values():
            if module.status == BROKEN and module.plugin and self.pm.is_registered(module.plugin):
                self.pm.unregister(module.plugin)
        self.pm.check_pending()

    def loaded(self) -> list[Module]:
        return [self.modules[n] for n in self.order]

    def get(self, name: str) -> Module | None:
        return self.modules.get(name)

    # --- the active set ---------------------------------------------------------

    @property
    def active(self) -> frozenset[str]:
        return self._active

    def is_active(self, name: str) -> bool:
        """Modules by their state; the core, and plugin objects registered by hand (tests,
        names that are not modules), always."""
        root = name.split(".")[0]
        if root in self._active:
            return True
        return root == "core" or root not in self.modules

    def refresh(self, force: bool = False) -> None:
        """Re-read the module states if the serial moved (at most once per interval)."""
        interval = self.app.config.get("MODULES_REFRESH_SECONDS", 1.0)
        now = time.monotonic()
        if not force and now - self._checked_at < interval:
            return
        from core.db import db
        from core.models import CoreMeta, CoreModule

        with self._lock:
            self._checked_at = now
            try:
                serial = db.session.execute(
                    sa.select(CoreMeta.value).where(CoreMeta.key == "modules_serial")
                ).scalar()
                if serial == self._serial and not force:
                    return
                states = dict(db.session.execute(sa.select(CoreModule.name, CoreModule.state)).all())
            except sa.exc.DBAPIError:
                db.session.rollback()
                if self._states_read:
                    # The database is unreachable for a moment: keep what we knew (the
                    # request then fails on its own query with a 503, not a 404).
                    return
                # No schema yet (before `comptoir db upgrade`): built-ins only.
                serial, states = None, {m.name: ENABLED for m in self.loaded() if m.builtin}
            else:
                self._states_read = True
            self._serial = serial
            self._set_active(states)

    def _set_active(self, states: dict[str, str]) -> None:
        active: set[str] = set()
        for name in self.order:  # dependency order: deps are decided first
            module = self.modules[name]
            if states.get(name) == ENABLED and all(d in active for d in module.depends):
                active.add(name)
        active = frozenset(active)
        if active != self._active:
            self._active = active
            self._callers.clear()
            self._impls.clear()
            self.cache.clear()
            log.info("active modules: %s", ", ".join(sorted(active)) or "(none)")

    # --- hooks --------------------------------------------------------------------

    def _inactive_plugins(self) -> list:
        return [plugin for name, plugin in self.pm.list_name_plugin()
                if plugin is not None and not self.is_active(name)]

    def _check_plugins(self) -> None:
        """Plugins registered or removed by hand (tests) invalidate the caches."""
        count = len(self.pm.get_plugins())
        if count != self._plugin_count:
            self._plugin_count = count
            self._callers.clear()
            self._impls.clear()
            self.cache.clear()

    def caller(self, name: str) -> pluggy.HookCaller:
        self._check_plugins()
        caller = self._callers.get(name)
        if caller is None:
            caller = self.pm.subset_hook_caller(name, self._inactive_plugins())
            self._callers[name] = caller
        return caller

    def active_impls(self, name: str) -> list[tuple[str, object]]:
        """(module name, HookImpl) of active implementations, core first, in load order."""
        self._check_plugins()
        impls = self._impls.get(name)
        if impls is None:
            rank = {n: i for i, n in enumerate(["core", *self.order])}
            hook_caller = getattr(self.pm.hook, name, None)
            impls = []
            if hook_caller is not None:
                for impl in hook_caller.get_hookimpls():
                    if self.is_active(impl.plugin_name):
                        impls.append((impl.plugin_name, impl))
            impls.sort(key=lambda pair: rank.get(pair[0], len(rank)))
            self._impls[name] = impls
        return impls

    def all_impls(self, name: str) -> list[tuple[str, object]]:
        """Implementations of every loaded module, active or not (start-up registration)."""
        hook_caller = getattr(self.pm.hook, name, None)
        if hook_caller is None:
            return []
        rank = {n: i for i, n in enumerate(["core", *self.order])}
        impls = [(impl.plugin_name, impl) for impl in hook_caller.get_hookimpls()]
        impls.sort(key=lambda pair: rank.get(pair[0], len(rank)))
        return impls

    def note_hook_failure(self, module: str, hook_name: str) -> None:
        self.hook_failures[module] = f"hook {hook_name} raised (see the log)"
        self.hook_failure_count += 1

    # --- states -----------------------------------------------------------------

    def state_of(self, name: str, states: dict[str, str]) -> str:
        module = self.modules[name]
        if module.status == BROKEN:
            return BROKEN
        return ENABLED if name in self._active else DISABLED

    def dependents(self, name: str) -> list[str]:
        """Loaded modules that need ``name``, directly or not."""
        result: list[str] = []
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for other in self.order:
                module = self.modules[other]
                if current in module.depends and other not in result:
                    result.append(other)
                    frontier.append(other)
        return result

    def dependencies(self, name: str) -> list[str]:
        """``name`` and everything it needs, dependencies first."""
        result: list[str] = []

        def visit(n: str) -> None:
            for dep in self.modules[n].depends:
                visit(dep)
            if n not in result:
                result.append(n)

        visit(name)
        return result


def _optional_submodule(package: str, name: str) -> ModuleType | None:
    full = f"{package}.{name}"
    try:
        spec = importlib.util.find_spec(full)
    except ModuleNotFoundError:
        return None
    if spec is None:
        return None
    return importlib.import_module(full)
