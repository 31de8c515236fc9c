"""One way to write money in the back office: currency code, thousands separators, no
decimals for the rupiah."""

from decimal import Decimal

import pytest

from agnt.money import money, money_from_minor


@pytest.mark.parametrize(
    ("cents", "currency", "signed", "text"),
    [
        (125_000_000, "IDR", False, "IDR 1,250,000"),
        (125_000_049, "IDR", False, "IDR 1,250,000"),
        (125_000_050, "IDR", False, "IDR 1,250,001"),  # half a rupiah rounds up
        (-2_500_000, "IDR", True, "IDR -25,000"),
        (2_500_000, "idr", True, "IDR +25,000"),
        (1_250, "USD", False, "USD 12.50"),
        (123_456_789, "EUR", False, "EUR 1,234,567.89"),
        (0, "IDR", True, "IDR 0"),
        (None, "IDR", False, ""),
    ],
)
def test_amounts_stored_in_minor_units_are_written_with_separators(cents, currency, signed, text):
    assert money_from_minor(cents, currency, signed=signed) == text


def test_decimal_amounts_in_major_units_use_the_same_rules():
    assert money(Decimal("1250000.00"), "IDR") == "IDR 1,250,000"
    assert money(Decimal("9.5"), "USD") == "USD 9.50"
    assert money("not a number", "IDR") == ""
    assert money(None) == ""
