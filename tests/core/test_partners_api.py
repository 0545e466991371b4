"""Partners and contacts through the API: CRUD, validation, access."""


def test_create_read_update_partner(api, sales):
    client = api(sales)
    r = client.post("/partners", json={"name": "Acme", "email": "a@acme.example", "phone": "01 23 45 67 89"})
    assert r.status_code == 201, r.json
    partner = r.json
    assert partner["partner_type"] == "prospect"
    assert partner["salesperson_id"] == sales.id
    r = client.patch(f"/partners/{partner['id']}", json={"city": "Lyon"})
    assert r.status_code == 200 and r.json["city"] == "Lyon"
    assert client.get(f"/partners/{partner['id']}").json["city"] == "Lyon"


def test_invalid_fields_are_all_listed(api, sales):
    r = api(sales).post("/partners", json={"name": "", "email": "x", "website": "no",
                                           "kind": "alien", "id": 4, "colour": "red"})
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    assert set(r.json["errors"]) == {"name", "email", "website", "kind", "id", "colour"}
    assert r.json["errors"]["id"] == ["is read-only"]
    assert r.json["errors"]["colour"] == ["unknown field"]


def test_salesperson_cannot_edit_anothers_partner(api, sales, sales2):
    r = api(sales).post("/partners", json={"name": "Mine"})
    pid = r.json["id"]
    other = api(sales2)
    assert other.get(f"/partners/{pid}").status_code == 200  # the address book is shared
    assert other.patch(f"/partners/{pid}", json={"city": "X"}).status_code == 403
    assert other.post(f"/partners/{pid}/promote").status_code == 403


def test_promote(api, manager):
    client = api(manager)
    pid = client.post("/partners", json={"name": "P"}).json["id"]
    r = client.post(f"/partners/{pid}/promote")
    assert r.status_code == 200 and r.json["partner_type"] == "customer"
    assert client.post(f"/partners/{pid}/promote").json["partner_type"] == "customer"


def test_no_token_is_401(client):
    r = client.get("/api/v1/partners")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_stale_version_conflicts(api, manager):
    client = api(manager)
    p = client.post("/partners", json={"name": "V"}).json
    assert client.patch(f"/partners/{p['id']}", json={"city": "A", "version": p["version"]}).status_code == 200
    r = client.patch(f"/partners/{p['id']}", json={"city": "B", "version": p["version"]})
    assert r.status_code == 409
    assert client.get(f"/partners/{p['id']}").json["city"] == "A"


def test_list_totals_count_rows(api, login, manager):
    client = api(manager)
    for i in range(4):
        client.post("/partners", json={"name": f"Counted {i}"})
    assert client.get("/partners?per_page=2").json["total"] == 4
    page = login(manager).get("/partners").get_data(as_text=True)
    assert "4 records" in page
