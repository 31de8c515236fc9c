"""Money on printed documents: ``{{ amount|money:"IDR" }}`` → ``IDR 1,250,000.00``."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    text = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    return f"{currency} {sign}{text}".strip()
