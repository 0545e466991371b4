"""Error pages for people, problem+json for the API. No input ever answers a bare 500."""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from flask import g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core.db import db
from core.errors import BusinessError

log = logging.getLogger("comptoir.web")


def _wants_api() -> bool:
    return request.path.startswith("/api/")


def _page_message(code: int) -> str:
    """What a person reads on an error page (the exception's own text is for developers)."""
    messages = {
        400: _("The request could not be understood. Reload the page and try again."),
        401: _("Please sign in to see this page."),
        405: _("This action cannot be done this way."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Wait a minute, then try again."),
    }
    return messages.get(code, _("This request cannot be completed."))


#: seconds a client is told to wait when the database is unreachable.
RETRY_AFTER = 5


def database_unavailable(exc: BaseException) -> bool:
    """The database is unreachable or restarting (not a bug in a query): the request may
    succeed if retried. OperationalError covers refused and dropped connections, a server
    starting up or shutting down, lock and statement timeouts; TimeoutError a full pool."""
    if isinstance(exc, sa.exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)
    return isinstance(exc, sa.exc.TimeoutError)


def unavailable_response():
    """503 with Retry-After: problem+json for the API, a page that needs no database."""
    from flask_login import AnonymousUserMixin

    from core.api import problem

    # Nothing below may query: the layout and the language choice would load the user.
    g._login_user = AnonymousUserMixin()
    with contextlib.suppress(Exception):  # the connection is gone; the pool replaces it
        db.session.rollback()
    detail = _("The database is unavailable for a moment. Try again in a few seconds.")
    headers = {"Retry-After": str(RETRY_AFTER)}
    if _wants_api():
        return problem(503, "Service Unavailable", detail, headers=headers)
    return render_template("errors/error.html", code=503, message=detail), 503, headers


def register_error_handlers(app) -> None:
    from core.api import ApiError, problem

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        db.session.rollback()
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(exc.status, exc.title, exc.detail, exc.errors, headers)

    @app.errorhandler(BusinessError)
    def _business(exc: BusinessError):
        db.session.rollback()
        titles = {409: "Conflict", 422: "Invalid fields", 400: "Bad request"}
        if _wants_api():
            return problem(exc.status, titles.get(exc.status, "Error"), exc.message, exc.errors or None)
        return render_template("errors/error.html", code=exc.status, message=exc.message), exc.status

    @app.errorhandler(StaleDataError)
    def _stale(exc):
        db.session.rollback()
        if _wants_api():
            return problem(409, "Conflict",
                           "Someone else changed this record meanwhile; reload it and try again.")
        message = _("Someone else changed this record meanwhile; reload it and try again.")
        return render_template("errors/error.html", code=409, message=message), 409

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if _wants_api():
            return problem(400, "CSRF check failed", exc.description)
        message = _("This form has expired or was sent from another site. Reload the page and "
                    "try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        if _wants_api():
            headers = {"Retry-After": exc.retry_after} if getattr(exc, "retry_after", None) else None
            return problem(exc.code or 500, exc.name, exc.description, headers=headers)
        code = exc.code or 500
        if code < 400 or code >= 500:
            return exc
        template = f"errors/{code}.html" if code in (403, 404) else "errors/error.html"
        response = render_template(template, code=code, message=_page_message(code))
        headers = {"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else {}
        return response, code, headers

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database(exc):
        if isinstance(exc, sa.exc.IntegrityError):
            # The services check uniqueness and references first; this is the case they
            # cannot see: another request saved a clashing record (or removed a referenced
            # one) between the check and the write. Nothing was saved: say so, as a 409.
            db.session.rollback()
            log.warning("integrity conflict on %s %s: %s", request.method, request.path,
                        (str(exc.orig).strip().splitlines() or ["?"])[0])
            message = _("This conflicts with a change saved at the same moment; nothing was "
                        "saved. Reload and try again.")
            if _wants_api():
                return problem(409, "Conflict", message)
            return render_template("errors/error.html", code=409, message=message), 409
        if not database_unavailable(exc):
            return _unexpected(exc)
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("database unavailable on %s %s: %s", request.method, request.path, reason)
        return unavailable_response()

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS"):
            raise exc
        if _wants_api():
            return problem(500, "Internal Server Error", "An unexpected error occurred.")
        return render_template("errors/500.html", code=500), 500
