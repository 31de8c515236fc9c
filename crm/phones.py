"""One key per phone number, so the same guest typed two ways is one contact.

A venue's host writes a walk-in's number as the guest says it: "0812-3845-2210" at the door,
"+62 812 3845 2210" on the next visit. Both are the same number once read in the venue's
country (its city's ``country_code``) and written in E.164.
"""

from __future__ import annotations

import phonenumbers

# E.164 allows at most 15 digits; fewer than 6 is an extension or a typo, not a number.
MIN_DIGITS, MAX_DIGITS = 6, 15


def phone_key(raw: str, *, region: str) -> str:
    """The number in E.164 (``+6281238452210``), or "" when it cannot be a phone number.

    ``region`` is the ISO country code used for numbers written without their country
    code (the venue's country); a number written with ``+`` keeps its own country. A
    number that cannot be read in any country (no region known) falls back to its digits,
    so it still matches itself written with other spaces or dashes.
    """
    raw = (raw or "").strip()
    if not raw or len(raw) > 40:
        return ""
    digits = "".join(ch for ch in raw if ch.isdigit())
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return digits if MIN_DIGITS <= len(digits) <= MAX_DIGITS else ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
