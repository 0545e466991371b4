"""Every hook is in the reference with its exact signature, and has a test of its own."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "hooks.md"


def hookspec_modules():
    import importlib

    from core import hookspecs

    modules = [hookspecs]
    for name in ("calendar", "crm", "sales"):
        try:
            modules.append(importlib.import_module(f"modules.{name}.hookspecs"))
        except ModuleNotFoundError:
            continue
    return modules


def all_hooks():
    hooks = {}
    for module in hookspec_modules():
        for name, fn in vars(module).items():
            if callable(fn) and hasattr(fn, "comptoir_spec"):
                hooks[name] = fn
    return hooks


def documented() -> dict[str, str]:
    text = REFERENCE.read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"^### (\w+)\((.*)\)$", text, re.M)}


def test_every_hook_has_a_one_line_docstring():
    for name, fn in all_hooks().items():
        doc = (fn.__doc__ or "").strip()
        assert doc and "\n" not in doc, f"hook {name} needs a one-line docstring"


@pytest.mark.parametrize("name", sorted(all_hooks()))
def test_hook_is_documented_with_its_signature(name):
    fn = all_hooks()[name]
    params = ", ".join(inspect.signature(fn).parameters)
    docs = documented()
    assert name in docs, f"docs/hooks.md has no section '### {name}({params})'"
    assert docs[name] == params, f"docs/hooks.md says {name}({docs[name]}), the code says {name}({params})"


def test_no_documented_hook_is_gone():
    assert set(documented()) <= set(all_hooks())


def test_every_hook_has_a_test():
    """A hook is tested when some test file other than this one names it."""
    texts = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py")
                      if p.name != "test_hook_reference.py")
    untested = sorted(name for name in all_hooks() if name not in texts)
    assert not untested, f"hooks without a test: {untested}"
