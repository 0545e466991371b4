"""Sales pages: lists, forms, the order page with lines edited in place (HTMX), record-level
access on pages and fragments, panels, and the order list's query budget."""

import re

import pytest
import sqlalchemy as sa

from core.db import db
from core.testing import count_queries
from modules.sales import services
from modules.sales.models import Product, SaleOrder

HX = {"HX-Request": "true"}


def _order(order_id):
    db.session.expire_all()
    return db.session.get(SaleOrder, order_id)


def test_lines_edited_in_place(login, sales, make_order, product):
    order = make_order(sales, "draft", lines=[])
    client = login(sales)
    # product search, then the add form pre-filled from the picked product
    r = client.get(f"/sales/products/search?q=widg&order_id={order.id}", headers=HX)
    assert "Widget" in r.get_data(as_text=True)
    r = client.get(f"/sales/orders/{order.id}/lines/form?product_id={product.id}", headers=HX)
    assert 'value="100.00"' in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)
    # add two lines: the answer is the lines block with the new totals, not a full page
    r = client.post(f"/sales/orders/{order.id}/lines", headers=HX,
                    data={"product_id": product.id, "quantity": "2", "discount_percent": "10"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert 'data-total="total">€216.00' in html
    r = client.post(f"/sales/orders/{order.id}/lines", headers=HX,
                    data={"description": "Delivery", "quantity": "1", "unit_price": "10", "tax_percent": "0"})
    assert 'data-total="total">€226.00' in r.get_data(as_text=True)
    order = _order(order.id)
    first, second = order.lines
    # edit a line in place
    r = client.get(f"/sales/orders/{order.id}/lines/{second.id}/edit", headers=HX)
    assert 'value="Delivery"' in r.get_data(as_text=True)
    r = client.post(f"/sales/orders/{order.id}/lines/{second.id}", headers=HX,
                    data={"description": "Express delivery", "quantity": "1", "unit_price": "25", "tax_percent": "0"})
    assert "Express delivery" in r.get_data(as_text=True) and "€241.00" in r.get_data(as_text=True)
    # bad input: 422 with the field's error, nothing changed
    r = client.post(f"/sales/orders/{order.id}/lines", headers=HX,
                    data={"description": "Bad", "quantity": "0", "unit_price": "1"})
    assert r.status_code == 422 and 'data-field-error="quantity"' in r.get_data(as_text=True)
    r = client.post(f"/sales/orders/{order.id}/lines/{first.id}", headers=HX,
                    data={"description": "x", "quantity": "1", "unit_price": "1", "discount_percent": "120"})
    assert r.status_code == 422 and 'data-field-error="discount_percent"' in r.get_data(as_text=True)
    assert _order(order.id).amount_total == 241
    # remove a line
    r = client.post(f"/sales/orders/{order.id}/lines/{first.id}/delete", headers=HX)
    assert r.status_code == 200 and "€25.00" in r.get_data(as_text=True)
    assert len(_order(order.id).lines) == 1


def test_lines_without_htmx_still_work(login, sales, make_order):
    order = make_order(sales, "draft", lines=[])
    client = login(sales)
    r = client.post(f"/sales/orders/{order.id}/lines", data={"description": "A", "quantity": "1", "unit_price": "3"})
    assert r.status_code == 303
    r = client.post(f"/sales/orders/{order.id}/lines", data={"description": "A", "quantity": "-1", "unit_price": "3"},
                    follow_redirects=True)
    assert "greater than" in r.get_data(as_text=True)
    assert len(_order(order.id).lines) == 1


def test_lines_of_a_confirmed_order_cannot_change(login, sales, make_order):
    order = make_order(sales, "confirmed")
    line = order.lines[0]
    client = login(sales)
    page = client.get(f"/sales/orders/{order.id}").get_data(as_text=True)
    assert "add-line-form" not in page and "Remove line" not in page
    line_data = {"description": "A", "quantity": "1", "unit_price": "3"}
    r = client.post(f"/sales/orders/{order.id}/lines", headers=HX, data=line_data)
    assert r.status_code == 409 and "only a draft" in r.get_data(as_text=True)
    r = client.post(f"/sales/orders/{order.id}/lines/{line.id}/delete", headers=HX)
    assert r.status_code == 409
    assert len(_order(order.id).lines) == 1
    assert client.get(f"/sales/orders/{order.id}/edit").status_code == 303


@pytest.mark.parametrize("method_url", [
    ("get", "/sales/orders/{id}"), ("get", "/sales/orders/{id}/print"), ("get", "/sales/orders/{id}/edit"),
    ("post", "/sales/orders/{id}/edit"), ("get", "/sales/orders/{id}/lines/form"),
    ("post", "/sales/orders/{id}/lines"), ("get", "/sales/orders/{id}/lines/{line}/edit"),
    ("post", "/sales/orders/{id}/lines/{line}"), ("post", "/sales/orders/{id}/lines/{line}/delete"),
    ("post", "/sales/orders/{id}/confirm"), ("post", "/sales/orders/{id}/cancel"),
])
def test_other_salespeople_get_404(login, sales, sales2, make_order, method_url):
    order = make_order(sales, "draft")
    method, url = method_url
    url = url.format(id=order.id, line=order.lines[0].id)
    client = login(sales2)
    r = getattr(client, method)(url, headers=HX, data={"description": "x", "quantity": "1", "unit_price": "1"})
    assert r.status_code == 404
    order = _order(order.id)
    assert order.status == "draft" and len(order.lines) == 1 and order.version == 1


def test_order_list_filters_search_sort(login, sales, manager, make_order, make_partner):
    a = make_order(sales, "draft", partner=make_partner("Alpha SARL"))
    b = make_order(sales, "finalized", partner=make_partner("Beta GmbH"))
    client = login(sales)
    html = client.get("/sales/orders").get_data(as_text=True)
    assert "Alpha SARL" in html and "Beta GmbH" in html
    html = client.get("/sales/orders?status=finalized").get_data(as_text=True)
    assert "Beta GmbH" in html and "Alpha SARL" not in html
    html = client.get("/sales/orders?q=alpha", headers=HX).get_data(as_text=True)
    assert "Alpha SARL" in html and "Beta GmbH" not in html and "<html" not in html
    b = _order(b.id)
    assert b.number in client.get(f"/sales/orders?q={b.number}").get_data(as_text=True)
    html = client.get("/sales/orders?sort=-total&status=quotes&salesperson=me&page=1").get_data(as_text=True)
    assert "Alpha SARL" in html
    for odd in ["?page=-3", "?page=abc", "?sort=evil", "?status=%00", "?salesperson=99999999999999", "?q=" + "x" * 500]:
        assert client.get("/sales/orders" + odd).status_code == 200
    # another salesperson sees none of these; a manager sees both
    assert "Alpha SARL" not in login(manager).get("/sales/orders?salesperson=999").get_data(as_text=True)
    _ = a


def test_order_list_query_budget(login, manager, sales, product, make_partner):
    client = login(manager)
    partners = [make_partner(f"P{i}") for i in range(5)]

    def add(n):
        for i in range(n):
            services.create_order({"partner_id": partners[i % 5].id},
                                  [{"product_id": product.id, "quantity": "1"}], by=sales)

    def count():
        with count_queries(db.engine) as q:
            assert client.get("/sales/orders").status_code == 200
        return q.count

    add(5)
    few = count()
    add(195)
    assert count() == few
    with count_queries(db.engine) as q:
        assert client.get("/sales/orders?q=p1&status=draft&sort=-total").status_code == 200
    assert q.count <= few


def test_products_pages(login, manager, sales):
    client = login(manager)
    r = client.post("/sales/products/new", data={"code": "NEW-1", "name": "New thing", "unit_price": "9.90",
                                                 "tax_rate": "5.5", "active": "1"})
    assert r.status_code == 303
    product = db.session.scalar(sa.select(Product).where(Product.code == "NEW-1"))
    r = client.post("/sales/products/new", data={"code": "NEW-1", "name": "Again", "unit_price": "-3"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'data-field-error="code"' in html or 'data-field-error="unit_price"' in html
    r = client.post(f"/sales/products/{product.id}/edit", data={"code": "NEW-1", "name": "Renamed",
                                                                 "unit_price": "10", "tax_rate": "20",
                                                                 "version": str(product.version)})
    assert r.status_code == 303
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.name == "Renamed" and product.active is False  # unchecked box
    seller = login(sales)
    assert seller.get("/sales/products?state=all").status_code == 200
    assert "Renamed" in seller.get("/sales/products?state=inactive").get_data(as_text=True)
    assert seller.get("/sales/products/new").status_code == 403
    assert seller.post(f"/sales/products/{product.id}/edit", data={"name": "x"}).status_code == 403


def test_new_quote_page(login, sales, make_partner):
    partner = make_partner("Gamma")
    client = login(sales)
    html = client.get(f"/sales/orders/new?partner_id={partner.id}").get_data(as_text=True)
    assert re.search(rf'<option value="{partner.id}" selected', html)
    r = client.get("/sales/partner-options?q=gam")
    assert "Gamma" in r.get_data(as_text=True)
    r = client.post("/sales/orders/new", data={"partner_id": str(partner.id), "currency": "eur",
                                               "valid_until": "2027-03-01", "note": "Thanks"})
    assert r.status_code == 303
    order = db.session.scalar(sa.select(SaleOrder).order_by(SaleOrder.id.desc()))
    assert (order.partner_id, order.currency, order.assigned_to) == (partner.id, "EUR", sales.id)
    r = client.post("/sales/orders/new", data={"partner_id": "abc", "valid_until": "someday"})
    assert r.status_code == 422
    r = client.post(f"/sales/orders/{order.id}/edit", data={"partner_id": str(partner.id), "currency": "USD",
                                                            "version": str(order.version)})
    assert r.status_code == 303 and _order(order.id).currency == "USD"
    r = client.post(f"/sales/orders/{order.id}/edit", data={"currency": "EUR", "version": "1"})
    assert r.status_code == 409  # stale version


def test_partner_page_panel_and_print(login, sales, sales2, make_order, make_partner):
    partner = make_partner("Delta")
    order = make_order(sales, "finalized", partner=partner)
    html = login(sales).get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Quotes and orders" in html and order.number in html and "Create quote" in html
    # the panel lists only what the user may see
    assert order.number not in login(sales2).get(f"/partners/{partner.id}").get_data(as_text=True)
    html = login(sales).get(f"/sales/orders/{order.id}/print").get_data(as_text=True)
    assert "Comptoir Demo SARL" in html and order.number in html and "print.css" in html


def test_menu_entries(login, sales):
    html = login(sales).get("/sales/orders").get_data(as_text=True)
    assert 'href="/sales/orders"' in html and 'href="/sales/products"' in html


@pytest.mark.parametrize("url", [
    "/sales/orders/0", "/sales/orders/99999999999999999999", "/sales/orders/abc",
    "/sales/orders/new?origin_type=opportunity&origin_id=abc", "/sales/orders/new?origin_type=x" + "y" * 300,
    "/sales/orders/new?partner_id=-1", "/sales/orders/new?partner_id=99999999999999999",
    "/sales/products/search", "/sales/products/search?q=%25&order_id=abc", "/sales/partner-options?q=%00",
    "/sales/orders/{id}/lines/form?product_id=abc", "/sales/orders/{id}/lines/form?product_id=999999",
    "/sales/orders/{id}/lines/999999/edit", "/sales/products?state=zzz&sort=--x&page=999",
    "/sales/products/999/edit", "/sales/orders/{id}/frobnicate",
])
def test_odd_page_input_is_never_500(login, sales, make_order, url):
    order = make_order(sales)
    r = login(sales).get(url.format(id=order.id), headers=HX)
    assert r.status_code in (200, 303, 400, 404, 405), (url, r.status_code)


@pytest.mark.parametrize("data", [
    {"partner_id": "99999999999999999999"}, {"partner_id": "-4"}, {"valid_until": "2027-02-31"},
    {"currency": "€€€"}, {"note": "x" * 30000}, {"assigned_to": "abc"}, {"origin_type": "opportunity"},
])
def test_odd_order_forms_are_never_500(login, sales, make_order, data):
    order = make_order(sales)
    client = login(sales)
    assert client.post("/sales/orders/new", data=data).status_code in (303, 422)
    assert client.post(f"/sales/orders/{order.id}/edit", data=data).status_code in (303, 409, 422)


@pytest.mark.parametrize("data", [
    {"quantity": "1e999", "unit_price": "1", "description": "x"},
    {"quantity": "1", "unit_price": "99999999999999999999999", "description": "x"},
    {"quantity": "1", "unit_price": "1", "description": "x", "product_id": "99999999999999999999"},
    {"quantity": "", "unit_price": "", "description": ""},
    {"quantity": "1", "unit_price": "1", "description": "\x00"},
])
def test_odd_lines_are_never_500(login, sales, make_order, data):
    order = make_order(sales)
    client = login(sales)
    assert client.post(f"/sales/orders/{order.id}/lines", data=data, headers=HX).status_code == 422
    line = order.lines[0].id
    assert client.post(f"/sales/orders/{order.id}/lines/{line}", data=data, headers=HX).status_code == 422


def test_home_panel_lists_my_open_quotes(login, sales, sales2, make_order):
    mine = make_order(sales, "finalized")
    make_order(sales, "confirmed")
    make_order(sales2, "draft")
    html = login(sales).get("/").get_data(as_text=True)
    assert "My open quotes" in html and mine.number in html
    assert html.count('data-status="') == 1  # only my open quote
