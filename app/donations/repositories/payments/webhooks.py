"""`payment_webhook_events`: every provider event id, unique (the first write wins, a replay is recognised)."""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError


class WebhookEventRepository:
    def __init__(self, db):
        self.collection = db["payment_webhook_events"]

    def create_indexes(self) -> None:
        # _id is the provider's event id: unique by construction
        self.collection.create_index([("received_at", DESCENDING)])

    def record(self, event_id: str, doc: dict) -> dict | None:
        """Insert first; None when that event id was recorded before (returns nothing new)."""
        try:
            self.collection.insert_one({"_id": event_id, **doc})
        except DuplicateKeyError:
            return None
        return doc

    def get(self, event_id: str) -> dict | None:
        return self.collection.find_one({"_id": event_id})

    def finish(self, event_id: str, fields: dict) -> None:
        self.collection.update_one({"_id": event_id}, {"$set": fields})
