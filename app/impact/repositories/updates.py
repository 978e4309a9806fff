from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id
from app.impact.models.updates import PUBLISHED, SCHEDULED


class UpdateRepository:
    """impact_updates and impact_update_engagements.

    An engagement row's _id is its uniqueness rule (`like:<update>:<user>`,
    `view:<update>:<user>:<day>`, `share:<update>:<user>`): a counter moves only when that
    row is inserted (or, for an unlike, deleted), so repeating an action never inflates it.
    """

    def __init__(self, db):
        self.collection = db["impact_updates"]
        self.engagements = db["impact_update_engagements"]

    def create_indexes(self) -> None:
        self.collection.create_index([("onlus_id", ASCENDING), ("status", ASCENDING), ("published_at", DESCENDING)])
        self.collection.create_index([("status", ASCENDING), ("publish_at", ASCENDING)])
        self.collection.create_index([("status", ASCENDING), ("trending_score", DESCENDING)])
        self.engagements.create_index([("update_id", ASCENDING), ("kind", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        doc = {
            **doc,
            "engagement_metrics": {"views": 0, "likes": 0, "shares": 0, "comments": 0},
            "trending_score": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        doc["_id"] = self.collection.insert_one(doc).inserted_id
        return doc

    def get(self, update_id) -> dict | None:
        """The update an id (a string from a client, or an `_id` read before) names; None when none."""
        oid = object_id(update_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def publish(self, update_id, at: datetime) -> dict | None:
        """Move a draft/scheduled update to published (guarded: only once); None when the id names no
        unpublished update."""
        oid = object_id(update_id)
        if oid is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid, "status": {"$ne": PUBLISHED}},
            {"$set": {"status": PUBLISHED, "published_at": at, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )

    def due_scheduled(self, now: datetime) -> list[dict]:
        return list(self.collection.find({"status": SCHEDULED, "publish_at": {"$lte": now}}))

    def set_hidden(self, update_id, hidden: bool) -> None:
        """A moderator's decision: a hidden update is left out of every listing and is not found."""
        oid = object_id(update_id)
        if oid is not None:
            self.collection.update_one({"_id": oid}, {"$set": {"hidden": hidden, "updated_at": utcnow()}})

    def published_page(
        self, *, onlus_id: str | None, now: datetime, skip: int, limit: int, featured_only: bool = False
    ) -> tuple[list[dict], int]:
        query: dict = {"status": PUBLISHED, "hidden": {"$ne": True}}
        if onlus_id:
            query["onlus_id"] = onlus_id
        if featured_only:
            query["featured_until"] = {"$gt": now}
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.aggregate(
                [
                    {"$match": query},
                    {
                        "$addFields": {
                            "_featured": {"$cond": [{"$gt": [{"$ifNull": ["$featured_until", None]}, now]}, 1, 0]}
                        }
                    },
                    {"$sort": {"_featured": -1, "priority_rank": -1, "published_at": -1, "_id": -1}},
                    {"$skip": skip},
                    {"$limit": limit},
                ]
            )
        )
        return rows, total

    def published_for_onlus_ids(self, onlus_ids: list[str] | None, limit: int) -> list[dict]:
        query: dict = {"status": PUBLISHED, "hidden": {"$ne": True}}
        if onlus_ids is not None:
            query["onlus_id"] = {"$in": onlus_ids}
        return list(
            self.collection.find(query).sort([("priority_rank", DESCENDING), ("published_at", DESCENDING)]).limit(limit)
        )

    def engage(self, *, kind: str, update_id, user_id: str, day: str | None = None) -> bool:
        """Record one engagement; True when it counted (first time for its uniqueness key)."""
        key = f"{kind}:{update_id}:{user_id}" + (f":{day}" if day else "")
        try:
            self.engagements.insert_one(
                {"_id": key, "kind": kind, "update_id": update_id, "user_id": user_id, "at": utcnow()}
            )
        except DuplicateKeyError:
            return False
        self.collection.update_one({"_id": update_id}, {"$inc": {f"engagement_metrics.{kind}s": 1}})
        return True

    def unlike(self, update_id, user_id: str) -> bool:
        result = self.engagements.delete_one({"_id": f"like:{update_id}:{user_id}"})
        if result.deleted_count:
            self.collection.update_one({"_id": update_id}, {"$inc": {"engagement_metrics.likes": -1}})
            return True
        return False

    def liked_by(self, update_ids: list, user_id: str) -> set:
        keys = [f"like:{u}:{user_id}" for u in update_ids]
        return {r["update_id"] for r in self.engagements.find({"_id": {"$in": keys}}, {"update_id": 1})}

    def recent_published(self, since: datetime) -> list[dict]:
        return list(self.collection.find({"status": PUBLISHED, "published_at": {"$gte": since}}))

    def set_trending(self, update_id, score: int) -> None:
        self.collection.update_one({"_id": update_id}, {"$set": {"trending_score": score}})

    def engagement_counts_since(self, update_ids: list, since: datetime) -> dict:
        rows = self.engagements.aggregate(
            [
                {"$match": {"update_id": {"$in": update_ids}, "at": {"$gte": since}}},
                {"$group": {"_id": {"u": "$update_id", "k": "$kind"}, "n": {"$sum": 1}}},
            ]
        )
        out: dict = {}
        for r in rows:
            out.setdefault(r["_id"]["u"], {})[r["_id"]["k"] + "s"] = r["n"]
        return out

    def trending(self, limit: int) -> list[dict]:
        return list(
            self.collection.find({"status": PUBLISHED, "trending_score": {"$gt": 0}, "hidden": {"$ne": True}})
            .sort([("trending_score", DESCENDING), ("published_at", DESCENDING)])
            .limit(limit)
        )
