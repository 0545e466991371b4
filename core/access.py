"""The permission service: the one place that says who may see and do what.

* :func:`visible` adds to a query the filter of what a user may see, so lists, counts
  and dashboards stay in SQL;
* :func:`require` raises 404 for a record the user may not see (never revealing that it
  exists) and 403 for one they may see but not act on;
* :func:`get_or_404` loads a record by id through both.

Modules describe their models with :class:`AccessRule` through the
``register_access_rules`` hook. Views, API, exports and feeds never test roles themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from werkzeug.exceptions import Forbidden, NotFound

from core.db import db
from core.validation import MAX_ID


@dataclass
class AccessRule:
    model: type
    #: SQL condition of the rows ``user`` may see, or None for all of them.
    condition: Callable[[Any], Any] | None = None
    #: the same in Python, for a loaded record.
    sees: Callable[[Any, Any], bool] | None = None
    #: may ``user`` do ``action`` on ``record`` (or on the model when record is None)?
    can: Callable[[Any, str, Any], bool] | None = None
    #: ``condition`` said on the model's running totals (``core.tally``): the tally rows
    #: counting exactly the rows ``user`` sees. None: the totals cannot tell, and counts for
    #: users the rule restricts are made on the table itself.
    tallied: Callable[[Any], Any] | None = None


def _rules() -> dict[type, AccessRule]:
    from flask import current_app

    from core.plugins import call_each, flatten

    registry = current_app.extensions["comptoir"]
    registry._check_plugins()
    rules = registry.cache.get("access_rules")
    if rules is None:
        rules = {rule.model: rule
                 for _module, rule in flatten(call_each("register_access_rules", safe=False))}
        registry.cache["access_rules"] = rules
    return rules


def rule_for(model: type) -> AccessRule:
    try:
        return _rules()[model]
    except KeyError:
        raise LookupError(f"no access rule for {model.__name__}") from None


def visible(stmt: sa.Select, model: type, user) -> sa.Select:
    """``stmt`` restricted to the rows of ``model`` that ``user`` may see."""
    if user is None or not user.is_authenticated:
        return stmt.where(sa.false())
    if user.is_admin:
        return stmt
    rule = rule_for(model)
    if rule.condition is None:
        return stmt
    return stmt.where(rule.condition(user))


def restricts(model: type, user) -> bool:
    """Does ``visible`` filter the rows of ``model`` for ``user``? False when they see
    every row (an admin, a rule without condition, a condition that is ``sa.true()``): a
    query may then be shaped for the whole table."""
    if user is None or not user.is_authenticated:
        return True
    if user.is_admin:
        return False
    rule = rule_for(model)
    return rule.condition is not None and not isinstance(rule.condition(user), sa.sql.elements.True_)


def tallied(model: type, user):
    """The condition on ``model``'s tally giving what ``user`` sees (``sa.true()`` for who
    sees every row), or None when only the table can tell."""
    if not restricts(model, user):
        return sa.true()
    rule = rule_for(model)
    return None if rule.tallied is None else rule.tallied(user)


def sees(user, record) -> bool:
    if record is None or user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    rule = rule_for(type(record))
    return True if rule.sees is None else bool(rule.sees(user, record))


def can(user, action: str, record=None, model: type | None = None) -> bool:
    """May ``user`` do ``action`` on ``record`` (which they can see)?"""
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if record is not None and not sees(user, record):
        return False
    rule = rule_for(model or type(record))
    if rule.can is None:
        return action == "read"
    return bool(rule.can(user, action, record))


def require(user, action: str, record) -> None:
    if not sees(user, record):
        raise NotFound()
    if action != "read" and not can(user, action, record):
        raise Forbidden()


def require_model(user, action: str, model: type) -> None:
    """For actions without a record yet (create)."""
    if not can(user, action, None, model=model):
        raise Forbidden()


def id_in_range(model: type, record_id: int) -> bool:
    """Could ``record_id`` be a key of ``model``? An id beyond the column's integer range is
    a 404, not a database error (PostgreSQL refuses 2**31 for an INTEGER: a 500)."""
    column_type = sa.inspect(model).primary_key[0].type
    limit = 2**63 - 1 if isinstance(column_type, sa.BigInteger) else MAX_ID
    return 0 < record_id <= limit


def get_or_404(model: type, record_id: Any, user, action: str = "read", *, options=()):
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not id_in_range(model, record_id):
        raise NotFound()
    record = db.session.get(model, record_id, options=list(options))
    if record is None:
        raise NotFound()
    require(user, action, record)
    return record
