from __future__ import annotations

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError


class ModeKeyTaken(Exception):
    """A mode with this key exists already."""


class ModeRepository:
    """`game_modes` (one per key) and `mode_schedules` (recurring windows of a mode)."""

    def __init__(self, db):
        self.modes = db["game_modes"]
        self.schedules = db["mode_schedules"]

    def create_indexes(self) -> None:
        self.modes.create_index([("key", ASCENDING)], unique=True)
        self.modes.create_index([("is_active", ASCENDING), ("start_date", ASCENDING), ("end_date", ASCENDING)])
        self.schedules.create_index([("key", ASCENDING)], unique=True)
        self.schedules.create_index([("mode_key", ASCENDING)])

    def ensure_mode(self, key: str, fields: dict, now) -> bool:
        """Create the mode if absent (an admin's later edits win); True when it was created."""
        result = self.modes.update_one(
            {"key": key}, {"$setOnInsert": {**fields, "key": key, "created_at": now, "updated_at": now}}, upsert=True
        )
        return result.upserted_id is not None

    def ensure_schedule(self, key: str, fields: dict, now) -> None:
        self.schedules.update_one(
            {"key": key}, {"$setOnInsert": {**fields, "key": key, "is_active": True, "created_at": now}}, upsert=True
        )

    def insert_mode(self, doc: dict) -> dict:
        """Store a new mode; ModeKeyTaken when its key is in use."""
        try:
            self.modes.insert_one(doc)
        except DuplicateKeyError as exc:
            raise ModeKeyTaken(doc["key"]) from exc
        return doc

    def insert_schedules(self, docs: list[dict]) -> None:
        if docs:
            self.schedules.insert_many(docs)

    def by_key(self, key: str) -> dict | None:
        return self.modes.find_one({"key": key})

    def all_modes(self) -> list[dict]:
        return list(self.modes.find().sort("key", ASCENDING))

    def schedules_by_mode(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for doc in self.schedules.find({"is_active": True}):
            out.setdefault(doc["mode_key"], []).append(doc)
        return out

    def update_mode(self, key: str, fields: dict) -> dict | None:
        return self.modes.find_one_and_update({"key": key}, {"$set": fields}, return_document=ReturnDocument.AFTER)
