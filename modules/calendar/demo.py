"""Demo data: a realistic working week of calls, meetings and tasks for each demo
salesperson (idempotent: skipped for a salesperson who already has events)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.auth.models import User
from core.db import db, utcnow
from core.partners.models import Partner
from modules.calendar import services
from modules.calendar.models import Event

PARIS = ZoneInfo("Europe/Paris")

def _working_week(today):
    """Five working days around today: two behind (done), today, two ahead (planned)."""
    day, before = today, []
    while len(before) < 2:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            before.insert(0, day)
    day, after = today, [today] if today.weekday() < 5 else []
    while len(after) < 3:
        day += timedelta(days=1)
        if day.weekday() < 5:
            after.append(day)
    return before + after


# (working day 0-4 around today, hour, minutes, duration, type, subject, partner index, location, reminders, done if past)
WEEK = [
    (0, 9, 0, 30, "meeting", "Réunion d'équipe commerciale", None, "Salle Rivoli", [(15, "notification")]),
    (0, 11, 0, 20, "call", "Appel de qualification", 0, None, [(10, "notification")]),
    (0, 14, 30, 60, "task", "Préparer la proposition commerciale", 1, None, []),
    (1, 10, 0, 90, "meeting", "Démonstration produit", 1, "Visio", [(30, "notification"), (1440, "email")]),
    (1, 15, 0, 15, "call", "Relance devis", 2, None, [(5, "notification")]),
    (2, 9, 30, 30, "call", "Point d'avancement", 3, None, []),
    (2, 14, 0, 120, "meeting", "Visite sur site", 4, "Sur place", [(60, "notification"), (120, "email")]),
    (3, 11, 0, 30, "task", "Mettre à jour le pipeline", None, None, []),
    (3, 16, 0, 45, "meeting", "Négociation des conditions", 0, "Chez le client", [(30, "notification")]),
    (4, 10, 0, 20, "call", "Appel de suivi après démonstration", 1, None, [(15, "notification")]),
    (4, 15, 30, 60, "event", "Webinaire clients", None, "En ligne", [(60, "email")]),
]


def load(app) -> str:
    salespeople = db.session.scalars(
        sa.select(User).where(User.role == "salesperson", User.active, User.email.like("%@comptoir.example"))
        .order_by(User.id)).all()
    partners = db.session.scalars(sa.select(Partner).order_by(Partner.id)).all()
    days = _working_week(utcnow().astimezone(PARIS).date())
    now = utcnow()
    created = 0
    for n, user in enumerate(salespeople):
        if db.session.scalar(sa.select(Event.id).where(Event.organizer_id == user.id).limit(1)):
            continue
        mine = [p for p in partners if p.salesperson_id == user.id] or partners
        for weekday, hour, minute, duration, kind, subject, p_index, location, reminders in WEEK:
            start = datetime.combine(days[weekday], time(hour, (minute + 15 * n) % 60),
                                     tzinfo=PARIS).astimezone(UTC)
            partner = mine[p_index % len(mine)] if (p_index is not None and mine) else None
            contact = partner.contacts[0] if partner is not None and partner.contacts else None
            title = f"{subject} – {partner.name}" if partner is not None else subject
            done = start + timedelta(minutes=duration) < now and kind in ("call", "meeting", "task")
            values = {
                "type": kind, "subject": title, "start": start, "end": start + timedelta(minutes=duration),
                "location": location, "partner_id": partner.id if partner else None,
                "contact_id": contact.id if contact else None,
                "attendee_contact_ids": [contact.id] if contact and kind == "meeting" else [],
                "description": "Compte rendu : échange positif, prochaine étape à planifier." if done else None,
                "reminders": [] if done else [{"offset_minutes": m, "channel": c} for m, c in reminders],
            }
            services.create_event(values, by=user, done=done, commit=False)
            created += 1
        db.session.commit()
    return f"calendar: {created} events added"
