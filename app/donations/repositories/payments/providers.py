"""`payment_providers`: which payment provider this deployment uses."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError


class ProviderConfigRepository:
    def __init__(self, db):
        self.collection = db["payment_providers"]

    def create_indexes(self) -> None:
        pass  # keyed by provider name (_id)

    def upsert(self, name: str, fields: dict) -> None:
        try:
            self.collection.update_one({"_id": name}, {"$set": fields}, upsert=True)
        except DuplicateKeyError:
            self.collection.update_one({"_id": name}, {"$set": fields})

    def all(self) -> list[dict]:
        return list(self.collection.find({}))
