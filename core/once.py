"""Single-use form tokens: a create form submitted twice (double click, resent request, two
tabs) creates one record.

The form carries ``{{ ui.once() }}`` (a hidden ``_once`` field with a random token); the view
calls ``claim(request.form.get("_once"))`` before creating. The token row is inserted in the
caller's transaction, so it is committed with the record: a concurrent second submission
waits on the primary key and is refused once the first commits (or goes ahead if the first
rolled back, e.g. on a validation error).
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from core.db import db
from core.models import FormToken

FIELD = "_once"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(token: str | None) -> bool:
    """Reserve ``token`` in the current transaction; False if it was already used. Forms
    without a token (API-like callers, old pages) are not protected and always pass."""
    if not token:
        return True
    try:
        with db.session.begin_nested():
            db.session.add(FormToken(token=token[:64]))
    except IntegrityError:
        return False
    return True


def repeated(list_url: str):
    """In a create view, just before creating: None if this submission may create, else a
    redirect to ``list_url`` telling the user the record was already created."""
    from flask import flash, redirect, request
    from flask_babel import gettext as _

    if claim(request.form.get(FIELD)):
        return None
    flash(_("This form was already submitted: the record was created once."), "warning")
    return redirect(list_url, 303)
