"""Web-to-lead with rate limiting and CSRF on (as in production)."""

import pytest
import sqlalchemy as sa

from core.db import db
from modules.crm.models import Lead


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Lead))


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "WEB_TO_LEAD_RATE_LIMIT": "3 per minute",
            "WTF_CSRF_ENABLED": True}


def test_web_to_lead_rate_limit_and_csrf_exempt(client):
    codes = [client.post("/crm/web-to-lead", data={"last_name": f"N{i}", "email": f"n{i}@x.example"},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert _count() == 3
