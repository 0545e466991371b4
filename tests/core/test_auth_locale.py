"""The user's language and time zone drive how dates and amounts read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from core.auth.services import update_user
from core.db import db
from core.partners.services import create_partner
from core.timeline import TimelineEntry


def _partner_created_at(manager, when: datetime):
    partner = create_partner({"name": "Horloge"}, by=manager)
    db.session.execute(sa.update(TimelineEntry).where(TimelineEntry.record_id == partner.id)
                       .values(at=when))
    db.session.commit()
    return partner


def _timeline(client, partner, **headers) -> str:
    html = client.get(f"/partners/{partner.id}", headers=headers).get_data(as_text=True)
    return html[html.index('id="timeline"'):]


def test_time_zone_of_the_profile_drives_times(login, manager, sales, sales2):
    partner = _partner_created_at(manager, datetime(2026, 1, 15, 10, 0, tzinfo=UTC))
    update_user(sales, timezone="Europe/Paris")
    update_user(sales2, timezone="America/New_York")
    assert "11:00" in _timeline(login(sales), partner)
    assert "5:00" in _timeline(login(sales2), partner)
    assert "10:00" in _timeline(login(manager), partner)  # no time zone: UTC


def test_french_browser_gets_french_dates(login, manager, sales):
    partner = _partner_created_at(manager, datetime(2026, 1, 15, 10, 0, tzinfo=UTC))
    update_user(sales, timezone="Europe/Paris")
    client = login(sales)
    french = client.get(f"/partners/{partner.id}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = french.get_data(as_text=True)
    assert '<html lang="fr"' in html
    # The day as the lists write it, the time without seconds, in the user's time zone.
    assert "15 janv. 2026, 11:00" in html
    english = _timeline(client, partner, **{"Accept-Language": "en-US"})
    assert "Jan 15, 2026, 11:00\u202fAM" in english


def test_profile_sets_language_and_time_zone(login, sales):
    client = login(sales)
    r = client.post("/profile", data={"name": "Sam Sales", "locale": "fr", "timezone": "Europe/Paris"})
    assert r.status_code == 303
    html = client.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert '<option value="Europe/Paris" selected' in html


def test_profile_rejects_unknown_language_and_zone(login, sales):
    r = login(sales).post("/profile", data={"name": "Sam", "locale": "xx", "timezone": "Mars/Olympus"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'data-field-error="locale"' in html and 'data-field-error="timezone"' in html
    assert 'value="Sam"' in html  # what was typed stays


def test_amounts_follow_the_locale(app):
    from core.i18n import fmt_money

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert fmt_money(Decimal("1250.5")) == "1\u202f250,50\u00a0€"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert fmt_money(Decimal("1250.5")) == "€1,250.50"
        assert fmt_money(Decimal("1250.5"), "USD") == "$1,250.50"
