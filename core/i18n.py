"""Locale and time zone of the current user, and formatting helpers for templates."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_request_context, request
from flask.globals import _cv_app
from flask_babel import format_datetime, get_locale, get_timezone, get_translations
from flask_babel import gettext as _gettext
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", languages[0])
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return None


def valid_timezone(name: str) -> bool:
    return name in _timezones()


_TZ: frozenset[str] | None = None


def _timezones() -> frozenset[str]:
    global _TZ
    if _TZ is None:
        _TZ = frozenset(available_timezones())
    return _TZ


def timezone_choices() -> list[str]:
    return sorted(_timezones())


def to_user_tz(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo(str(get_timezone())))


def fmt_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A moment in the request's language and time zone. "medium" (the default): the day as
    the lists write dates and the time without seconds ("Nov 30, 2026, 11:00 AM", "30 nov.
    2026, 11:00"); Babel's own medium has the seconds, and its short writes the day as
    "11/30/26", which reads differently in every country. Other formats are Babel's."""
    if not value:
        return ""
    if fmt != "medium":
        return format_datetime(value, fmt)
    _locale, locale_id, zone = _formats()
    return format_moment(value, locale_id, zone)


def format_moment(value: datetime, locale: str, zone: tzinfo, date_format: str = "medium") -> str:
    """``value`` (naive: UTC) in ``zone``: the day in ``date_format`` and the time without
    seconds, joined as the language joins them (Babel's own composition, with the
    locale's pattern for that date format)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    moment = value.astimezone(zone)
    return (babel_dates.get_datetime_format(date_format, locale=locale).replace("'", "")
            .replace("{0}", babel_dates.format_time(moment, "short", tzinfo=None, locale=locale))
            .replace("{1}", babel_dates.format_date(moment, date_format, locale=locale)))


def _babel_namespace():
    """Flask-Babel's per-request namespace (``g._flask_babel``), or None. Read from the
    application context's own variable: through the ``g`` proxy (and ``has_app_context()``)
    it took 5 µs, and a list formats a date a row."""
    ctx = _cv_app.get(None)
    return None if ctx is None else getattr(ctx.g, "_flask_babel", None)


def _formats() -> tuple:
    """(locale, its identifier, time zone) of the request, found once per request.

    Flask-Babel's ``get_locale()`` and ``get_timezone()`` each go through three
    context-local lookups, and a kanban formats 400 amounts and dates. Kept on Flask-Babel's
    own per-request namespace, and only reused while its locale and zone are the very
    objects it holds (``force_locale`` and ``refresh()`` replace them)."""
    ns = _babel_namespace()
    memo = getattr(ns, "comptoir_formats", None)
    if (memo is not None and memo[0] is getattr(ns, "babel_locale", None)
            and memo[2] is getattr(ns, "babel_tzinfo", None)):
        return memo
    locale, zone = get_locale(), get_timezone()
    memo = (locale, str(locale), zone)
    ns = _babel_namespace()
    if ns is not None and getattr(ns, "babel_locale", None) is locale:
        ns.comptoir_formats = memo
    return memo


def current_locale_id() -> str:
    """The request's language (``<html lang>``)."""
    locale = _formats()[0]
    return str(locale) if locale else "en"


def fmt_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if not value:
        return ""
    return date_formatter(fmt)(value)


def date_formatter(fmt: str = "medium") -> Callable[[date | datetime | None], str]:
    """``fmt_date`` for the many dates of one request (a list's rows): the request's
    language and time zone are found once (``_formats``: 2-3 µs a call, two dates a row)."""
    _locale, locale_id, zone = _formats()

    def format_date(value: date | datetime | None) -> str:
        if not value:
            return ""
        if isinstance(value, datetime):  # the day it is in the user's time zone
            if value.tzinfo is None:  # stored as UTC (Flask-Babel's rule as well)
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(zone).date()
        return _format_date(value, fmt, locale_id)

    return format_date


@lru_cache(maxsize=4096)
def _format_date(value: date, fmt: str, locale: str) -> str:
    """A list or a kanban formats a date a row, most of them the same few days: Babel
    (12 µs a call, directly; Flask-Babel's format_date two to three times that) once per
    day, format and language."""
    return babel_dates.format_date(value, fmt, locale=locale)


def fmt_month(value: date) -> str:
    """The month of ``value`` as the request's language writes one: "Nov 2026", "nov. 2026"."""
    return _format_month(value.replace(day=1), current_locale_id())


@lru_cache(maxsize=1024)
def _format_month(value: date, locale: str) -> str:
    """Babel matches the skeleton on each call (20 µs; a dashboard shows 24 months)."""
    return babel_dates.format_skeleton("yMMM", value, locale=locale)


def fmt_money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return ""
    return money_formatter()(value, currency)


def money_formatter() -> Callable[[Decimal | None, str | None], str]:
    """``fmt_money`` for the many amounts of one request (a list's rows, a kanban's cards):
    the request's language and the default currency are found once."""
    locale, locale_id, _zone = _formats()
    default = current_app.config["DEFAULT_CURRENCY"]

    def format_money(value: Decimal | None, currency: str | None = None) -> str:
        if value is None:
            return ""
        currency = currency or default
        money = _money_format(locale_id, currency)
        if money is None:
            return babel_numbers.format_currency(value, currency, locale=locale)
        return money(value)

    return format_money


@lru_cache(maxsize=512)
def _money_pattern(locale_id: str, currency: str) -> babel_numbers.NumberPattern | None:
    """The locale's currency pattern with this currency's symbol and digits already in it:
    ``babel.numbers.format_currency`` gives the same text but looks the symbol up, and
    works out the currency's plural name even when the pattern has no use for it, on every
    call (40 µs; a kanban shows 400 amounts). ``tests/core/test_translations.py`` checks
    the two agree. None for a pattern with the currency's code or name in it."""
    locale = Locale.parse(locale_id)
    standard = locale.currency_formats["standard"]
    pattern = copy.copy(standard)
    if any("¤¤" in part for part in (*standard.prefix, *standard.suffix)):
        return None  # a pattern with the currency's code or name: Babel's own path
    symbol = babel_numbers.get_currency_symbol(currency, locale)
    pattern.prefix = tuple(part.replace("¤", symbol) for part in standard.prefix)
    pattern.suffix = tuple(part.replace("¤", symbol) for part in standard.suffix)
    digits = babel_numbers.get_currency_precision(currency)
    pattern.frac_prec = (digits, digits)
    return pattern


_QUOTED = re.compile(r"'([^']*)'")


class _MoneyFormat:
    """``NumberPattern.apply(value, locale, currency_digits=False)`` for a plain currency
    pattern (no exponent, significant digits or scale; the symbol and the digits already
    in it): the same steps on the same Babel symbols, without looking them up again on
    every call. Babel's own ``apply`` took 9 µs an amount, and the pipeline shows 200 of
    them; this takes 2. ``tests/core/test_translations.py`` checks the text is Babel's
    ``format_currency``'s for many locales, currencies and random amounts."""

    def __init__(self, pattern: babel_numbers.NumberPattern, locale: Locale):
        self.pattern, self.locale = pattern, locale
        self.prefix, self.suffix = pattern.prefix, pattern.suffix
        self.digits = pattern.frac_prec[1]
        self.quantum = babel_numbers.get_decimal_quantum(self.digits)
        self.min_int = pattern.int_prec[0]
        self.first_group, self.next_group = pattern.grouping
        self.group = babel_numbers.get_group_symbol(locale, numbering_system="latn")
        self.decimal = babel_numbers.get_decimal_symbol(locale, numbering_system="latn")

    @classmethod
    def of(cls, pattern: babel_numbers.NumberPattern, locale: Locale) -> _MoneyFormat | None:
        plain = (not pattern.exp_prec and "@" not in pattern.pattern and pattern.scale == 0
                 and pattern.frac_prec[0] == pattern.frac_prec[1]
                 and not any("¤" in part for part in (*pattern.prefix, *pattern.suffix)))
        return cls(pattern, locale) if plain else None

    def __call__(self, value) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():  # NaN, infinities: Babel's own symbols
            return self.pattern.apply(value, self.locale, currency_digits=False)
        negative = int(value.is_signed())
        value = abs(value).normalize()
        whole, _sep, fraction = f"{value.quantize(self.quantum):f}".partition(".")
        if len(whole) < self.min_int:
            whole = "0" * (self.min_int - len(whole)) + whole
        size, grouped = self.first_group, ""
        while len(whole) > size:
            grouped = self.group + whole[-size:] + grouped
            whole = whole[:-size]
            size = self.next_group
        number = whole + grouped + (self.decimal + fraction if self.digits else "")
        text = self.prefix[negative] + number + self.suffix[negative]
        return _QUOTED.sub(lambda m: m.group(1) or "'", text) if "'" in text else text


@lru_cache(maxsize=512)
def _money_format(locale_id: str, currency: str) -> _MoneyFormat | None:
    pattern = _money_pattern(locale_id, currency)
    return None if pattern is None else _MoneyFormat.of(pattern, Locale.parse(locale_id))


def fmt_number(value) -> str:
    if value is None:
        return ""
    if type(value) is int:  # a page number, a count: the same few on every page
        return _format_integer(value, _formats()[1])
    return babel_numbers.format_decimal(value, locale=_formats()[0])


@lru_cache(maxsize=4096)
def _format_integer(value: int, locale_id: str) -> str:
    return babel_numbers.format_decimal(value, locale=locale_id)


def current_translations():
    """The request's translations, found once per request and locale.

    Flask-Babel's ``get_translations()`` goes through nine context-local lookups (about
    8-20 µs); a page calls ``_()`` hundreds of times (the shell, the filters, a badge per
    row). Its per-request namespace keeps the current ``Locale`` object, which
    ``force_locale`` (reminder emails in the recipient's language) and ``refresh()``
    replace: the memo is only reused while that very object is current.
    """
    ns = _babel_namespace()
    if ns is not None:
        memo = getattr(ns, "comptoir_translations", None)
        if memo is not None and memo[0] is getattr(ns, "babel_locale", None):
            return memo[1]
    translations = get_translations()
    ns = _babel_namespace()
    if ns is not None and getattr(ns, "babel_locale", None) is not None:
        ns.comptoir_translations = (ns.babel_locale, translations)
    return translations


def _catalog_markup(text: str) -> Markup:
    """A translation is markup (Jinja's rule): it comes from the templates' own strings and
    the project's catalogs. The values formatted into it are escaped by ``%``."""
    return Markup(text)  # noqa: S704  # nosec B704 - catalog text, not user input


@pass_eval_context
def _template_gettext(eval_ctx, string: str, **variables) -> str:
    rv = current_translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = _catalog_markup(rv)
    # Jinja's newstyle rule: always a format string ("%%" is "%"); without variables
    # or "%" the result is rv itself.
    return rv % variables if variables or "%" in rv else rv


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    rv = current_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = _catalog_markup(rv)
    return rv % variables


@pass_eval_context
def _template_pgettext(eval_ctx, context: str, string: str, **variables) -> str:
    variables.setdefault("context", context)
    rv = current_translations().upgettext(context, string)
    if eval_ctx.autoescape:
        rv = _catalog_markup(rv)
    return rv % variables


@pass_eval_context
def _template_npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    rv = current_translations().unpgettext(context, singular, plural, num)
    if eval_ctx.autoescape:
        rv = _catalog_markup(rv)
    return rv % variables


def install_template_gettext(app) -> None:
    """Templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``: Jinja's
    newstyle gettext (autoescaped, always a format string) over ``_translations``. Jinja's
    own wrappers cost three context calls per ``_()``; these cost one."""
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )


def register_filters(app) -> None:
    install_template_gettext(app)
    app.jinja_env.filters.update(datetime=fmt_datetime, date=fmt_date, money=fmt_money, number=fmt_number)
    app.jinja_env.filters["zip_self"] = lambda value: (value, value)
    app.jinja_env.filters["translate_second"] = lambda pair: (pair[0], _gettext(pair[1]))
    app.jinja_env.globals["user_options"] = lambda users: [(u.id, u.name) for u in users]
