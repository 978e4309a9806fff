"""Donation rules (pure): statuses, receipt numbers, auto-donation splits."""

from __future__ import annotations

MIN_DONATION_CENTS = 50
COMPLETED, REFUNDED = "completed", "refunded"
HELD, REJECTED = "held", "rejected"  # held for compliance review; rejected by an admin (money returned)
STATUSES = (COMPLETED, REFUNDED, HELD, REJECTED)
SOURCES = ("wallet", "auto", "card", "batch")


def receipt_number(year: int, seq: int) -> str:
    return f"GP-{year}-{seq:06d}"


def auto_donation_amounts(
    balance_cents: int, percentage: int, allocations: list[dict], *, minimum: int = MIN_DONATION_CENTS
) -> list[tuple[str, int]]:
    """[(onlus_id, cents)] for `percentage` of the balance split by share, rounded down.

    The rounding remainder goes to the first allocation; parts under the minimum donation are dropped.
    """
    if balance_cents <= 0 or not allocations or percentage <= 0:
        return []
    pot = balance_cents * min(int(percentage), 100) // 100
    parts = [(a["onlus_id"], pot * int(a["share"]) // 100) for a in allocations if int(a.get("share", 0)) > 0]
    if not parts:
        return []
    remainder = pot - sum(c for _, c in parts)
    first_id, first_cents = parts[0]
    parts[0] = (first_id, first_cents + remainder)
    return [(oid, cents) for oid, cents in parts if cents >= minimum]
