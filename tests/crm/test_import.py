"""CSV import: mapping, bad rows with line numbers, bad encoding, missing columns,
duplicates skipped or flagged, all or nothing; the CLI and the upload page."""

import io

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import ValidationError
from modules.crm.models import Lead
from modules.crm.services import imports, leads

GOOD = (
    "First name,Last name,Company,Email,Phone,Source\n"
    "Ann,Smith,Smith Ltd,ann@smith.example,+33 1 44 00 00 01,trade show\n"
    "Bob,Jones,,bob@jones.example,,website\n"
    "Eve,,,not-an-email,,\n"
    ",,,,,\n"
    "Cid,Moe,Moe & Co,cid@moe.example,,Nowhere\n"
)


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Lead))


def _run(text, **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return imports.import_leads(io.BytesIO(data), by=None, **kw)


def test_valid_rows_imported_and_errors_by_line():
    report = _run(GOOD)
    assert report.imported == 2 and _count() == 2
    by_line = {e.line: e.reasons for e in report.errors}
    assert set(by_line) == {4, 5, 6}
    assert "email" in by_line[4][0]
    assert "source" in by_line[6][0]
    lead = db.session.scalars(sa.select(Lead).where(Lead.last_name == "Smith")).one()
    assert lead.company_name == "Smith Ltd" and lead.source.code == "trade_show"
    assert lead.status == "new" and lead.phone_normalized == "+33144000001"


def test_all_or_nothing():
    report = _run(GOOD, all_or_nothing=True)
    assert report.rolled_back and _count() == 0
    ok = _run("email,last_name\na@x.example,A\nb@x.example,B\n", all_or_nothing=True)
    assert ok.imported == 2 and _count() == 2


def test_duplicates_skip_or_flag(manager):
    leads.create_lead({"last_name": "Old", "email": "ann@smith.example"}, by=manager)
    text = "email,last_name\nann@smith.example,Ann\nnew@x.example,New\nnew@x.example,Again\n"
    report = _run(text, duplicates="skip")
    assert report.imported == 1 and report.skipped == 2
    report = _run(text, duplicates="flag")
    assert report.imported == 3 and [line for line, _r in report.flagged] == [2, 3, 4]


def test_duplicates_of_partners_and_contacts_ignore_case(manager):
    from core.partners import services as partners

    partner = partners.create_partner({"name": "Firm", "email": "Info@Firm.example"}, by=manager)
    partners.create_contact({"partner_id": partner.id, "last_name": "Roy", "email": "Roy@Firm.example"},
                            by=manager)
    text = "email,last_name\ninfo@firm.example,A\nROY@firm.EXAMPLE,B\nother@firm.example,C\n"
    report = _run(text, duplicates="skip")
    assert report.imported == 1 and report.skipped == 2


def test_bad_encoding_is_refused():
    with pytest.raises(ValidationError) as err:
        _run("last_name\nCafé\n".encode("latin-1"))
    assert "UTF-8" in err.value.errors["file"][0]
    assert _count() == 0


def test_missing_columns():
    with pytest.raises(ValidationError) as err:
        _run("a,b\n1,2\n", mapping={"Company": "company_name"})
    assert "Company" in err.value.errors["mapping"][0]
    with pytest.raises(ValidationError) as err:
        _run("city,phone\nParis,0102030405\n")
    assert "mapping" in err.value.errors


def test_mapping_and_semicolons():
    report = _run("Société;Courriel\nDupont SA;d@dupont.example\n",
                  mapping=imports.parse_mapping("Société=company_name,Courriel=email"))
    assert report.imported == 1
    assert db.session.scalars(sa.select(Lead)).one().company_name == "Dupont SA"


def test_cli(app, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(GOOD, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["leads", "import", str(path), "--all-or-nothing"])
    assert result.exit_code == 1 and "line 4" in result.output and _count() == 0
    result = runner.invoke(args=["leads", "import", str(path), "--skip-duplicates"])
    assert result.exit_code == 2 and "2 leads imported" in result.output
    path.write_bytes("last_name\nCafé\n".encode("latin-1"))
    result = runner.invoke(args=["leads", "import", str(path)])
    assert result.exit_code == 1 and "UTF-8" in result.output


def test_upload_page(login, manager):
    client = login(manager)
    assert client.get("/crm/leads/import").status_code == 200
    response = client.post("/crm/leads/import", data={
        "step": "upload", "file": (io.BytesIO(GOOD.encode()), "leads.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Column mapping" in html and "ann@smith.example" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post("/crm/leads/import", data={
        "step": "import", "token": token, "map:Last name": "last_name", "map:Email": "email",
        "map:Company": "company_name", "duplicates": "flag"})
    html = response.get_data(as_text=True)
    assert "3 leads imported" in html and "Rows with errors" in html
    bad = client.post("/crm/leads/import", data={
        "step": "upload", "file": (io.BytesIO("x\né\n".encode("latin-1")), "bad.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "UTF-8" in bad.get_data(as_text=True)


def test_sample_file_imports_as_it_is(login, sales):
    """The import page links a sample file; uploaded unchanged, its mapping is found alone
    and its two rows become leads with their sources."""
    client = login(sales)
    page = client.get("/crm/leads/import").get_data(as_text=True)
    assert 'href="/crm/leads/import/sample.csv"' in page
    response = client.get("/crm/leads/import/sample.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    sample = response.get_data()
    assert sample.decode().splitlines()[0] == ",".join(imports.FIELDS)
    upload = client.post("/crm/leads/import", data={
        "step": "upload", "file": (io.BytesIO(sample), "leads-sample.csv")}, content_type="multipart/form-data")
    html = upload.get_data(as_text=True)
    assert upload.status_code == 200
    # every column mapped to its field, named as the lead form names it
    assert html.count("selected>") == len(imports.FIELDS)
    assert '<option value="postal_code" selected>Postal code</option>' in html
    assert "<td class=\"small text-muted\">Claire</td>" in html  # the first values, not "Claire · "
    token = html.split('name="token" value="')[1].split('"')[0]
    mapping = {f"map:{field}": field for field in imports.FIELDS}
    done = client.post("/crm/leads/import", data={"step": "import", "token": token, "duplicates": "flag", **mapping})
    assert "2 leads imported" in done.get_data(as_text=True)
    rows = db.session.execute(sa.select(Lead.company_name, Lead.city, Lead.country, Lead.source_id)
                              .order_by(Lead.id)).all()
    assert [(r.company_name, r.city, r.country) for r in rows] == [
        ("Durand Paysages", "Lyon", "FR"), ("Nordlicht GmbH", "Hamburg", "DE")]
    assert all(r.source_id is not None for r in rows)


def test_sample_file_needs_the_right_to_create_leads(client):
    assert client.get("/crm/leads/import/sample.csv").status_code in (302, 401)


def test_bad_phone_and_long_value():
    report = _run("last_name,phone,mobile,country\nA,call me,,FR\nB,+33 1 44 00 00 02,12,FR\n"
                  f"{'x' * 101},,,FR\nD,,,France\n")
    reasons = {e.line: " ".join(e.reasons) for e in report.errors}
    assert "phone" in reasons[2] and "mobile" in reasons[3]
    assert "last_name" in reasons[4] and "country" in reasons[5]
    assert report.imported == 0


DUPLICATES_IN_FILE = (
    "Last name,Email,Phone\n"
    "Un,one@firm.example,+33 1 40 00 00 01\n"       # 2
    "Deux,two@firm.example,\n"                      # 3
    "Trois,ONE@firm.example,\n"                     # 4: same email as line 2 (another case)
    "Quatre,,+33 1 40 00 00 01\n"                   # 5: same phone as line 2
    "Cinq,five@firm.example,+33 1 40 00 00 05\n"    # 6
    "Six,two@firm.example,+33 1 40 00 00 06\n"      # 7: same email as line 3
    "Sept,,+33 1 40 00 00 06\n"                     # 8: same phone as line 7 (skipped in skip mode)
    "Huit,five@firm.example,\n"                     # 9: same email as line 6
)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
@pytest.mark.parametrize("mode", ["flag", "skip", "ignore"])
def test_duplicates_inside_the_file_whatever_the_batches(mode, batch_size):
    """Rows of earlier batches are found in the database, rows of the same batch in memory,
    and rows skipped as duplicates (never written) are remembered: the same rows are
    flagged or skipped whatever the batch size."""
    report = imports.import_leads(io.BytesIO(DUPLICATES_IN_FILE.encode()), by=None, duplicates=mode,
                                  batch_size=batch_size)
    expected = {4: "same email", 5: "same phone", 7: "same email", 8: "same phone", 9: "same email"}
    if mode == "flag":
        assert dict(report.flagged) == expected and report.imported == 8
    elif mode == "skip":
        assert report.skipped == 5 and report.imported == 3 and not report.flagged
        assert set(db.session.scalars(sa.select(Lead.last_name))) == {"Un", "Deux", "Cinq"}
    else:
        assert not report.flagged and report.skipped == 0 and report.imported == 8
