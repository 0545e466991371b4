"""Order confirmation throughput: 2 processes confirm 2,000 finalized quotes (200 quick) at the same time.

A fresh database (SQLite file in a temporary folder, or COMPTOIR_BENCH_DATABASE_URL) holds N
finalized quotes of 3 lines, each for its own prospect; two spawned processes (like two
gunicorn workers) each confirm half of them through ``modules.sales.services.confirm`` (the
status change, the timeline, the ``on_order_confirmed`` hooks: the prospect becomes a
customer), starting together. Reports orders per second over both processes.
"""

from __future__ import annotations

import multiprocessing
import time
from decimal import Decimal

import sqlalchemy as sa

PROCESSES = 2


def seed(count: int) -> tuple[int, list[int]]:
    from core.auth.services import create_user
    from core.db import db, utcnow
    from core.partners.models import Partner
    from modules.sales.models import SaleOrder, SaleOrderLine

    user = create_user(email="seller@bench.example", name="Seller", role="salesperson",
                       password="bench-password-2026")
    now = utcnow()
    db.session.execute(sa.insert(Partner), [
        {"name": f"Prospect {i}", "name_search": f"prospect {i}", "kind": "company", "partner_type": "prospect",
         "salesperson_id": user.id, "version": 1, "created_at": now, "updated_at": now} for i in range(count)])
    partners = list(db.session.scalars(sa.select(Partner.id).order_by(Partner.id)))
    db.session.execute(sa.insert(SaleOrder), [
        {"number": f"Q{now.year}-{i + 1:05d}", "status": "finalized", "partner_id": partners[i],
         "assigned_to": user.id, "currency": "EUR", "amount_untaxed": Decimal("300.00"),
         "amount_tax": Decimal("60.00"), "amount_total": Decimal("360.00"), "version": 1,
         "created_at": now, "updated_at": now} for i in range(count)])
    orders = list(db.session.scalars(sa.select(SaleOrder.id).order_by(SaleOrder.id)))
    db.session.execute(sa.insert(SaleOrderLine), [
        {"order_id": order_id, "sequence": 10 * (k + 1), "description": f"Line {k + 1}",
         "quantity": Decimal(1), "unit_price": Decimal("100.00"), "discount_percent": Decimal(0),
         "tax_percent": Decimal("20.00"), "amount_untaxed": Decimal("100.00"), "amount_tax": Decimal("20.00")}
        for order_id in orders for k in range(3)])
    db.session.commit()
    return user.id, orders


def _confirm(url, order_ids, user_id, barrier, results):
    from core.auth.models import User
    from core.db import db
    from core.errors import Conflict
    from core.testing.pytest_plugin import make_app
    from modules.sales import services
    from modules.sales.models import SaleOrder

    app = make_app(url)
    with app.app_context(), app.test_request_context():
        user = db.session.get(User, user_id)
        db.session.commit()  # end the transaction (on SQLite it holds the write lock)
        barrier.wait(timeout=120)
        started, ok, conflicts = time.perf_counter(), 0, 0
        for order_id in order_ids:
            try:
                services.confirm(db.session.get(SaleOrder, order_id), by=user)
                ok += 1
            except Conflict:
                conflicts += 1
        results.put((ok, conflicts, time.perf_counter() - started))
        db.session.remove()
        db.engine.dispose()


def run(quick: bool) -> list[dict]:
    from bench.common import bench_app
    from core.db import db

    count = 200 if quick else 2_000
    with bench_app():
        user_id, orders = seed(count)
        url = db.engine.url.render_as_string(hide_password=False)
        dialect = db.engine.dialect.name
        db.session.remove()
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(PROCESSES + 1), ctx.Queue()
        shares = [orders[k::PROCESSES] for k in range(PROCESSES)]
        processes = [ctx.Process(target=_confirm, args=(url, share, user_id, barrier, results)) for share in shares]
        for p in processes:
            p.start()
        barrier.wait(timeout=180)
        started = time.perf_counter()
        outcomes = [results.get(timeout=600) for _ in processes]
        elapsed = time.perf_counter() - started
        for p in processes:
            p.join(timeout=60)
        from core.partners.models import Partner
        from modules.sales.models import SaleOrder

        confirmed = db.session.scalar(sa.select(sa.func.count()).select_from(SaleOrder)
                                      .where(SaleOrder.status == "confirmed"))
        customers = db.session.scalar(sa.select(sa.func.count()).select_from(Partner)
                                      .where(Partner.partner_type == "customer"))
    ok = sum(o[0] for o in outcomes)
    return [{"orders": count, "processes": PROCESSES, "database": dialect, "confirmed": confirmed,
             "customers": customers, "conflicts": sum(o[1] for o in outcomes), "seconds": round(elapsed, 2),
             "orders_per_s": round(ok / elapsed, 1),
             "per_process_s": [round(o[2], 2) for o in outcomes]}]
