"""The durable mail outbox (`mail_outbox`)."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.models.mail import FAILED, INTERRUPTED, KEPT, PENDING, SENDING, SENT


class MailOutboxRepository:
    def __init__(self, db):
        self.collection = db["mail_outbox"]

    def create_indexes(self) -> None:
        self.collection.create_index([("key", ASCENDING)], unique=True)
        self.collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.collection.create_index([("to", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("created_at", DESCENDING)])

    def insert(self, doc: dict, *, session=None) -> bool:
        """False when a message with the same key exists. The id is an ObjectId's string (the admin routes
        take it as `<oid:message_id>`)."""
        doc.setdefault("_id", str(ObjectId()))
        try:
            self.collection.insert_one(doc, session=session)
        except DuplicateKeyError:
            return False
        return True

    def claim_due(self, now: datetime, lease_until: datetime) -> dict | None:
        """One due pending message, now `sending` until `lease_until` (one claimer wins it)."""
        return self.collection.find_one_and_update(
            {"status": PENDING, "next_attempt_at": {"$lte": now}},
            {"$set": {"status": SENDING, "lease_until": lease_until}, "$inc": {"attempts": 1}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def keep_pending(self) -> int:
        """Without a mail server: every pending message is kept (listed, never sent)."""
        return self.collection.update_many({"status": PENDING}, {"$set": {"status": KEPT}}).modified_count

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self.collection.update_one(
            {"_id": message_id, "status": SENDING},
            {"$set": {"status": SENT, "sent_at": at, "last_error": None}, "$unset": {"lease_until": ""}},
        )

    def mark_refused(self, message_id: str, fields: dict, error: str) -> None:
        self.collection.update_one(
            {"_id": message_id, "status": SENDING},
            {"$set": {**fields, "last_error": error}, "$unset": {"lease_until": ""}},
        )

    def fail_interrupted(self, now: datetime) -> int:
        """Messages whose sender died while sending (their lease ran out)."""
        result = self.collection.update_many(
            {"status": SENDING, "lease_until": {"$lt": now}},
            {"$set": {"status": FAILED, "last_error": INTERRUPTED, "next_attempt_at": None}},
        )
        return result.modified_count

    def get(self, message_id: str) -> dict | None:
        return self.collection.find_one({"_id": message_id})

    def page(self, *, to: str | None, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        query: dict = {}
        if to:
            query["to"] = to
        if status:
            query["status"] = status
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, self.collection.count_documents(query)

    def depth(self) -> dict:
        """{status: count} and the age of the oldest pending message, for /metrics."""
        rows = self.collection.aggregate(
            [{"$group": {"_id": "$status", "n": {"$sum": 1}, "oldest": {"$min": "$created_at"}}}]
        )
        return {r["_id"]: {"count": r["n"], "oldest": r["oldest"]} for r in rows}
