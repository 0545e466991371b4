"""Running totals (core.tally): exact after any sequence of writes, whichever way they are
made (plain SQL, the ORM, foreign keys' ON DELETE SET NULL), and the dashboard's figures
read from them are the live GROUP BYs' figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import access, tally
from core.db import db
from modules.calendar.models import EVENT_TALLY, Event
from modules.crm.models import (
    LEAD_TALLY,
    OPPORTUNITY_TALLY,
    Lead,
    LeadSource,
    LeadTally,
    Opportunity,
    OpportunityStage,
    OpportunityTally,
)
from modules.crm.services import dashboard, opportunities

TALLIES = (LEAD_TALLY, OPPORTUNITY_TALLY, EVENT_TALLY)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

# Moments at month boundaries: the month key is taken in UTC, whatever the session's zone.
moments = st.one_of(
    st.none(),
    st.sampled_from([datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC),
                     datetime(2026, 11, 30, 23, 30, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, tzinfo=UTC)]),
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)))
days = st.one_of(st.none(), st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 1)))


def assert_exact():
    connection = db.session.connection()
    for spec in TALLIES:
        assert tally.drift(connection, spec) == [], spec.table


def _users():
    from core.auth.models import User

    return [None, *db.session.scalars(sa.select(User.id).order_by(User.id))]


def _opportunity_values(data, users, stage_ids):
    status = data.draw(st.sampled_from(["open", "won", "lost"]))
    return {"name": "O", "name_search": "o", "version": 1, "created_at": NOW, "updated_at": NOW,
            "status": status, "stage_id": data.draw(st.sampled_from(stage_ids)),
            "assigned_to": data.draw(st.sampled_from(users)),
            "amount": Decimal(data.draw(st.integers(0, 10**11))) / 100,
            "probability": data.draw(st.integers(0, 100)),
            "expected_close_date": data.draw(days),
            "closed_at": None if status == "open" else data.draw(moments)}


@pytest.fixture
def people(manager, sales, sales2):
    return manager, sales, sales2


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tallies_stay_exact_through_any_writes(app, people, data):
    users = _users()
    stage_ids = list(db.session.scalars(sa.select(OpportunityStage.id)))
    source_ids = [None, *db.session.scalars(sa.select(LeadSource.id))]
    opp, lead, event = Opportunity.__table__, Lead.__table__, Event.__table__
    savepoint = db.session.begin_nested()
    try:
        for _step in range(data.draw(st.integers(1, 25))):
            action = data.draw(st.sampled_from(["opp+", "opp~", "opp-", "lead+", "lead~", "lead-",
                                                "event+", "event~", "event-", "touch"]))
            opp_ids = list(db.session.scalars(sa.select(opp.c.id)))
            lead_ids = list(db.session.scalars(sa.select(lead.c.id)))
            event_ids = list(db.session.scalars(sa.select(event.c.id)))
            if action == "opp+":
                db.session.execute(opp.insert().values(_opportunity_values(data, users, stage_ids)))
            elif action == "opp~" and opp_ids:
                values = _opportunity_values(data, users, stage_ids)
                fields = data.draw(st.lists(st.sampled_from(sorted(values)), min_size=1, unique=True))
                db.session.execute(opp.update().where(opp.c.id == data.draw(st.sampled_from(opp_ids)))
                                   .values({f: values[f] for f in fields}))
            elif action == "opp-" and opp_ids:
                db.session.execute(opp.delete().where(opp.c.id == data.draw(st.sampled_from(opp_ids))))
            elif action == "lead+":
                db.session.execute(lead.insert().values(
                    last_name="L", name_search="l", version=1, created_at=NOW, updated_at=NOW,
                    recycled=False, status=data.draw(st.sampled_from(["new", "assigned", "lost"])),
                    assigned_to=data.draw(st.sampled_from(users)),
                    source_id=data.draw(st.sampled_from(source_ids))))
            elif action == "lead~" and lead_ids:
                # Every lead at once, as a bulk reassignment does.
                db.session.execute(lead.update().where(lead.c.id.in_(
                    data.draw(st.lists(st.sampled_from(lead_ids), min_size=1)))).values(
                    assigned_to=data.draw(st.sampled_from(users)),
                    status=data.draw(st.sampled_from(["in_progress", "converted"]))))
            elif action == "lead-" and lead_ids:
                db.session.execute(lead.delete().where(lead.c.id == data.draw(st.sampled_from(lead_ids))))
            elif action == "event+":
                start = data.draw(moments) or NOW
                db.session.execute(event.insert().values(
                    subject="E", start=start, end=start + timedelta(hours=1), all_day=False,
                    version=1, created_at=NOW, updated_at=NOW, organizer_id=users[1],
                    type=data.draw(st.sampled_from(["call", "meeting", "task"])),
                    status=data.draw(st.sampled_from(["planned", "done", "cancelled"]))))
            elif action == "event~" and event_ids:
                start = data.draw(moments) or NOW
                db.session.execute(event.update().where(event.c.id == data.draw(st.sampled_from(event_ids)))
                                   .values(start=start, end=start + timedelta(hours=1),
                                           organizer_id=data.draw(st.sampled_from(users[1:])),
                                           status=data.draw(st.sampled_from(["planned", "cancelled"]))))
            elif action == "event-" and event_ids:
                db.session.execute(event.delete().where(event.c.id == data.draw(st.sampled_from(event_ids))))
            elif action == "touch" and opp_ids:
                # A column no tally reads: nothing to count again.
                db.session.execute(opp.update().values(name="renamed", description="x"))
        assert_exact()
    finally:
        savepoint.rollback()


def test_tallies_follow_the_orm_and_foreign_keys(app, manager, sales, make_lead):
    from core.auth.models import User
    from core.auth.services import create_user
    from core.testing.pytest_plugin import PASSWORD

    gone = create_user(email="gone@test.example", name="Gone", role="salesperson", password=PASSWORD)
    source = db.session.scalars(sa.select(LeadSource)).first()
    first = make_lead(status="assigned", assigned_to=gone.id, source_id=source.id)
    make_lead(status="converted", assigned_to=sales.id)
    make_lead(status="lost")
    opp = opportunities.create_opportunity({"name": "Deal", "amount": "1200.50", "assigned_to": gone.id,
                                           "expected_close_date": date(2026, 12, 3)}, by=manager)
    opportunities.mark_won(opp, by=manager)
    db.session.commit()
    assert_exact()
    assert db.session.get(LeadTally, (gone.id, "assigned", source.id)).n == 1
    won = db.session.scalars(sa.select(OpportunityTally).where(OpportunityTally.status == "won")).one()
    assert (won.assigned_to, won.n, won.amount) == (gone.id, 1, 120050)

    # ON DELETE SET NULL rewrites the rows: they move to "nobody" / "no source".
    db.session.execute(sa.delete(LeadSource).where(LeadSource.id == source.id))
    db.session.execute(sa.update(Lead).where(Lead.assigned_to == gone.id).values(assigned_to=None))
    db.session.execute(sa.delete(User).where(User.id == gone.id))
    db.session.commit()
    assert_exact()
    assert db.session.get(LeadTally, (0, "assigned", 0)).n == 1
    assert db.session.get(LeadTally, (gone.id, "assigned", source.id)) is None  # empty rows go
    assert db.session.get(Lead, first.id).source_id is None


def _random_book(manager, sales, sales2, seed: int):
    """Opportunities, leads and calls spread over salespeople, stages and months."""
    import random

    rnd = random.Random(seed)
    stage_ids = list(db.session.scalars(sa.select(OpportunityStage.id)))
    users = [None, manager.id, sales.id, sales2.id]
    opp = Opportunity.__table__
    for _ in range(120):
        status = rnd.choice(["open", "open", "won", "lost"])
        db.session.execute(opp.insert().values(
            name="O", name_search="o", version=1, created_at=NOW, updated_at=NOW, status=status,
            stage_id=rnd.choice(stage_ids), assigned_to=rnd.choice(users),
            amount=Decimal(rnd.randint(0, 10**7)) / 100, probability=rnd.randint(0, 100),
            expected_close_date=rnd.choice([None, NOW.date() + timedelta(days=rnd.randint(-60, 400))]),
            closed_at=None if status == "open" else rnd.choice(
                [None, NOW - timedelta(days=rnd.randint(0, 400), minutes=rnd.randint(0, 1440)),
                 datetime(2026, 10, 31, 23, 59, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)])))
    source_ids = [None, *db.session.scalars(sa.select(LeadSource.id))]
    for _ in range(80):
        db.session.execute(Lead.__table__.insert().values(
            last_name="L", name_search="l", version=1, created_at=NOW, updated_at=NOW, recycled=False,
            status=rnd.choice(["new", "assigned", "in_progress", "converted", "lost"]),
            assigned_to=rnd.choice(users), source_id=rnd.choice(source_ids)))
    for _ in range(80):
        start = NOW - timedelta(days=rnd.randint(-20, 400), minutes=rnd.randint(0, 1440))
        db.session.execute(Event.__table__.insert().values(
            subject="E", start=start, end=start + timedelta(hours=1), all_day=False, version=1,
            created_at=NOW, updated_at=NOW, organizer_id=rnd.choice(users[1:]),
            type=rnd.choice(["call", "meeting", "task"]), status=rnd.choice(["planned", "done", "cancelled"])))
    db.session.commit()


def _live(monkeypatch):
    """From here on, figures and counts come from the tables themselves: as if no access
    rule could say its condition on the totals, and even a manager saw only some rows (the
    rules still let them see every one)."""
    monkeypatch.setattr(access, "tallied", lambda model, user: None)
    monkeypatch.setattr(access, "restricts", lambda model, user: True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dashboard_from_tallies_equals_the_live_figures(app, manager, sales, sales2, seed, monkeypatch):
    _random_book(manager, sales, sales2, seed)
    if db.engine.dialect.name == "postgresql":
        # Months are UTC's: a session zone 14 hours ahead must not move 31 October 23:59.
        db.session.execute(sa.text("SET TIME ZONE 'Pacific/Kiritimati'"))
    today = NOW.date()

    def all_figures():
        return [dashboard.figures(manager, months=months, today=today, assigned_to=who)
                for months in (3, 12) for who in (None, sales.id, sales2.id)] + [
            dashboard.figures(user, today=today) for user in (sales, sales2)] + [
            opportunities.pipeline_by_stage(user, open_only=False) for user in (manager, sales)]

    tallied = all_figures()
    assert any(row["won"] for row in tallied[3]["won_lost"])  # the data reaches every figure
    assert any(row["count"] for row in tallied[3]["forecast"])
    assert any(row["call"] or row["meeting"] for row in tallied[3]["activity"])
    assert any(n for _status, n in tallied[6]["leads_by_status"])  # a salesperson's
    _live(monkeypatch)
    assert tallied == all_figures()


def test_lead_counts_from_the_tally_equal_the_live_counts(app, manager, sales, sales2, monkeypatch):
    """Every filter of the lead list (status, source, salesperson, none) and their
    combinations, for a manager and a salesperson: the count from the running totals is the
    count of the list's own query."""
    from itertools import product

    from modules.crm.services import leads

    _random_book(manager, sales, sales2, 6)
    sources = [None, *db.session.scalars(sa.select(LeadSource.id))][:3]
    cases = list(product((manager, sales), ("", "new", "converted", "bogus"), sources,
                         (None, "none", sales.id, sales2.id)))

    def counts():
        return [db.session.scalar(leads.tally_count(user, status=status, source_id=source, assigned_to=who)
                                  if leads.tally_count(user) is not None else
                                  sa.select(sa.func.count()).select_from(leads.filtered(
                                      sa.select(Lead.id), user, status=status, source_id=source,
                                      assigned_to=who).subquery()))
                for user, status, source, who in cases]

    tallied = counts()
    assert leads.tally_count(sales, q="dur") is None  # a search counts the table
    assert len(set(tallied)) > 10
    _live(monkeypatch)
    assert leads.tally_count(sales) is None
    assert tallied == counts()


def test_opportunity_list_counts_from_the_tally_equal_the_live_counts(app, manager, sales, sales2, login,
                                                                       api, monkeypatch):
    """The opportunity list's count for each status, stage and salesperson filter and their
    combinations, as a manager and as a salesperson, read on the page and in the API: from
    the running totals, then from the table."""
    import re
    from itertools import product

    _random_book(manager, sales, sales2, 7)
    stages = ["", *map(str, db.session.scalars(sa.select(OpportunityStage.id)))][:4]
    cases = list(product((manager, sales), ("", "open", "won", "lost", "bogus"), stages,
                         ("", str(sales.id), str(sales2.id))))
    clients = {user.id: login(user) for user in (manager, sales)}
    api_clients = {user.id: api(user) for user in (manager, sales)}

    def counts():
        found = []
        for user, status, stage, who in cases:
            html = clients[user.id].get(f"/crm/opportunities?status={status}&stage={stage}&assignee={who}"
                                        ).get_data(as_text=True)
            shown = re.search(r"([0-9,]+) records?</", html)
            if shown is None:  # an empty list shows its empty state, no "0 records"
                assert "No opportunity matches." in html
            found.append(int(shown.group(1).replace(",", "")) if shown else 0)
            if status != "bogus":  # the API refuses an unknown status (422)
                query = {"status": status, "stage_id": stage, "assigned_to": who}
                listed = api_clients[user.id].get("/opportunities?" + "&".join(
                    f"{k}={v}" for k, v in query.items() if v)).json
                found.append(listed["total"])
        return found

    assert opportunities.tally_count(sales, q="acme") is None  # a search counts the table
    tallied = counts()
    assert len(set(tallied)) > 10 and max(tallied) > 25  # several pages too
    _live(monkeypatch)
    assert opportunities.tally_count(sales) is None
    assert tallied == counts()


def test_a_rule_that_cannot_say_its_condition_on_the_tally_gets_live_figures(app, manager, sales, sales2,
                                                                               monkeypatch):
    _random_book(manager, sales, sales2, 4)
    mine = dashboard.figures(sales, today=NOW.date())
    for model in (Lead, Opportunity):
        monkeypatch.setattr(access.rule_for(model), "tallied", None)
    assert opportunities.tally_scope(sales) is None
    # Corrupt the totals: a salesperson's figures no longer read them.
    db.session.execute(sa.update(OpportunityTally).values(n=OpportunityTally.n + 100))
    db.session.execute(sa.update(LeadTally).values(n=LeadTally.n + 100))
    assert dashboard.figures(sales, today=NOW.date()) == mine
    # Filters the totals do not hold (a search, dates) take the live query too.
    assert opportunities.tally_scope(manager, q="acme") is None
    assert opportunities.tally_scope(manager, close_from=date(2026, 1, 1)) is None
    assert opportunities.tally_scope(manager, assigned_to=sales.id) is not None


def test_recount_command_reports_and_repairs(app, manager, sales, sales2):
    _random_book(manager, sales, sales2, 5)
    db.session.execute(sa.update(OpportunityTally).where(OpportunityTally.status == "won")
                       .values(amount=OpportunityTally.amount + 1))
    db.session.execute(sa.delete(LeadTally).where(LeadTally.status == "new"))
    db.session.commit()
    checked = app.test_cli_runner().invoke(args=["db", "recount", "--check"])
    assert checked.exit_code == 1
    assert "crm_opportunity_tally:" in checked.output and "rows differ" in checked.output
    assert "calendar_event_tally: exact" in checked.output
    repaired = app.test_cli_runner().invoke(args=["db", "recount"])
    assert repaired.exit_code == 0, repaired.output
    db.session.expire_all()
    assert_exact()
    again = app.test_cli_runner().invoke(args=["db", "recount", "--check"])
    assert again.exit_code == 0 and "rows differ" not in again.output


@pytest.mark.postgres
def test_concurrent_writers_on_the_same_tally_rows(need_postgres, app, manager, sales):
    """Four connections move opportunities between the same two stages in opposite
    directions, one or many in one statement, hand some over to another salesperson and
    back, and add leads for the same salesperson, all on the same few tally rows: every
    transaction goes through (a statement locks the tally rows it changes in key order, so
    two statements cannot deadlock on them) and the totals come out exact. Per-row triggers
    deadlocked here. (Two transactions of several statements each can still take the same
    tally rows in opposite orders: PostgreSQL then cancels one, which answers 503.)"""
    from concurrent.futures import ThreadPoolExecutor

    first, second = list(db.session.scalars(sa.select(OpportunityStage.id)
                                            .where(~OpportunityStage.is_won, ~OpportunityStage.is_lost)
                                            .order_by(OpportunityStage.sequence)))[:2]
    opp = Opportunity.__table__
    ids = [db.session.execute(opp.insert().values(
        name="O", name_search="o", version=1, created_at=NOW, updated_at=NOW, status="open",
        stage_id=first if i % 2 else second, assigned_to=sales.id, amount=Decimal("10.00"),
        probability=50, expected_close_date=date(2026, 12, 15)).returning(opp.c.id)).scalar_one()
        for i in range(40)]
    db.session.commit()
    engine, salesperson, other = db.engine, sales.id, manager.id

    def writer(worker: int) -> int:
        done = 0
        mine = ids[worker::4]
        for round_ in range(30):
            with engine.begin() as connection:
                if round_ % 2:
                    # One statement moving all of them, some each way, and handing some over
                    # and back: its changes touch four tally rows at once.
                    connection.execute(opp.update().where(opp.c.id.in_(mine)).values(
                        stage_id=sa.case((opp.c.stage_id == first, second), else_=first),
                        assigned_to=sa.case((opp.c.assigned_to == other, salesperson),
                                            (opp.c.id % 3 == round_ % 3, other),
                                            else_=opp.c.assigned_to)))
                else:
                    connection.execute(opp.update().where(opp.c.id == mine[round_ % len(mine)]).values(
                        stage_id=sa.case((opp.c.stage_id == first, second), else_=first)))
                connection.execute(Lead.__table__.insert().values(
                    last_name="L", name_search="l", version=1, created_at=NOW, updated_at=NOW,
                    recycled=False, status="assigned", assigned_to=salesperson))
            done += 1
        return done

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(writer, range(4))) == [30] * 4
    db.session.expire_all()
    assert_exact()
    assert db.session.get(LeadTally, (sales.id, "assigned", 0)).n == 120
    assert sum(t.n for t in db.session.scalars(sa.select(OpportunityTally))) == 40


def _trigger_sql(name: str):
    if db.engine.dialect.name != "sqlite":
        return None
    return db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
                             {"n": name})


def test_csv_import_counts_its_rows_and_keeps_the_trigger(app, manager, sales):
    """The import's batches are counted in one statement each (core.tally.bulk_insert on
    SQLite): exact totals, and the per-row trigger back for the writes that follow, also
    when a batch fails."""
    import io

    from modules.crm.services import imports, leads

    before = _trigger_sql("crm_lead_tally_insert")
    assert before is not None or db.engine.dialect.name != "sqlite"
    leads.create_lead({"last_name": "Before", "source_id": db.session.scalars(sa.select(LeadSource.id)).first()},
                      by=manager)
    rows = "".join(f"Import{i},{['website', 'trade show', ''][i % 3]}\n" for i in range(130))
    report = imports.import_leads(io.BytesIO(("last_name,source\n" + rows).encode()), by=None, batch_size=50)
    assert report.imported == 130
    assert_exact()
    assert sum(t.n for t in db.session.scalars(sa.select(LeadTally))) == 131
    assert _trigger_sql("crm_lead_tally_insert") == before
    leads.create_lead({"last_name": "After", "assigned_to": sales.id}, by=manager)  # through the trigger
    assert_exact()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), tally.bulk_insert(db.session, "crm_lead"):
        db.session.execute(sa.insert(Lead.__table__), [{
            "last_name": "Lost", "name_search": "lost", "status": "new", "recycled": False,
            "version": 1, "created_at": NOW, "updated_at": NOW}])
        raise Boom
    db.session.rollback()
    assert _trigger_sql("crm_lead_tally_insert") == before
    leads.create_lead({"last_name": "Again"}, by=manager)
    assert_exact()
    assert sum(t.n for t in db.session.scalars(sa.select(LeadTally))) == 133
