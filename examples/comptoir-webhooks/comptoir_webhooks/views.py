"""The administrators' page: endpoints, their secret, their recent deliveries."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.db import db

from .models import EVENTS, Delivery, Endpoint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks", template_folder="templates")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
def index():
    endpoints = db.session.scalars(sa.select(Endpoint).order_by(Endpoint.id)).all()
    deliveries = db.session.scalars(sa.select(Delivery).options(sa.orm.joinedload(Delivery.endpoint))
                                    .order_by(Delivery.id.desc()).limit(30)).all()
    return render_template("webhooks/index.html", endpoints=endpoints, deliveries=deliveries,
                           events=EVENTS, errors={}, values={})


@bp.post("/")
def create():
    url = request.form.get("url", "").strip()
    events = [e for e in request.form.getlist("events") if e in EVENTS]
    errors = {}
    if not URL.match(url) or len(url) > 500:
        errors["url"] = "Enter an http:// or https:// address."
    if not events:
        errors["events"] = "Choose at least one event."
    if errors:
        endpoints = db.session.scalars(sa.select(Endpoint).order_by(Endpoint.id)).all()
        return render_template("webhooks/index.html", endpoints=endpoints, deliveries=[],
                               events=EVENTS, errors=errors, values=request.form), 422
    endpoint = Endpoint(url=url, events=",".join(events), secret=secrets.token_hex(24))
    db.session.add(endpoint)
    db.session.commit()
    flash("Endpoint added. Verify the X-Comptoir-Signature header with its secret.", "success")
    return redirect(url_for("webhooks.index"), 303)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int):
    endpoint = db.session.get(Endpoint, endpoint_id) or abort(404)
    db.session.delete(endpoint)
    db.session.commit()
    flash("Endpoint deleted.", "success")
    return redirect(url_for("webhooks.index"), 303)
