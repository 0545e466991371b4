"""Partner list and detail pages, in process (Flask test client), 20,000 partners (2,000 quick)."""

from __future__ import annotations

import random
import time

import sqlalchemy as sa

from bench.common import bench_app, peak_rss_mb, timed

PASSWORD = "bench-password-2026"


def seed(n: int) -> tuple:
    from core.auth.services import create_user
    from core.db import db, utcnow
    from core.partners.models import Partner

    manager = create_user(email="manager@bench.example", name="Manager", role="manager", password=PASSWORD)
    sales = [create_user(email=f"s{i}@bench.example", name=f"Sales {i}", role="salesperson",
                         password=PASSWORD) for i in range(20)]
    rng = random.Random(7)
    cities = ["Paris", "Lyon", "Lille", "Nantes", "Bordeaux", "Marseille", "Rennes", "Nice"]
    now = utcnow()
    rows = []
    for i in range(n):
        name = f"Company {i:06d} {rng.choice(['SARL', 'SAS', 'GmbH', 'Ltd'])}"
        rows.append({"name": name, "name_search": name.lower(), "kind": "company",
                     "partner_type": rng.choice(["prospect", "customer"]), "city": rng.choice(cities),
                     "email": f"contact{i}@company{i}.example", "email_domain": f"company{i}.example",
                     "salesperson_id": rng.choice(sales).id, "version": 1,
                     "created_at": now, "updated_at": now})
    for start in range(0, n, 5000):
        db.session.execute(sa.insert(Partner), rows[start:start + 5000])
    db.session.commit()
    return manager, sales[0]


def run(quick: bool) -> list[dict]:
    n = 2000 if quick else 20000
    repeat = 20 if quick else 50
    rows = []
    with bench_app() as app:
        started = time.perf_counter()
        manager, salesperson = seed(n)
        seed_s = round(time.perf_counter() - started, 2)
        for who in (salesperson, manager):
            client = app.test_client()
            client.post("/login", data={"email": who.email, "password": PASSWORD})
            for label, url in (("list p1", "/partners"), ("list p40", "/partners?page=40"),
                               ("search", "/partners?q=company 0001"), ("filter", "/partners?type=customer&sort=-city"),
                               ("detail", "/partners/1"), ("api list", "/api/v1/partners?per_page=50")):
                assert client.get(url).status_code == 200, url
                figures = timed(lambda c=client, u=url: c.get(u), repeat)
                rows.append({"page": label, "as": who.role, "partners": n, **figures})
        rows.append({"seed_seconds": seed_s, "peak_rss_mb": peak_rss_mb()})
    return rows
