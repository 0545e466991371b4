"""`comptoir plugins new NAME` writes a project whose own tests pass, installed for real."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_generated_plugin_tests_pass(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["plugins", "new", "memo", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    project = tmp_path / "comptoir-memo"
    assert (project / "comptoir_memo" / "manifest.toml").is_file()
    assert (project / "comptoir_memo" / "migrations" / "memo_0001_notes.py").is_file()
    # Install it the way pip does (package + dist-info with its entry point), apart from
    # the project's own environment, and run its generated tests in a new process.
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(project)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("COMPTOIR_TEST_DATABASE_URL", None)  # its own SQLite database
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(project / "tests")], cwd=project, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout


def test_bad_name_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["plugins", "new", "Bad-Name", "--directory", str(tmp_path)])
    assert result.exit_code != 0 and "lowercase" in result.output
