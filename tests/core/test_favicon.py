"""Pages declare their icon, so browsers do not fetch /favicon.ico: that 404 page loaded
the anonymous user, whose session Flask-Login's "strong" protection rewrote; answered
after a sign-in (the browser fetches the icon late), its cookie replaced the signed-in one
and the user was back on the sign-in page."""

from __future__ import annotations

import re


def test_pages_declare_an_icon_served_without_touching_the_session(client):
    page = client.get("/login").get_data(as_text=True)  # an anonymous session (CSRF token)
    (href,) = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    with client.get(href) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.data
        assert "Set-Cookie" not in icon.headers  # cannot overwrite a session set meanwhile


def test_static_files_do_not_write_a_signed_in_session(login, sales):
    """A signed-in session is permanent and Flask re-sends its cookie on every response; a
    static file answered after a sign-out must not put the old cookie back."""
    client = login(sales)
    assert "Set-Cookie" in client.get("/").headers  # pages refresh it
    with client.get("/static/core/comptoir.css") as css:
        assert css.status_code == 200 and "Set-Cookie" not in css.headers
    with client.get("/crm/static/crm.css") as module_css:
        assert module_css.status_code == 200 and "Set-Cookie" not in module_css.headers
