"""pytest fixtures for Comptoir and its plugins (loaded through the ``pytest11`` entry point).

* ``app``: an application on a fresh database (SQLite in a temporary folder, or the
  PostgreSQL server named by ``COMPTOIR_TEST_DATABASE_URL``), migrated once per session
  and reset to its pristine state before each test.
* ``admin``, ``manager``, ``sales``, ``sales2``: users of each role.
* ``client`` (anonymous), ``login(user)`` -> a signed-in test client,
  ``api(user)`` -> a client that sends the user's bearer token.
* ``comptoir_modules``: override it to choose which modules are discovered (a list of
  entry-point names, or None for the built-in modules only). Installed third-party
  plugins are never discovered unless listed.
* ``live_server`` and ``page`` (Playwright in Debian's Chromium) for browser tests.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("COMPTOIR_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery-staple"  # noqa: S105


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server")


def database_url(tmp_dir: Path) -> str:
    url = os.environ.get("COMPTOIR_TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker and url.startswith("postgresql"):
            url = _worker_database(url, worker)
        return url
    return f"sqlite:///{tmp_dir / 'test.db'}"


def _worker_database(url: str, worker: str) -> str:
    """With pytest-xdist, each worker gets its own PostgreSQL database (created if needed)."""
    import psycopg

    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = parsed.set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def comptoir_db_url(tmp_path_factory) -> str:
    return database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def comptoir_modules():
    """Entry-point names to discover; None: the built-in modules only."""
    return None


@pytest.fixture(scope="session")
def comptoir_enabled_modules(comptoir_modules):
    """Modules (beyond the built-ins) enabled before each test; default: all discovered."""
    return comptoir_modules


def discover_modules(names):
    from core.modules import discover

    found = discover()
    if names is None:
        return [m for m in found if m.builtin]
    return [m for m in found if m.builtin or m.name in names]


class _Snapshot:
    def __init__(self):
        self.rows: dict[str, list[dict]] = {}
        self.ready = False


_SNAPSHOTS: dict[tuple, _Snapshot] = {}


def _tables(metadata):
    return [t for t in metadata.sorted_tables]


def _take_snapshot(snapshot: _Snapshot, engine, metadata) -> None:
    with engine.connect() as conn:
        for table in _tables(metadata):
            snapshot.rows[table.name] = [dict(r._mapping) for r in conn.execute(table.select())]
        snapshot.rows["core_alembic_version"] = [
            dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM core_alembic_version"))]
    snapshot.ready = True


def _restore(snapshot: _Snapshot, engine, metadata) -> None:
    tables = _tables(metadata)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in reversed(tables):
                conn.execute(table.delete())
            has_seq = conn.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first()
            if has_seq:
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
        for table in tables:
            rows = snapshot.rows.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
                if engine.dialect.name == "postgresql" and "id" in table.c and isinstance(
                        table.c.id.type, sa.Integer) and table.c.id.autoincrement:
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM \"{table.name}\"))"))
        # Running totals (core.tally) were counted again by their triggers as the rows went
        # out and back in: they are put back as they were.
        from core.tally import REGISTRY

        for table in tables:
            if table.name in REGISTRY:
                conn.execute(table.delete())
                if snapshot.rows.get(table.name):
                    conn.execute(table.insert(), snapshot.rows[table.name])


def _reset_schema(engine) -> None:
    """Start the session from an empty database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        path = engine.url.database
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)


def _fresh_context_client():
    from flask.testing import FlaskClient

    from core.db import db

    class FreshContextClient(FlaskClient):
        """Each request runs in its own application context, like in production: a fresh
        ``g`` and a fresh database session. The test's own session is committed before
        and after, so it neither blocks the request nor reads a stale snapshot."""

        def open(self, *args, **kwargs):
            db.session.commit()
            try:
                with self.application.app_context():
                    return super().open(*args, **kwargs)
            finally:
                db.session.commit()

    return FreshContextClient


def make_app(db_url: str, modules=None, extra: dict | None = None):
    from core import create_app

    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MODULES_REFRESH_SECONDS": 0,
        "SERVER_NAME": None,
        "COMPTOIR_MODULES_OVERRIDE": discover_modules(modules),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that mail start their own server
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # still scrypt, cheaper for tests
    }
    config.update(extra or {})
    app = create_app(config)
    app.test_client_class = _fresh_context_client()
    return app


@pytest.fixture
def other_app(comptoir_db_url, comptoir_modules):
    """``other_app(**config)`` -> another application on the same database (a second
    worker or process, as it would see things); its connections are closed afterwards."""
    from core.db import db

    made = []

    def _make(**config):
        extra = make_app(comptoir_db_url, comptoir_modules, config)
        made.append(extra)
        return extra

    yield _make
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def app_config() -> dict:
    """Override to change the configuration of ``app`` (e.g. enable CSRF)."""
    return {}


@pytest.fixture
def app(comptoir_db_url, comptoir_modules, comptoir_enabled_modules, app_config, tmp_path):
    from core.db import db

    app = make_app(comptoir_db_url, comptoir_modules,
                   {"INSTANCE_TMP": str(tmp_path), **app_config})
    key = (comptoir_db_url, tuple(comptoir_modules or ()), tuple(comptoir_enabled_modules or ()))
    snapshot = _SNAPSHOTS.get(key)
    with app.app_context():
        if snapshot is None:
            for other in list(_SNAPSHOTS):
                if other[0] == comptoir_db_url:
                    del _SNAPSHOTS[other]
            _reset_schema(db.engine)
            from core.module_admin import enable, upgrade_all

            upgrade_all()
            for name in comptoir_enabled_modules or ():
                enable(name)
            db.session.remove()
            snapshot = _Snapshot()
            _take_snapshot(snapshot, db.engine, db.metadata)
            _SNAPSHOTS[key] = snapshot
        else:
            db.session.remove()
            _restore(snapshot, db.engine, db.metadata)
        app.extensions["comptoir"].refresh(force=True)
        db.session.remove()
    from core.db import sqlite_begin_mode

    ctx = app.app_context()
    ctx.push()
    # The test's own reads must not hold SQLite's write lock while requests run.
    token = sqlite_begin_mode.set("DEFERRED")
    yield app
    sqlite_begin_mode.reset(token)
    db.session.remove()
    ctx.pop()
    with app.app_context():
        # A connection still checked out would go back to the pool disposed below, never to
        # be closed: psycopg then warns when it is collected, during whichever test runs then.
        checked_out = getattr(db.engine.pool, "checkedout", lambda: 0)()
        db.engine.dispose()
    if checked_out:
        pytest.fail(f"{checked_out} database connection(s) still checked out at the end of the test "
                    "(a session, connection or streamed response left open)", pytrace=False)


def _user(app, email, role, name):
    from core.auth.services import create_user

    return create_user(email=email, name=name, role=role, password=PASSWORD)


@pytest.fixture
def admin(app):
    return _user(app, "admin@test.example", "admin", "Ada Admin")


@pytest.fixture
def manager(app):
    return _user(app, "manager@test.example", "manager", "Max Manager")


@pytest.fixture
def sales(app):
    return _user(app, "sales@test.example", "salesperson", "Sam Sales")


@pytest.fixture
def sales2(app):
    return _user(app, "sales2@test.example", "salesperson", "Sue Sales")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app):
    """``login(user)`` -> a test client signed in as ``user``."""

    def _login(user, password: str = PASSWORD):
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.data[:500]
        return client

    return _login


class ApiClient:
    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method, url, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if not url.startswith("/api/"):
            url = "/api/v1" + url
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, **kw):
        return self._call("post", url, **kw)

    def patch(self, url, **kw):
        return self._call("patch", url, **kw)

    def delete(self, url, **kw):
        return self._call("delete", url, **kw)


@pytest.fixture
def api(app):
    """``api(user)`` -> a client sending the user's bearer token (paths may omit /api/v1)."""
    from core.auth.services import issue_token

    def _api(user):
        return ApiClient(app.test_client(), issue_token(user, "tests"))

    return _api


@pytest.fixture
def plugin(app):
    """``plugin(obj)`` registers a plugin object for the test, named ``core.test0``,
    ``core.test1``... (``core.*``: always active, as a module's hooks would be once
    enabled); unregistered afterwards. The registry notices both and empties its caches."""
    registry = app.extensions["comptoir"]
    names = []

    def _register(obj):
        name = f"core.test{len(names)}"
        registry.pm.register(obj, name=name)
        names.append(name)
        return obj

    yield _register
    for name in names:
        registry.pm.unregister(name=name)
        registry.hook_failures.pop(name, None)


# --- browser -----------------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # werkzeug answers each connection in a daemon thread, and socketserver keeps no daemon
    # thread for server_close() to join: record them, to wait for them below.
    answering: list[threading.Thread] = []
    answer = server.process_request_thread

    def _tracked(request, client_address):
        answering.append(threading.current_thread())
        answer(request, client_address)

    server.process_request_thread = _tracked
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    # A request still being answered when the test ended (a browser's last navigation,
    # aborted by the context's close) would return its database connection after the app's
    # teardown counted the pool's connections: an error, or a psycopg ResourceWarning during
    # a later test (both seen on PostgreSQL in CI). Its connection is closed by now, so its
    # thread ends at its next read or write.
    for answering_thread in answering:
        answering_thread.join(timeout=10)
    stuck = [t for t in answering if t.is_alive()]
    if stuck:
        pytest.fail(f"{len(stuck)} request(s) still being answered 10 s after the test ended", pytrace=False)


def _need(condition: bool, reason: str):
    if not condition:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: this may not be skipped)")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def _browser():
    _need(shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM),
          f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server, request):
    """A Playwright page (desktop size) whose ``base_url`` is the live server."""
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                   locale="en-US", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def browser_login(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def need_postgres(app):
    from core.db import db

    _need(db.engine.dialect.name == "postgresql",
          "needs PostgreSQL (set COMPTOIR_TEST_DATABASE_URL=postgresql://...)")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; on SQLite they are deselected (the CI
    runs the suite again on PostgreSQL, where they run)."""
    url = os.environ.get("COMPTOIR_TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
