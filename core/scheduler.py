"""The scheduler: APScheduler running the jobs that modules register.

``comptoir scheduler`` runs it in its own process (several may run: jobs claim their
work from the database). ``create_app`` never starts one; the development server of
``make run`` starts it in a thread when ``SCHEDULER_EMBEDDED`` is set.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("comptoir.scheduler")


@dataclass
class Job:
    """A periodic job: ``func(app)`` runs every ``seconds`` inside an app context."""

    id: str
    func: Callable
    seconds: float = 60
    #: run once as soon as the scheduler starts (catch up on what fell due meanwhile).
    run_at_start: bool = True
    kwargs: dict = field(default_factory=dict)


def collect_jobs(app) -> list[tuple[str, Job]]:
    registry = app.extensions["comptoir"]
    jobs = []
    for module_name, impl in registry.all_impls("register_jobs"):
        try:
            for job in impl.function() or []:
                jobs.append((module_name.split(".")[0], job))
        except Exception:
            log.exception("module %s: register_jobs failed", module_name)
    return jobs


def _runner(app, module_name: str, job: Job):
    def run():
        from core.db import db

        with app.app_context():
            registry = app.extensions["comptoir"]
            registry.refresh()
            if not registry.is_active(module_name):
                return  # the module was disabled: its jobs rest
            try:
                job.func(app, **job.kwargs)
            except Exception:
                db.session.rollback()
                log.exception("job %s of module %s failed", job.id, module_name)
            finally:
                db.session.remove()

    return run


def configure(scheduler, app) -> None:
    from datetime import UTC, datetime, timedelta

    for module_name, job in collect_jobs(app):
        first = datetime.now(UTC) + (timedelta(seconds=0.1) if job.run_at_start else timedelta(seconds=job.seconds))
        scheduler.add_job(
            _runner(app, module_name, job), "interval", seconds=job.seconds, id=f"{module_name}.{job.id}",
            next_run_time=first, max_instances=1, coalesce=True, misfire_grace_time=None,
        )
        log.info("job %s.%s every %ss", module_name, job.id, job.seconds)


def run_blocking(app) -> None:
    scheduler = BlockingScheduler(timezone=app.config.get("SCHEDULER_TIMEZONE", "UTC"))
    configure(scheduler, app)

    from apscheduler.events import EVENT_SCHEDULER_STARTED

    def stop(signum, _frame):
        log.info("signal %s: stopping the scheduler", signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            raise SystemExit(0)

    def started(_event):
        log.info("scheduler started")
        print("Comptoir scheduler running; Ctrl-C to stop.", flush=True)

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()


_embedded_lock = threading.Lock()


def start_embedded(app) -> BackgroundScheduler | None:
    """For the development server only (``make run``)."""
    with _embedded_lock:
        if app.extensions.get("comptoir_scheduler"):
            return None
        scheduler = BackgroundScheduler(timezone=app.config.get("SCHEDULER_TIMEZONE", "UTC"))
        configure(scheduler, app)
        scheduler.start()
        app.extensions["comptoir_scheduler"] = scheduler
        return scheduler
