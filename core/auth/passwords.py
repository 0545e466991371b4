"""Password policy: long enough, not a common password, not the email."""

from __future__ import annotations

import string
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
    if lowered and _guessable(lowered):
        problems.append(_("This password is too common; choose another."))
    if email and lowered == email.lower():
        problems.append(_("The password must differ from the email."))
    return problems


_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "azertyuiop",
              "asdfghjkl", "qsdfghjklm", "zxcvbnm", "wxcvbn", "1q2w3e4r5t6y7u8i9o0p")


def _guessable(lowered: str) -> bool:
    """In the common list, or one of its words dressed up (``Password2026!``), a run along
    the keyboard or the digits (``123456789012``), or a short pattern repeated."""
    common = common_passwords()
    if lowered in common or len(set(lowered)) < 3:
        return True
    core = lowered.strip(string.digits + string.punctuation + " ")
    if len(core) >= 4 and core in common:
        return True
    for sequence in _SEQUENCES:
        for seq in (sequence * 3, sequence[::-1] * 3):
            if lowered in seq:
                return True
    return any(lowered[:size] * (len(lowered) // size) == lowered for size in range(1, 5))
