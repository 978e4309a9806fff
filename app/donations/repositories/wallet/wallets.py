"""`wallets` (one per user, integer cents) and `wallet_integrity_reports` (one per UTC day)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.donations.models.wallet.giving import FROM_THE_START
from app.donations.models.wallet.ledger import Posting

WALLET_ZEROS = {"balance_cents": 0, "total_earned_cents": 0, "total_donated_cents": 0, "held_cents": 0}


class WalletRepository:
    def __init__(self, db):
        self.collection = db["wallets"]

    def create_indexes(self) -> None:
        self.collection.create_index([("user_id", ASCENDING)], unique=True)
        self.collection.create_index([("balance_cents", DESCENDING)])
        self.collection.create_index([("total_earned_cents", DESCENDING)])

    def ensure(self, user_id: str) -> dict:
        """The user's wallet, created (all zeros) on first need; safe under concurrent first calls."""
        now = utcnow()
        try:
            return self.collection.find_one_and_update(
                {"user_id": user_id},
                {
                    "$setOnInsert": {
                        "user_id": user_id,
                        **WALLET_ZEROS,
                        "currency": "EUR",
                        "giving_since": FROM_THE_START,
                        "created_at": now,
                        "updated_at": now,
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return self.collection.find_one({"user_id": user_id})

    def get(self, user_id: str, *, session=None) -> dict | None:
        return self.collection.find_one({"user_id": user_id}, session=session)

    def apply(self, posting: Posting, *, session) -> dict | None:
        """The posting's guarded update: the wallet after it, or None when a debit would take the balance
        below zero (or there is no wallet)."""
        query: dict = {"user_id": posting.user_id}
        if posting.min_balance() is not None:
            query["balance_cents"] = {"$gte": posting.min_balance()}
        return self.collection.find_one_and_update(
            query,
            {"$inc": posting.wallet_inc(), "$set": {**posting.wallet_set, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def all(self) -> list[dict]:
        return list(self.collection.find({}))


class IntegrityReportRepository:
    """`wallet_integrity_reports`: one report per UTC day (a re-run that day replaces it)."""

    def __init__(self, db):
        self.collection = db["wallet_integrity_reports"]

    def save_for_day(self, day: str, report: dict) -> dict:
        doc = {"_id": day, **report}
        self.collection.replace_one({"_id": day}, doc, upsert=True)
        return doc
