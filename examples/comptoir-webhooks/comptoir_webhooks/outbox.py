"""Queue events in the caller's transaction; deliver them from the scheduler."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core.db import db, utcnow

from .models import Delivery, Endpoint

log = logging.getLogger("comptoir.webhooks")
MAX_ATTEMPTS = 5


def enqueue(event: str, data: dict) -> int:
    """Add a delivery for each endpoint that wants ``event`` (no commit: the caller's
    transaction decides). Returns how many were queued."""
    endpoints = db.session.scalars(sa.select(Endpoint).where(Endpoint.active)).all()
    count = 0
    for endpoint in endpoints:
        if endpoint.wants(event):
            db.session.add(Delivery(endpoint_id=endpoint.id, event=event,
                                    payload={"event": event, "data": data}))
            count += 1
    return count


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(delivery: Delivery) -> None:
    body = json.dumps({**delivery.payload, "delivery_id": delivery.id}, sort_keys=True).encode()
    url = delivery.endpoint.url
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("only http(s) endpoints are allowed")
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json",
        "User-Agent": "Comptoir-Webhooks/1.0",
        "X-Comptoir-Event": delivery.event,
        "X-Comptoir-Delivery": str(delivery.id),
        "X-Comptoir-Signature": signature(delivery.endpoint.secret, body),
    })
    timeout = current_app.config.get("WEBHOOKS_TIMEOUT", 5)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - admin-set URL
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(delivery.endpoint.url, response.status, "bad status", None, None)


def deliver_due(app=None, limit: int = 100) -> int:
    """Send due deliveries (a scheduler job). Each is claimed with a conditional update,
    so two schedulers never send the same one at once. Returns how many were sent."""
    now = utcnow()
    # A claim whose process died mid-send goes back to the queue (at least once; the
    # receiver drops duplicates by X-Comptoir-Delivery).
    db.session.execute(sa.update(Delivery).where(
        Delivery.state == "sending", Delivery.next_attempt_at < now - timedelta(minutes=5),
    ).values(state="pending"))
    ids = db.session.scalars(
        sa.select(Delivery.id).where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.id).limit(limit)).all()
    db.session.commit()
    sent = 0
    for delivery_id in ids:
        claimed = db.session.execute(
            sa.update(Delivery).where(Delivery.id == delivery_id, Delivery.state == "pending")
            .values(state="sending", attempts=Delivery.attempts + 1, next_attempt_at=utcnow())).rowcount
        db.session.commit()
        if not claimed:
            continue
        delivery = db.session.get(Delivery, delivery_id)
        try:
            _post(delivery)
        except Exception as exc:  # network, HTTP status: retried with backoff
            delivery.last_error = str(exc)[:500]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = "failed"
            else:
                delivery.state = "pending"
                delivery.next_attempt_at = utcnow() + timedelta(seconds=2 ** delivery.attempts * 5)
            log.warning("webhook %s to %s failed: %s", delivery.id, delivery.endpoint.url, exc)
        else:
            delivery.state = "sent"
            delivery.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent
