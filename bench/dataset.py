"""A realistic data set for the benchmarks, built with bulk inserts.

Full size: 20 salespeople (plus 2 managers and an admin), 20,000 partners, 40,000 contacts,
100,000 leads (every status, source and assignee, a fifth unassigned), 50,000 opportunities
(every stage, amounts, close dates over 18 months), 200,000 events (attendees, one reminder
each), 20,000 orders of 3 lines. ``scale`` divides every size (quick mode: 20); tests use
tiny scales. Works on SQLite and PostgreSQL; call it inside an application context on a
freshly migrated database (``bench.common.bench_app()``).

    from bench.dataset import build
    info = build(scale=20)   # -> Dataset(manager=..., salesperson=..., counts, seconds)
"""

from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

PASSWORD = "bench-password-2026"
CHUNK = 5000
FULL = {"salespeople": 20, "partners": 20_000, "contacts": 40_000, "leads": 100_000,
        "opportunities": 50_000, "events": 200_000, "orders": 20_000, "products": 200}

CITIES = ["Paris", "Lyon", "Lille", "Nantes", "Bordeaux", "Marseille", "Rennes", "Nice",
          "Toulouse", "Strasbourg", "Grenoble", "Dijon"]
FIRST = ["Anne", "Louis", "Marie", "Paul", "Julie", "Hugo", "Claire", "Lucas", "Emma", "Jules",
         "Léa", "Noé", "Chloé", "Adam", "Inès", "Théo", "Sarah", "Nathan", "Zoé", "Éric"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier"]
WORDS = ["Atelier", "Boulangerie", "Cabinet", "Garage", "Imprimerie", "Librairie", "Maison",
         "Menuiserie", "Pharmacie", "Studio", "Transports", "Verrerie", "Fromagerie", "Agence"]
FORMS = ["SARL", "SAS", "SA", "EURL", ""]
JOBS = ["Gérant", "Directrice", "Acheteur", "Comptable", "Assistante", "Responsable achats", None]
LEAD_STATUSES = [("new", 20), ("assigned", 25), ("in_progress", 25), ("converted", 15), ("lost", 15)]
ORDER_STATUSES = [("draft", 20), ("finalized", 20), ("confirmed", 35), ("completed", 15),
                  ("cancelled", 10)]


@dataclass
class Dataset:
    scale: int
    admin_id: int = 0
    manager_id: int = 0
    salesperson_ids: list[int] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    now: datetime | None = None

    @property
    def salesperson_id(self) -> int:
        return self.salesperson_ids[0]


def sizes(scale: int) -> dict:
    return {k: max(1, v // scale) if k != "salespeople" else v for k, v in FULL.items()}


def _weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)


def _phone(i: int, mobile: bool = False) -> tuple[str, str]:
    """A French number and its E.164 form (what core.validation.normalize_phone gives)."""
    digits = f"{(6 if mobile else 1 + i % 5)}{i % 100:02d}{i // 100 % 100:02d}{i // 10000 % 100:02d}{(i * 7) % 100:02d}"
    shown = "0" + " ".join([digits[0]] + [digits[k:k + 2] for k in range(1, 9, 2)])
    return shown, "+33" + digits


def _bulk(model) -> sa.Insert:
    """A bulk INSERT whose NULLs are sent as NULLs: the ORM otherwise leaves None values out,
    so rows with different None columns split the batch into one statement per row."""
    return sa.insert(model).execution_options(render_nulls=True)


def _execute(model, rows: list[dict]) -> None:
    """One executemany: every row gets the same keys (missing ones are NULL)."""
    from core.db import db

    keys = set().union(*rows)
    db.session.execute(_bulk(model), [dict.fromkeys(keys) | row for row in rows])


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        _execute(model, rows[start:start + CHUNK])


def _next_id(model) -> int:
    from core.db import db

    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _stream(model, count: int, make) -> int:
    """Insert ``count`` rows made by ``make(i)`` in chunks; the id of the first one."""
    from core.db import db

    first = _next_id(model)
    rows = []
    for i in range(count):
        rows.append(make(i))
        if len(rows) == CHUNK:
            _execute(model, rows)
            rows = []
    if rows:
        _execute(model, rows)
    got = db.session.scalar(sa.select(sa.func.count(model.id)).where(model.id >= first))
    assert got == count, (model.__name__, got, count)
    return first


def build(scale: int = 1, seed: int = 2026, now: datetime | None = None, append: bool = False) -> Dataset:
    """Fill the (freshly migrated) database of the current app; returns what benches need.
    ``append=True`` adds another data set's worth of rows to one built before (same users):
    query-budget tests compare a database with N rows against one with 10 N."""
    from werkzeug.security import generate_password_hash

    from core.auth.models import User
    from core.db import db
    from core.models import CoreMeta, Sequence
    from core.partners.models import Contact, Partner
    from core.partners.services import email_domain
    from modules.calendar.models import Event, Reminder, event_contact, event_user
    from modules.crm.models import Lead, LeadSource, LostReason, Opportunity, OpportunityStage
    from modules.crm.services.leads import derive
    from modules.sales.models import Product, SaleOrder, SaleOrderLine
    from modules.sales.services import line_amounts

    started, cpu_started = time.perf_counter(), time.process_time()
    rng = random.Random(seed)
    n = sizes(scale)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    info = Dataset(scale=scale, now=now)
    span = timedelta(days=548)  # 18 months
    epoch = now - timedelta(days=365)

    def when(i: int, count: int) -> datetime:
        """Spread over the 18 months from a year ago to six months ahead."""
        return epoch + span * (i / max(1, count)) + timedelta(minutes=rng.randrange(600))

    def past(i: int, count: int) -> datetime:
        return now - timedelta(days=365) * (1 - i / max(1, count)) - timedelta(minutes=rng.randrange(600))

    # --- users: one cheap hash shared by all (the benches sign in with PASSWORD) ------------
    password_hash = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    users = [{"email": "admin@bench.example", "name": "Admin Bench", "role": "admin"},
             {"email": "manager@bench.example", "name": "Manager Bench", "role": "manager"},
             {"email": "manager2@bench.example", "name": "Manager Two", "role": "manager"}]
    users += [{"email": f"s{i}@bench.example", "name": f"{FIRST[i % 20]} Sales{i:02d}",
               "role": "salesperson"} for i in range(n["salespeople"])]
    if not append:
        _insert(User, [u | {"password_hash": password_hash, "active": True, "session_nonce": f"{i:032x}",
                            "created_at": now, "updated_at": now} for i, u in enumerate(users)])
    ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    info.admin_id, info.manager_id = ids["admin@bench.example"], ids["manager@bench.example"]
    info.salesperson_ids = [ids[f"s{i}@bench.example"] for i in range(n["salespeople"])]
    sellers = info.salesperson_ids
    everyone = sellers + [info.manager_id]

    # --- partners and contacts -------------------------------------------------------------
    def partner(i):
        individual = i % 5 == 4
        if individual:
            name = f"{FIRST[i % 20]} {LAST[(i // 20) % len(LAST)]} {i}"
        else:
            name = f"{WORDS[i % len(WORDS)]} {LAST[(i // 7) % len(LAST)]} {i} {FORMS[i % 5]}".strip()
        domain = f"p{i}.example"
        phone, phone_n = _phone(i)
        created = past(i, n["partners"])
        return {"name": name, "name_search": name.lower(), "kind": "individual" if individual else "company",
                "partner_type": "customer" if i % 3 == 0 else "prospect", "email": f"contact@{domain}",
                "email_domain": domain, "phone": phone, "phone_normalized": phone_n,
                "city": CITIES[i % len(CITIES)], "postal_code": f"{10000 + i % 85000:05d}", "country": "FR",
                "street": f"{1 + i % 120} rue de la République", "salesperson_id": sellers[i % len(sellers)],
                "version": 1, "created_at": created, "updated_at": created}

    first_partner = _stream(Partner, n["partners"], partner)


    def contact(i):
        p = i % n["partners"]
        first, last = FIRST[(i * 3) % 20], LAST[(i * 5) % len(LAST)]
        email = f"{first.lower()}.{i}@p{p}.example"
        phone, phone_n = _phone(i + 500_000, mobile=True)
        return {"partner_id": first_partner + p, "first_name": first, "last_name": last,
                "email": email, "email_domain": email_domain(email), "phone": phone,
                "phone_normalized": phone_n, "job_title": JOBS[i % len(JOBS)],
                "name_search": f"{first} {last}".lower(), "version": 1, "created_at": now, "updated_at": now}

    first_contact = _stream(Contact, n["contacts"], contact)

    # --- leads ---------------------------------------------------------------------------
    sources = list(db.session.scalars(sa.select(LeadSource.id))) + [None]
    reasons = list(db.session.scalars(sa.select(LostReason.id)))

    def lead(i):
        status = _weighted(rng, LEAD_STATUSES)[0]
        first, last = FIRST[i % 20], LAST[(i // 20) % len(LAST)]
        company = f"{WORDS[(i // 3) % len(WORDS)]} {LAST[(i // 11) % len(LAST)]} {i % 9000} {FORMS[i % 5]}".strip()
        phone, _n = _phone(i + 100_000)
        mobile = _phone(i + 200_000, mobile=True)[0] if i % 3 == 0 else None
        values = {"first_name": first, "last_name": last, "company_name": company if i % 6 else None,
                  "email": f"{first.lower()}.{last.lower()}{i}@firm{i % 9000}.example", "phone": phone,
                  "mobile": mobile}
        created = past(i, n["leads"])
        assignee = None if status == "new" or i % 10 == 0 else everyone[i % len(everyone)]
        row = values | {
            "job_title": JOBS[i % len(JOBS)], "city": CITIES[(i * 7) % len(CITIES)], "country": "FR",
            "source_id": sources[i % len(sources)], "status": status, "assigned_to": assignee,
            "recycled": i % 50 == 0, "version": 1, "created_at": created,
            "updated_at": created + timedelta(hours=rng.randrange(1, 2000)),
            "description": "Interested in a demo." if i % 4 == 0 else None}
        if status == "lost":
            row["lost_reason_id"] = reasons[i % len(reasons)]
        elif status == "converted":
            p = i % n["partners"]
            row |= {"partner_id": first_partner + p, "contact_id": first_contact + p,
                    "converted_at": row["updated_at"]}
        return row | _derive_fast(values, derive)

    first_lead = _stream(Lead, n["leads"], lead)

    # --- opportunities -----------------------------------------------------------------------
    stages = list(db.session.execute(sa.select(OpportunityStage.id, OpportunityStage.probability,
                                               OpportunityStage.is_won, OpportunityStage.is_lost)
                                     .order_by(OpportunityStage.sequence)))
    open_stages = [s for s in stages if not (s.is_won or s.is_lost)]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_lost)

    def opportunity(i):
        close = (epoch + span * (i / n["opportunities"])).date() + timedelta(days=rng.randrange(30))
        past_close = close < now.date() and i % 5  # most of the past ones are closed, won or lost
        stage = (won if i % 2 else lost) if past_close else open_stages[i % len(open_stages)]
        status = "won" if stage.is_won else "lost" if stage.is_lost else "open"
        created = datetime.combine(close - timedelta(days=30 + i % 60), datetime.min.time(), UTC)
        name = f"{WORDS[i % len(WORDS)]} project {i}"
        row = {"name": name, "name_search": name.lower(), "partner_id": first_partner + i % n["partners"],
               "lead_id": first_lead + (i * 2) % n["leads"] if i % 3 == 0 else None,
               "contact_id": first_contact + i % n["contacts"] if i % 2 else None,
               "stage_id": stage.id, "status": status,
               "amount": Decimal(500 + (i * 7919) % 95_000), "currency": "EUR",
               "probability": stage.probability, "expected_close_date": close,
               "assigned_to": everyone[i % len(everyone)] if i % 25 else None,
               "source": "Referral" if i % 4 == 0 else None, "version": 1,
               "created_at": min(created, now), "updated_at": min(created, now)}
        if status != "open":
            row["closed_at"] = min(datetime.combine(close, datetime.min.time(), UTC), now)
            if status == "lost":
                row["lost_reason_id"] = reasons[i % len(reasons)]
        return row

    _stream(Opportunity, n["opportunities"], opportunity)

    # --- events, attendees, reminders ------------------------------------------------------
    types = ["call", "meeting", "event", "task"]
    first_event = _next_id(Event)
    event_rows, user_rows, contact_rows, reminder_rows = [], [], [], []

    def flush_events():
        for model_or_table, rows in ((Event, event_rows), (event_user, user_rows),
                                     (event_contact, contact_rows), (Reminder, reminder_rows)):
            if rows:
                _execute(model_or_table, rows)
                rows.clear()

    for i in range(n["events"]):
        start = when(i, n["events"]).replace(minute=(i % 4) * 15, second=0, microsecond=0)
        start = start.replace(hour=8 + i % 10)
        end = start + timedelta(minutes=30 * (1 + i % 4))
        organizer = everyone[i % len(everyone)]
        p = (i * 13) % n["partners"]
        related = ({"related_type": "lead", "related_id": first_lead + (i * 3) % n["leads"]} if i % 7 == 0
                   else {"related_type": None, "related_id": None})
        event_rows.append({
            "type": types[i % 4], "subject": f"{('Call', 'Meeting', 'Visit', 'Follow up')[i % 4]} {i}",
            "start": start, "end": end, "all_day": False, "location": CITIES[i % len(CITIES)] if i % 2 else None,
            "status": "done" if start < now and i % 5 else ("cancelled" if i % 23 == 0 else "planned"),
            "organizer_id": organizer, "partner_id": first_partner + p if i % 5 < 3 else None,
            "contact_id": first_contact + p if i % 5 == 0 else None, "version": 1,
            "created_at": start - timedelta(days=7), "updated_at": start - timedelta(days=7)} | related)
        event_id = first_event + i
        if i % 5 == 1:
            user_rows.append({"event_id": event_id, "user_id": everyone[(i + 1) % len(everyone)]})
        if i % 2 == 0:
            contact_rows.append({"event_id": event_id, "contact_id": first_contact + p})
        due = start - timedelta(minutes=15)
        reminder_rows.append({
            "event_id": event_id, "user_id": organizer, "channel": "notification", "offset_minutes": 15,
            "due_at": due, "state": "sent" if due < now else "pending", "attempts": 1 if due < now else 0,
            "sent_at": due if due < now else None, "late": False, "created_at": start - timedelta(days=7)})
        if len(event_rows) == CHUNK:
            flush_events()
    flush_events()

    # --- products, orders, lines -----------------------------------------------------------
    def product(i):
        name = f"{('Licence', 'Formation', 'Support', 'Module', 'Audit')[i % 5]} {i}"
        code = f"P{product_base + i:05d}"
        return {"code": code, "name": name, "name_search": f"{code} {name}".lower(),
                "unit_price": Decimal(20 + (i * 37) % 2000), "tax_rate": Decimal("20.00"), "active": True,
                "version": 1, "created_at": now, "updated_at": now}

    product_base = _next_id(Product)
    first_product = _stream(Product, n["products"], product)
    prices = {first_product + i: Decimal(20 + (i * 37) % 2000) for i in range(n["products"])}
    first_order = _next_id(SaleOrder)
    year = now.year
    sequence = db.session.get(Sequence, f"sales.order.{year}")
    order_rows, line_rows, numbered = [], [], sequence.value if sequence else 0
    for i in range(n["orders"]):
        status = _weighted(rng, ORDER_STATUSES)[0]
        created = past(i, n["orders"])
        lines, untaxed_sum, tax_sum = [], Decimal("0.00"), Decimal("0.00")
        for k in range(3):
            product_id = first_product + (i * 3 + k) % n["products"]
            qty, discount = Decimal(1 + (i + k) % 5), Decimal((i % 3) * 5)
            untaxed, tax = line_amounts(qty, prices[product_id], discount, Decimal("20.00"))
            untaxed_sum, tax_sum = untaxed_sum + untaxed, tax_sum + tax
            lines.append({"order_id": first_order + i, "sequence": 10 * (k + 1), "product_id": product_id,
                          "description": f"Line {k + 1}", "quantity": qty, "unit_price": prices[product_id],
                          "discount_percent": discount, "tax_percent": Decimal("20.00"),
                          "amount_untaxed": untaxed, "amount_tax": tax})
        number = None
        if status != "draft":
            numbered += 1
            number = f"Q{year}-{numbered:05d}"
        confirmed = status in ("confirmed", "completed")
        order_rows.append({
            "number": number, "status": status, "partner_id": first_partner + (i * 7) % n["partners"],
            "assigned_to": everyone[i % len(everyone)], "currency": "EUR",
            "valid_until": (created + timedelta(days=30)).date(), "amount_untaxed": untaxed_sum,
            "amount_tax": tax_sum, "amount_total": untaxed_sum + tax_sum,
            "confirmed_at": created + timedelta(days=3) if confirmed else None,
            "confirmed_by": everyone[i % len(everyone)] if confirmed else None,
            "version": 1, "created_at": created, "updated_at": created})
        line_rows.extend(lines)
        if len(order_rows) == CHUNK:
            _insert(SaleOrder, order_rows)
            _insert(SaleOrderLine, line_rows)
            order_rows, line_rows = [], []
    _insert(SaleOrder, order_rows)
    _insert(SaleOrderLine, line_rows)
    db.session.merge(Sequence(name=f"sales.order.{year}", value=numbered))
    db.session.merge(CoreMeta(key="bench.dataset", value=f"{scale} {now.isoformat()}"))
    db.session.commit()

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    info.counts = {"users": len(users), **{k: v for k, v in n.items() if k != "salespeople"},
                   "order_lines": 3 * n["orders"], "reminders": n["events"]}
    info.seconds = round(time.perf_counter() - started, 1)
    info.cpu_seconds = round(time.process_time() - cpu_started, 1)
    return info


def load() -> Dataset | None:
    """The Dataset of a database built earlier by :func:`build` (None if there is none)."""
    from core.auth.models import User
    from core.db import db
    from core.models import CoreMeta

    meta = db.session.get(CoreMeta, "bench.dataset")
    if meta is None:
        return None
    scale, now = meta.value.split(" ", 1)
    ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    n = sizes(int(scale))
    info = Dataset(scale=int(scale), now=datetime.fromisoformat(now), admin_id=ids["admin@bench.example"],
                   manager_id=ids["manager@bench.example"],
                   salesperson_ids=[ids[f"s{i}@bench.example"] for i in range(n["salespeople"])])
    info.counts = {k: v for k, v in n.items() if k != "salespeople"}
    return info


def obtain(scale: int) -> Dataset:
    """The data set of the current database if it was built at ``scale`` (BENCH_REUSE_DB
    runs), else a new one."""
    info = load()
    if info is not None and info.scale == scale:
        return info
    return build(scale=scale)


def _derive_fast(values: dict, derive) -> dict:
    """``leads.derive`` (the service's own derived columns) with its phone parsing skipped:
    the phones made here are French numbers whose E.164 form is known."""
    out = derive({k: v for k, v in values.items() if k not in ("phone", "mobile")})
    out["phone_normalized"] = _e164(values.get("phone"))
    out["mobile_normalized"] = _e164(values.get("mobile"))
    return out


def _e164(shown: str | None) -> str | None:
    return "+33" + shown.replace(" ", "")[1:] if shown else None


@contextmanager
def dataset_app(scale: int, blueprints=(), db_url: str | None = None):
    """A bench app (``bench.common.bench_app``) holding the data set at ``scale``, and that
    Dataset. BENCH_REUSE_DB=<database url> reuses a database built earlier at the same
    scale (its data is kept) instead of building one: handy while profiling."""
    from bench.common import bench_app
    from core.testing.pytest_plugin import _fresh_context_client

    reuse = os.environ.get("BENCH_REUSE_DB")
    with bench_app(reuse or db_url, fresh=not reuse) as app:
        app.test_client_class = _fresh_context_client()  # a fresh session per request
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
        yield app, obtain(scale)
