"""leases: one document per named lease ({_id: name, holder, expires_at, renewed_at}), held by at most one
process at a time (the scheduler's leader)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class LeaseRepository:
    def __init__(self, db: Database):
        self.collection = db["leases"]

    def acquire(self, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take or renew the lease: True when `holder` holds it until now + ttl. A lease held by another
        holder and not expired stays theirs (the upsert then meets the existing _id and fails)."""
        try:
            doc = self.collection.find_one_and_update(
                {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lte": now}}]},
                {"$set": {"holder": holder, "expires_at": now + ttl, "renewed_at": now}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False
        return doc is not None and doc["holder"] == holder

    def release(self, name: str, holder: str) -> None:
        self.collection.delete_one({"_id": name, "holder": holder})

    def get(self, name: str) -> dict | None:
        return self.collection.find_one({"_id": name})
