"""Quote numbers: one per finalized quote, from the year's sequence, never repeated."""

import re

from core.db import db, utcnow
from modules.sales import services
from modules.sales.models import SaleOrder


def test_unique_numbers_when_finalizing_many(make_order, sales, sales2):
    orders = [make_order(sales if i % 2 else sales2) for i in range(40)]
    numbers = []
    for order in orders:
        services.finalize(order, by=db.session.get(type(sales), order.assigned_to))
        numbers.append(order.number)
    year = utcnow().year
    assert len(set(numbers)) == 40
    assert all(re.fullmatch(rf"Q{year}-\d{{5}}", n) for n in numbers)
    assert numbers == sorted(numbers)
    # a cancelled draft never consumed a number; the next one continues the sequence
    cancelled = make_order(sales)
    services.cancel(cancelled, by=sales)
    assert cancelled.number is None
    last = make_order(sales)
    services.finalize(last, by=sales)
    assert int(last.number[-5:]) == int(numbers[-1][-5:]) + 1


def test_a_failed_finalization_takes_no_number(make_order, sales):
    import pytest

    from core.errors import ValidationError

    empty = make_order(sales, lines=[])
    with pytest.raises(ValidationError):
        services.finalize(empty, by=sales)
    db.session.expire_all()
    assert db.session.get(SaleOrder, empty.id).number is None
