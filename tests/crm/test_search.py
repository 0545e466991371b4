"""The leads' search box (name or company, email, city contains the text) through the
substring index of core.search: the same rows as a plain LIKE, kept in step with every
write, hostile texts harmless, and on SQLite the index really used."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import search
from core.db import db
from modules.crm.models import Lead
from modules.crm.services import imports, leads


def ids(q: str) -> set[int]:
    return set(db.session.scalars(sa.select(Lead.id).where(leads.matching(q))))


def plain_like(q: str) -> set[int]:
    pattern = search.pattern(q)
    return set(db.session.scalars(sa.select(Lead.id).where(sa.or_(
        Lead.name_search.like(pattern, escape="\\"), Lead.email_lower.like(pattern, escape="\\"),
        sa.func.lower(Lead.city).like(pattern, escape="\\")))))


@pytest.fixture
def sample(manager):
    made = {}
    for key, values in {
        "dubois": {"first_name": "Jean", "last_name": "Dubois", "city": "Lyon"},
        "company": {"last_name": "Roy", "company_name": "Dubois & Fils", "city": "Paris"},
        "email": {"last_name": "Martin", "email": "contact@duboisgroup.example", "city": "LILLE"},
        "percent": {"last_name": "Cent", "company_name": "100% Bio_Shop", "city": "Nantes"},
        "quote": {"last_name": 'O"Neil', "company_name": "AND OR NEAR*", "city": "Évreux"},
        "other": {"last_name": "Petit", "city": "Marseille"},
    }.items():
        made[key] = leads.create_lead(values, by=manager).id
    return made


@pytest.mark.parametrize("q", ["dubois", "DUBOIS", "ubo", "jean dub", "lyon", "lille", "Lil",
                               "duboisgroup.example", "@dubois", "100%", "bio_s", "_", "%", "o\"neil",
                               '"', "and or", "near*", "*", "évreux", "du", "d", "x" * 100,
                               "nothing-like-this", "dubois\x00", "  dubois  "])
def test_same_rows_as_a_plain_like(sample, manager, q):
    assert ids(q) == plain_like(q)
    # Every way a list reads them: the index joined (narrow), checked, or the text alone.
    for narrow in (True, False, None):
        found = db.session.scalars(leads.filtered(sa.select(Lead.id), manager, q=q, narrow=narrow)).all()
        assert sorted(found) == sorted(plain_like(q)), narrow


def test_finds_by_name_company_email_and_city(sample):
    assert ids("dubois") == {sample["dubois"], sample["company"], sample["email"]}
    assert ids("lyon") == {sample["dubois"]} and ids("LILLE") == {sample["email"]}
    assert ids("100%") == {sample["percent"]} and ids("bio_s") == {sample["percent"]}
    assert ids('o"neil') == {sample["quote"]} and ids("near*") == {sample["quote"]}


def test_index_follows_updates_deletes_and_imports(sample, manager):
    lead = db.session.get(Lead, sample["other"])
    leads.update_lead(lead, {"last_name": "Grandjean", "city": "Brest"}, by=manager)
    assert ids("grandjean") == {lead.id} and ids("petit") == set() and ids("brest") == {lead.id}
    assert ids("marseille") == set()
    db.session.execute(sa.delete(Lead).where(Lead.id == sample["dubois"]))  # any deletion
    db.session.commit()
    assert ids("dubois") == {sample["company"], sample["email"]}
    import io
    imports.import_leads(io.BytesIO(b"last_name,city\nZebulon,Quimper\n"), by=None)
    assert len(ids("zebulon")) == 1 and ids("zebulon") == ids("quimper")


def test_pages_and_api_use_it(sample, login, api, manager):
    html = login(manager).get("/crm/leads?q=dubois").get_data(as_text=True)
    assert "Dubois &amp; Fils" in html and "Petit" not in html
    found = api(manager).get("/leads?q=lyon").json
    assert [item["id"] for item in found["items"]] == [sample["dubois"]]


def test_sqlite_reads_the_trigram_index(sample, manager):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 index (PostgreSQL: pg_trgm, planner's choice)")
    stmt = sa.select(sa.func.count()).select_from(Lead).where(leads.matching("dubois"))
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " ".join(str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "crm_lead_fts VIRTUAL TABLE INDEX" in plan, plan
    assert "SCAN crm_lead" not in plan.replace("SCAN crm_lead_fts", ""), plan
    # A list's statement joins the index, read as a stream from the first step (a count
    # stopped at its limit stops reading it), not as a list built whole first.
    listed = leads.filtered(sa.select(Lead.id), manager, q="dubois").limit(2)
    compiled = listed.compile(db.engine, compile_kwargs={"literal_binds": True})
    steps = [str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert steps[0].startswith("SCAN crm_lead_fts VIRTUAL TABLE INDEX") and "LIST SUBQUERY" not in " ".join(steps)
    assert steps[1].startswith("SEARCH crm_lead USING INTEGER PRIMARY KEY"), steps


@pytest.mark.postgres
def test_postgresql_has_trigram_indexes(sample):
    names = set(db.session.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'crm_lead'")))
    assert {"ix_crm_lead_name_search_trgm", "ix_crm_lead_email_lower_trgm", "ix_crm_lead_city_trgm"} <= names


@pytest.mark.parametrize("limit", [0, 10**9])
def test_pages_are_the_same_whichever_way_the_rows_are_read(sample, login, api, manager, monkeypatch,
                                                            limit):
    """Beyond NARROW_LIMIT matches the rows are checked against the index instead of driven
    by it: same rows, same order, same count."""
    import re

    for i in range(30):
        leads.create_lead({"last_name": f"Duboisier {i:02d}"}, by=manager)
    monkeypatch.setattr(search, "NARROW_LIMIT", limit)
    client = login(manager)

    def lead_pages():
        return [re.findall(r'href="/crm/leads/(\d+)"',
                           client.get(f"/crm/leads?q=dubois&page={n}").get_data(as_text=True)) for n in (1, 2)]

    pages = lead_pages()
    listed = api(manager).get("/leads?q=dubois&per_page=25&sort=name").json
    monkeypatch.setattr(search, "NARROW_LIMIT", 10**9 - limit)
    assert lead_pages() == pages
    assert api(manager).get("/leads?q=dubois&per_page=25&sort=name").json == listed
    assert listed["total"] == 33 and len(set(pages[0] + pages[1])) == 33
    # Many matches: the first pages check each row's text, deeper ones the index's matches.
    monkeypatch.setattr(search, "NARROW_LIMIT", 0)
    for walk_pages in (0, 1, 10):
        monkeypatch.setattr(search, "TEXT_WALK_PAGES", walk_pages)
        assert lead_pages() == pages, walk_pages
        assert api(manager).get("/leads?q=dubois&per_page=25&sort=name").json == listed


def test_a_search_with_many_matches_counts_to_a_limit(sample, login, manager, monkeypatch):
    """Beyond COUNT_LIMIT matches the list says "more than" and its Next link goes on;
    the page where the count ends says the exact number; a narrower search is exact. On
    PostgreSQL (search.count_limit) the count is always exact."""
    import re

    for i in range(30):
        leads.create_lead({"last_name": f"Duboisier {i:02d}"}, by=manager)
    monkeypatch.setattr(search, "COUNT_LIMIT", 26)
    client = login(manager)

    def page(n, q="dubois"):
        html = client.get(f"/crm/leads?q={q}&page={n}").get_data(as_text=True)
        count = re.search(r'id="page-count">([^<]*)<', html)
        next_item = re.search(r'<li class="page-item( disabled)?"><a class="page-link" href="[^"]*">Next<', html)
        return {"count": count.group(1) if count else None, "leads": re.findall(r'href="/crm/leads/(\d+)"', html),
                "next": bool(next_item) and not next_item.group(1), "html": html}

    first, second = page(1), page(2)
    limited = db.engine.dialect.name == "sqlite"
    assert first["count"] == ("Page 1 of more than 2 · more than 26 records" if limited
                              else "Page 1 of 2 · 33 records") and first["next"]
    assert second["count"] == "Page 2 of 2 · 33 records" and not second["next"]  # the exact count
    assert len(first["leads"]) == 25 and len(set(first["leads"] + second["leads"])) == 33
    narrow = page(1, "duboisier 1")
    assert narrow["count"] is None and "10 records" in narrow["html"] and len(narrow["leads"]) == 10
    assert "more than" not in client.get("/crm/leads").get_data(as_text=True)  # unsearched: exact


@pytest.mark.parametrize("table, columns", [("crm_lead; DROP TABLE x", {"name_search": "name_search"}),
                                            ("crm_lead", {"a b": "a"}),
                                            ("crm_lead", {"city": "lower(city)) --"})])
def test_index_ddl_takes_plain_names_only(table, columns):
    """The DDL is text (it cannot take bound parameters): anything but plain names is refused
    before a statement is made."""
    class Op:
        def get_bind(self):
            raise AssertionError("no statement may be made")

    with pytest.raises(ValueError, match="not plain SQL names"):
        search.create_index(Op(), table, columns)
    with pytest.raises(ValueError, match="not plain SQL names"):
        search.drop_index(Op(), table, columns)


def _insert_trigger() -> str | None:
    return db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                     "AND name = 'crm_lead_fts_insert'"))


def test_bulk_insert_indexes_the_rows_and_puts_the_trigger_back(sample, manager):
    """core.search.bulk_insert (the CSV import's batches): the rows written in the block are
    searchable, and the per-row trigger is there again for the writes that follow, also
    when the block fails."""
    import io

    before = _insert_trigger() if db.engine.dialect.name == "sqlite" else None
    report = imports.import_leads(io.BytesIO(b"last_name,city\n" + "".join(
        f"Bulkimport{i},Ploërmel\n" for i in range(120)).encode()), by=None, batch_size=50)
    assert report.imported == 120
    assert len(ids("bulkimport")) == 120 and len(ids("ploërmel")) == 120
    assert _insert_trigger() == before if before else True
    later = leads.create_lead({"last_name": "Aprèsimport"}, by=manager)  # through the trigger
    assert ids("aprèsimport") == {later.id}

    class Boom(Exception):
        pass

    with pytest.raises(Boom), search.bulk_insert(db.session, "crm_lead"):
        db.session.execute(sa.insert(Lead.__table__), [{
            "last_name": "Perdu", "name_search": "perdu", "status": "new", "recycled": False,
            "version": 1, "created_at": later.created_at, "updated_at": later.created_at}])
        raise Boom
    db.session.rollback()
    assert ids("perdu") == set()
    if before:
        assert _insert_trigger() == before
    again = leads.create_lead({"last_name": "Encoreindexé"}, by=manager)
    assert ids("encoreindexé") == {again.id}


def test_all_or_nothing_import_rolled_back_keeps_the_trigger(sample):
    import io

    before = _insert_trigger() if db.engine.dialect.name == "sqlite" else None
    report = imports.import_leads(io.BytesIO(b"last_name,email\nBon,bon@example.org\nMauvais,not-an-email\n"),
                                  by=None, all_or_nothing=True)
    assert report.rolled_back and ids("bon") == set()
    assert _insert_trigger() == before if before else True
