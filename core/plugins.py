"""The pluggy plugin manager, the markers, and the helpers every hook call goes through.

``hook.<name>(...)`` calls the implementations of the core and of the *active* modules
only (pluggy's subset callers, cached per active set); ``call_each`` calls them one at a
time, in module load order, and collects failures instead of letting one module break a
page (or, with ``safe=False``, stops at the first one with a :class:`HookError` naming
the module).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pluggy
from flask import current_app

from core.errors import BusinessError

PROJECT = "comptoir"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger("comptoir.hooks")


def make_plugin_manager(trace: bool = False) -> pluggy.PluginManager:
    from core import hookspecs

    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    if trace:
        pm.trace.root.setwriter(lambda msg: log.info("hook trace: %s", msg.rstrip()))
        pm.enable_tracing()
    return pm


def registry():
    return current_app.extensions["comptoir"]


class _HookProxy:
    """``hook.register_menu_entries()`` -> the results of every active implementation."""

    def __getattr__(self, name: str):
        return registry().caller(name)


hook = _HookProxy()


class HookError(Exception):
    """A module's implementation of a hook raised (``call_each(..., safe=False)``).

    ``module`` names the module (or plugin), ``hook`` the hook, ``original`` the exception
    it raised (also ``__cause__``)."""

    def __init__(self, module: str, original: BaseException, hook: str = ""):
        super().__init__(f"module {module!r} failed in hook {hook or '?'}: "
                         f"{str(original) or type(original).__name__}")
        self.module, self.original, self.hook = module, original, hook


@dataclass
class HookResult:
    module: str
    value: Any


def call_each(name: str, /, *, safe: bool = True, **kwargs) -> list[HookResult]:
    """Call each active implementation of hook ``name`` on its own, in module order.

    With ``safe`` (display hooks: panels, menus), an implementation that raises is logged
    with its module's name and skipped, and the other modules' results still come back.

    With ``safe=False`` (business hooks, in the caller's transaction), the first failure
    stops the call: a refusal meant for the user (``core.errors.BusinessError``:
    ValidationError, Conflict) propagates as it is; anything else becomes
    ``HookError(module, original)`` raised from the original, so the caller can roll back
    and say which module failed.
    """
    reg = registry()
    results: list[HookResult] = []
    for module_name, impl in reg.active_impls(name):
        try:
            value = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception as exc:
            if not safe:
                if isinstance(exc, BusinessError):
                    raise
                raise HookError(module_name, exc, name) from exc
            log.exception("module %r failed in hook %s", module_name, name)
            reg.note_hook_failure(module_name, name)
            continue
        if value is not None:
            results.append(HookResult(module_name, value))
    return results


def flatten(results: list[HookResult]) -> Iterator[tuple[str, Any]]:
    for result in results:
        values = result.value if isinstance(result.value, list | tuple) else [result.value]
        for value in values:
            yield result.module, value
