"""``comptoir plugins new NAME``: a new plugin project whose tests pass out of the box."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import click
from flask.cli import with_appcontext

TEMPLATE = Path(__file__).parent / "plugin_template" / "project"


def render_project(name: str, target: Path, *, core_head: str | None, author: str = "You") -> Path:
    """Write the project ``comptoir-<name>`` under ``target``; returns its folder."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", name):
        raise click.BadParameter("use 2-40 lowercase letters, digits or '_', starting with a letter",
                                 param_hint="NAME")
    from core import __version__

    project = target / f"comptoir-{name}"
    if project.exists():
        raise click.ClickException(f"{project} already exists")
    values = {
        "name": name,
        "title": name.replace("_", " ").title() + " notes",
        "summary": f"Notes about partners (the {name} plugin).",
        "author": author,
        "core_min": ".".join(__version__.split(".")[:2]),
        "core_head": repr(core_head),
    }
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).as_posix()
        relative = relative.replace("package/", f"comptoir_{name}/").replace("NAME", name)
        destination = project / relative.removesuffix(".tmpl")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(Template(source.read_text()).safe_substitute(values))
    return project


@click.group("plugins")
def plugins_group():
    """Write new plugins."""


@plugins_group.command("new")
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where to create the project folder.")
@click.option("--author", default="You")
@with_appcontext
def plugins_new(name, directory, author):
    """Create the project comptoir-NAME: a page, an API route, a model with its migration,
    a menu entry, a panel on partner pages, and tests."""
    from core.migrate import branch_heads

    project = render_project(name, directory, core_head=branch_heads().get("core"), author=author)
    click.echo(f"Created {project}\nNext: pip install -e {project} && comptoir modules enable {name}"
               f" && pytest {project}")
