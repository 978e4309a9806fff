"""Financial analytics (pure): the dashboard's figures from the ledger's donation and refund entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.donations.models.wallet.ledger import DONATED

GRANULARITIES = ("day", "week", "month")


def bucket(ts: datetime, granularity: str) -> str:
    if granularity == "month":
        return f"{ts.year:04d}-{ts.month:02d}"
    if granularity == "week":
        year, week, _ = ts.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return ts.date().isoformat()


def missing_sources(entries: list[dict]) -> list[str]:
    """The donations whose entries do not carry their source (entries written before the ledger recorded it)."""
    return [(e.get("meta") or {}).get("donation_id") for e in entries if not (e.get("meta") or {}).get("source")]


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
    trend: dict = field(default_factory=dict)  # period -> point


def tally(entries: list[dict], *, sources: dict[str, str], granularity: str) -> Tally:
    """`sources`: {donation_id: source} for the entries whose meta does not say."""
    t = Tally()
    for e in entries:
        meta = e.get("meta") or {}
        net = -e["amount_cents"]  # donation debits are negative, refunds positive
        onlus_id = meta.get("onlus_id") or "unknown"
        category = meta.get("onlus_category") or "unknown"
        source = meta.get("source") or sources.get(meta.get("donation_id")) or "wallet"
        is_donation = e["type"] == DONATED
        point = t.trend.setdefault(
            bucket(e["created_at"], granularity),
            {"donated_cents": 0, "refunded_cents": 0, "net_cents": 0, "count": 0, "donors": set()},
        )
        point["net_cents"] += net
        if is_donation:
            t.donated += net
            t.donation_count += 1
            t.largest = max(t.largest, net)
            point["donated_cents"] += net
            point["count"] += 1
            point["donors"].add(e["user_id"])
        else:
            t.refunded += -net
            t.refund_count += 1
            point["refunded_cents"] += -net
        t.donors[e["user_id"]] += net
        for table, k in ((t.by_onlus, onlus_id), (t.by_category, category), (t.by_source, source)):
            table[k][0] += net
            table[k][1] += 1 if is_donation else -1
    t.donor_ids = sorted({e["user_id"] for e in entries if e["type"] == DONATED})
    return t


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
        "trend": [
            {"period": p, **{k: v for k, v in point.items() if k != "donors"}, "donors": len(point["donors"])}
            for p, point in sorted(t.trend.items())
        ],
        "wallets": wallets,
        "held": held,
        "card_payments": {
            "count": card_payments["count"],
            "amount_cents": card_payments["cents"],
            "intents_by_status": intents_by_status,
        },
        "generated_at": generated_at,
    }
