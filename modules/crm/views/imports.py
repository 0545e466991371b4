"""The CSV upload page: choose a file, check the column mapping on a preview, import."""

from __future__ import annotations

import os
import tempfile

from flask import Response, current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from core.errors import ValidationError
from core.web import render
from modules.crm.models import Lead
from modules.crm.services import imports
from modules.crm.views import bp


def _upload_dir() -> str:
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _own_file(token: str | None) -> str | None:
    if not token or token != session.get("crm_import_token"):
        return None
    path = os.path.join(_upload_dir(), os.path.basename(token))
    return path if os.path.exists(path) else None


def _field_labels() -> dict[str, str]:
    """The lead fields a column can fill, as the lead form names them."""
    return {"first_name": _("First name"), "last_name": _("Last name"), "company_name": _("Company"),
            "job_title": _("Job title"), "email": _("Email"), "phone": _("Phone"), "mobile": _("Mobile"),
            "website": _("Website"), "street": _("Street"), "city": _("City"), "postal_code": _("Postal code"),
            "country": _("Country"), "source": _("Source"), "description": _("Description")}


@bp.get("/leads/import/sample.csv")
def import_sample():
    """A file to start from: the recognised columns and two example rows."""
    access.require_model(current_user, "create", Lead)
    return Response(imports.sample_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=leads-sample.csv"})


@bp.route("/leads/import", methods=["GET", "POST"])
def import_leads():
    access.require_model(current_user, "create", Lead)
    context = {"fields": imports.FIELDS, "labels": _field_labels(), "errors": {}, "headers": [], "sample": [],
               "mapping": {}, "token": None,  # nosec B105 - an upload token, not a password
               "report": None, "options": {}}
    if request.method == "GET":
        return render("crm/leads/import.html", **context)
    step = request.form.get("step", "upload")
    try:
        if step == "upload":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ValidationError.field("file", _("Choose a CSV file."))
            fd, path = tempfile.mkstemp(suffix=".csv", dir=_upload_dir())
            with os.fdopen(fd, "wb") as out:
                upload.save(out)
            token = os.path.basename(path)
            session["crm_import_token"] = token
            with open(path, "rb") as binary:
                headers, sample, mapping = imports.preview(binary)
            if not headers:
                raise ValidationError.field("file", _("The file is empty."))
            context.update(headers=headers, sample=sample, mapping=mapping, token=token)
            return render("crm/leads/import.html", **context)
        path = _own_file(request.form.get("token"))
        if path is None:
            raise ValidationError.field("file", _("The upload expired: choose the file again."))
        mapping = {}
        for key, target in request.form.items():
            if key.startswith("map:") and target:
                mapping[key[4:]] = target
        options = {"duplicates": request.form.get("duplicates", "flag"),
                   "all_or_nothing": bool(request.form.get("all_or_nothing"))}
        with open(path, "rb") as binary:
            report = imports.import_leads(binary, by=current_user, mapping=mapping, **options)
        os.remove(path)
        session.pop("crm_import_token", None)
        context.update(report=report, options=options)
        return render("crm/leads/import.html", **context)
    except ValidationError as exc:
        context["errors"] = exc.errors
        return render("crm/leads/import.html", **context), 422
