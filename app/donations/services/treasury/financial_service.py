"""Financial analytics for admins, computed FROM THE LEDGER (so its numbers agree with
`donations.period_summary` and the wallets): totals and counts by period, ONLUS, category and source,
donors, averages and a trend. Cached in the shared cache under a generation number that the
DonationComplete / DonationRefunded handlers bump, so a new donation or refund is visible at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.donations.models.wallet.ledger import CARD_PAYMENT, DONATED, REFUND

GENERATION_KEY = "donations:financial:generation"
CACHE_SECONDS = 900  # the seed's 15 minutes; invalidation makes freshness independent of it


def bucket(ts: datetime, granularity: str) -> str:
    if granularity == "month":
        return f"{ts.year:04d}-{ts.month:02d}"
    if granularity == "week":
        year, week, _ = ts.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return ts.date().isoformat()


class FinancialAnalyticsService:
    def __init__(self, *, db, onlus, cache=None, clock: Callable[[], datetime] = utcnow):
        self.db = db
        self.ledger = db["transactions"]
        self.onlus = onlus
        self.cache = cache
        self.clock = clock

    # -- cache ---------------------------------------------------------------------------
    def _generation(self) -> int:
        if self.cache is None:
            return 0
        return int(self.cache.get(GENERATION_KEY) or 0)

    def invalidate(self, _event=None) -> None:
        """Hook handler (DonationComplete, DonationRefunded): every cached dashboard becomes stale."""
        if self.cache is None:
            return
        try:
            value = self.cache.inc(GENERATION_KEY)
        except Exception:  # noqa: BLE001 - some backends do not support inc
            value = None
        if value is None:
            self.cache.set(GENERATION_KEY, self._generation() + 1, timeout=0)

    def dashboard(self, start: datetime, end: datetime, *, granularity: str = "day", refresh: bool = False) -> dict:
        key = f"donations:financial:{self._generation()}:{start.isoformat()}:{end.isoformat()}:{granularity}"
        if self.cache is not None and not refresh:
            cached = self.cache.get(key)
            if cached is not None:
                return {**cached, "cached": True}
        data = self._compute(start, end, granularity)
        if self.cache is not None:
            self.cache.set(key, data, timeout=CACHE_SECONDS)
        return {**data, "cached": False}

    # -- the numbers -----------------------------------------------------------------------
    def _compute(self, start: datetime, end: datetime, granularity: str) -> dict:
        entries = list(
            self.ledger.find(
                {"type": {"$in": [DONATED, REFUND]}, "created_at": {"$gte": start, "$lt": end}},
                {"user_id": 1, "type": 1, "amount_cents": 1, "meta": 1, "created_at": 1},
            )
        )
        sources = self._sources([e for e in entries if not (e.get("meta") or {}).get("source")])
        donated = refunded = donation_count = refund_count = largest = 0
        donors: dict[str, int] = defaultdict(int)
        by_onlus: dict[str, list] = defaultdict(lambda: [0, 0])
        by_category: dict[str, list] = defaultdict(lambda: [0, 0])
        by_source: dict[str, list] = defaultdict(lambda: [0, 0])
        trend: dict[str, dict] = {}
        for e in entries:
            meta = e.get("meta") or {}
            net = -e["amount_cents"]  # donation debits are negative, refunds positive
            onlus_id = meta.get("onlus_id") or "unknown"
            category = meta.get("onlus_category") or "unknown"
            source = meta.get("source") or sources.get(meta.get("donation_id")) or "wallet"
            is_donation = e["type"] == DONATED
            point = trend.setdefault(
                bucket(e["created_at"], granularity),
                {"donated_cents": 0, "refunded_cents": 0, "net_cents": 0, "count": 0, "donors": set()},
            )
            point["net_cents"] += net
            if is_donation:
                donated += net
                donation_count += 1
                largest = max(largest, net)
                point["donated_cents"] += net
                point["count"] += 1
                point["donors"].add(e["user_id"])
            else:
                refunded += -net
                refund_count += 1
                point["refunded_cents"] += -net
            donors[e["user_id"]] += net
            for table, k in ((by_onlus, onlus_id), (by_category, category), (by_source, source)):
                table[k][0] += net
                table[k][1] += 1 if is_donation else -1
        names = {k: v.get("name") for k, v in self.onlus.many([k for k in by_onlus if k != "unknown"]).items()}
        donor_ids = sorted({e["user_id"] for e in entries if e["type"] == DONATED})
        earlier = set(self.ledger.distinct("user_id", {"type": DONATED, "created_at": {"$lt": start}}))
        net_total = donated - refunded
        wallets = list(
            self.db["wallets"].aggregate(
                [
                    {
                        "$group": {
                            "_id": None,
                            "balance": {"$sum": "$balance_cents"},
                            "held": {"$sum": {"$ifNull": ["$held_cents", 0]}},
                            "count": {"$sum": 1},
                        }
                    }
                ]
            )
        )
        held = list(
            self.db["donations"].aggregate(
                [
                    {"$match": {"status": "held"}},
                    {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}, "n": {"$sum": 1}}},
                ]
            )
        )
        cards = self.ledger.aggregate(
            [
                {"$match": {"type": CARD_PAYMENT, "created_at": {"$gte": start, "$lt": end}}},
                {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}, "n": {"$sum": 1}}},
            ]
        )
        cards = next(iter(cards), None)
        intents = {
            r["_id"]: r["n"]
            for r in self.db["payment_intents"].aggregate(
                [
                    {"$match": {"created_at": {"$gte": start, "$lt": end}}},
                    {"$group": {"_id": "$status", "n": {"$sum": 1}}},
                ]
            )
        }

        def rows(table: dict, with_names: bool = False) -> list[dict]:
            out = [
                {"key": k, "name": names.get(k) if with_names else None, "amount_cents": v[0], "count": v[1]}
                for k, v in table.items()
            ]
            return sorted(out, key=lambda r: (-r["amount_cents"], r["key"]))

        return {
            "from": start,
            "to": end,
            "to_inclusive": (end - timedelta(days=1)).date(),
            "granularity": granularity,
            "totals": {
                "donated_cents": donated,
                "refunded_cents": refunded,
                "net_cents": net_total,
                "donation_count": donation_count,
                "refund_count": refund_count,
                "donors": len(donor_ids),
                "new_donors": len([u for u in donor_ids if u not in earlier]),
                "average_cents": donated // donation_count if donation_count else 0,
                "average_per_donor_cents": donated // len(donor_ids) if donor_ids else 0,
                "largest_cents": largest,
            },
            "by_onlus": rows(by_onlus, with_names=True),
            "by_category": rows(by_category),
            "by_source": rows(by_source),
            "top_donors": sorted(
                ({"key": u, "name": None, "amount_cents": c, "count": 0} for u, c in donors.items() if c > 0),
                key=lambda r: -r["amount_cents"],
            )[:10],
            "trend": [
                {"period": p, **{k: v for k, v in t.items() if k != "donors"}, "donors": len(t["donors"])}
                for p, t in sorted(trend.items())
            ],
            "wallets": {
                "count": wallets[0]["count"] if wallets else 0,
                "balance_cents": wallets[0]["balance"] if wallets else 0,
                "held_cents": wallets[0]["held"] if wallets else 0,
            },
            "held": {"count": held[0]["n"] if held else 0, "amount_cents": held[0]["cents"] if held else 0},
            "card_payments": {
                "count": cards["n"] if cards else 0,
                "amount": (cards["cents"] / 100) if cards else 0.0,
                "intents_by_status": intents,
            },
            "generated_at": self.clock(),
        }

    def _sources(self, entries: list[dict]) -> dict[str, str]:
        """Part-1 ledger entries do not carry their source: read it from the donations."""
        from app.donations.repositories.common import to_object_id

        ids = [to_object_id((e.get("meta") or {}).get("donation_id")) for e in entries]
        ids = [i for i in ids if i]
        if not ids:
            return {}
        return {
            str(d["_id"]): d.get("source") or "wallet"
            for d in self.db["donations"].find({"_id": {"$in": ids}}, {"source": 1})
        }
