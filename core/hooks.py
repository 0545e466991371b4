"""The core's own hook implementations (registered like any module's, as "core")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.plugins import hookimpl


@hookimpl
def register_access_rules():
    from core.access import AccessRule
    from core.auth.models import User
    from core.notifications import Notification
    from core.partners.models import Contact, Partner

    def partner_can(user, action, partner):
        if action in ("read", "create"):
            return True
        if user.is_manager:
            return True
        if action in ("update", "promote", "add_contact"):
            return partner is not None and partner.salesperson_id == user.id
        return False

    def contact_can(user, action, contact):
        if action in ("read", "create"):
            return True
        if user.is_manager:
            return True
        if action in ("update", "delete"):
            return contact is not None and contact.partner.salesperson_id == user.id
        return False

    return [
        AccessRule(Partner, can=partner_can),
        AccessRule(Contact, can=contact_can),
        AccessRule(User, can=lambda user, action, record: action == "read"),
        AccessRule(
            Notification,
            condition=lambda user: Notification.user_id == user.id,
            sees=lambda user, n: n.user_id == user.id,
            can=lambda user, action, n: action in ("read", "mark_read"),
        ),
    ]


@hookimpl
def register_menu_entries():
    from core.web import MenuEntry

    return [
        MenuEntry(_l("Partners"), "partners.list_partners", icon="building", order=50),
        MenuEntry(_l("Contacts"), "partners.list_contacts", icon="person-lines-fill", order=51),
        MenuEntry(_l("Users"), "auth.list_users", icon="people", order=900,
                  allowed=lambda user: user.is_admin, admin=True),
        MenuEntry(_l("Modules"), "web.modules", icon="puzzle", order=910,
                  allowed=lambda user: user.is_admin, admin=True),
        MenuEntry(_l("Settings"), "settings.edit", icon="sliders", order=920,
                  allowed=lambda user: user.is_admin, admin=True),
    ]


@hookimpl
def register_reminder_channels():
    from core.notifications import Channel, notify, notify_many

    def deliver_email(message):
        from core import mail
        from core.auth.models import User
        from core.db import db

        user = db.session.get(User, message.user_id)
        if user is None or not user.active:
            return
        msg = mail.build_message(
            user.email, message.title, message.body or message.title, message.html,
            message_id=message.extra.get("message_id") or (
                # A stable Message-ID; ":" is not allowed in its left part (RFC 5322).
                f"<{message.key.replace(':', '.')}@comptoir>" if message.key else None),
        )
        mail.send(msg)

    return [
        Channel("notification", _l("In-app notification"), notify, transactional=True,
                deliver_many=notify_many),
        Channel("email", _l("Email"), deliver_email, transactional=False),
    ]


@hookimpl
def register_demo_data():
    from core.demo import load_core_demo

    return load_core_demo
