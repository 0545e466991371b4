"""Sales works on its own: with the CRM (and the calendar it needs) disabled, orders, pages
and the API still work, and CRM references are refused clearly."""

import sqlalchemy as sa

from core.db import db
from core.module_admin import disable
from core.partners.models import Partner


def test_sales_without_crm(app, api, login, sales, make_partner, product):
    assert disable("calendar", cascade=True) == ["crm", "calendar"]
    registry = app.extensions["comptoir"]
    assert not registry.is_active("crm") and registry.is_active("sales")
    partner = make_partner("Solo prospect")
    client = api(sales)
    r = client.post("/orders", json={"partner_id": partner.id,
                                     "lines": [{"product_id": product.id, "quantity": "3"}]})
    assert r.status_code == 201, r.json
    oid = r.json["id"]
    assert client.post(f"/orders/{oid}/finalize").status_code == 200
    r = client.post(f"/orders/{oid}/confirm")
    assert r.status_code == 200 and r.json["status"] == "confirmed"
    db.session.expire_all()
    assert db.session.scalar(sa.select(Partner.partner_type).where(Partner.id == partner.id)) == "customer"
    # CRM references: refused with the field named, never a 500
    r = client.post("/orders", json={"lead_id": 1})
    assert r.status_code == 422 and "CRM" in r.json["errors"]["lead_id"][0]
    r = client.post("/orders", json={"opportunity_id": 1})
    assert r.status_code == 422 and "opportunity_id" in r.json["errors"]
    assert client.post("/opportunities/1/quote").status_code == 404
    # pages
    web = login(sales)
    for url in ["/sales/orders", f"/sales/orders/{oid}", f"/sales/orders/{oid}/print", "/sales/products",
                "/sales/orders/new", f"/partners/{partner.id}"]:
        r = web.get(url)
        assert r.status_code == 200, url
    assert "Quotes and orders" in web.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert web.get("/sales/orders/new?origin_type=opportunity&origin_id=1").status_code == 303
    html = web.get("/sales/orders").get_data(as_text=True)
    assert 'href="/sales/orders"' in html


def test_sales_disabled_hides_everything(app, api, login, sales, make_order):
    order = make_order(sales)
    disable("sales")
    assert api(sales).get(f"/orders/{order.id}").status_code == 404
    assert login(sales).get("/sales/orders").status_code == 404
    assert 'href="/sales/orders"' not in login(sales).get("/partners").get_data(as_text=True)
