"""The shell's own pages: home, notifications (the bell), the modules admin page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import access, module_admin
from core.db import db, utcnow
from core.modules import ModuleError
from core.notifications import Notification
from core.plugins import call_each, flatten
from core.web import int_arg, paginate, render

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def home():
    panels = sorted((p for _m, p in flatten(call_each("home_panels", user=current_user))),
                    key=lambda p: p.order)
    return render("web/home.html", panels=panels)


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


# --- notifications -------------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notifications():
    stmt = (sa.select(Notification).where(Notification.user_id == current_user.id)
            .order_by(Notification.id.desc()))
    if request.args.get("unread"):
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt, int_arg("page", 1), 30)
    return render("web/notifications.html", page=page, unread_only=bool(request.args.get("unread")))


@bp.get("/notifications/bell")
@login_required
def bell():
    # Read with the signed-in user (core.notifications.User.unread_notifications).
    return render("web/_bell_count.html", unread_notifications=current_user.unread_notifications)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = (db.session.get(Notification, notification_id)
                    if access.id_in_range(Notification, notification_id) else None)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    if request.form.get("next") == "url" and notification.url and notification.url.startswith("/"):
        return redirect(notification.url, 303)
    return redirect(url_for("web.notifications"), 303)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)
    ).values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("web.notifications"), 303)


# --- modules ----------------------------------------------------------------------------

def _admin():
    if not current_user.is_admin:
        abort(403)


@bp.get("/admin/modules")
@login_required
def modules():
    _admin()
    return render("web/modules.html", modules=module_admin.list_modules(), confirm=None)


@bp.post("/admin/modules/<name>/enable")
@login_required
def enable_module(name: str):
    _admin()
    try:
        done = module_admin.enable(name)
    except ModuleError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc), "error")
    else:
        flash(_("Enabled: %(names)s", names=", ".join(done)) if done else
              _("%(name)s was already enabled.", name=name), "success")
    return redirect(url_for("web.modules"), 303)


@bp.post("/admin/modules/<name>/disable")
@login_required
def disable_module(name: str):
    _admin()
    try:
        done = module_admin.disable(name, cascade=bool(request.form.get("confirm")))
    except ModuleError as exc:
        if exc.status == 404:
            abort(404)
        # Ask for confirmation, listing the modules that would go too.
        return render("web/modules.html", modules=module_admin.list_modules(),
                      confirm={"name": name, "dependents": exc.names}), 409
    flash(_("Disabled: %(names)s", names=", ".join(done)) if done else
          _("%(name)s was already disabled.", name=name), "success")
    return redirect(url_for("web.modules"), 303)
