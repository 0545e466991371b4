"""The page shell: declarations called once per set of active modules, a shell an HTMX
fragment does not pay for, status badges made once per language."""

from __future__ import annotations

import re

import sqlalchemy as sa
from markupsafe import Markup

from core import hookimpl, module_admin
from core.auth.services import update_user
from core.db import db
from core.notifications import Notification
from core.testing import count_queries
from core.web import MenuEntry, StatusBadge


class Declarations:
    def __init__(self):
        self.calls = 0

    @hookimpl
    def register_menu_entries(self):
        self.calls += 1
        return [MenuEntry("Reports", "web.notifications", icon="bar-chart", order=60),
                MenuEntry("Admin only", "web.notifications", icon="lock", order=61,
                          allowed=lambda user: user.is_admin)]


def test_menu_entries_are_declared_once_per_active_set(app, plugin, admin, sales, login):
    declarations = plugin(Declarations())
    as_sales, as_admin = login(sales), login(admin)
    for _ in range(3):
        sales_page = as_sales.get("/partners").get_data(as_text=True)
        admin_page = as_admin.get("/partners").get_data(as_text=True)
    assert declarations.calls == 1
    # Each user still gets the entries meant for them.
    assert "Reports" in sales_page and "Admin only" not in sales_page
    assert "Reports" in admin_page and "Admin only" in admin_page

    module_admin.disable("sales")  # a new active set: declared again, once
    page = as_sales.get("/partners").get_data(as_text=True)
    as_sales.get("/partners")
    assert declarations.calls == 2
    assert ">Orders<" not in page and "Reports" in page
    module_admin.enable("sales")
    assert ">Orders<" in as_sales.get("/partners").get_data(as_text=True)


def test_a_declaration_that_failed_is_asked_again(app, plugin, sales, login):
    class Flaky:
        calls = 0

        @hookimpl
        def extra_css_urls(self):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("not ready")
            return ["/static/core/flaky.css"]

    plugin(Flaky())
    client = login(sales)
    assert "/static/core/flaky.css" not in client.get("/partners").get_data(as_text=True)
    for _ in range(2):
        assert '<link rel="stylesheet" href="/static/core/flaky.css">' in client.get("/partners").get_data(as_text=True)
    assert Flaky.calls == 2


def test_an_htmx_fragment_does_not_build_the_shell(app, sales, login):
    client = login(sales)
    with count_queries(db.engine) as full:
        html = client.get("/crm/leads").get_data(as_text=True)
    assert 'id="bell-count"' in html and 'name="source"' in html
    with count_queries(db.engine) as fragment:
        html = client.get("/crm/leads?status=new", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="leads-table"' in html and 'id="bell-count"' not in html and 'name="source"' not in html
    # The bell's count comes with the signed-in user's row (core.notifications), in no
    # query of its own: a fragment pays nothing more for it.
    assert [s for s in full.statements if "core_notification" in s] == [
        s for s in full.statements if "FROM core_user" in s and "core_user.id = " in s]
    assert not any("count(core_notification.id)" in s and "core_user" not in s
                   for s in full.statements + fragment.statements)
    assert not any("ORDER BY crm_lead_source.name" in s for s in fragment.statements)  # the choices
    assert fragment.count < full.count


def test_status_badges_in_the_users_language(app, sales, login):
    from modules.crm.services.leads import create_lead
    from modules.crm.services.opportunities import create_opportunity

    lead = create_lead({"last_name": "Martin", "company_name": "Acme"}, by=sales)
    create_opportunity({"name": "Big deal", "lead_id": lead.id}, by=sales)
    update_user(sales, locale="fr")
    client = login(sales)
    html = client.get("/crm/leads").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" data-status="new">Nouvelle</span>' in html
    html = client.get(f"/crm/leads/{lead.id}").get_data(as_text=True)
    assert 'data-status="open">Ouverte</span>' in html  # "Open" in its context: an opportunity
    update_user(sales, locale="en")
    html = login(sales).get("/crm/leads").get_data(as_text=True)
    assert 'data-status="new">New</span>' in html


def test_a_status_badge_escapes_what_it_does_not_know(app):
    badge = StatusBadge(lambda: {"ok": "Fine"}, {"ok": "success"})
    with app.test_request_context():
        assert isinstance(badge("ok"), Markup)
        assert str(badge("ok")) == '<span class="badge text-bg-success" data-status="ok">Fine</span>'
        assert str(badge('<b x="1">')) == ('<span class="badge text-bg-secondary" data-status='
                                           '"&lt;b x=&#34;1&#34;&gt;">&lt;b x=&#34;1&#34;&gt;</span>')
        assert str(badge(None)) == '<span class="badge text-bg-secondary" data-status=""></span>'


def test_template_urls_are_flasks_urls(app):
    """The templates' url_for keeps each URL it built; it must give what Flask gives, under
    any root path, and build afresh what it cannot key."""
    from flask import url_for

    from core.web import template_url_for

    calls = [("crm.list_leads", {"q": "a b&c", "status": "", "sort": "-name"}),
             ("crm.list_leads", {"page": 2}), ("crm.list_leads", {"page": True}),
             ("crm.list_leads", {"page": 2.0}), ("crm.show_lead", {"lead_id": 7}),
             ("static", {"filename": "core/comptoir.css"}), ("web.home", {}),
             ("crm.list_leads", {"status": ["new", "lost"]}),  # unhashable: a repeated argument
             ("crm.show_lead", {"lead_id": 7, "_anchor": "events"})]
    for root in ("", "/comptoir"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for _round in range(2):  # built, then remembered
                for endpoint, values in calls:
                    assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
            assert template_url_for("web.home") == f"{root}/"
    with app.test_request_context("/"):  # True and 1 are equal keys in a dict, not equal URLs
        assert template_url_for("crm.list_leads", page=1) == "/crm/leads?page=1"
        assert template_url_for("crm.list_leads", page=True) == "/crm/leads?page=True"


def test_sort_links_and_pagination(app):
    """The lists' headers and pages (template globals), also through the macros of
    macros/ui.html that plugins' templates import."""
    from flask import render_template_string

    from core.web import Page

    args = {"q": 'a&"b', "status": ""}
    with app.test_request_context("/crm/leads"):
        html = render_template_string(
            "{{ sort_link('name', _('Name'), 'name', args) }}|{{ sort_link('name', 'N', '-name', args) }}|"
            "{{ sort_link('city', 'C', 'name', args) }}", args=args)
        up, down, plain = html.split("|")
        assert 'href="/crm/leads?q=a%26%22b&amp;status=&amp;sort=-name"' in up and "caret-up" in up
        assert "sort=name" in down and "caret-down" in down
        assert "sort=city" in plain and "caret" not in plain
        page = Page(items=[], page=2, per_page=25, total=2600, more=True)
        nav = render_template_string("{{ pagination(page, args) }}", page=page, args=args)
        assert "Page 2 of more than 104 · more than 2,600 records" in nav
        assert "page=1" in nav and "page=3" in nav and "disabled" not in nav
        last = Page(items=[], page=3, per_page=25, total=60)
        assert 'page-item disabled"><a class="page-link" href="/crm/leads?q=a%26%22b&amp;status=&amp;page=4"' in (
            render_template_string("{{ pagination(page, args) }}", page=last, args=args))
        assert "1 record<" in render_template_string("{{ pagination(page, {}) }}",
                                                     page=Page(items=[], page=1, per_page=25, total=1))
        # An empty list says so itself ("No lead matches."): no "0 records" under it.
        assert render_template_string("{{ pagination(page, {}) }}",
                                      page=Page(items=[], page=1, per_page=25, total=0)) == ""
        imported = render_template_string(
            '{% from "macros/ui.html" import sort_link, pagination %}{{ sort_link("name", "N", "", {}) }}'
            '{{ pagination(page, {}) }}', page=last)
        assert 'href="/crm/leads?sort=name"' in imported and "Page 3 of 3 · 60 records" in imported
    from flask_babel import force_locale

    with app.test_request_context("/crm/leads"), force_locale("fr"):
        nav = render_template_string("{{ pagination(page, {}) }}", page=page)
        assert "Page 2 sur plus de 104" in nav and "Précédente" in nav


def test_the_bell_counts_each_users_unread_notifications(app, sales, sales2, login):
    from core.notifications import Message, notify_many

    def bell(client, url="/crm/leads"):
        html = client.get(url).get_data(as_text=True)
        badge = re.search(r'<span id="bell-count"[^>]*class="([^"]*)"[^>]*data-count="(\d+)"', html)
        return int(badge.group(2)), "d-none" in badge.group(1)

    client = login(sales)
    assert bell(client) == (0, True)  # none: hidden
    notify_many([Message(user_id=sales.id, title=f"Reminder {i}", key=f"t:{i}") for i in range(3)]
           + [Message(user_id=sales2.id, title="Not yours", key="t:other")])
    db.session.commit()
    assert bell(client) == (3, False)
    assert bell(client, "/notifications/bell") == (3, False)  # the poll's fragment
    first = db.session.scalars(sa.select(Notification).where(Notification.user_id == sales.id)).first()
    assert client.post(f"/notifications/{first.id}/read").status_code == 303
    assert bell(client) == (2, False)
    assert client.post("/notifications/read-all").status_code == 303
    assert bell(client) == (0, True)
    assert bell(login(sales2)) == (1, False)


def test_the_kept_navigation_bar_follows_user_page_and_language(app, sales, sales2, login):
    """Shell.nav keeps each rendered bar: what it shows must still follow who is signed in,
    their name and language, and the page's menu entry; the bell and token are each page's."""
    def nav(client, url):
        html = client.get(url).get_data(as_text=True)
        bar = html[html.index("<nav class=\"navbar"):html.index("</nav>")]
        return html, bar

    first, second = login(sales), login(sales2)
    for _ in range(2):  # rendered, then kept
        _html, bar = nav(first, "/crm/leads")
        assert sales.name in bar and sales.email in bar and sales2.name not in bar
        assert re.search(r'class="nav-link active" href="/crm/"[^>]*aria-current="page"', bar)
        _html, bar = nav(first, "/partners")
        assert not re.search(r'class="nav-link active" href="/crm/"', bar)
        _html, bar = nav(second, "/crm/leads")
        assert sales2.name in bar and sales.name not in bar
    update_user(sales, name="Renamed Seller")
    _html, bar = nav(first, "/crm/leads")
    assert "Renamed Seller" in bar and "Sign out" in bar
    update_user(sales, locale="fr")
    html, bar = nav(first, "/crm/leads")
    assert "Renamed Seller" in bar and "Se déconnecter" in bar and "Sign out" not in bar
    # Each page's own CSRF token, the same as the page's meta tag.
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert f'name="csrf_token" value="{token}"' in bar and "\x00" not in html


def test_administration_pages_are_in_their_own_menu(admin, manager, sales, login):
    """The bar holds the pages of daily work; settings and administration pages
    (MenuEntry(admin=True)) are under its Administration menu, for those allowed them."""
    def bar(user, url="/partners"):
        html = login(user).get(url).get_data(as_text=True)
        nav = html[html.index("<nav class=\"navbar"):html.index("</nav>")]
        if 'id="admin-menu"' not in nav:
            return nav, None
        return nav[:nav.index('id="admin-menu"')], nav[nav.index('id="admin-menu"'):]

    main, admin_menu = bar(admin)
    assert ">Partners</a>" in main and ">Leads</a>" in main
    for label in ("Users", "Modules", "Settings", "CRM settings"):
        assert f">{label}</a>" not in main and f">{label}</a>" in admin_menu, label
    assert "Partners" not in admin_menu and 'class="nav-link dropdown-toggle active"' not in admin_menu
    main, admin_menu = bar(manager)
    assert ">CRM settings</a>" in admin_menu and ">Modules</a>" not in admin_menu
    assert bar(sales)[1] is None  # nothing to administer: no menu
    # On an administration page, the menu and its entry are the active ones.
    main, admin_menu = bar(admin, "/admin/modules")
    assert 'class="nav-link dropdown-toggle active"' in admin_menu
    assert re.search(r'class="dropdown-item active" href="/admin/modules"\s+aria-current="page"', admin_menu)
    assert "active" not in main.replace("navbar", "")


def test_select_options():
    from core.web import select_options

    html = select_options([(1, "Ann"), (12, "<Bob & Co>"), (None, "None")], "12")
    assert html == ('<option value="1">Ann</option><option value="12" selected>&lt;Bob &amp; Co&gt;</option>'
                    '<option value="">None</option>')
    assert "selected" not in select_options([(1, "Ann")], None) and "selected" not in select_options([(1, "A")], "")
    assert select_options([(3, "C")], 3) == '<option value="3" selected>C</option>'
    assert select_options([('"x', "q")], '"x') == '<option value="&#34;x" selected>q</option>'
