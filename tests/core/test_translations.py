"""The French catalogues: complete, consistent, and used by the pages.

A new English string without its French translation fails ``test_catalogue_is_complete``
with the list of missing strings: run ``make messages``, translate the new entries of
``<package>/translations/fr/LC_MESSAGES/messages.po``, then ``make translations``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def all_packages() -> list[Path]:
    """The core and every module (a folder of ``modules/`` with an ``__init__.py``)."""
    return [ROOT / "core"] + sorted(p for p in (ROOT / "modules").glob("*/")
                                    if (p / "__init__.py").is_file())


def packages() -> list[Path]:
    """The core and every module that ships a French catalogue."""
    return [p for p in all_packages() if po_path(p).is_file()]


def po_path(package: Path) -> Path:
    return package / "translations/fr/LC_MESSAGES/messages.po"


def read_catalogue(package: Path):
    with po_path(package).open("rb") as f:
        return read_po(f, locale="fr")


def extracted(package: Path) -> dict[tuple[str, str | None], set[str]]:
    """(msgid, context) -> files, as ``make messages`` extracts them."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    found: dict[tuple[str, str | None], set[str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
            str(package), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((msgid, context), set()).add(f"{package.name}/{filename}")
    return found


def compile_catalogues() -> None:
    """Compile each catalogue whose .mo is missing or older than its .po (``make translations``
    does the same; this keeps a plain ``pytest`` run right after editing a .po)."""
    for package in packages():
        po = po_path(package)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalogue = read_catalogue(package)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalogue)
        tmp.replace(mo)


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    compile_catalogues()


PACKAGES = packages()
ALL_PACKAGES = all_packages()


def test_core_has_a_french_catalogue():
    assert ROOT / "core" in PACKAGES


def _label(msgid: str, context: str | None) -> str:
    return f"{msgid!r} (context {context!r})" if context else repr(msgid)


@pytest.mark.parametrize("package", ALL_PACKAGES, ids=lambda p: p.name)
def test_catalogue_is_complete(package):
    """Every package with translatable strings ships a complete French catalogue."""
    strings = extracted(package)
    if not po_path(package).is_file():
        assert not strings, (
            f"{package.relative_to(ROOT)} has {len(strings)} translatable string(s) but no "
            f"French catalogue ({po_path(package).relative_to(ROOT)}); run `make messages` "
            "and translate them:\n"
            + "\n".join(f"{_label(msgid, context)} ({', '.join(sorted(files))})"
                         for (msgid, context), files in sorted(strings.items(), key=str)))
        return
    catalogue = read_catalogue(package)
    problems = []
    for (msgid, context), files in sorted(strings.items(), key=str):
        message = catalogue.get(msgid, context)
        label = _label(msgid, context)
        if message is None:
            problems.append(f"missing: {label} ({', '.join(sorted(files))})")
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(texts):
            problems.append(f"not translated: {label}")
        if message.fuzzy:
            problems.append(f"fuzzy: {label}")
    assert not problems, (
        f"{po_path(package).relative_to(ROOT)} lacks French for {len(problems)} string(s); "
        "run `make messages` and translate them:\n" + "\n".join(problems))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_catalogue_holds_only_what_make_messages_keeps(package):
    """``make messages`` keeps the strings the extractor finds and drops the others: a
    translation it cannot see (a gettext call inside an f-string, which Babel does not read
    on Python 3.11, or an entry added by hand for such a call) would be lost the next time
    someone runs it, and the page would show English. Also catches strings no longer used."""
    strings = extracted(package)
    unseen = [_label(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in read_catalogue(package)
              if m.id and ((m.id if isinstance(m.id, str) else m.id[0]), m.context) not in strings]
    assert not unseen, (
        f"{po_path(package).relative_to(ROOT)} translates string(s) the extractor does not find "
        "(move a gettext call out of its f-string, or drop the entry):\n" + "\n".join(unseen))


def test_shared_strings_agree():
    """The application merges every catalogue into one (a module's entry replaces the
    core's), so a string several packages translate must get the same French in each;
    when the meaning differs (noun and verb, genders), give one of them a pgettext context."""
    seen: dict[tuple[str, str | None], dict[str, object]] = {}
    for package in PACKAGES:
        for message in read_catalogue(package):
            if message.id and message.string:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                seen.setdefault((msgid, message.context), {})[package.name] = message.string
    problems = [f"{_label(*key)}: {translations}" for key, translations in sorted(seen.items(), key=str)
                if len({str(t) for t in translations.values()}) > 1]
    assert not problems, "different French for the same string:\n" + "\n".join(problems)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_placeholders_are_kept(package):
    problems = []
    for message in read_catalogue(package):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            for index, text in enumerate(message.string):
                # French form 0 is for 0 and 1; the others follow the English plural.
                source = singular if index == 0 else plural
                if text and _placeholders(text) != _placeholders(source):
                    problems.append(f"{source!r} -> {text!r}")
        elif message.string and _placeholders(message.string) != _placeholders(message.id):
            problems.append(f"{message.id!r} -> {message.string!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_french_typography(package):
    """A no-break space (never a plain one) before ':', '?', '!' and ';', none missing
    before those after a word, and curly apostrophes."""
    problems = []
    for message in read_catalogue(package):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if re.search(r" [:?!;]|\w[?!;]|\w:(?!//)|[«] |[ ]»", text) or "'" in text:
                problems.append(repr(text))
    assert not problems, (
        "use U+00A0 before ':' and U+202F before '?', '!', ';', and ’ for apostrophes:\n"
        + "\n".join(problems))


# --- the pages -------------------------------------------------------------------------

def _partner(app, owner):
    from core.partners.services import create_partner

    return create_partner({"name": "Boulangerie Dupain", "city": "Nantes"}, by=owner)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_browser_language_french(app, login, sales):
    client = login(sales)
    html = _html(client.get("/partners", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}))
    assert '<html lang="fr"' in html
    assert "Tiers" in html and "Nouveau tiers" in html
    assert "Se déconnecter" in html
    assert "Sign out" not in html and "New partner" not in html


def test_login_page_french_for_anonymous(client):
    html = _html(client.get("/login", headers={"Accept-Language": "fr"}))
    assert '<html lang="fr"' in html
    assert "Se connecter" in html and "Mot de passe" in html


def test_profile_locale_wins_over_browser(app, login, sales):
    from core.auth.services import update_user
    from core.db import db

    update_user(sales, locale="fr")
    db.session.commit()
    partner = _partner(app, sales)
    db.session.commit()
    client = login(sales)
    html = _html(client.get(f"/partners/{partner.id}", headers={"Accept-Language": "en-US,en"}))
    assert '<html lang="fr"' in html
    assert "Se déconnecter" in html and "Historique" in html and "Tiers créé" in html
    assert "commercial" in html  # the role, next to the email in the user menu
    assert "Commercial\u00a0: Sam Sales" in html


def test_french_dates_and_numbers(app):
    """(Each request gets its own application context: Flask-Babel keeps the locale in g.)"""
    from core.i18n import fmt_date, fmt_number

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert fmt_date(date(2026, 11, 26)) == "26 nov. 2026"
        assert fmt_date(date(2026, 2, 3), "long") == "3 février 2026"
        assert fmt_number(1234.5) == "1\u202f234,5"
    with app.app_context(), app.test_request_context("/"):
        assert fmt_date(date(2026, 11, 26)) == "Nov 26, 2026"


def test_french_date_on_a_page(app, login, sales):
    from core.auth.services import update_user
    from core.db import db

    update_user(sales, locale="fr")
    db.session.commit()
    client = login(sales)
    client.post("/profile/tokens", data={"name": "Mon script"})
    html = _html(client.get("/profile"))
    assert "Jetons d’API" in html
    assert re.search(r"Créé le \d{1,2} [a-zéû]+\.? \d{4}, \d{2}:\d{2}", html), "French date expected"


def test_english_is_the_default(app, login, sales):
    partner = _partner(app, sales)
    from core.db import db

    db.session.commit()
    client = login(sales)
    for headers in ({}, {"Accept-Language": "de-DE,de"}):
        html = _html(client.get(f"/partners/{partner.id}", headers=headers))
        assert '<html lang="en"' in html
        assert "Sign out" in html and "Salesperson: Sam Sales" in html
        assert "Se déconnecter" not in html
    html = _html(app.test_client().get("/login"))
    assert '<html lang="en"' in html and "Sign in" in html


def test_french_plural(app):
    from flask_babel import ngettext

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert ngettext("%(num)s record", "%(num)s records", 1) == "1 élément"
        assert ngettext("%(num)s record", "%(num)s records", 0) == "0 élément"
        assert ngettext("%(num)s record", "%(num)s records", 3) == "3 éléments"


def test_module_pages_in_french(app, login, sales):
    """The modules' catalogues are loaded too, not only the core's."""
    from core.auth.services import update_user
    from core.db import db

    update_user(sales, locale="fr")
    db.session.commit()
    client = login(sales)
    html = _html(client.get("/crm/leads"))
    assert "Pistes" in html and "Nouvelle piste" in html and "New lead" not in html
    html = _html(client.get("/calendar"))
    assert "Nouvel événement" in html and 'data-locale="fr"' in html
    assert "vendor/fullcalendar/locales/fr.global.min.js" in html
    html = _html(client.get("/sales/orders"))
    assert "Devis et commandes" in html and "Quotes and orders" not in html


# Templates' gettext (core.i18n.install_template_gettext): Jinja's newstyle rules, with the
# request's translations found once per locale.

def _render(app, source: str, autoescape: bool = True, **values) -> str:
    env = app.jinja_env.overlay(autoescape=autoescape)
    return env.from_string(source).render(**values)


def test_template_gettext_follows_the_request_locale(app):
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert _render(app, "{{ _('Leads') }}") == "Pistes"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _render(app, "{{ _('Leads') }}") == "Leads"


def test_template_gettext_under_force_locale_and_after(app):
    """Reminder emails are rendered in the recipient's language inside another request:
    the memo of the request's translations must not outlive the forced locale."""
    from flask_babel import force_locale

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _render(app, "{{ _('Leads') }}") == "Leads"
        with force_locale("fr"):
            assert _render(app, "{{ _('Leads') }}") == "Pistes"
        assert _render(app, "{{ _('Leads') }}") == "Leads"


def test_formats_under_force_locale_and_after(app):
    """Dates, amounts and numbers keep the request's locale once found, but follow a forced
    one (a reminder email in its recipient's language) and come back after it."""
    from datetime import date
    from decimal import Decimal

    from flask_babel import force_locale

    from core.i18n import fmt_date, fmt_money, fmt_number

    def formatted():
        return fmt_date(date(2026, 3, 1)), fmt_money(Decimal("1234.5"), "EUR"), fmt_number(12345.5)

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = formatted()
        assert english == ("Mar 1, 2026", "€1,234.50", "12,345.5")
        with force_locale("fr"):
            assert formatted() == ("1 mars 2026", "1\u202f234,50\xa0€", "12\u202f345,5")
        assert formatted() == english


def test_template_gettext_escapes_values_not_the_translation(app):
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = _render(app, "{{ _('Draft quote #%(id)s', id=value) }}", value="<b>&")
        assert html == "Draft quote #&lt;b&gt;&amp;"
        # A text template (an email body) is not escaped.
        text = _render(app, "{{ _('Draft quote #%(id)s', id=value) }}", autoescape=False, value="<b>&")
        assert text == "Draft quote #<b>&"
        # Always a format string, as Jinja's newstyle gettext: "%%" is a percent sign.
        assert _render(app, "{{ _('100%% sure') }}") == "100% sure"
        assert _render(app, "{{ ngettext('%(num)d lead', '%(num)d leads', 3) }}") == "3 leads"
        assert _render(app, "{{ pgettext('opportunity status', 'Open') }}") == "Open"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert _render(app, "{{ pgettext('opportunity status', 'Open') }}") == "Ouverte"


def test_dates_are_the_users_day(app, sales):
    """A datetime is shown as the day it is in the user's time zone."""
    from datetime import UTC, datetime

    from flask_login import login_user

    from core.db import db
    from core.i18n import date_formatter, fmt_date

    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert fmt_date(late) == "Mar 1, 2026"
        assert fmt_date(late.replace(tzinfo=None)) == "Mar 1, 2026"  # naive: UTC
        assert fmt_date(late.date()) == "Mar 1, 2026"
    sales.timezone = "Europe/Paris"
    db.session.commit()
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(db.session.get(type(sales), sales.id))
        assert fmt_date(late) == "Mar 2, 2026"
        assert fmt_date(late.date()) == "Mar 1, 2026"  # a plain date has no time zone
        # A list's rows format with one formatter per request: the same texts.
        short = date_formatter("short")
        assert [short(v) for v in (late, late.replace(tzinfo=None), late.date(), None)] == [
            fmt_date(late, "short"), fmt_date(late.replace(tzinfo=None), "short"), "3/1/26", ""]


def test_money_formatter_is_fmt_money(app):
    from decimal import Decimal

    from flask_babel import force_locale

    from core.i18n import fmt_money, money_formatter

    with app.app_context(), app.test_request_context("/"), force_locale("fr"):
        money = money_formatter()
        for value, currency in ((Decimal("1234.5"), "EUR"), (Decimal("-3"), "JPY"), (Decimal("7"), None),
                                (None, "EUR")):
            assert money(value, currency) == fmt_money(value, currency)
        assert money(Decimal("7")) == "7,00\u00a0€"  # the default currency


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**15, max_value=10**15)
       | st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
       locale=st.sampled_from(["en", "fr", "de_CH", "en_IN", "ar", "he", "pl"]),
       currency=st.sampled_from(["EUR", "JPY", "KWD", "CHF"]))
def test_money_is_babels_format_currency_for_any_amount(app, value, locale, currency):
    from babel.numbers import format_currency
    from flask_babel import force_locale

    from core.i18n import fmt_money

    with app.app_context(), app.test_request_context("/"), force_locale(locale):
        assert fmt_money(value, currency) == format_currency(value, currency, locale=locale)


@pytest.mark.parametrize("locale", ["en", "fr", "de_CH", "ja", "nl", "ar", "en_IN", "es", "pl", "fa", "he"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY", "CHF", "KWD", "XYZ"])
def test_money_is_babels_format_currency(app, locale, currency):
    """core.i18n.fmt_money keeps a per-locale, per-currency pattern: the text must be
    Babel's format_currency's, for every sign, size and rounding."""
    from decimal import Decimal

    from babel.numbers import format_currency
    from flask_babel import force_locale

    from core.i18n import fmt_money

    values = ["0", "-0.004", "0.005", "1", "-1", "12.345", "-1234.5", "1234567.891", "999999999999.995",
              "0.0001", "-98765.4321", "1E+3", "-0", "0.015", "0.025", "1234567890123456.785", "NaN",
              "Infinity", "-Infinity"]
    with app.app_context(), app.test_request_context("/"), force_locale(locale):
        for value in map(Decimal, values):
            assert fmt_money(value, currency) == format_currency(value, currency, locale=locale), value
        assert fmt_money(None, currency) == ""
