"""HTTP through gunicorn (2 workers, 127.0.0.1) under a bounded load: requests per second.

The data set of bench/dataset.py in a file SQLite database (or COMPTOIR_BENCH_DATABASE_URL),
then ``gunicorn -c config/gunicorn.conf.py 'core:create_app()'`` with COMPTOIR_* settings on
a free loopback port, loaded by ``wrk`` (if installed) or by a small threaded Python client,
bounded in seconds (and in requests for the Python client). Reports requests per second,
latency median and 99th percentile (wrk) or 95th (Python), errors, and the RSS of each
worker after the run (from /proc).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.dataset import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def wait_ready(port: int, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def session_cookie(port: int, email: str) -> str:
    """Sign in like a browser (CSRF token from the form, then the POST)."""
    status, headers, body = _request(port, "GET", "/login")
    cookie = "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or \
        re.search(rb'name="csrf-token" content="([^"]+)"', body)
    form = {"email": email, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1).decode()
    status, headers, _ = _request(port, "POST", "/login", body=urlencode(form), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status in (302, 303), f"sign-in answered {status}"
    return "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")


def with_wrk(port: int, path: str, headers: dict, seconds: int) -> dict:
    args = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         timeout=seconds + 30).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return round(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)], 1)

    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"tool": "wrk", "requests": total, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "median_ms": ms("50"), "p99_ms": ms("99"), "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1).strip() if errors else ""}


def with_threads(port: int, path: str, headers: dict, seconds: int, max_requests: int) -> dict:
    latencies, failures, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if len(latencies) + failures[0] >= max_requests:
                    return
            started = time.perf_counter()
            try:
                status = _request(port, "GET", path, headers)[0]
            except OSError:
                status = 0
            with lock:
                if status == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"tool": "python", "requests": len(latencies) + failures[0],
            "rps": round(len(latencies) / elapsed, 1),
            "median_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
            "non_2xx": failures[0]}


def worker_rss(master_pid: int) -> list[float]:
    rss = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", status, re.M):
            rss.append(round(int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1)) / 1024, 1))
    return sorted(rss)


def run(quick: bool) -> list[dict]:
    from bench.dataset import dataset_app

    scale = 20 if quick else 1
    seconds = int(os.environ.get("BENCH_HTTP_SECONDS", 5 if quick else 15))
    folder = tempfile.mkdtemp(prefix="comptoir-bench-http-")
    url = os.environ.get("BENCH_REUSE_DB") or os.environ.get("COMPTOIR_BENCH_DATABASE_URL") \
        or f"sqlite:///{folder}/bench.db"
    with dataset_app(scale, db_url=url) as (_app, info):
        from core.auth.models import ApiToken, User
        from core.db import db

        _token, clear = ApiToken.issue(db.session.get(User, info.salesperson_id), name="bench-http")
        db.session.commit()
        monday = (info.now.date().toordinal() - info.now.weekday())
    port = free_port()
    env = dict(os.environ, COMPTOIR_SQLALCHEMY_DATABASE_URI=url, COMPTOIR_SECRET_KEY=secrets.token_hex(32),
               COMPTOIR_BIND=f"127.0.0.1:{port}", COMPTOIR_WORKERS="2", COMPTOIR_RATELIMIT_ENABLED="false",
               COMPTOIR_INSTANCE_PATH=folder)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen([gunicorn, "-c", "config/gunicorn.conf.py", "core:create_app()"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_ready(port, process)
        from datetime import date, timedelta

        start = date.fromordinal(monday)
        week = f"start={start.isoformat()}&end={(start + timedelta(days=7)).isoformat()}"
        cookie = session_cookie(port, "s0@bench.example")
        manager = session_cookie(port, "manager@bench.example")
        targets = [("lead list", "/crm/leads", {"Cookie": cookie}, "salesperson"),
                   ("lead list", "/crm/leads", {"Cookie": manager}, "manager"),
                   ("calendar week feed", f"/calendar/events.json?{week}", {"Cookie": cookie}, "salesperson"),
                   ("api lead list", "/api/v1/leads", {"Authorization": f"Bearer {clear}"}, "salesperson")]
        for label, path, headers, role in targets:
            status = _request(port, "GET", path, headers)[0]
            assert status == 200, (path, status)
            if shutil.which("wrk"):
                figures = with_wrk(port, path, headers, seconds)
            else:
                figures = with_threads(port, path, headers, seconds, max_requests=20_000)
            rows.append({"page": label, "as": role, "workers": 2, "concurrency": CONCURRENCY,
                         "seconds": seconds, **figures})
        rows.append({"worker_rss_mb": worker_rss(process.pid), "database": url.split(":", 1)[0],
                     "leads": info.counts.get("leads")})
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return rows
