"""The shared field checks: the email fast path agrees with email_validator, control
characters are refused, phones are normalized to E.164."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.validation import _email, _no_control, _simple_email, normalize_phone

ATOM = "abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-"
LABEL = "abzAZ09-"
local_parts = st.lists(st.text(ATOM, min_size=1, max_size=12), min_size=1, max_size=4).map(".".join)
labels = st.text(LABEL, min_size=1, max_size=12)
domains = st.builds(lambda parts, tld: ".".join([*parts, tld]),
                    st.lists(labels, min_size=1, max_size=3),
                    st.sampled_from(["fr", "COM", "example", "test", "local", "io", "x", "c0m", "Org"]))
near_emails = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains),
    st.text("aA0.@-_+é\"[] :", max_size=30),  # anything around the shape
)


def reference(value: str) -> str | None:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=600, deadline=None)
@given(near_emails)
@example("Jean.Dupont@Example.COM")
@example("a" * 65 + "@example.com")
@example("x@" + "a" * 64 + ".com")
@example("x@-a.com")
@example("x@a-.com")
@example("x..y@a.com")
@example("x@a.test")
@example("x@sub.localhost")
def test_fast_email_path_agrees_with_email_validator(value):
    """Whatever the fast path accepts, email_validator accepts with the same normal form;
    what it does not take goes to email_validator, so the result is the reference's."""
    simple = _simple_email(value)
    if simple is not None:
        assert simple == reference(value)
    try:
        ours = _email(value)
    except ValueError:
        ours = None
    assert ours == reference(value)


def test_common_addresses_take_the_fast_path():
    assert _simple_email("Jean.Dupont@Example.COM") == "Jean.Dupont@example.com"
    assert _simple_email("o'brien+crm@mail.example.co.uk") == "o'brien+crm@mail.example.co.uk"
    assert _simple_email("élodie@example.fr") is None  # Unicode: email_validator decides
    assert _email("élodie@example.fr") == "élodie@example.fr"
    with pytest.raises(ValueError, match="special-use"):
        _email("someone@intranet.local")


@pytest.mark.parametrize("value, ok", [("tab\there", True), ("lines\r\nhere", True), ("nul\x00", False),
                                        ("bell\x07", False), ("esc\x1b", False), ("unit\x1f", False),
                                        ("del\x7f", True), ("é ü", True)])
def test_control_characters(value, ok):
    if ok:
        assert _no_control(value) == value
    else:
        with pytest.raises(ValueError):
            _no_control(value)


def test_phone_normalization(app):
    with app.app_context():
        assert normalize_phone("01 23 45 67 89") == "+33123456789"
        assert normalize_phone("+1 (415) 555-0100") == "+14155550100"
        assert normalize_phone("12") is None and normalize_phone("") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("me", "ME"), ("none", "none"), ("7", 7), ("", None), (None, None), ("0", None), ("-3", None),
    ("abc", None), ("²", None), (str(2**31), None), (str(2**31 - 1), 2**31 - 1)])
def test_assignee_arg(value, expected):
    """The lists' salesperson filter (leads, opportunities, dashboard, partners, orders)."""
    from types import SimpleNamespace

    from core.web import assignee_arg

    me = SimpleNamespace(id=42)
    assert assignee_arg(value, me) == (42 if expected == "ME" else expected)
