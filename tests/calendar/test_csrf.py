"""With CSRF on (as in production), the calendar's drag and drop (a session-authenticated
PATCH to the API) needs the token of the page's meta tag."""

from __future__ import annotations

import re

import pytest

from modules.calendar import services
from tests.calendar.conftest import at


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_drag_needs_the_csrf_header(app, sales):
    from core.testing.pytest_plugin import PASSWORD

    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").data.decode()).group(1)
    assert c.post("/login", data={"email": sales.email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    event = services.create_event({"subject": "x", "start": at(1)}, by=sales)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', c.get("/calendar").data.decode()).group(1)
    body = {"start": at(2).isoformat(), "end": (at(2)).isoformat()}
    assert c.patch(f"/api/v1/events/{event.id}", json=body).status_code == 400
    r = c.patch(f"/api/v1/events/{event.id}", json=body, headers={"X-CSRFToken": meta})
    assert r.status_code == 200, r.data[:300]
