from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.impact.models import stories as rules


def _contains(text: str) -> dict:
    """Case-insensitive substring match (escaped: user text is never a pattern)."""
    return {"$regex": re.escape(text), "$options": "i"}


def _state_query(state: str | None, now: datetime) -> dict:
    """The stories in `state` at `now` (app.impact.models.stories.lifecycle, as a query)."""
    if state is None:
        return {}
    if state == rules.DRAFT:
        return {"status": rules.DRAFT}
    published = {"status": {"$ne": rules.DRAFT}}
    if state == rules.SCHEDULED:
        return {**published, "event_starts_at": {"$gt": now}}
    if state == rules.ENDED:
        return {**published, "event_ends_at": {"$lte": now}}
    return {
        **published,
        "$and": [
            {"$or": [{"event_starts_at": None}, {"event_starts_at": {"$lte": now}}]},
            {"$or": [{"event_ends_at": None}, {"event_ends_at": {"$gt": now}}]},
        ],
    }


class StoryRepository:
    """impact_stories (the catalog) and impact_story_unlocks (one row per user and story)."""

    def __init__(self, db):
        self.stories = db["impact_stories"]
        self.unlocks = db["impact_story_unlocks"]
        self.versions = db["impact_story_versions"]
        self.campaigns = db["impact_campaigns"]

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
    def upsert_catalog(self, docs: list[dict], *, replace: bool) -> None:
        """Install stories by id: `replace` writes them over what is stored (the milestones, which code
        defines); otherwise only missing ones are added, so an operator's edits stay."""
        now = utcnow()
        upserts = []
        for doc in docs:
            fields = {k: v for k, v in doc.items() if k != "_id"}
            update = (
                {"$set": {**fields, "updated_at": now}, "$setOnInsert": {"created_at": now}}
                if replace
                else {"$setOnInsert": {**fields, "created_at": now, "updated_at": now}}
            )
            upserts.append(UpdateOne({"_id": doc["_id"]}, update, upsert=True))
        if upserts:
            self.stories.bulk_write(upserts, ordered=False)

    def get(self, story_id: str) -> dict | None:
        return self.stories.find_one({"_id": story_id, "is_active": True})

    def get_any(self, story_id: str) -> dict | None:
        """A story whatever its state (drafts included)."""
        return self.stories.find_one({"_id": story_id})

    def insert(self, doc: dict) -> bool:
        """False when the id is taken."""
        now = utcnow()
        try:
            self.stories.insert_one({**doc, "created_at": now, "updated_at": now})
        except DuplicateKeyError:
            return False
        return True

    def update(self, story_id: str, version: int, fields: dict, *, new_version: bool) -> dict | None:
        """Apply `fields` if the story is still at `version` (None otherwise: someone changed it meanwhile);
        `new_version` moves it to version + 1. (A story stored before versions existed is version 1.)"""
        at_version: dict = {"version": version}
        if version == 1:
            at_version = {"$or": [{"version": 1}, {"version": {"$exists": False}}]}
        changes = {**fields, "updated_at": utcnow(), **({"version": version + 1} if new_version else {})}
        return self.stories.find_one_and_update(
            {"_id": story_id, **at_version}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )

    def keep_version(self, story: dict) -> None:
        """The text of the story's current version, for those who unlocked it before it changes."""
        text = {k: story.get(k) for k in rules.TEXT_FIELDS}
        self.versions.update_one(
            {"_id": f"{story['_id']}:{story.get('version', 1)}"},
            {"$setOnInsert": {"story_id": story["_id"], "version": story.get("version", 1), **text}},
            upsert=True,
        )

    def text_of_version(self, story_id: str, version: int) -> dict | None:
        return self.versions.find_one({"_id": f"{story_id}:{version}"})

    def delete_draft(self, story_id: str) -> bool:
        return self.stories.delete_one({"_id": story_id, "status": rules.DRAFT}).deleted_count == 1

    def admin_page(self, state: str | None, now: datetime, *, skip: int, limit: int) -> tuple[list[dict], int]:
        """Every story (drafts too), newest first; `state`: draft, scheduled, active or ended at `now`."""
        query = _state_query(state, now)
        total = self.stories.count_documents(query)
        order = [("created_at", DESCENDING), ("_id", ASCENDING)]
        return list(self.stories.find(query).sort(order).skip(skip).limit(limit)), total

    # -- recurring campaigns -------------------------------------------------------------------
    def install_campaigns(self, docs: list[dict]) -> None:
        """The default campaigns, added when missing (an operator's edits stay)."""
        now = utcnow()
        upserts = [
            UpdateOne({"_id": d["_id"]}, {"$setOnInsert": {**d, "created_at": now, "updated_at": now}}, upsert=True)
            for d in docs
        ]
        if upserts:
            self.campaigns.bulk_write(upserts, ordered=False)

    def campaign(self, key: str) -> dict | None:
        return self.campaigns.find_one({"_id": key})

    def campaign_list(self, *, published_only: bool = False) -> list[dict]:
        query = {"status": rules.PUBLISHED} if published_only else {}
        return list(self.campaigns.find(query).sort("_id", ASCENDING))

    def insert_campaign(self, doc: dict) -> bool:
        now = utcnow()
        try:
            self.campaigns.insert_one({**doc, "created_at": now, "updated_at": now})
        except DuplicateKeyError:
            return False
        return True

    def update_campaign(self, key: str, fields: dict) -> dict | None:
        return self.campaigns.find_one_and_update(
            {"_id": key}, {"$set": {**fields, "updated_at": utcnow()}}, return_document=ReturnDocument.AFTER
        )

    def instances_not_started(self, campaign_id: str, now: datetime) -> list[dict]:
        """The campaign's stories whose window has not opened yet (nobody can have unlocked them)."""
        return list(self.stories.find({"campaign_id": campaign_id, "event_starts_at": {"$gt": now}}))

    def replace_not_started(self, doc: dict, now: datetime) -> None:
        """Rewrite an instance from its campaign, unless its window has opened meanwhile."""
        fields = {k: v for k, v in doc.items() if k not in ("_id", "version")}
        self.stories.update_one(
            {"_id": doc["_id"], "event_starts_at": {"$gt": now}},
            {"$set": {**fields, "updated_at": utcnow()}},
        )

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
                    "version": story.get("version", 1),
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
