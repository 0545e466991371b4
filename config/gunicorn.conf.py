"""gunicorn settings for production: ``gunicorn -c config/gunicorn.conf.py 'core:create_app()'``.

Web workers are stateless (signed-cookie sessions, state in the database): run as many as
the machine has cores, and run ``comptoir scheduler`` beside them (one or more).
"""

import multiprocessing
import os

bind = os.environ.get("COMPTOIR_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("COMPTOIR_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = 1
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# Each worker builds its own app (and database pool) after the fork.
preload_app = False
