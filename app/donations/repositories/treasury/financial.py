"""What the financial dashboard reads, across `transactions` (the ledger), `wallets`, `donations` and
`payment_intents` (aggregations only; nothing here writes)."""

from __future__ import annotations

from datetime import datetime

from app.core.ids import object_id
from app.donations.models.treasury.financial import Tally
from app.donations.models.wallet.ledger import CARD_PAYMENT, DONATED, REFUND

# the trend's buckets, as models.treasury.financial.bucket names them (ISO weeks for "week")
BUCKET_FORMATS = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m"}


class FinancialRepository:
    def __init__(self, db):
        self.ledger = db["transactions"]
        self.wallets = db["wallets"]
        self.donations = db["donations"]
        self.intents = db["payment_intents"]

    def donation_tally(self, start: datetime, end: datetime, *, granularity: str) -> Tally:
        """The `donated` and `refund` ledger entries created in [start, end), added up by the database
        (what models.treasury.financial.tally makes of the entries themselves): one aggregation per type,
        each an equality on `type` and a range on `created_at` over the (type, created_at) index."""
        bucket = {"$dateToString": {"format": BUCKET_FORMATS.get(granularity, "%Y-%m-%d"), "date": "$created_at"}}
        keys = {
            "$group": {
                "_id": ["$meta.onlus_id", "$meta.onlus_category", "$meta.source"],
                "cents": {"$sum": "$amount_cents"},
                "n": {"$sum": 1},
                "least": {"$min": "$amount_cents"},
            }
        }
        donated = self._facets(
            DONATED,
            start,
            end,
            {
                "keys": [keys],
                # entries arrive in index order: $first is the donor's first donation of the period
                "users": [
                    {
                        "$group": {
                            "_id": "$user_id",
                            "cents": {"$sum": "$amount_cents"},
                            "first": {"$first": "$created_at"},
                        }
                    }
                ],
                "trend": [
                    {"$group": {"_id": [bucket, "$user_id"], "cents": {"$sum": "$amount_cents"}, "n": {"$sum": 1}}},
                    {
                        "$group": {
                            "_id": {"$arrayElemAt": ["$_id", 0]},
                            "cents": {"$sum": "$cents"},
                            "n": {"$sum": "$n"},
                            "donors": {"$sum": 1},
                        }
                    },
                ],
            },
        )
        refunds = self._facets(
            REFUND,
            start,
            end,
            {
                "keys": [keys],
                "users": [{"$group": {"_id": "$user_id", "cents": {"$sum": "$amount_cents"}}}],
                "trend": [{"$group": {"_id": bucket, "cents": {"$sum": "$amount_cents"}}}],
            },
        )
        t = Tally()
        for entry_type, rows in ((DONATED, donated), (REFUND, refunds)):
            is_donation = entry_type == DONATED
            for onlus_id, category, source, net, n, least in self._source_keys(entry_type, start, end, rows):
                for table, k in ((t.by_onlus, onlus_id), (t.by_category, category), (t.by_source, source)):
                    table[k][0] += net
                    table[k][1] += n if is_donation else -n
                if is_donation:
                    t.donated += net
                    t.donation_count += n
                    t.largest = max(t.largest, -least)
                else:
                    t.refunded -= net
                    t.refund_count += n
        # the donors in the order their entries were read: by their first donation, then refund-only users
        for r in sorted(donated.get("users", []), key=lambda r: r["first"]):
            t.donors[r["_id"]] -= int(r["cents"])
        for r in refunds.get("users", []):
            t.donors[r["_id"]] -= int(r["cents"])
        t.donor_ids = sorted(r["_id"] for r in donated.get("users", []))
        for r in donated.get("trend", []):
            cents = -int(r["cents"])
            t.trend[r["_id"]] = {
                "donated_cents": cents,
                "refunded_cents": 0,
                "net_cents": cents,
                "count": int(r["n"]),
                "donors": int(r["donors"]),
            }
        for r in refunds.get("trend", []):
            point = t.trend.setdefault(
                r["_id"], {"donated_cents": 0, "refunded_cents": 0, "net_cents": 0, "count": 0, "donors": 0}
            )
            point["refunded_cents"] += int(r["cents"])
            point["net_cents"] -= int(r["cents"])
        return t

    def _facets(self, entry_type: str, start: datetime, end: datetime, facets: dict) -> dict:
        rows = list(self.ledger.aggregate([{"$match": _entries_of(entry_type, start, end)}, {"$facet": facets}]))
        return rows[0] if rows else {}

    def _source_keys(self, entry_type: str, start: datetime, end: datetime, rows: dict):
        """(onlus, category, source, net cents, entries, least amount) by key; the entries whose meta does
        not carry their source (written before the ledger recorded it) take their donation's."""
        unsourced = False
        for r in rows.get("keys", []):
            onlus_id, category, source = r["_id"]
            if not source:
                unsourced = True
                continue
            yield onlus_id or "unknown", category or "unknown", source, -int(r["cents"]), int(r["n"]), int(r["least"])
        if not unsourced:
            return
        legacy = list(
            self.ledger.aggregate(
                [
                    {"$match": _entries_of(entry_type, start, end)},
                    {"$match": {"meta.source": {"$in": [None, "", False, 0]}}},
                    {
                        "$group": {
                            "_id": ["$meta.onlus_id", "$meta.onlus_category", "$meta.donation_id"],
                            "cents": {"$sum": "$amount_cents"},
                            "n": {"$sum": 1},
                            "least": {"$min": "$amount_cents"},
                        }
                    },
                ]
            )
        )
        sources = self.donation_sources([r["_id"][2] for r in legacy])
        for r in legacy:
            onlus_id, category, donation_id = r["_id"]
            source = sources.get(donation_id) or "wallet"
            yield onlus_id or "unknown", category or "unknown", source, -int(r["cents"]), int(r["n"]), int(r["least"])

    def donors_before(self, start: datetime) -> set[str]:
        """Users who donated before `start`."""
        return set(self.ledger.distinct("user_id", {"type": DONATED, "created_at": {"$lt": start}}))

    def donation_sources(self, donation_ids: list[str]) -> dict[str, str]:
        """{donation_id: source} for the ledger entries whose meta does not carry it."""
        ids = [i for i in (object_id(d) for d in donation_ids) if i]
        if not ids:
            return {}
        return {
            str(d["_id"]): d.get("source") or "wallet"
            for d in self.donations.find({"_id": {"$in": ids}}, {"source": 1})
        }

    def wallet_totals(self) -> dict:
        """{count, balance_cents, held_cents} over every wallet."""
        rows = list(
            self.wallets.aggregate(
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
        row = rows[0] if rows else {"count": 0, "balance": 0, "held": 0}
        return {"count": row["count"], "balance_cents": row["balance"], "held_cents": row["held"]}

    def held_donation_totals(self) -> dict:
        """{count, amount_cents} of the donations waiting for a compliance review."""
        rows = list(
            self.donations.aggregate(
                [
                    {"$match": {"status": "held"}},
                    {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}, "n": {"$sum": 1}}},
                ]
            )
        )
        return {"count": rows[0]["n"] if rows else 0, "amount_cents": rows[0]["cents"] if rows else 0}

    def card_payment_totals(self, start: datetime, end: datetime) -> dict:
        """{count, cents} of the money received from cards in [start, end)."""
        rows = list(
            self.ledger.aggregate(
                [
                    {"$match": {"type": CARD_PAYMENT, "created_at": {"$gte": start, "$lt": end}}},
                    {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}, "n": {"$sum": 1}}},
                ]
            )
        )
        return {"count": rows[0]["n"] if rows else 0, "cents": rows[0]["cents"] if rows else 0}

    def intents_by_status(self, start: datetime, end: datetime) -> dict[str, int]:
        """How many payment intents created in [start, end) are in each state."""
        rows = self.intents.aggregate(
            [
                {"$match": {"created_at": {"$gte": start, "$lt": end}}},
                {"$group": {"_id": "$status", "n": {"$sum": 1}}},
            ]
        )
        return {r["_id"]: r["n"] for r in rows}


def _entries_of(entry_type: str, start: datetime, end: datetime) -> dict:
    # an equality on the type: `type: {$in: [...]}` is planned on the type alone, over the whole ledger
    return {"type": entry_type, "created_at": {"$gte": start, "$lt": end}}
