"""What the financial dashboard reads, across `transactions` (the ledger), `wallets`, `donations` and
`payment_intents` (aggregations only; nothing here writes)."""

from __future__ import annotations

from datetime import datetime

from app.core.ids import object_id
from app.donations.models.wallet.ledger import CARD_PAYMENT, DONATED, REFUND


class FinancialRepository:
    def __init__(self, db):
        self.ledger = db["transactions"]
        self.wallets = db["wallets"]
        self.donations = db["donations"]
        self.intents = db["payment_intents"]

    def donation_entries(self, start: datetime, end: datetime) -> list[dict]:
        """The `donated` and `refund` ledger entries created in [start, end)."""
        return list(
            self.ledger.find(
                {"type": {"$in": [DONATED, REFUND]}, "created_at": {"$gte": start, "$lt": end}},
                {"user_id": 1, "type": 1, "amount_cents": 1, "meta": 1, "created_at": 1},
            )
        )

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
