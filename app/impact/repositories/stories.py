from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow


def _contains(text: str) -> dict:
    """Case-insensitive substring match (escaped: user text is never a pattern)."""
    return {"$regex": re.escape(text), "$options": "i"}


class StoryRepository:
    """impact_stories (the catalog) and impact_story_unlocks (one row per user and story)."""

    def __init__(self, db):
        self.stories = db["impact_stories"]
        self.unlocks = db["impact_story_unlocks"]

    def create_indexes(self) -> None:
        self.stories.create_index([("onlus_id", ASCENDING), ("is_active", ASCENDING), ("story_type", ASCENDING)])
        self.stories.create_index(
            [("unlock_condition_type", ASCENDING), ("unlock_condition_value", ASCENDING), ("is_active", ASCENDING)]
        )
        # Text search uses escaped regexes over title/teaser/content/tags: the catalog is small and
        # the embedded server has no text indexes, so one code path serves both servers.
        self.unlocks.create_index([("user_id", ASCENDING), ("story_id", ASCENDING)], unique=True)
        self.unlocks.create_index([("unlocked_at", ASCENDING)])
        self.unlocks.create_index([("published_event", ASCENDING), ("user_id", ASCENDING)])

    # -- catalog ------------------------------------------------------------------------
    def upsert_catalog(self, docs: list[dict]) -> None:
        now = utcnow()
        upserts = [
            UpdateOne(
                {"_id": doc["_id"]},
                {
                    "$set": {**{k: v for k, v in doc.items() if k != "_id"}, "updated_at": now},
                    "$setOnInsert": {"created_at": now},
                },
                upsert=True,
            )
            for doc in docs
        ]
        if upserts:
            self.stories.bulk_write(upserts, ordered=False)

    def get(self, story_id: str) -> dict | None:
        return self.stories.find_one({"_id": story_id, "is_active": True})

    def active(self, condition_types: list[str] | None = None) -> list[dict]:
        query: dict = {"is_active": True}
        if condition_types:
            query["unlock_condition_type"] = {"$in": list(condition_types)}
        return list(
            self.stories.find(query).sort([("unlock_condition_type", ASCENDING), ("unlock_condition_value", ASCENDING)])
        )

    def search(
        self,
        *,
        ids: list[str] | None = None,
        exclude_ids: list[str] | None = None,
        text: str | None = None,
        category: str | None = None,
        content_searchable: bool = True,
        skip: int = 0,
        limit: int = 20,
    ) -> tuple[list[dict], int]:
        query: dict = {"is_active": True}
        id_filter: dict = {}
        if ids is not None:
            id_filter["$in"] = list(ids)
        if exclude_ids:
            id_filter["$nin"] = list(exclude_ids)
        if id_filter:
            query["_id"] = id_filter
        if category:
            query["category"] = category
        if text:
            fields = ["title", "teaser", "tags"] + (["content"] if content_searchable else [])
            query["$or"] = [{f: _contains(text)} for f in fields]
        total = self.stories.count_documents(query)
        rows = list(
            self.stories.find(query)
            .sort([("priority", DESCENDING), ("unlock_condition_value", ASCENDING), ("_id", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return rows, total

    # -- unlocks --------------------------------------------------------------------------
    def record_unlock(self, *, user_id: str, story: dict, at: datetime, trigger: str | None) -> bool:
        """Insert the unlock; False when this user already had it (the unique index decides)."""
        try:
            self.unlocks.insert_one(
                {
                    "user_id": user_id,
                    "story_id": story["_id"],
                    "title": story["title"],
                    "unlocked_at": at,
                    "trigger": trigger,
                    "published_event": False,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    def unlocked_ids(self, user_id: str) -> list[str]:
        return [r["story_id"] for r in self.unlocks.find({"user_id": user_id}, {"story_id": 1})]

    def unlocks_of(self, user_id: str) -> dict[str, dict]:
        return {r["story_id"]: r for r in self.unlocks.find({"user_id": user_id})}

    def unlock(self, user_id: str, story_id: str) -> dict | None:
        return self.unlocks.find_one({"user_id": user_id, "story_id": story_id})

    def unlocked_between(self, user_id: str, start: datetime, end: datetime) -> list[dict]:
        """The user's unlocks with unlocked_at in [start, end), oldest first."""
        query = {"user_id": user_id, "unlocked_at": {"$gte": start, "$lt": end}}
        return list(self.unlocks.find(query, {"title": 1, "unlocked_at": 1}).sort("unlocked_at", ASCENDING))

    def unpublished(self, user_id: str) -> list[dict]:
        return list(self.unlocks.find({"user_id": user_id, "published_event": False}))

    def mark_published(self, unlock_id) -> None:
        self.unlocks.update_one({"_id": unlock_id}, {"$set": {"published_event": True}})

    def count_unlocks(self, start: datetime | None = None, end: datetime | None = None) -> int:
        """Unlocks with unlocked_at in [start, end) (all of them without bounds)."""
        query: dict = {}
        if start or end:
            query["unlocked_at"] = {k: v for k, v in (("$gte", start), ("$lt", end)) if v}
        return self.unlocks.count_documents(query)

    def unlocks_for_trigger(self, user_id: str, trigger: str) -> list[dict]:
        return list(self.unlocks.find({"user_id": user_id, "trigger": trigger}))
