"""How the back office writes an amount of money: ``IDR 1,250,000``, ``USD 12.50``.

Ledgers store integer minor units (cents: ``amount_cents``); a few older fields store a
decimal amount in major units (a booking's deposit, a deal's value). Both go through
this one formatter so every list column, read-only field and inline agrees: the
currency code first, thousands separated by commas, and no decimals for currencies
whose smallest coin nobody uses (the rupiah's sen has not circulated for decades).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Shown without decimals. Their minor unit is still stored (cents) so that the ledgers
# keep one integer rule for every currency; the display rounds to the whole unit.
WHOLE_UNIT_CURRENCIES = frozenset({"IDR", "JPY", "KRW", "VND", "CLP", "ISK", "HUF"})
MINOR_UNITS_PER_MAJOR = 100


def money_from_minor(amount: int | None, currency: str = "IDR", *, signed: bool = False) -> str:
    """``money_from_minor(125_000_000, "IDR")`` → ``"IDR 1,250,000"`` (the amount is in cents)."""
    if amount is None:
        return ""
    return money(Decimal(int(amount)) / MINOR_UNITS_PER_MAJOR, currency, signed=signed)


def money(amount: Decimal | int | float | str | None, currency: str = "IDR", *, signed: bool = False) -> str:
    """``money(Decimal("1250000"), "IDR")`` → ``"IDR 1,250,000"``; ``money(12.5, "usd")`` → ``"USD 12.50"``.

    ``signed`` puts a ``+`` before credits as well as the ``-`` before debits (ledger columns).
    """
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return ""
    code = (currency or "").strip().upper()
    places = Decimal("1") if code in WHOLE_UNIT_CURRENCIES else Decimal("0.01")
    value = value.quantize(places, rounding=ROUND_HALF_UP)
    digits = f"{abs(value):,.0f}" if places == 1 else f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    return f"{code} {sign}{digits}".strip()
