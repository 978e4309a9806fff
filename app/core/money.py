"""Money: integer cents everywhere inside, euros (a number with at most two decimals) on the wire.

The conversion happens at the edge (app.core.api.Money in schemas); cents_to_euros, euros_to_cents and threshold
are the only arithmetic between the units.
"""

from __future__ import annotations

from decimal import Decimal


def cents_to_euros(cents: int) -> float:
    return float(Decimal(int(cents)) / 100)


def euros_text(cents: int) -> str:
    """An amount as people read it in receipts and mail: `EUR 1,234.50`."""
    return f"EUR {cents_to_euros(cents):,.2f}"


def threshold(value: float, *, money: bool) -> int | None:
    """A threshold sent on the wire, as stored: euros (at most 2 decimals) as cents when `money`, else a whole
    count; None when it is not one (or not above zero). THRESHOLD_RULE says what it must be."""
    if money:
        cents = Decimal(str(value)) * 100
        return int(cents) if cents > 0 and cents == cents.to_integral_value() else None
    return int(value) if value > 0 and value == int(value) else None


THRESHOLD_RULE = {True: "Euros above zero, at most 2 decimals.", False: "A whole number above zero."}


def euros_to_cents(euros: int) -> int:
    """Whole euros (catalog thresholds such as 'EUR 10') as cents."""
    return int(euros) * 100
