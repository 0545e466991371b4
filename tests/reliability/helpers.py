"""Run HTTP requests from several processes at once, each with its own application."""

from __future__ import annotations

import multiprocessing


def _worker(url, calls, barrier, results):
    from core.db import db
    from core.testing.pytest_plugin import make_app

    app = make_app(url)
    out = []
    with app.app_context():
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            for method, path, kwargs in calls:
                kwargs = dict(kwargs)
                for key, value in kwargs.pop("cookies", {}).items():
                    client.set_cookie(key, value)
                response = getattr(client, method)(path, **kwargs)
                out.append((response.status_code, response.get_data(as_text=True)))
        except Exception as exc:  # reported to the test rather than lost in the child
            out.append((-1, repr(exc)))
        finally:
            db.session.remove()
            db.engine.dispose()
            results.put(out)


def run_parallel(db_url: str, batches: list[list[tuple]]) -> list[tuple[int, str]]:
    """Each batch of ``(method, path, kwargs)`` runs in its own spawned process; all start
    together (a barrier). Returns every (status, body), in no particular order."""
    from core.db import db

    db.session.commit()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(batches))
    results = ctx.Queue()
    processes = [ctx.Process(target=_worker, args=(db_url, batch, barrier, results)) for batch in batches]
    for p in processes:
        p.start()
    outcomes = []
    for _ in processes:
        outcomes += results.get(timeout=120)
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    db.session.expire_all()
    return outcomes


def bearer(token: str) -> dict:
    return {"headers": {"Authorization": f"Bearer {token}"}}
