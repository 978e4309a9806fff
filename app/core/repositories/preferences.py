from __future__ import annotations

from pymongo import ReturnDocument

from app.core.clock import utcnow


class PreferencesRepository:
    def __init__(self, db):
        self.collection = db["user_preferences"]

    def create_indexes(self) -> None:
        """Keyed by _id = user id; nothing else is queried."""

    def get(self, user_id: str) -> dict | None:
        return self.collection.find_one({"_id": user_id})

    def get_many(self, user_ids: list[str]) -> dict[str, dict]:
        return {d["_id"]: d for d in self.collection.find({"_id": {"$in": list(user_ids)}})}

    def save(self, user_id: str, prefs: dict) -> dict:
        return self.collection.find_one_and_update(
            {"_id": user_id},
            {"$set": {"prefs": prefs, "updated_at": utcnow()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def users_hidden_from_leaderboards(self, user_ids: list[str] | None = None) -> list[str]:
        query: dict = {"prefs.privacy.show_on_leaderboards": False}
        if user_ids is not None:
            query["_id"] = {"$in": list(user_ids)}
        return [d["_id"] for d in self.collection.find(query, {"_id": 1})]
