"""Money: integer cents everywhere inside, euros (a number with at most two decimals) on the wire.

The conversion happens at the edge (app.core.api.Money in schemas); these two helpers are the only
arithmetic between the units.
"""

from __future__ import annotations

from decimal import Decimal


def cents_to_euros(cents: int) -> float:
    return float(Decimal(int(cents)) / 100)


def euros_to_cents(euros: int) -> int:
    """Whole euros (catalog thresholds such as 'EUR 10') as cents."""
    return int(euros) * 100
