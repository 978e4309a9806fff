"""`sanctions_entries`: admin-managed names screened besides the configured list."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id


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
        oid = object_id(entry_id)
        return bool(oid) and self.collection.delete_one({"_id": oid}).deleted_count == 1
