"""The application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from core import __version__
from core.db import configure_engine, db, sqlite_begin_mode
from core.extensions import babel, csrf, limiter, login_manager
from core.validation import MAX_ID

log = logging.getLogger("comptoir")

DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - dev-only key, refused outside debug/testing  # nosec B105
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class BoundedInt(IntegerConverter):
    """``<int:id>`` only matches ids a database integer column can hold: a larger one is
    a plain 404 (PostgreSQL would refuse it with an error)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    @staticmethod
    def default(o):
        from core.api import json_default

        return json_default(o)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "core",
        instance_relative_config=True,
        instance_path=os.environ.get("COMPTOIR_INSTANCE_PATH") or None,
        template_folder="templates",
        static_folder="static",
    )
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedInt
    _configure(app, config or {})
    _init_extensions(app)
    registry = _load_modules(app)
    _register_blueprints(app, registry)
    _register_request_hooks(app, registry)
    _register_cli(app, registry)
    with app.app_context():
        registry.refresh(force=True)
        from core.plugins import call_each

        call_each("on_startup", safe=True, app=app)
    if app.config.get("SCHEDULER_EMBEDDED") and not app.testing and (
            not app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"):
        # Only for the development server (`make run`); production runs `comptoir scheduler`.
        from core.scheduler import start_embedded

        start_embedded(app)
    return app


def _configure(app: Flask, config: dict) -> None:
    app.config.from_object("config.default")
    app.config.from_pyfile("comptoir.cfg", silent=True)
    app.config.from_prefixed_env("COMPTOIR")
    app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "comptoir.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("postgresql"):
        options.setdefault("pool_pre_ping", True)
        # No JIT compilation: it pays off for long analytic queries, not for a page's
        # short ones, whose cost estimates still trigger it (40 of the calendar feed's
        # 87 ms went to compiling). Settable in SQLALCHEMY_ENGINE_OPTIONS.
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", "-c jit=off")
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in _register_request_hooks
    if not (app.debug or app.testing) and app.config["SECRET_KEY"] == DEFAULT_SECRET:
        raise RuntimeError(
            "Refusing to start with the default SECRET_KEY. Set a secret one, e.g.\n"
            "  export COMPTOIR_SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\"\n"
            "or put SECRET_KEY = '...' in instance/comptoir.cfg "
            "(or run with --debug for development)."
        )
    level = logging.DEBUG if app.debug else logging.INFO
    logging.getLogger("comptoir").setLevel(level)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        # Runs before Flask-SQLAlchemy's own teardown. Closing rolls back, which raises on
        # a connection the database dropped (a restart): a raising teardown becomes the
        # server's bare 500 after the response was made. The connection is invalidated
        # (core.db marks a server shutdown as a disconnect); the session is forgotten.
        try:
            db.session.remove()
        except sa.exc.DBAPIError as exc:
            log.warning("closing the database session failed (%s); its connection is dropped",
                        str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__)
            db.session.remove()  # the failed close left no transaction: forget the session
    with app.app_context():
        configure_engine(db.engine)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.session_interface = _StaticFilesKeepCookies()
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    from core.i18n import register_filters, select_locale, select_timezone

    translation_dirs = [str(Path(__file__).parent / "translations")]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    register_filters(app)
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing or app.config.get("RATELIMIT_ENABLED", False))
    limiter.init_app(app)

    import core.notifications  # noqa: F401 - maps User.unread_notifications, undeferred below

    @login_manager.user_loader
    def load_user(user_id: str):
        from core.auth.models import User

        ident, _, nonce = user_id.partition(":")
        if not (ident.isascii() and ident.isdigit()) or int(ident) > MAX_ID:
            return None
        # With the bell's count (core.notifications): one query for both, on every page.
        user = db.session.get(User, int(ident), options=[sa.orm.undefer(User.unread_notifications)])
        if user is None or not user.active or user.session_nonce != nonce:
            return None
        return user


def _load_modules(app: Flask):
    from core import hooks as core_hooks
    from core.modules import ModuleRegistry, discover
    from core.plugins import make_plugin_manager

    pm = make_plugin_manager(trace=bool(app.config.get("TRACE_HOOKS")))
    pm.register(core_hooks, name="core")
    registry = ModuleRegistry(app, pm, __version__)
    app.extensions["comptoir"] = registry
    modules = app.config.get("COMPTOIR_MODULES_OVERRIDE")
    if modules is None:
        modules = discover(safe_mode=bool(app.config.get("SAFE_MODE")))
    registry.load(modules)
    # Module translations join the core's.
    dirs = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    for module in registry.loaded():
        if module.path and (module.path / "translations").is_dir():
            dirs.append(str(module.path / "translations"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    # Flask-Babel read the setting in init_app(): give it the module folders too.
    app.extensions["babel"].translation_directories = dirs
    return registry


def _register_blueprints(app: Flask, registry) -> None:
    from core.api.views import api as core_api
    from core.auth.views import bp as auth_bp
    from core.partners.views import bp as partners_bp
    from core.web.settings_views import bp as settings_bp
    from core.web.views import bp as web_bp

    for blueprint in (web_bp, auth_bp, partners_bp, settings_bp, core_api):
        app.register_blueprint(blueprint)
    for module_name, impl in registry.all_impls("register_blueprints"):
        if module_name == "core":
            continue
        module = registry.get(module_name)
        try:
            blueprints = impl.function() or []
            for blueprint in blueprints:
                app.register_blueprint(blueprint)
                registry.blueprint_owner[blueprint.name] = module_name
                module.blueprints.append(blueprint.name)
        except Exception as exc:
            module.mark_broken(f"blueprints failed: {exc}")
            log.exception("module %s: blueprints failed", module_name)


def _register_request_hooks(app: Flask, registry) -> None:
    from werkzeug.exceptions import NotFound

    from core.web.errors import register_error_handlers

    @app.before_request
    def _before():
        # A request never inherits the signed-in user or CSRF token of another one (tests
        # run many requests, from several clients, inside one app context and one ``g``).
        for name in ("_login_user", "api_user", app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")):
            g.pop(name, None)
        sqlite_begin_mode.set("DEFERRED" if request.method in SAFE_METHODS else "IMMEDIATE")
        registry.refresh()
        blueprint = request.blueprint
        if blueprint:
            owner = registry.blueprint_owner.get(blueprint.split(".")[0])
            if owner is not None and not registry.is_active(owner):
                raise NotFound()
        # CSRF: every state change made with the session cookie; bearer calls are exempt
        # (a browser never adds an Authorization header on its own).
        from core.api import bearer_token

        if (request.method not in SAFE_METHODS and bearer_token() is None
                and app.config.get("WTF_CSRF_ENABLED", True)):
            view = app.view_functions.get(request.endpoint)
            if not getattr(view, "csrf_exempt", False):
                csrf.protect()

    @app.after_request
    def _after(response):
        response.vary.add("HX-Request")
        if g.get("api_token_touched"):
            try:
                db.session.commit()
            except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
                from core.web.errors import database_unavailable, unavailable_response

                if not database_unavailable(exc):
                    raise
                response = app.make_response(unavailable_response())
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    app.wsgi_app = _SecureCookies(app.wsgi_app)

    from core import once
    from core.web import pagination, select_options, sort_link, template_url_for, url_pattern

    app.jinja_env.globals["once_token"] = once.new_token
    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals.update(sort_link=sort_link, pagination=pagination, select_options=select_options,
                                 sort_link_html=sort_link, pagination_html=pagination)
    app.jinja_env.globals["url_pattern"] = url_pattern

    from core.web.shell import bell_badge

    app.jinja_env.globals["bell_badge"] = bell_badge

    @app.context_processor
    def _shell_context():
        from core.web.shell import shell_context

        return shell_context()

    register_error_handlers(app)


class _StaticFilesKeepCookies(SecureCookieSessionInterface):
    """Static files never write the session cookie. A signed-in session is permanent, and
    Flask refreshes a permanent session's cookie on every response: a stylesheet or icon
    fetched before a sign-out (or a sign-in) and answered after it put the old cookie
    back."""

    def should_set_cookie(self, app, session) -> bool:
        endpoint = request.endpoint or ""
        if endpoint == "static" or endpoint.endswith(".static"):
            return False
        return super().should_set_cookie(app, session)


class _SecureCookies:
    """Over HTTPS every cookie is Secure, even when SESSION_COOKIE_SECURE and
    REMEMBER_COOKIE_SECURE were left False (set them True anyway behind a proxy). A WSGI
    wrapper, because the session and remember cookies are written after ``after_request``."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start(status, headers, exc_info=None):
            headers = [(name, value + "; Secure" if name.lower() == "set-cookie" and "secure" not in {
                part.strip().lower() for part in value.split(";")[1:]} else value)
                for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def _register_cli(app: Flask, registry) -> None:
    from core.cli import register_core_commands

    register_core_commands(app)
    for module_name, impl in registry.all_impls("register_cli_commands"):
        if module_name == "core":
            continue
        try:
            for command in impl.function() or []:
                app.cli.add_command(_guarded(command, module_name, registry))
        except Exception:
            log.exception("module %s: CLI commands failed", module_name)


def _guarded(command, module_name: str, registry):
    """A module's command refuses to run while the module is disabled."""
    import click

    callback = command.callback
    if callback is None:
        return command

    def wrapped(*args, **kwargs):
        registry.refresh(force=True)
        if not registry.is_active(module_name):
            raise click.ClickException(f"module '{module_name}' is disabled")
        return callback(*args, **kwargs)

    command.callback = wrapped
    return command
