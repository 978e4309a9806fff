"""Money: integer cents everywhere inside, euros (a number with at most two decimals) on the wire.

The conversion happens at the edge (app.core.api.Money in schemas); cents_to_euros and euros_to_cents are the only
arithmetic between the units.
"""

from __future__ import annotations

from decimal import Decimal


def cents_to_euros(cents: int) -> float:
    return float(Decimal(int(cents)) / 100)


def euros_text(cents: int) -> str:
    """An amount as people read it in receipts and mail: `EUR 1,234.50`."""
    return f"EUR {cents_to_euros(cents):,.2f}"


def euros_to_cents(euros: int) -> int:
    """Whole euros (catalog thresholds such as 'EUR 10') as cents."""
    return int(euros) * 100
