"""Order amounts: exact decimals, half-up rounding per line, totals are the sums of the lines."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ValidationError
from modules.sales import services
from modules.sales.models import SaleOrder

quantities = st.integers(min_value=1, max_value=10_000_000)  # thousandths: 0.001 .. 10,000
prices = st.integers(min_value=0, max_value=100_000_00)  # cents: 0 .. 100,000.00
percents = st.integers(min_value=0, max_value=100_00)  # hundredths: 0 .. 100.00
lines_st = st.lists(st.tuples(quantities, prices, percents, percents), min_size=0, max_size=12)


def half_up(numerator: int, denominator: int) -> int:
    """Round a non-negative fraction to the nearest integer, halves up (integer arithmetic)."""
    return (2 * numerator + denominator) // (2 * denominator)


def oracle(q_milli, p_cents, d_bp, t_bp):
    untaxed = half_up(q_milli * p_cents * (10_000 - d_bp), 1000 * 10_000)
    tax = half_up(untaxed * t_bp, 10_000)
    return untaxed, tax


def to_values(q, p, d, t):
    return {"quantity": Decimal(q).scaleb(-3), "unit_price": Decimal(p).scaleb(-2),
            "discount_percent": Decimal(d).scaleb(-2), "tax_percent": Decimal(t).scaleb(-2),
            "description": "x"}


@given(lines_st)
def test_totals_are_sums_of_rounded_lines(lines):
    order = SaleOrder()
    order.lines = [services.build_line(to_values(*line)) for line in lines]
    services.recompute(order)
    expected = [oracle(*line) for line in lines]
    for built, (untaxed, tax) in zip(order.lines, expected, strict=True):
        assert built.amount_untaxed == Decimal(untaxed).scaleb(-2)
        assert built.amount_tax == Decimal(tax).scaleb(-2)
    assert order.amount_untaxed == Decimal(sum(u for u, _ in expected)).scaleb(-2)
    assert order.amount_tax == Decimal(sum(t for _, t in expected)).scaleb(-2)
    assert order.amount_total == order.amount_untaxed + order.amount_tax
    assert order.amount_total >= 0 and order.amount_tax >= 0
    assert order.amount_total.as_tuple().exponent == -2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(quantities, prices, percents, percents), min_size=1, max_size=5))
def test_stored_amounts_match(app, sales, lines):
    """Through the database and the API: what is stored and shown is what was computed."""
    order = services.create_order({}, [to_values(*line) for line in lines], by=sales)
    from core.db import db

    db.session.expire_all()
    order = db.session.get(SaleOrder, order.id)
    untaxed = sum(oracle(*line)[0] for line in lines)
    tax = sum(oracle(*line)[1] for line in lines)
    assert order.amount_untaxed == Decimal(untaxed).scaleb(-2)
    assert order.amount_total == Decimal(untaxed + tax).scaleb(-2)
    assert sum(line.amount_untaxed for line in order.lines) == order.amount_untaxed


@pytest.mark.parametrize(("values", "untaxed", "tax"), [
    ({"quantity": "1", "unit_price": "0.005", "tax_percent": "0"}, "0.01", "0.00"),  # price rounded half up
    ({"quantity": "3", "unit_price": "0.35", "discount_percent": "50", "tax_percent": "10"}, "0.53", "0.05"),
    ({"quantity": "0.001", "unit_price": "4.99"}, "0.00", "0.00"),
    ({"quantity": "2.5", "unit_price": "19.99", "discount_percent": "10", "tax_percent": "20"}, "44.98", "9.00"),
    ({"quantity": "1", "unit_price": "10", "discount_percent": "100", "tax_percent": "20"}, "0.00", "0.00"),
])
def test_known_roundings(values, untaxed, tax):
    line = services.build_line({"description": "x", **values})
    assert (line.amount_untaxed, line.amount_tax) == (Decimal(untaxed), Decimal(tax))


@pytest.mark.parametrize(("values", "field"), [
    ({"quantity": "0", "unit_price": "1"}, "quantity"),
    ({"quantity": "-2", "unit_price": "1"}, "quantity"),
    ({"quantity": "1", "unit_price": "-1"}, "unit_price"),
    ({"quantity": "1", "unit_price": "1", "discount_percent": "101"}, "discount_percent"),
    ({"quantity": "1", "unit_price": "1", "discount_percent": "-1"}, "discount_percent"),
    ({"quantity": "1", "unit_price": "1", "tax_percent": "250"}, "tax_percent"),
    ({"quantity": "NaN", "unit_price": "1"}, "quantity"),
    ({"quantity": "1e30", "unit_price": "1"}, "quantity"),
    ({"quantity": "abc", "unit_price": "1"}, "quantity"),
    ({"quantity": "1"}, "unit_price"),
    ({"quantity": "1", "unit_price": "1", "description": ""}, "description"),
])
def test_bad_lines(app, values, field):
    values = {"description": "x", **values}
    with pytest.raises(ValidationError) as exc:
        services.build_line(values)
    assert field in exc.value.errors
