"""Password policy: long enough, not a common password, not the email."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def password_problems(password: str, email: str = "") -> list[str]:
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", 10)
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > 256:
        problems.append(_("Use at most 256 characters."))
    lowered = password.lower()
    if lowered in common_passwords() or (lowered and len(set(lowered)) < 3):
        problems.append(_("This password is too common; choose another."))
    if email and lowered == email.lower():
        problems.append(_("The password must differ from the email."))
    return problems
