from __future__ import annotations

import threading
import time

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow

# Definitions only change when a process installs them at start-up; other processes pick up a
# new deployment's definitions within this many seconds.
DEFINITIONS_TTL_SECONDS = 60.0


class AchievementRepository:
    """achievements: definitions (_id = stable slug). user_achievements: one document per unlocked
    (user, achievement) with unlocked_at. Progress towards the others is not stored: it is the user's
    stat for the achievement's metric (see AchievementService.progress)."""

    def __init__(self, db):
        self.definitions = db["achievements"]
        self.progress = db["user_achievements"]
        self._cache: tuple[float, list[dict]] | None = None
        self._cache_lock = threading.Lock()

    def create_indexes(self) -> None:
        self.definitions.create_index([("category", ASCENDING), ("is_active", ASCENDING)])
        self.definitions.create_index([("metric", ASCENDING)])
        self.progress.create_index([("user_id", ASCENDING), ("achievement_id", ASCENDING)], unique=True)
        self.progress.create_index([("user_id", ASCENDING), ("unlocked_at", DESCENDING)])

    def install(self, definitions: list[dict]) -> int:
        """Add the missing ones by id (an operator's edits of a default stay); returns how many were new."""
        now = utcnow()
        upserts = [
            UpdateOne(
                {"_id": d["_id"]},
                {"$setOnInsert": {**{k: v for k, v in d.items() if k != "_id"}, "created_at": now, "updated_at": now}},
                upsert=True,
            )
            for d in definitions
        ]
        self._cache = None
        return self.definitions.bulk_write(upserts, ordered=False).upserted_count if upserts else 0

    # -- the operator's changes (this process sees them at once, the others within DEFINITIONS_TTL_SECONDS) --
    def every_definition(self) -> list[dict]:
        return list(self.definitions.find({}).sort([("category", 1), ("metric", 1), ("target", 1), ("_id", 1)]))

    def insert(self, doc: dict) -> bool:
        now = utcnow()
        try:
            self.definitions.insert_one({**doc, "created_at": now, "updated_at": now})
        except DuplicateKeyError:
            return False
        self._cache = None
        return True

    def update(self, achievement_id: str, fields: dict, *, status: str | None = None) -> dict | None:
        """Apply `fields` (only while the achievement is in `status`, when given); None when it is not."""
        query: dict = {"_id": achievement_id}
        if status is not None:
            query["status"] = status
        doc = self.definitions.find_one_and_update(
            query, {"$set": {**fields, "updated_at": utcnow()}}, return_document=ReturnDocument.AFTER
        )
        self._cache = None
        return doc

    def by_ids(self, ids: list[str]) -> dict[str, dict]:
        return {d["_id"]: d for d in self.definitions.find({"_id": {"$in": list(ids)}})}

    def active(self, metrics=None, session=None) -> list[dict]:
        query: dict = {"is_active": True}
        if metrics is not None:
            query["metric"] = {"$in": list(metrics)}
        order = [("category", 1), ("metric", 1), ("target", 1), ("_id", 1)]  # also the order unlocks are announced
        return list(self.definitions.find(query, session=session).sort(order))

    def active_cached(self, metrics=None) -> list[dict]:
        """`active(metrics)` from a per-process copy of the definitions (refreshed every
        DEFINITIONS_TTL_SECONDS and after `install`): the scoring path reads them on every event."""
        cached = self._cache
        if cached is None or time.monotonic() - cached[0] > DEFINITIONS_TTL_SECONDS:
            with self._cache_lock:
                cached = self._cache
                if cached is None or time.monotonic() - cached[0] > DEFINITIONS_TTL_SECONDS:
                    cached = (time.monotonic(), self.active())
                    self._cache = cached
        wanted = None if metrics is None else set(metrics)
        return [dict(d) for d in cached[1] if wanted is None or d.get("metric") in wanted]

    def get(self, achievement_id: str) -> dict | None:
        return self.definitions.find_one({"_id": achievement_id})

    def unlock(self, user_id: str, achievement_id: str, target: int, at, session=None) -> bool:
        """Record the unlock once; False when it was unlocked before."""
        result = self.progress.update_one(
            {"user_id": user_id, "achievement_id": achievement_id},
            {"$setOnInsert": {"unlocked_at": at, "progress": target, "target": target, "updated_at": at}},
            upsert=True,
            session=session,
        )
        if result.upserted_id is not None:
            return True
        # a document written while progress was still stored: unlock it unless it already is
        return (
            self.progress.find_one_and_update(
                {"user_id": user_id, "achievement_id": achievement_id, "unlocked_at": None},
                {"$set": {"unlocked_at": at, "progress": target, "target": target, "updated_at": at}},
                session=session,
            )
            is not None
        )

    def unlocked(self, user_id: str) -> list[dict]:
        return list(
            self.progress.find({"user_id": user_id, "unlocked_at": {"$ne": None}}).sort("unlocked_at", DESCENDING)
        )
