"""`comptoir db revision MODULE` for a plugin author, with another plugin installed but
never enabled (its branch not in the database): the revision of the model's change is
written. Alembic refused it before ("Target database is not up to date")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_revision_of_a_plugin_beside_one_never_enabled(app, tmp_path):
    site = tmp_path / "site"
    for name in ("memo", "idle"):  # two projects from the plugin template, pip-installed
        result = app.test_cli_runner().invoke(args=["plugins", "new", name, "--directory", str(tmp_path)])
        assert result.exit_code == 0, result.output
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--target", str(site), str(tmp_path / f"comptoir-{name}")], check=True)
    env = {**os.environ, "PYTHONPATH": str(site), "COMPTOIR_SECRET_KEY": "test-revision",
           "COMPTOIR_INSTANCE_PATH": str(tmp_path / "instance"),  # its own instance/comptoir.db
           "COMPTOIR_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}"}
    comptoir = [str(Path(sys.executable).with_name("comptoir"))]  # the console script beside python

    def run(*args):
        done = subprocess.run([*comptoir, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done.stdout

    run("db", "upgrade")
    assert (tmp_path / "dev.db").is_file()
    run("modules", "enable", "memo")
    assert "idle" in run("modules", "list")  # installed, disabled, no tables
    models = site / "comptoir_memo" / "models.py"
    models.write_text(models.read_text().replace(
        "    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)\n",
        "    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)\n"
        "    colour: Mapped[str | None] = mapped_column(sa.String(20))\n"))
    run("db", "revision", "memo", "-m", "a colour for notes")
    written = sorted((site / "comptoir_memo" / "migrations").glob("memo_0002_*.py"))
    assert len(written) == 1
    text = written[0].read_text()
    assert "batch_alter_table('memo_note'" in text and "add_column(sa.Column('colour'" in text
    assert "idle_note" not in text and "crm_" not in text  # the plugin's own tables only
    run("db", "upgrade")  # and the revision applies
