"""Manifests and the dependency graph, without any application."""

import pytest

from core.manifest import Manifest, ManifestError
from core.modules import BROKEN, Module, resolve

BASE = {"name": "alpha", "version": "1.0", "summary": "A", "author": "Me", "license": "MIT",
        "core": ">=0.1,<1"}


@pytest.mark.parametrize(("change", "field"), [
    ({"name": None}, "name"),
    ({"name": "Bad-Name"}, "name"),
    ({"version": "not a version"}, "version"),
    ({"core": "~~1"}, "core"),
    ({"depends": "beta"}, "depends"),
    ({"depends": ["alpha"]}, "depends"),
    ({"summary": ""}, "summary"),
    ({"colour": "red"}, "colour"),
    ({"auto_install": "yes"}, "auto_install"),
])
def test_bad_manifest_names_the_field(change, field):
    data = {**BASE, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ManifestError) as info:
        Manifest.from_dict(data)
    assert info.value.field == field
    assert field in str(info.value)


def test_good_manifest():
    manifest = Manifest.from_dict({**BASE, "depends": ["beta"]})
    assert manifest.depends == ("beta",)
    assert manifest.supports_core("0.1.0")
    assert not manifest.supports_core("1.0.0")


def module(name, depends=(), core=">=0.1,<1"):
    m = Module(name=name, import_path=f"x.{name}", dist="x", builtin=False)
    m.manifest = Manifest.from_dict({**BASE, "name": name, "depends": list(depends), "core": core})
    return m


def names(modules):
    return [m.name for m in modules]


def test_dependency_order():
    mods = [module("sales"), module("crm", ["calendar"]), module("calendar"), module("bridge", ["crm", "sales"])]
    order = names(resolve(mods, "0.1.0"))
    assert order.index("calendar") < order.index("crm") < order.index("bridge")
    assert order.index("sales") < order.index("bridge")


def test_missing_dependency_breaks_module_and_dependents():
    mods = [module("aa", ["ghost"]), module("bb", ["aa"]), module("cc")]
    assert names(resolve(mods, "0.1.0")) == ["cc"]
    assert mods[0].status == BROKEN and "missing dependency: ghost" in mods[0].error
    assert mods[1].status == BROKEN and "depends on broken module 'aa'" in mods[1].error


def test_cycle_is_named():
    mods = [module("aa", ["bb"]), module("bb", ["aa"]), module("cc", ["aa"]), module("dd")]
    assert names(resolve(mods, "0.1.0")) == ["dd"]
    assert "dependency cycle" in mods[0].error and "aa" in mods[0].error and "bb" in mods[0].error
    assert mods[2].status == BROKEN


def test_unsupported_core_version():
    mods = [module("old", core="<0.1"), module("ok")]
    assert names(resolve(mods, "0.1.0")) == ["ok"]
    assert "needs core <0.1, but this is core 0.1.0" in mods[0].error
