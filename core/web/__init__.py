"""The web shell's building blocks: menu entries, panels, HTMX-aware rendering, lists."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import render_template, request
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

from core import search
from core.db import db
from core.extensions import is_htmx
from core.search import pattern as search_pattern  # noqa: F401 - part of this module's API
from core.validation import MAX_ID


@dataclass
class MenuEntry:
    label: str  # already translated (use lazy_gettext)
    endpoint: str
    icon: str = "circle"
    order: int = 100
    #: who sees the entry: None for everyone signed in, else a predicate on the user.
    allowed: Callable[[Any], bool] | None = None
    url_kwargs: dict = field(default_factory=dict)
    #: a settings or administration page: listed under the bar's Administration menu,
    #: not in the bar itself (which holds the pages of daily work).
    admin: bool = False


@dataclass
class Panel:
    """A block of a record page, filled by a module."""

    title: str
    html: str
    order: int = 100
    id: str = ""
    count: int | None = None


class StatusBadge:
    """A status as a Bootstrap badge, a template global of the module that owns it::

        bp.add_app_template_global(StatusBadge(labels, colors), "lead_status")
        {{ lead_status(lead.status) }}

    ``labels()`` returns {status: translated label}; it is called once per language (per
    translations object: Flask-Babel keeps one per language), and each badge is then a
    dictionary lookup. A Jinja macro per row cost about 20 µs (its call frame, its
    dictionary of colours, a translation per call)."""

    def __init__(self, labels: Callable[[], dict[str, str]], colors: dict[str, str]):
        self.labels, self.colors = labels, colors
        self._badges: dict[object, dict[str, Markup]] = {}

    def __call__(self, status: str | None) -> Markup:
        from core.i18n import current_translations

        translations = current_translations()
        badges = self._badges.get(translations)
        if badges is None:
            if len(self._badges) > 16:  # outside a request each call has its own (empty) one
                self._badges.clear()
            badges = {value: self._markup(value, label) for value, label in self.labels().items()}
            self._badges[translations] = badges
        badge = badges.get(status)
        return badge if badge is not None else self._markup(status, status)

    def _markup(self, status, label) -> Markup:
        return Markup('<span class="badge text-bg-{}" data-status="{}">{}</span>').format(
            self.colors.get(status, "secondary"), status or "", label or "")


def render(template: str, *, fragment: str | None = None, **context):
    """The full page, or only block ``fragment`` of it for an HTMX request."""
    if fragment and wants_fragment():
        return render_block(template, fragment, **context)
    return render_template(template, **context)


def wants_fragment() -> bool:
    """``render(..., fragment=...)`` will render the fragment alone: a view can skip what
    only the rest of the page shows (a list's filter choices while the user types)."""
    return is_htmx() and request.headers.get("HX-Boosted") != "true"


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    #: the count stopped at ``total`` (``paginate(count_limit=...)``): more rows match.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more


def int_arg(name: str, default: int, minimum: int = 1, maximum: int = 10**9) -> int:
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, minimum), maximum)


def paginate(stmt: sa.Select, page: int, per_page: int, *, count_stmt: sa.Select | None = None,
             rows_stmt: Callable[[bool], sa.Select] | None = None, count_limit: int | None = None,
             key_first: bool = False, past_end: str = "last",
             shape: Callable[[sa.Select], sa.Select] | None = None) -> Page:
    """One query for the rows and one for the count, whatever the table size.

    A list with a search box passes ``rows_stmt(narrow)``: its rows' query with the search
    condition made by ``core.search.contains(..., narrow=narrow)``. Counted first, the
    matches decide: up to ``core.search.NARROW_LIMIT`` they drive the rows' query
    (``True``), beyond the list walks its sort index checking each row's text on its first
    pages (``None``), or checking rows against the index's matches deeper (``False``).

    ``count_limit`` (a search: ``core.search.count_limit(q)``) stops the count there, or at
    the end of the page asked for if that is further: "more than 2,000 records" and a
    "Next" link, rather than checking each of 7,400 matches to print their number (more
    than half of a searched page's time). Ignored with ``count_stmt``, which is exact.

    ``key_first``: the first page too picks its rows by key (see :func:`page_rows`).

    ``shape(stmt)``: the page's statement (its rows already picked) made to select the
    columns the page shows, with the joins they need; the items are then rows, not
    entities. Loading 25 leads with their source and salesperson as objects cost more than
    the query (identity map, object state, eager loads): a list page reads columns. The
    rows are picked on ``stmt`` as it is, so the deferred join's key query stays free of
    the shape's joins.

    A page past the last one (a bookmark kept while the list shrank, a typed URL) shows
    the last page (``past_end="last"``, the pages), or nothing (``"empty"``, the API)."""
    limit = None
    if count_stmt is None:
        counted = stmt.order_by(None).with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
        if count_limit is not None:
            limit = max(count_limit, page * per_page) + 1
            counted = counted.limit(limit)
        count_stmt = sa.select(sa.func.count()).select_from(counted.subquery())
    total = db.session.scalar(count_stmt) or 0
    more = limit is not None and total >= limit
    if more:
        total = limit - 1
    elif past_end == "last" and page > 1 and (page - 1) * per_page >= total:
        page = max(1, math.ceil(total / per_page))
    if rows_stmt is not None:
        if not more and total <= search.NARROW_LIMIT:
            stmt = rows_stmt(True)
        else:  # many matches: walk the list's order (see core.search.contains)
            stmt = rows_stmt(None if page <= search.TEXT_WALK_PAGES else False)
    stmt = page_rows(stmt, page, per_page, key_first=key_first)
    items = (db.session.execute(shape(stmt)) if shape is not None else db.session.scalars(stmt).unique()).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total, more=more)


class Columns:
    """A list's ``paginate(shape=...)``: the columns the page shows and the outer joins
    they need, made once at import (aliases and labels built per request cost more than
    running the query)::

        seller = sa.orm.aliased(User)
        LIST = Columns(Order.id, Order.number, seller.name.label("salesperson_name"),
                       joins=[(seller, seller.id == Order.assigned_to)])

    The joins go onto the statement's own FROM, so a search's join (``core.search.narrowed``)
    or a filter's stays as it is."""

    def __init__(self, *columns, joins: tuple | list = ()):
        self.columns, self.joins = columns, tuple(joins)

    def __call__(self, stmt: sa.Select) -> sa.Select:
        stmt = stmt.with_only_columns(*self.columns)
        for target, onclause in self.joins:
            stmt = stmt.outerjoin(target, onclause)
        return stmt


def page_rows(stmt: sa.Select, page: int, per_page: int, *, key_first: bool = False) -> sa.Select:
    """``stmt``'s rows of page ``page``. Past the first page, a query of one entity (with a
    single-column key) picks its page by key first, then loads those rows: ``WHERE id IN
    (SELECT id ... ORDER BY ... LIMIT n OFFSET m)`` (a "deferred join"). The skipped rows
    are then read from the sort index alone, where a plain OFFSET made the database read
    each of them, and do its eager-load joins, only to drop it: page 1,000 of the leads
    took 15 ms of SQL for a manager, 100 for a salesperson, against 0.3 and 14.

    ``key_first`` does it for the first page as well: for a list whose rows eager-load
    several relations and are often sorted in memory, where the database joined every
    matching row before sorting them (a salesperson's 2,500 opportunities, four joins each:
    9.9 ms, against 0.4). Not for a list searched through ``core.search.contains``: its
    outer query would match the search index a second time."""
    offset = (page - 1) * per_page
    entity = _single_entity(stmt) if offset or key_first else None
    if entity is None:
        return stmt.limit(per_page).offset(offset)
    (key,) = sa.inspect(entity).primary_key
    keys = stmt.with_only_columns(key, maintain_column_froms=True).limit(per_page).offset(offset)
    return stmt.where(key.in_(keys))


def _single_entity(stmt: sa.Select):
    """The mapped class ``stmt`` selects, if it selects exactly one and its key is one column."""
    described = stmt.column_descriptions
    if len(described) != 1:
        return None
    entity = described[0].get("entity")
    if entity is None or described[0].get("expr") is not entity:
        return None
    return entity if len(sa.inspect(entity).primary_key) == 1 else None


def sort_clause(columns: dict[str, Any], requested: str | None, default: str, *, unindexed: bool = False):
    """An ORDER BY from an allow-list: ``name`` or ``-name`` (descending). ``unindexed``:
    an order SQLite will not take from an index (``core.db.unindexed``), for a query whose
    few rows are best found through its filters' indexes and then sorted."""
    from core.db import unindexed as no_index

    key = requested if requested and requested.lstrip("-") in columns else default
    column = columns[key.lstrip("-")]
    if unindexed:
        column = no_index(column)
    order = column.desc() if key.startswith("-") else column.asc()
    return key, order


def url_pattern(endpoint: str, arg: str, **values: Any) -> Callable[[int], str]:
    """``url_for(endpoint, **{arg: id})`` for many ids at the cost of one: a board of 200
    cards built 400 URLs through the routing map (7 ms of a 35 ms page). In templates:
    ``{% set card_url = url_pattern('crm.show_opportunity', 'opp_id') %}`` ...
    ``{{ card_url(opp.id) }}``. Integer ids only (``int()`` is applied)."""
    from flask import url_for

    url = url_for(endpoint, **values, **{arg: MAX_ID})
    head, _sep, tail = url.rpartition(str(MAX_ID))
    return lambda value: f"{head}{int(value)}{tail}"


def template_url_for(endpoint: str, **values: Any) -> str:
    """Flask's ``url_for`` for templates, each URL built once per application, root path,
    endpoint and arguments. A list page asks for about 30 (navigation, sort links, pages,
    filters), the same on every request, and the routing map took 10-15 µs for each.

    Built as usual (and not kept) for a relative endpoint (``.name``), underscore options
    (``_external``, ``_anchor``...), unhashable values (a list for a repeated argument),
    or an application with ``url_defaults`` functions, whose values may vary by request."""
    from flask import url_for
    from flask.globals import _cv_request  # the request context without its proxies' lookups

    ctx = _cv_request.get(None)
    if ctx is None or endpoint[:1] == "." or any(name[:1] == "_" for name in values) or any(
            ctx.app.url_default_functions.values()):
        return url_for(endpoint, **values)
    app = ctx.app
    key = (ctx.request.script_root, endpoint, *((k, v.__class__, v) for k, v in values.items()))
    try:
        cache = app.extensions["comptoir.urls"]
    except KeyError:
        cache = app.extensions["comptoir.urls"] = {}
    try:
        return cache[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value
        return url_for(endpoint, **values)
    url = url_for(endpoint, **values)
    if len(cache) >= URL_CACHE_SIZE:  # many distinct searches' sort links: start again
        cache.clear()
    cache[key] = url
    return url


URL_CACHE_SIZE = 20_000


_ARROWS = {"up": Markup(' <i class="bi bi-caret-up-fill small"></i>'),
           "down": Markup(' <i class="bi bi-caret-down-fill small"></i>')}


def sort_link(key: str, label: str, current: str | None, args: dict) -> Markup:
    """A list's sortable column header (template global): a link to the same list sorted
    by ``key``, or by ``-key`` when it is sorted by ``key`` already, with an arrow on the
    current sort. ``args``: the list's other query arguments (its filters). A Jinja macro,
    as it was, cost 15 µs a header."""
    target = f"-{key}" if current == key else key
    url = template_url_for(request.endpoint, **{**args, "sort": target})
    arrow = _ARROWS["up"] if current == key else _ARROWS["down"] if current == f"-{key}" else ""
    # Escaped parts in an f-string: Markup.format goes through string.Formatter, 3 µs a call.
    return Markup(f'<a class="text-decoration-none text-reset" href="{escape(url)}">{escape(label)}{arrow}</a>')  # noqa: S704  # nosec B704


def pagination(page: Page, args: dict) -> Markup:
    """A list's page count with its Previous and Next links (template global), or its
    number of records when it fits on one page. ``args``: the list's query arguments."""
    from core.i18n import current_translations, fmt_number

    translations = current_translations()
    if page.total == 0 and page.page <= 1:
        return Markup("")  # the list's own empty state says it ("No lead yet.")
    if page.pages <= 1:
        text = translations.ungettext("%(num)s record", "%(num)s records", page.total) % {"num": page.total}
        return Markup('<div class="text-muted small mt-2">{}</div>').format(text)
    numbers = {"page": fmt_number(page.page), "pages": fmt_number(page.pages), "total": fmt_number(page.total)}
    if page.more:
        text = translations.ugettext("Page %(page)s of more than %(pages)s · more than %(total)s records")
    else:
        text = translations.ugettext("Page %(page)s of %(pages)s · %(total)s records")
    endpoint = request.endpoint
    previous = escape(template_url_for(endpoint, **{**args, "page": page.page - 1}))
    following = escape(template_url_for(endpoint, **{**args, "page": page.page + 1}))
    # Translated outside the f-string: Babel's extractor does not look inside one (Python 3.11).
    label = escape(translations.ugettext("Pages"))
    back, forward = escape(translations.ugettext("Previous")), escape(translations.ugettext("Next"))
    return Markup(  # noqa: S704  # nosec B704 - every part escaped
        f'<nav aria-label="{label}" class="d-flex justify-content-between '
        f'align-items-center flex-wrap gap-2 mt-2"><span class="text-muted small" id="page-count">'
        f'{escape(text % numbers)}</span><ul class="pagination pagination-sm mb-0">'
        f'<li class="page-item{"" if page.has_prev else " disabled"}"><a class="page-link" href="{previous}">'
        f'{back}</a></li>'
        f'<li class="page-item{"" if page.has_next else " disabled"}"><a class="page-link" href="{following}">'
        f'{forward}</a></li></ul></nav>')


def select_options(choices, selected) -> Markup:
    """``<option>`` elements for ``(value, label)`` pairs (rows of two columns do), the one
    whose value reads as ``selected`` (compared as text, as a query argument is) marked
    selected. A template global: a filter bar's 20 salespeople cost 60 µs as a Jinja loop."""
    selected = "" if selected is None else str(selected)
    parts = []
    for value, label in choices:
        value = "" if value is None else str(value)
        mark = " selected" if value == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every part escaped


def assignee_arg(value: str | None, user) -> int | str | None:
    """A list's salesperson filter from its query string: "me" is the user's id, "none"
    (unassigned) stays "none", a user id is that id; anything else is no filter (None)."""
    if value == "me":
        return user.id
    if value == "none":
        return "none"
    return int_or_none(value)


def int_or_none(value) -> int | None:
    """A positive id-sized integer (at most ``core.validation.MAX_ID``) from a form or
    query value, else None: page-side filters parsed from ``request.args`` use it."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
