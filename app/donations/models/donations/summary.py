"""Donation summaries (pure), from the ledger's `donated` and `refund` entries: net of refunds."""

from __future__ import annotations

from collections import defaultdict

from app.donations.models.wallet.ledger import DONATED, REFUND


def user_summary(entries: list[dict]) -> dict:
    """A donor's totals from all their entries."""
    net_by_onlus: dict[str, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    total = 0
    count = 0
    firsts = []
    for e in entries:
        meta = e.get("meta") or {}
        cents = -e["amount_cents"]
        total += cents
        net_by_onlus[meta.get("onlus_id")] += cents
        categories[meta.get("onlus_category")] += cents
        if e["type"] == DONATED:
            count += 1
            firsts.append(e["created_at"])
    refunded = sum(1 for e in entries if e["type"] == REFUND)
    return {
        "total_donated_cents": total,
        "donation_count": count - refunded,
        "onlus_ids": sorted(k for k, v in net_by_onlus.items() if k and v > 0),
        "categories": sorted(k for k, v in categories.items() if k and v > 0),
        "first_donation_at": min(firsts) if firsts else None,
        "last_donation_at": max(firsts) if firsts else None,
    }
