"""Every lead action from every status: through the service, the API and the pages."""

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Conflict
from core.timeline import TimelineEntry
from modules.crm.models import Lead
from modules.crm.services import leads
from tests.crm.conftest import reason

STATUSES = ["new", "assigned", "in_progress", "converted", "lost"]
ACTIONS = ["assign", "assign_me", "start", "convert", "lose", "recycle", "delete"]

# (action, from) -> resulting status; anything absent is a 409 that changes nothing.
EXPECTED = {
    ("assign", "new"): "assigned", ("assign", "assigned"): "assigned",
    ("assign", "in_progress"): "in_progress",
    ("assign_me", "new"): "assigned", ("assign_me", "assigned"): "assigned",
    ("assign_me", "in_progress"): "in_progress",
    ("start", "assigned"): "in_progress",
    ("convert", "new"): "converted", ("convert", "assigned"): "converted",
    ("convert", "in_progress"): "converted",
    ("lose", "new"): "lost", ("lose", "assigned"): "lost", ("lose", "in_progress"): "lost",
    ("recycle", "lost"): "new",
    ("delete", "lost"): None,
}


def _snapshot(lead_id):
    db.session.expire_all()
    row = db.session.execute(sa.select(Lead.__table__).where(Lead.id == lead_id)).first()
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.record_type == "lead", TimelineEntry.record_id == lead_id))
    return (dict(row._mapping) if row else None), entries


def _service(action, lead, by, other):
    if action == "assign":
        return leads.assign(lead, other.id, by=by)
    if action == "assign_me":
        return leads.assign(lead, None, by=by)
    if action == "start":
        return leads.start(lead, by=by)
    if action == "convert":
        return leads.convert(lead, by=by)
    if action == "lose":
        return leads.lose(lead, reason().id, "no budget", by=by)
    if action == "recycle":
        return leads.recycle(lead, by=by)
    return leads.delete(lead, by=by)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_service(make_lead, manager, sales, status, action):
    lead = make_lead(status, assigned_to=None)
    lead_id = lead.id
    before = _snapshot(lead_id)
    expected = EXPECTED.get((action, status), "conflict")
    if expected == "conflict":
        with pytest.raises(Conflict):
            _service(action, lead, manager, sales)
        assert _snapshot(lead_id) == before
        return
    _service(action, lead, manager, sales)
    row, entries = _snapshot(lead_id)
    if expected is None:
        assert row is None
        return
    assert row["status"] == expected
    assert entries > before[1]  # recorded in the history
    last = db.session.scalars(sa.select(TimelineEntry).where(
        TimelineEntry.record_type == "lead", TimelineEntry.record_id == lead.id)
        .order_by(TimelineEntry.id.desc())).first()
    assert last.user_id == manager.id and last.at is not None


def _api_call(client, action, lead_id, other):
    url = f"/leads/{lead_id}"
    if action == "assign":
        return client.post(url + "/assign", json={"user_id": other.id})
    if action == "assign_me":
        return client.post(url + "/assign")
    if action == "lose":
        return client.post(url + "/lose", json={"lost_reason_id": reason().id})
    if action == "delete":
        return client.delete(url)
    return client.post(f"{url}/{action}", json={} if action == "convert" else None)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_api(make_lead, manager, sales, api, status, action):
    lead = make_lead(status)
    lead_id = lead.id  # the object expires after each request (and may be deleted)
    client = api(manager)
    before = _snapshot(lead_id)
    response = _api_call(client, action, lead_id, sales)
    expected = EXPECTED.get((action, status), "conflict")
    if expected == "conflict":
        assert response.status_code == 409, response.json
        assert response.mimetype == "application/problem+json"
        assert _snapshot(lead_id) == before
    elif expected is None:
        assert response.status_code == 204
        assert _snapshot(lead_id)[0] is None
    else:
        assert response.status_code == 200, response.json
        body = response.json["lead"] if action == "convert" else response.json
        assert body["status"] == expected


def _page_call(client, action, lead_id, other):
    base = f"/crm/leads/{lead_id}"
    data = {}
    if action == "assign":
        data = {"user_id": other.id}
    if action == "lose":
        data = {"lost_reason_id": reason().id}
    if action == "assign_me":
        return client.post(base + "/assign", data={})
    if action == "convert":
        return client.post(base + "/convert", data={"partner_mode": "new"})
    return client.post(f"{base}/{action}", data=data)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_pages(make_lead, manager, sales, login, status, action):
    lead = make_lead(status)
    lead_id = lead.id  # the object expires after each request (and may be deleted)
    client = login(manager)
    before = _snapshot(lead_id)
    response = _page_call(client, action, lead_id, sales)
    expected = EXPECTED.get((action, status), "conflict")
    if expected == "conflict":
        assert response.status_code == 409
        assert _snapshot(lead_id) == before
    else:
        assert response.status_code in (200, 303), response.data[:300]
        row = _snapshot(lead_id)[0]
        assert (row["status"] if row else None) == expected


def test_recycle_assigned_goes_in_progress_and_keeps_reason(make_lead, manager, sales):
    lead = make_lead("assigned", assigned_to=sales.id)
    leads.lose(lead, reason().id, "later", by=manager)
    leads.recycle(lead, by=manager)
    assert lead.status == "in_progress" and lead.recycled and lead.lost_reason_id is None
    texts = [e.message for e in db.session.scalars(sa.select(TimelineEntry).where(
        TimelineEntry.record_id == lead.id, TimelineEntry.record_type == "lead"))]
    assert any("Recycled" in t for t in texts)


def test_create_with_assignee_is_assigned(api, manager, sales):
    response = api(manager).post("/leads", json={"last_name": "Roux", "assigned_to": sales.id})
    assert response.status_code == 201
    assert response.json["status"] == "assigned"
    response = api(manager).post("/leads", json={"last_name": "Roux"})
    assert response.json["status"] == "new" and response.json["assigned_to"] is None


def test_lose_needs_known_reason(make_lead, api, manager):
    lead = make_lead("new")
    response = api(manager).post(f"/leads/{lead.id}/lose", json={"lost_reason_id": 999})
    assert response.status_code == 422 and "lost_reason_id" in response.json["errors"]
    response = api(manager).post(f"/leads/{lead.id}/lose", json={})
    assert response.status_code == 422
    assert make_lead and db.session.get(Lead, lead.id).status == "new"


def test_concurrent_start_takes_effect_once(make_lead, manager):
    lead = make_lead("assigned")
    # Another process started it meanwhile: our in-memory lead still says "assigned".
    db.session.execute(sa.update(Lead).where(Lead.id == lead.id).values(status="in_progress"))
    db.session.commit()
    lead.__dict__["status"] = "assigned"
    entries = _snapshot(lead.id)[1]
    with pytest.raises(Conflict):
        leads.start(lead, by=manager)
    assert _snapshot(lead.id)[1] == entries  # no second history entry


def test_bad_fields_are_422(api, manager):
    response = api(manager).post("/leads", json={"last_name": "X", "email": "nope",
                                                 "phone": "abc", "website": "not a url",
                                                 "country": "France", "assigned_to": 999999})
    assert response.status_code == 422
    assert {"email", "phone", "website", "country"} <= set(response.json["errors"])
    response = api(manager).post("/leads", json={"last_name": "X", "status": "lost"})
    assert response.status_code == 422 and "status" in response.json["errors"]
    response = api(manager).post("/leads", json={"last_name": "X", "assigned_to": 99999})
    assert response.status_code == 422 and "assigned_to" in response.json["errors"]
    response = api(manager).post("/leads", json={"last_name": "X", "source": "nowhere"})
    assert response.status_code == 422 and "source" in response.json["errors"]
