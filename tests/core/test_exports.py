"""CSV exports: access-filtered, streamed, safe against formula injection."""

import csv
import io

from core.exports import safe_cell
from core.partners.services import create_partner


def rows(response):
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_formula_injection_is_neutralised():
    assert safe_cell("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert safe_cell("+33 1 23") == "'+33 1 23"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Plain text") == "Plain text"
    assert safe_cell(None) == ""


def test_partner_export(app, manager, login):
    create_partner({"name": "=cmd|' /C calc'!A0", "city": "Lyon"}, by=manager)
    create_partner({"name": "Normal Co", "city": "Paris"}, by=manager)
    response = login(manager).get("/partners/export.csv?q=lyon")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = rows(response)
    assert data[0][:3] == ["id", "name", "kind"]
    assert [r[1] for r in data[1:]] == ["'=cmd|' /C calc'!A0"]


def test_export_needs_login(client):
    response = client.get("/partners/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
