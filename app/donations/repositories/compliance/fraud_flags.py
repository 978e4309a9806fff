"""`fraud_flags`: one per rule, subject and hour (a burst is one flag with its occurrences counted)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.ids import object_id


class FraudFlagRepository:
    def __init__(self, db):
        self.collection = db["fraud_flags"]

    def create_indexes(self) -> None:
        # one flag per rule, subject and time bucket: a burst raises one flag, not hundreds
        self.collection.create_index([("dedupe_key", ASCENDING)], unique=True)
        self.collection.create_index([("status", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("subject", ASCENDING), ("created_at", DESCENDING)])

    def raise_flag(self, doc: dict) -> dict:
        """Insert the flag, or add this occurrence to the open flag with the same dedupe key."""
        now = doc["created_at"]
        for _ in range(2):
            try:
                return self.collection.find_one_and_update(
                    {"dedupe_key": doc["dedupe_key"]},
                    {
                        "$setOnInsert": {k: v for k, v in doc.items() if k not in ("refs",)},
                        "$inc": {"occurrences": 1},
                        "$set": {"last_seen_at": now},
                        "$push": {"refs": {"$each": doc.get("refs", []), "$slice": -50}},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:  # two first occurrences raced on the upsert: the second adds to the first
                continue
        return self.collection.find_one({"dedupe_key": doc["dedupe_key"]})

    def by_id(self, flag_id: str) -> dict | None:
        oid = object_id(flag_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def resolve(self, flag_id: str, *, note: str, actor_id: str, now: datetime) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": object_id(flag_id), "status": "open"},
            {"$set": {"status": "resolved", "resolved_at": now, "resolved_by": actor_id, "resolution_note": note}},
            return_document=ReturnDocument.AFTER,
        )

    def page(self, *, status: str | None, kind: str | None, skip: int, limit: int) -> tuple[list, int]:
        query: dict = {}
        if status:
            query["status"] = status
        if kind:
            query["kind"] = kind
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def between(self, start: datetime, end: datetime) -> list[dict]:
        return list(self.collection.find({"created_at": {"$gte": start, "$lt": end}}))
