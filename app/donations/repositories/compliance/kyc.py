"""`kyc_records`: one per user (the submission, its review and history)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError


class KycRepository:
    def __init__(self, db):
        self.collection = db["kyc_records"]

    def create_indexes(self) -> None:
        self.collection.create_index([("user_id", ASCENDING)], unique=True)
        self.collection.create_index([("status", ASCENDING), ("submitted_at", ASCENDING)])

    def get(self, user_id: str) -> dict | None:
        return self.collection.find_one({"user_id": user_id})

    def submit(self, user_id: str, data: dict, *, now: datetime) -> dict:
        """Store (or replace) the user's submission as pending; an approved record is never downgraded here."""
        try:
            return self.collection.find_one_and_update(
                {"user_id": user_id, "status": {"$ne": "approved"}},
                {
                    "$set": {
                        "data": data,
                        "status": "pending",
                        "submitted_at": now,
                        "reviewed_at": None,
                        "reviewed_by": None,
                        "review_note": None,
                        "updated_at": now,
                    },
                    "$setOnInsert": {"user_id": user_id, "created_at": now},
                    "$push": {"history": {"$each": [{"status": "pending", "at": now, "by": user_id}], "$slice": -20}},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # approved already (the filter excluded it, the upsert collided)
            return None

    def review(self, user_id: str, *, status: str, note: str | None, actor_id: str, now: datetime) -> dict | None:
        """pending -> approved | rejected (only from pending: an admin decides each submission once)."""
        return self.collection.find_one_and_update(
            {"user_id": user_id, "status": "pending"},
            {
                "$set": {
                    "status": status,
                    "reviewed_at": now,
                    "reviewed_by": actor_id,
                    "review_note": note,
                    "updated_at": now,
                },
                "$push": {
                    "history": {"$each": [{"status": status, "at": now, "by": actor_id, "note": note}], "$slice": -20}
                },
            },
            return_document=ReturnDocument.AFTER,
        )

    def page(self, *, status: str | None, skip: int, limit: int) -> tuple[list, int]:
        query = {"status": status} if status else {}
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("submitted_at", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def statuses_updated_between(self, start: datetime, end: datetime) -> list[str]:
        """The status of every record last updated in [start, end)."""
        return [d["status"] for d in self.collection.find({"updated_at": {"$gte": start, "$lt": end}}, {"status": 1})]
