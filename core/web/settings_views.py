"""The settings page: what modules declare with ``register_settings`` (administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import settings
from core.db import db
from core.web import render

bp = Blueprint("settings", __name__)


@bp.route("/admin/settings", methods=["GET", "POST"])
@login_required
def edit():
    if not current_user.is_admin:
        abort(403)
    declared = settings.declared()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {}
        for key, setting in declared.items():
            raw = request.form.get(key)
            if setting.type == "bool":
                values[key] = raw is not None
            elif setting.type == "int":
                try:
                    values[key] = int(raw or "")
                except ValueError:
                    errors[key] = [_("Enter a whole number.")]
            else:
                values[key] = (raw or "").strip()[:500]
        if not errors:
            for key, value in values.items():
                settings.set_value(key, value)
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("settings.edit"), 303)
    current = {key: settings.get(key) for key in declared}
    return render("web/settings.html", declared=declared, current=current, errors=errors), (
        422 if errors else 200)
