"""`wallets` (one per user, integer cents) and `transactions` (the append-only ledger)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.donations.repositories.common import to_object_id
from app.donations.repositories.queries import created_between

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

    def apply(self, user_id: str, *, inc: dict, set_fields: dict, min_balance: int | None, session) -> dict | None:
        """Guarded update: None when the wallet would go below min_balance (or does not exist)."""
        query: dict = {"user_id": user_id}
        if min_balance is not None:
            query["balance_cents"] = {"$gte": min_balance}
        return self.collection.find_one_and_update(
            query,
            {"$inc": inc, "$set": {**set_fields, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def all_ids(self) -> list[str]:
        return [d["user_id"] for d in self.collection.find({}, {"user_id": 1})]

    def many(self, user_ids: list[str] | None = None) -> list[dict]:
        query = {"user_id": {"$in": list(user_ids)}} if user_ids is not None else {}
        return list(self.collection.find(query))


class LedgerRepository:
    """The `transactions` collection. Append-only: nothing here updates or deletes an entry."""

    def __init__(self, db):
        self.collection = db["transactions"]

    def create_indexes(self) -> None:
        self.collection.create_index([("key", ASCENDING)], unique=True)
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("user_id", ASCENDING), ("type", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("type", ASCENDING), ("created_at", ASCENDING)])

    def insert(self, entry: dict, *, session=None) -> dict:
        self.collection.insert_one(entry, session=session)
        return entry

    def by_key(self, key: str, *, session=None) -> dict | None:
        return self.collection.find_one({"key": key}, session=session)

    def by_id(self, entry_id: str) -> dict | None:
        oid = to_object_id(entry_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    @staticmethod
    def _user_query(
        user_id: str, *, types: list[str] | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> dict:
        query: dict = {"user_id": user_id}
        if types:
            query["type"] = {"$in": list(types)}
        created_between(query, start, end)
        return query

    def page_for_user(self, user_id: str, *, skip: int, limit: int, **filters) -> tuple[list[dict], int]:
        query = self._user_query(user_id, **filters)
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def for_user(self, user_id: str, **filters) -> list[dict]:
        return list(self.collection.find(self._user_query(user_id, **filters)).sort("created_at", ASCENDING))

    def in_period(self, types: list[str], start: datetime, end: datetime) -> list[dict]:
        return list(
            self.collection.find(
                {"type": {"$in": types}, "created_at": {"$gte": start, "$lt": end}},
                {"user_id": 1, "type": 1, "amount_cents": 1, "meta": 1, "created_at": 1},
            )
        )

    def donated_since(self, user_id: str, since: datetime) -> int:
        """Cents the user gave (or has held for review) since then: donated + hold - unhold entries, so a
        held-then-approved donation counts once and a rejected one not at all."""
        rows = list(
            self.collection.aggregate(
                [
                    {
                        "$match": {
                            "user_id": user_id,
                            "type": {"$in": ["donated", "hold", "unhold"]},
                            "created_at": {"$gte": since},
                        }
                    },
                    {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}}},
                ]
            )
        )
        return -rows[0]["cents"] if rows else 0

    def sums_by_user(self) -> dict[str, dict]:
        """{user_id: {"balance": sum(amount_cents), "held": sum(held_cents), "entries": n}} over the whole ledger."""
        rows = self.collection.aggregate(
            [
                {
                    "$group": {
                        "_id": "$user_id",
                        "balance": {"$sum": "$amount_cents"},
                        "held": {"$sum": {"$ifNull": ["$held_cents", 0]}},
                        "entries": {"$sum": 1},
                    }
                }
            ]
        )
        return {r["_id"]: r for r in rows}


class IntegrityReportRepository:
    """`wallet_integrity_reports`: one report per UTC day (a re-run that day replaces it)."""

    def __init__(self, db):
        self.collection = db["wallet_integrity_reports"]

    def save_for_day(self, day: str, report: dict) -> dict:
        doc = {"_id": day, **report}
        self.collection.replace_one({"_id": day}, doc, upsert=True)
        return doc
