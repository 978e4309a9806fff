"""`payment_providers`: which payment provider this deployment uses."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError


class ProviderConfigRepository:
    def __init__(self, db):
        self.collection = db["payment_providers"]

    def create_indexes(self) -> None:
        pass  # keyed by provider name (_id)

    def save(self, name: str, fields: dict) -> None:
        """Record the provider's settings (created on first use)."""
        try:
            self.collection.update_one({"_id": name}, {"$set": fields}, upsert=True)
        except DuplicateKeyError:
            self.collection.update_one({"_id": name}, {"$set": fields})
