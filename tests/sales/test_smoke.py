def test_pages_render(app, login, sales, make_order, make_partner):
    order = make_order(sales)
    client = login(sales)
    for url in ["/sales/orders", "/sales/products", f"/sales/orders/{order.id}",
                f"/sales/orders/{order.id}/print", "/sales/orders/new",
                f"/partners/{order.partner_id}", f"/sales/orders/{order.id}/edit"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.data[:3000])
