"""User accounts: creation, changes, tokens. Used by the CLI, pages and API alike."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from core.auth.models import ROLES, ApiToken, User
from core.auth.passwords import password_problems
from core.db import db, utcnow
from core.errors import ValidationError


def _has_control(value: str) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL, none belongs in a name."""
    return any(ord(c) < 32 or c == "\x7f" for c in value)


def normalize_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError.field("email", str(exc)) from None


#: Made once: SQLAlchemy keeps a statement's cache key on the statement object, so one
#: that is built per request costs its construction and its key on every page (70 µs for
#: this one, against 20 to run it).
_ACTIVE_USERS = sa.select(User.id, User.name).where(User.active).order_by(User.name, User.id)


def active_users() -> list[sa.Row]:
    """(id, name) of the active users, by name: the salesperson, organizer and attendee
    choices of every form and filter. Rows, not ``User`` objects: a list page built twenty
    of them to print their names (0.3 ms of a 6 ms page)."""
    return db.session.execute(_ACTIVE_USERS).all()


def find_user(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except ValidationError:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_user(*, email: str, name: str, role: str, password: str, locale: str | None = None,
                timezone: str | None = None) -> User:
    errors: dict[str, list[str]] = {}
    try:
        email = normalize_email(email)
    except ValidationError as exc:
        errors.update(exc.errors)
    else:
        if find_user(email) is not None:
            errors["email"] = [_("A user with this email already exists.")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 120:
        errors["name"] = [_("Use at most %(n)d characters.", n=120)]
    elif _has_control(name):
        errors["name"] = [_("Remove the control characters.")]
    if role not in ROLES:
        errors["role"] = [_("Choose one of: %(roles)s.", roles=", ".join(ROLES))]
    problems = password_problems(password or "", email if isinstance(email, str) else "")
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationError(_("Some fields are invalid."), errors=errors)
    user = User(email=email, name=name, role=role, locale=locale, timezone=timezone)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError.field("email", _("A user with this email already exists.")) from None
    return user


def update_user(user: User, *, name=None, role=None, active=None, locale=None, timezone=None,
                email=None) -> User:
    from core import timeline

    errors: dict[str, list[str]] = {}
    values = {}
    if email is not None:
        try:
            new_email = normalize_email(email)
            if new_email != user.email and find_user(new_email) is not None:
                errors["email"] = [_("A user with this email already exists.")]
            values["email"] = new_email
        except ValidationError as exc:
            errors.update(exc.errors)
    if name is not None:
        if not name.strip():
            errors["name"] = [_("This field is required.")]
        elif len(name.strip()) > 120:
            errors["name"] = [_("Use at most %(n)d characters.", n=120)]
        elif _has_control(name):
            errors["name"] = [_("Remove the control characters.")]
        values["name"] = name.strip()
    if role is not None:
        if role not in ROLES:
            errors["role"] = [_("Choose one of: %(roles)s.", roles=", ".join(ROLES))]
        values["role"] = role
    if errors:
        raise ValidationError(_("Some fields are invalid."), errors=errors)
    if locale is not None:
        values["locale"] = locale or None
    if timezone is not None:
        values["timezone"] = timezone or None
    for key, value in values.items():
        setattr(user, key, value)
    if active is not None and active != user.active:
        user.active = active
        if not active:
            end_sessions(user)
    timeline.record(user, "updated", timeline.N_("Account updated"))
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    problems = password_problems(password, user.email)
    if problems:
        raise ValidationError(_("Some fields are invalid."), errors={"password": problems})
    user.set_password(password)  # also ends the other sessions
    db.session.commit()


def end_sessions(user: User) -> None:
    """Every session of the user ends at its next request."""
    user.session_nonce = secrets.token_hex(16)


def issue_token(user: User, name: str = "API") -> str:
    name = "".join(c for c in (name or "") if not _has_control(c)).strip()[:80] or "API"
    _token, clear = ApiToken.issue(user, name)
    db.session.commit()
    return clear


def revoke_token(user: User, token_id: int) -> bool:
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        return False
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    return True
