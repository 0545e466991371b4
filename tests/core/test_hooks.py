"""Each core hook, exercised through a plugin object registered for the test."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import access, hookimpl, module_admin
from core.db import db, utcnow
from core.errors import Conflict
from core.partners.models import Contact, Partner
from core.partners.services import create_contact, create_partner, promote
from core.plugins import HookError, call_each


class Recorder:
    def __init__(self):
        self.calls: list[tuple] = []


def test_extra_js_and_css_urls(app, plugin, admin, login):
    class Assets:
        @hookimpl
        def extra_js_urls(self):
            return ["/static/core/extra-test.js"]

        @hookimpl
        def extra_css_urls(self):
            return ["/static/core/extra-test.css"]

    plugin(Assets())
    html = login(admin).get("/partners").get_data(as_text=True)
    assert '<script src="/static/core/extra-test.js">' in html
    assert '<link rel="stylesheet" href="/static/core/extra-test.css">' in html


def test_home_panels(app, plugin, sales, login):
    from core.web import Panel

    class Home:
        @hookimpl
        def home_panels(self, user):
            return Panel(title="Hello panel", html=f"for {user.name}", order=1)

    plugin(Home())
    html = login(sales).get("/").get_data(as_text=True)
    assert "Hello panel" in html and "for Sam Sales" in html


def test_record_panels_and_timeline_entries(app, plugin, manager, login):
    from core.timeline import Entry
    from core.web import Panel

    class Extra:
        @hookimpl
        def record_panels(self, record_type, record):
            return Panel(title=f"{record_type} extra", html=f"about {record.name}")

        @hookimpl
        def timeline_entries(self, record_type, record, user):
            return [Entry(at=utcnow(), kind="event", text=f"Call with {record.name} by {user.name}")]

    plugin(Extra())
    partner = create_partner({"name": "Panelled"}, by=manager)
    html = login(manager).get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "partner extra" in html and "about Panelled" in html
    assert "Call with Panelled by Max Manager" in html


def test_on_partner_promoted_runs_in_the_transaction(app, plugin, manager):
    seen = Recorder()

    class Listener:
        @hookimpl
        def on_partner_promoted(self, partner, by):
            seen.calls.append((partner.name, partner.partner_type, by.email))

    plugin(Listener())
    partner = create_partner({"name": "Prom"}, by=manager)
    assert promote(partner, by=manager) is True
    assert seen.calls == [("Prom", "customer", manager.email)]
    assert promote(partner, by=manager) is False  # already a customer: no event
    assert len(seen.calls) == 1


def test_on_partner_promoted_can_refuse(app, plugin, manager):
    class Refuser:
        @hookimpl
        def on_partner_promoted(self, partner, by):
            raise RuntimeError("not today")

    plugin(Refuser())
    partner = create_partner({"name": "Stay"}, by=manager)
    with pytest.raises(HookError) as info:
        promote(partner, by=manager)
    assert info.value.module.startswith("core.test")
    assert isinstance(info.value.__cause__, RuntimeError)
    db.session.rollback()
    assert db.session.get(Partner, partner.id).partner_type == "prospect"


def test_call_each_unsafe_names_the_failing_module(app, plugin):
    """``call_each(safe=False)`` stops at the first failure with a HookError carrying the
    module's name, the hook and the original error (also its ``__cause__``); the modules
    before it ran, the ones after did not."""
    ran = []

    class First:
        @hookimpl
        def on_module_enabled(self, name):
            ran.append("first")

    class Broken:
        @hookimpl
        def on_module_enabled(self, name):
            raise KeyError("no such shelf")

    class Last:
        @hookimpl
        def on_module_enabled(self, name):
            ran.append("last")

    plugin(First())
    broken_name = "core.test1"
    plugin(Broken())
    plugin(Last())
    with app.test_request_context():
        order = [module for module, _impl in app.extensions["comptoir"].active_impls("on_module_enabled")]
        with pytest.raises(HookError) as info:
            call_each("on_module_enabled", safe=False, name="sales")
    error = info.value
    assert error.module == broken_name and error.hook == "on_module_enabled"
    assert isinstance(error.original, KeyError) and error.__cause__ is error.original
    assert broken_name in str(error) and "no such shelf" in str(error)
    assert order.index("core.test0") < order.index(broken_name) < order.index("core.test2")
    assert ran == ["first"]  # the module after the failing one never ran


def test_call_each_unsafe_lets_refusals_through(app, plugin):
    """A ValidationError or Conflict raised by a module is a refusal meant for the user:
    it comes out as it is (the API and pages turn it into a 422 or 409)."""
    class Refuses:
        @hookimpl
        def on_module_enabled(self, name):
            raise Conflict("not while the inventory runs")

    plugin(Refuses())
    with app.test_request_context(), pytest.raises(Conflict, match="inventory"):
        call_each("on_module_enabled", safe=False, name="sales")


def test_call_each_safe_skips_and_notes_the_failing_module(app, plugin):
    class Broken:
        @hookimpl
        def extra_css_urls(self):
            raise RuntimeError("boom")

    class Works:
        @hookimpl
        def extra_css_urls(self):
            return ["/static/core/ok.css"]

    plugin(Broken())
    plugin(Works())
    registry = app.extensions["comptoir"]
    with app.test_request_context():
        results = call_each("extra_css_urls")
    assert [r.value for r in results if r.module.startswith("core.test")] == [["/static/core/ok.css"]]
    assert "extra_css_urls" in registry.hook_failures["core.test0"]


def test_on_module_enabled(app, plugin):
    seen = Recorder()

    class Listener:
        @hookimpl
        def on_module_enabled(self, name):
            seen.calls.append(name)

    plugin(Listener())
    module_admin.disable("sales")
    module_admin.enable("sales")
    assert seen.calls == ["sales"]


def test_prepare_user_json(app, plugin, sales, api):
    class Extra:
        @hookimpl
        def prepare_user_json(self, user, data):
            data["nickname"] = user.name.split()[0]

    plugin(Extra())
    assert api(sales).get("/users/me").json["nickname"] == "Sam"


def test_register_access_rules_restrict_lists(app, plugin, manager, sales, api):
    from core.access import AccessRule

    partner = create_partner({"name": "Hidden Co"}, by=manager)
    create_contact({"partner_id": partner.id, "last_name": "Secret"}, by=manager)

    class Rules:
        @hookimpl
        def register_access_rules(self):
            return [AccessRule(Contact, condition=lambda user: sa.false(),
                               sees=lambda user, contact: False)]

    assert api(sales).get("/contacts").json["total"] == 1
    plugin(Rules())
    assert api(sales).get("/contacts").json["total"] == 0
    assert api(manager).get("/contacts").json["total"] == 0
    contact = db.session.scalars(sa.select(Contact)).one()
    assert not access.sees(sales, contact)
    assert api(sales).get(f"/contacts/{contact.id}").status_code == 404


def test_register_linkable_types(app, plugin, manager, sales):
    from core.records import LinkableType, linkable_types, resolve

    class Linkable:
        @hookimpl
        def register_linkable_types(self):
            return [LinkableType("partner", "Partner", Partner, url=lambda p: f"/partners/{p.id}")]

    plugin(Linkable())
    partner = create_partner({"name": "Linked"}, by=manager)
    assert "partner" in linkable_types()
    assert resolve("partner", partner.id, sales).name == "Linked"
    assert resolve("partner", 999999, sales) is None
    assert resolve("nosuchtype", partner.id, sales) is None


def test_register_reminder_channels(app, plugin):
    from core.notifications import Channel, channels

    delivered = []

    class Pager:
        @hookimpl
        def register_reminder_channels(self):
            return [Channel("pager", "Pager", delivered.append)]

    plugin(Pager())
    found = channels()
    assert {"notification", "email", "pager"} <= set(found)
    found["pager"].deliver("ping")
    assert delivered == ["ping"]


def test_register_settings(app, plugin):
    from core import settings

    class Declares:
        @hookimpl
        def register_settings(self):
            return [settings.Setting("test.flag", "A flag", default=True)]

    plugin(Declares())
    assert settings.get("test.flag") is True
    settings.set_value("test.flag", False)
    db.session.commit()
    assert settings.get("test.flag") is False


def test_settings_page(app, plugin, admin, sales, login):
    from core import settings

    class Declares:
        @hookimpl
        def register_settings(self):
            return [settings.Setting("test.flag", "A flag", default=True),
                    settings.Setting("test.days", "Days", default=3, type="int")]

    plugin(Declares())
    web = login(admin)
    page = web.get("/admin/settings").get_data(as_text=True)
    assert "A flag" in page and "test.days" in page
    assert web.post("/admin/settings", data={"test.days": "many"}).status_code == 422
    assert settings.get("test.days") == 3
    assert web.post("/admin/settings", data={"test.days": "7"}).status_code == 303
    assert settings.get("test.days") == 7 and settings.get("test.flag") is False
    assert login(sales).get("/admin/settings").status_code == 403


def test_register_demo_data(app, plugin):
    loaded = []

    class Demo:
        @hookimpl
        def register_demo_data(self):
            return lambda app: loaded.append(app) or "test: demo loaded"

    plugin(Demo())
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0 and "test: demo loaded" in result.output
    assert loaded == [app]
