"""Financial analytics (pure): the dashboard's figures from the ledger's donation and refund entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

GRANULARITIES = ("day", "week", "month")


@dataclass
class Tally:
    """The ledger's donation and refund entries of a period, added up."""

    donated: int = 0
    refunded: int = 0
    donation_count: int = 0
    refund_count: int = 0
    largest: int = 0
    donor_ids: list = field(default_factory=list)  # who donated in the period (sorted)
    donors: dict = field(default_factory=lambda: defaultdict(int))  # user -> net cents
    by_onlus: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # key -> [net cents, count]
    by_category: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_source: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    trend: dict = field(default_factory=dict)  # period -> {donated, refunded and net cents, count, donors: how many}


def named_onlus(t: Tally) -> list[str]:
    """The ONLUS ids whose names the dashboard shows."""
    return [k for k in t.by_onlus if k != "unknown"]


def dashboard(
    t: Tally,
    *,
    start: datetime,
    end: datetime,
    granularity: str,
    onlus_names: dict[str, str | None],
    earlier_donors: set[str],
    wallets: dict,
    held: dict,
    card_payments: dict,
    intents_by_status: dict[str, int],
    generated_at: datetime,
) -> dict:
    def rows(table: dict, with_names: bool = False) -> list[dict]:
        out = [
            {"key": k, "name": onlus_names.get(k) if with_names else None, "amount_cents": v[0], "count": v[1]}
            for k, v in table.items()
        ]
        return sorted(out, key=lambda r: (-r["amount_cents"], r["key"]))

    return {
        "from": start,
        "to": end,
        "to_inclusive": (end - timedelta(days=1)).date(),
        "granularity": granularity,
        "totals": {
            "donated_cents": t.donated,
            "refunded_cents": t.refunded,
            "net_cents": t.donated - t.refunded,
            "donation_count": t.donation_count,
            "refund_count": t.refund_count,
            "donors": len(t.donor_ids),
            "new_donors": len([u for u in t.donor_ids if u not in earlier_donors]),
            "average_cents": t.donated // t.donation_count if t.donation_count else 0,
            "average_per_donor_cents": t.donated // len(t.donor_ids) if t.donor_ids else 0,
            "largest_cents": t.largest,
        },
        "by_onlus": rows(t.by_onlus, with_names=True),
        "by_category": rows(t.by_category),
        "by_source": rows(t.by_source),
        "top_donors": sorted(
            ({"key": u, "name": None, "amount_cents": c, "count": 0} for u, c in t.donors.items() if c > 0),
            key=lambda r: -r["amount_cents"],
        )[:10],
        "trend": [{"period": p, **point} for p, point in sorted(t.trend.items())],
        "wallets": wallets,
        "held": held,
        "card_payments": {
            "count": card_payments["count"],
            "amount_cents": card_payments["cents"],
            "intents_by_status": intents_by_status,
        },
        "generated_at": generated_at,
    }
