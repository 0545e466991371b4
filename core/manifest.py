"""The module manifest: a declarative ``manifest.toml`` beside a module's ``__init__.py``.

Read without importing the module's code, and validated field by field, so that a bad
manifest names the field at fault.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
REQUIRED = ("name", "version", "summary", "author", "license", "core")
KNOWN = set(REQUIRED) | {"depends", "auto_install", "website"}


class ManifestError(ValueError):
    def __init__(self, field_name: str, reason: str):
        super().__init__(f"manifest field '{field_name}': {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    summary: str
    author: str
    license: str
    core: str
    depends: tuple[str, ...] = ()
    auto_install: bool = False
    website: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def supports_core(self, core_version: str) -> bool:
        return SpecifierSet(self.core).contains(Version(core_version), prereleases=True)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        unknown = sorted(set(data) - KNOWN)
        if unknown:
            raise ManifestError(unknown[0], "unknown field")
        for name in REQUIRED:
            if name not in data:
                raise ManifestError(name, "is required")
            if not isinstance(data[name], str) or not data[name].strip():
                raise ManifestError(name, "must be a non-empty string")
        if not NAME_RE.match(data["name"]):
            raise ManifestError(
                "name", "must be 2-40 lowercase letters, digits or '_', starting with a letter"
            )
        try:
            Version(data["version"])
        except InvalidVersion:
            raise ManifestError("version", f"'{data['version']}' is not a version") from None
        try:
            SpecifierSet(data["core"])
        except InvalidSpecifier:
            raise ManifestError("core", f"'{data['core']}' is not a version range") from None
        depends = data.get("depends", [])
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise ManifestError("depends", "must be a list of module names")
        for dep in depends:
            if not NAME_RE.match(dep):
                raise ManifestError("depends", f"'{dep}' is not a module name")
        if data["name"] in depends:
            raise ManifestError("depends", "a module cannot depend on itself")
        auto_install = data.get("auto_install", False)
        if not isinstance(auto_install, bool):
            raise ManifestError("auto_install", "must be true or false")
        return cls(
            name=data["name"],
            version=data["version"],
            summary=data["summary"].strip(),
            author=data["author"],
            license=data["license"],
            core=data["core"],
            depends=tuple(depends),
            auto_install=auto_install,
            website=str(data.get("website", "")),
        )

    @classmethod
    def from_file(cls, path: Path) -> Manifest:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError("manifest.toml", f"no manifest at {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError("manifest.toml", f"not valid TOML: {exc}") from None
        return cls.from_dict(data)
