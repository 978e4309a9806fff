"""`kyc_records` (one per user), `compliance_checks` (every check recorded), `sanctions_entries`
(admin-managed names screened besides the configured list) and `fraud_flags`."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.donations.repositories.common import to_object_id
from app.donations.repositories.queries import created_between


class KycRepository:
    def __init__(self, db):
        self.collection = db["kyc_records"]

    def create_indexes(self) -> None:
        self.collection.create_index([("user_id", ASCENDING)], unique=True)
        self.collection.create_index([("status", ASCENDING), ("submitted_at", ASCENDING)])

    def get(self, user_id: str) -> dict | None:
        return self.collection.find_one({"user_id": user_id})

    def statuses(self, user_ids: list[str]) -> dict[str, str]:
        return {
            d["user_id"]: d["status"]
            for d in self.collection.find({"user_id": {"$in": list(user_ids)}}, {"user_id": 1, "status": 1})
        }

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


class ComplianceCheckRepository:
    def __init__(self, db):
        self.collection = db["compliance_checks"]

    def create_indexes(self) -> None:
        self.collection.create_index([("created_at", DESCENDING)])
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("outcome", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("subject.type", ASCENDING), ("subject.id", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        self.collection.insert_one(doc)
        return doc

    def page(
        self,
        *,
        skip: int,
        limit: int,
        outcome: str | None = None,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[list, int]:
        query = self._query(outcome=outcome, user_id=user_id, start=start, end=end)
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def between(self, start: datetime, end: datetime) -> list[dict]:
        return list(self.collection.find(self._query(start=start, end=end)))

    @staticmethod
    def _query(*, outcome=None, user_id=None, start=None, end=None) -> dict:
        query: dict = {}
        if outcome:
            query["outcome"] = outcome
        if user_id:
            query["user_id"] = user_id
        created_between(query, start, end)
        return query


class SanctionsRepository:
    def __init__(self, db):
        self.collection = db["sanctions_entries"]

    def create_indexes(self) -> None:
        self.collection.create_index([("normalized", ASCENDING)], unique=True)

    def all(self) -> list[dict]:
        return list(self.collection.find({}).sort("normalized", ASCENDING))

    def add(self, *, name: str, normalized: str, note: str | None, actor_id: str) -> dict | None:
        doc = {"name": name, "normalized": normalized, "note": note, "added_by": actor_id, "created_at": utcnow()}
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return None
        return doc

    def remove(self, entry_id: str) -> bool:
        oid = to_object_id(entry_id)
        return bool(oid) and self.collection.delete_one({"_id": oid}).deleted_count == 1


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

    def by_id(self, flag_id: str) -> dict | None:
        oid = to_object_id(flag_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def resolve(self, flag_id: str, *, note: str, actor_id: str, now: datetime) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": to_object_id(flag_id), "status": "open"},
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
