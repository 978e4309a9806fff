from __future__ import annotations

import re

from pymongo import ASCENDING, ReturnDocument


class GameRepository:
    """`games`: the catalog; _id is the plugin's game id."""

    def __init__(self, db):
        self.collection = db["games"]

    def create_indexes(self) -> None:
        self.collection.create_index([("is_active", ASCENDING), ("category", ASCENDING)])
        self.collection.create_index([("name_lower", ASCENDING)])

    def upsert_plugin(self, game_id: str, fields: dict, now) -> None:
        """Plugin-owned fields are refreshed; is_active (admin-owned) is only set the first time."""
        self.collection.update_one(
            {"_id": game_id},
            {
                "$set": {**fields, "name_lower": fields["name"].lower(), "is_available": True, "updated_at": now},
                "$setOnInsert": {"is_active": True, "created_at": now},
            },
            upsert=True,
        )

    def mark_missing_unavailable(self, present_ids: list[str], now) -> int:
        """Games whose plugin is gone stay in the catalog (sessions refer to them) but cannot be played."""
        return self.collection.update_many(
            {"_id": {"$nin": present_ids}, "is_available": {"$ne": False}},
            {"$set": {"is_available": False, "updated_at": now}},
        ).modified_count

    def all(self) -> list[dict]:
        return list(self.collection.find())

    def _query(self, *, active_only: bool, category: str | None, search: str | None) -> dict:
        query: dict = {}
        if active_only:
            query.update(is_active=True, is_available={"$ne": False})
        if category:
            query["category"] = category
        if search:
            query["name_lower"] = {"$regex": re.escape(search.strip().lower())}
        return query

    def find(
        self,
        *,
        active_only: bool = True,
        category: str | None = None,
        search: str | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> tuple[list[dict], int]:
        query = self._query(active_only=active_only, category=category, search=search)
        total = self.collection.count_documents(query)
        cursor = self.collection.find(query).sort([("name_lower", ASCENDING), ("_id", ASCENDING)]).skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor), total

    def set_active(self, game_id: str, active: bool, now) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": game_id}, {"$set": {"is_active": active, "updated_at": now}}, return_document=ReturnDocument.AFTER
        )
