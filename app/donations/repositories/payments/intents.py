"""`payment_intents`: one per card donation attempt; its state only moves forward."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.donations.repositories.common import to_object_id


class PaymentIntentRepository:
    def __init__(self, db):
        self.collection = db["payment_intents"]

    def create_indexes(self) -> None:
        self.collection.create_index(
            [("provider_intent_id", ASCENDING)],
            unique=True,
            partialFilterExpression={"provider_intent_id": {"$type": "string"}},
        )
        self.collection.create_index(
            [("user_id", ASCENDING), ("idempotency_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        )
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("client_ip", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        self.collection.insert_one(doc)
        return doc

    def by_id(self, intent_id, *, session=None) -> dict | None:
        oid = to_object_id(intent_id)
        return self.collection.find_one({"_id": oid}, session=session) if oid else None

    def by_provider_id(self, provider_intent_id: str) -> dict | None:
        return self.collection.find_one({"provider_intent_id": provider_intent_id})

    def by_idempotency_key(self, user_id: str, key: str) -> dict | None:
        return self.collection.find_one({"user_id": user_id, "idempotency_key": key})

    def set_provider(self, intent_id, fields: dict) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": to_object_id(intent_id)}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )

    def advance(self, intent_id, *, from_statuses, fields: dict, history: dict, session=None) -> dict | None:
        """Guarded forward move: None when the intent is no longer in one of `from_statuses`."""
        return self.collection.find_one_and_update(
            {"_id": to_object_id(intent_id), "status": {"$in": list(from_statuses)}},
            {"$set": fields, "$push": {"history": {"$each": [history], "$slice": -50}}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def note(self, intent_id, *, fields: dict, history: dict) -> dict | None:
        """Facts that do not move the state (a dispute, a refund at the provider)."""
        return self.collection.find_one_and_update(
            {"_id": to_object_id(intent_id)},
            {"$set": fields, "$push": {"history": {"$each": [history], "$slice": -50}}},
            return_document=ReturnDocument.AFTER,
        )

    def count_since(
        self,
        *,
        since: datetime,
        user_id: str | None = None,
        client_ip: str | None = None,
        statuses: list[str] | None = None,
        field: str = "created_at",
    ) -> int:
        query: dict = {field: {"$gte": since}}
        if user_id:
            query["user_id"] = user_id
        if client_ip:
            query["client_ip"] = client_ip
        if statuses:
            query["status"] = {"$in": statuses}
        return self.collection.count_documents(query)

    def page(self, *, skip: int, limit: int, user_id: str | None = None, status: str | None = None) -> tuple[list, int]:
        query: dict = {}
        if user_id:
            query["user_id"] = user_id
        if status:
            query["status"] = status
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def for_reconciliation(self, *, since: datetime) -> list[dict]:
        return list(self.collection.find({"updated_at": {"$gte": since}}))
