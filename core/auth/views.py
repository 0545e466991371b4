"""Sign-in, sign-out, profile (tokens, language, time zone) and the users admin page."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core import access
from core.auth import services
from core.auth.models import ROLES, ApiToken, User
from core.db import db
from core.errors import ValidationError
from core.extensions import is_htmx, limiter, login_manager
from core.i18n import timezone_choices, valid_timezone
from core.plugins import call_each, flatten
from core.web import render

bp = Blueprint("auth", __name__)


@login_manager.unauthorized_handler
def _unauthorized():
    """Signed out: pages go to the sign-in page, htmx is told to go there (a redirect
    followed inside an XHR would paste the sign-in page into the fragment)."""
    if request.path.startswith("/api/"):
        from core.api import ApiError

        raise ApiError(401, "Unauthorized", "Send 'Authorization: Bearer <token>'.")
    if is_htmx():
        current = request.headers.get("HX-Current-URL", "")
        target = urlsplit(current).path if current else request.full_path.rstrip("?")
        response = Response(status=401)
        response.headers["HX-Redirect"] = url_for("auth.login", next=target or None)
        return response
    flash(str(current_app.login_manager.login_message), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    """A local path to go to after sign-in, else home. Control characters and whitespace
    are refused: browsers drop tabs and newlines from URLs, so ``/\t/evil.example`` would
    become ``//evil.example`` (another site), and a newline cannot go in a header."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)):
        return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        password = request.form.get("password", "")[:256]
        user = services.find_user(email)
        # Same answer (and similar work) whether or not the email exists: a dummy hash.
        if user is None:
            User(password_hash="scrypt:32768:8:1$x$0").check_password(password)  # noqa: S106  # nosec B106
        if user is not None and user.active and user.check_password(password):
            session.clear()  # a new session at each sign-in
            login_user(user, remember=bool(request.form.get("remember")))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")), 303)
        error = _("Wrong email or password.")
    return render("auth/login.html", error=error, email=email), 401 if error else 200


@bp.post("/logout")
def logout():
    # Sessions live in signed cookies: clearing this one is not enough, a copy of it (or of
    # the remember cookie) would still sign in. A new nonce ends every session of the user.
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    errors = {}
    if request.method == "POST":
        locale = request.form.get("locale", "")
        timezone = request.form.get("timezone", "")
        if locale and locale not in current_app.config["LANGUAGES"]:
            errors["locale"] = [_("Unknown language.")]
        if timezone and not valid_timezone(timezone):
            errors["timezone"] = [_("Unknown time zone.")]
        name = request.form.get("name", "").strip()
        if not name:
            errors["name"] = [_("This field is required.")]
        elif len(name) > 120:
            errors["name"] = [_("Use at most %(n)d characters.", n=120)]
        elif any(ord(c) < 32 for c in name):
            errors["name"] = [_("Remove the control characters.")]
        if not errors:
            services.update_user(current_user, name=name, locale=locale, timezone=timezone)
            flash(_("Profile saved."), "success")
            return redirect(url_for("auth.profile"), 303)
    tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    panels = [p for _m, p in flatten(call_each("record_panels", record_type="profile",
                                               record=current_user, user=current_user))]
    values = request.form.to_dict() if errors else {
        "name": current_user.name, "locale": current_user.locale or "",
        "timezone": current_user.timezone or ""}
    return render("auth/profile.html", errors=errors, tokens=tokens, panels=panels, values=values,
                  timezones=timezone_choices(), new_token=session.pop("new_token", None)), (
        422 if errors else 200)


@bp.post("/profile/password")
@login_required
def change_password():
    if not current_user.check_password(request.form.get("current_password", "")):
        flash(_("Your current password is wrong."), "error")
        return redirect(url_for("auth.profile"), 303)
    try:
        services.set_password(current_user, request.form.get("new_password", ""))
    except ValidationError as exc:
        flash(" ".join(exc.errors.get("password", [exc.message])), "error")
        return redirect(url_for("auth.profile"), 303)
    # The user object, not the proxy: login_user(current_user) makes current_user resolve to
    # itself, an endless recursion that killed the worker (segmentation fault).
    login_user(current_user._get_current_object())  # keep this session, the others end
    flash(_("Password changed; your other sessions are signed out."), "success")
    return redirect(url_for("auth.profile"), 303)


@bp.post("/profile/tokens")
@login_required
def create_token():
    clear = services.issue_token(current_user, request.form.get("name", "API"))
    session["new_token"] = clear
    return redirect(url_for("auth.profile") + "#tokens", 303)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not services.revoke_token(current_user, token_id):
        abort(404)
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.profile") + "#tokens", 303)


# --- users admin ---------------------------------------------------------------

def _admin_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


@bp.get("/admin/users")
@login_required
def list_users():
    _admin_only()
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name)).all()
    return render("auth/users.html", users=users)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    _admin_only()
    errors, values = {}, {"role": "salesperson"}
    if request.method == "POST":
        values = request.form.to_dict()
        values.pop("password", None)
        try:
            user = services.create_user(email=request.form.get("email", ""),
                                        name=request.form.get("name", ""),
                                        role=request.form.get("role", ""),
                                        password=request.form.get("password", ""))
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("auth.list_users"), 303)
    return render("auth/user_form.html", user=None, values=values, errors=errors,
                  roles=ROLES), 422 if errors else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    _admin_only()
    if not access.id_in_range(User, user_id):
        abort(404)
    user = db.session.get(User, user_id) or abort(404)
    errors = {}
    values = {"email": user.email, "name": user.name, "role": user.role, "active": user.active}
    if request.method == "POST":
        values = request.form.to_dict()
        active = bool(request.form.get("active"))
        if user.id == current_user.id and (not active or request.form.get("role") != "admin"):
            errors = {"role": [_("You cannot demote or deactivate yourself.")]}
        else:
            try:
                services.update_user(user, email=request.form.get("email", ""),
                                     name=request.form.get("name", ""),
                                     role=request.form.get("role", ""), active=active)
                if request.form.get("password"):
                    services.set_password(user, request.form["password"])
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("User %(email)s saved.", email=user.email), "success")
                return redirect(url_for("auth.list_users"), 303)
    return render("auth/user_form.html", user=user, values=values, errors=errors,
                  roles=ROLES), 422 if errors else 200
