"""The test harness's live server: a test that ends while a request is still being answered
must not leave that request's database connection to a later test."""
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

from sqlalchemy import text


def test_a_request_still_answered_when_the_test_ends_is_waited_for(app, live_server):
    """Fails in teardown ("1 database connection(s) still checked out") if the live server
    stops without waiting for the requests it is answering, as a browser test's last,
    aborted navigation left it on PostgreSQL in CI."""
    from core.db import db

    started = threading.Event()

    def slow():
        db.session.execute(text("SELECT 1"))
        started.set()
        time.sleep(1.5)  # longer than the server takes to stop (it polls every 0.5 s)
        return "answered"

    app.add_url_rule("/_test/slow", "test_slow", slow)
    address = urlsplit(live_server)

    def ask():
        connection = HTTPConnection(address.hostname, address.port, timeout=5)
        connection.request("GET", "/_test/slow")
        connection.getresponse().read()
        connection.close()

    threading.Thread(target=ask, daemon=True).start()
    assert started.wait(5), "the request did not reach the view"
