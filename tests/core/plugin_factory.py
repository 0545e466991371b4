"""Builds throw-away third-party plugins: a package plus a ``.dist-info`` folder with an
entry point in ``comptoir.modules``, on a folder put on ``sys.path`` — exactly what
``pip install`` leaves behind, without installing anything."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

GOOD_HOOKS = '''
from flask import Blueprint
from core import hookimpl
from core.web import MenuEntry, Panel

bp = Blueprint("{name}", __name__, url_prefix="/{name}")
CALLS = []


@bp.get("/")
def index():
    return "hello from {name}"


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_menu_entries():
    return [MenuEntry("{title}", "{name}.index", icon="star", order=500)]


@hookimpl
def record_panels(record_type, record, user):
    CALLS.append(record_type)
    return Panel(title="{title} panel", html="panel of {name}", order=999)
'''


def write_plugin(root: Path, name: str, *, manifest: dict | None = None, hooks: str | None = None,
                 init: str = "", dist: str | None = None, raw_manifest: str | None = None) -> None:
    """Create package ``cpt_<name>`` and its distribution metadata under ``root``."""
    package = f"cpt_{name}"
    pkg_dir = root / package
    pkg_dir.mkdir(parents=True)
    (pkg_dir / "__init__.py").write_text(init)
    data = {"name": name, "version": "0.1.0", "summary": f"The {name} test plugin",
            "author": "Tests", "license": "MIT", "core": ">=0.1,<1", "depends": []}
    data.update(manifest or {})
    if raw_manifest is None:
        lines = []
        for key, value in data.items():
            if value is None:
                continue
            if isinstance(value, list):
                lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
            elif isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            else:
                lines.append(f'{key} = "{value}"')
        raw_manifest = "\n".join(lines) + "\n"
    (pkg_dir / "manifest.toml").write_text(raw_manifest)
    if hooks is None:
        hooks = GOOD_HOOKS.format(name=name, title=name.title())
    (pkg_dir / "hooks.py").write_text(textwrap.dedent(hooks))
    dist = dist or f"cpt-{name}"
    info = root / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[comptoir.modules]\n{name} = {package}\n")
    importlib.invalidate_caches()


def forget(names: list[str]) -> None:
    for mod in list(sys.modules):
        if any(mod == f"cpt_{n}" or mod.startswith(f"cpt_{n}.") for n in names):
            del sys.modules[mod]
