"""What the webhooks plugin plugs into Comptoir."""

from __future__ import annotations

from core import hookimpl


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def register_menu_entries():
    from core.web import MenuEntry

    return [MenuEntry("Webhooks", "webhooks.index", icon="broadcast", order=930,
                      allowed=lambda user: user.is_admin, admin=True)]


@hookimpl
def register_jobs():
    from core.scheduler import Job

    from .outbox import deliver_due

    return [Job("deliver", deliver_due, seconds=5)]


@hookimpl
def register_reminder_channels():
    from core.notifications import Channel

    from .outbox import enqueue

    def deliver(message):
        enqueue("reminder", {"user_id": message.user_id, "title": message.title,
                             "body": message.body, "url": message.url, "key": message.key})

    # Enqueuing is a database write in the dispatcher's transaction: exactly once.
    return [Channel("webhook", "Webhook", deliver, transactional=True)]


@hookimpl(optionalhook=True)
def on_order_confirmed(order, by):
    from .outbox import enqueue

    enqueue("order.confirmed", {
        "id": order.id, "number": order.number, "partner_id": order.partner_id,
        "amount_total": f"{order.amount_total:.2f}", "currency": order.currency,
        "confirmed_by": by.id if by is not None else None,
    })


@hookimpl(optionalhook=True)
def on_lead_converted(lead, partner, contact, by):
    from .outbox import enqueue

    enqueue("lead.converted", {
        "lead_id": lead.id, "partner_id": partner.id if partner else None,
        "contact_id": contact.id if contact else None,
        "converted_by": by.id if by is not None else None,
    })
