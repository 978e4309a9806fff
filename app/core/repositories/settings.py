from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import UpdateOne


class SettingsRepository:
    """`configs`: one document per runtime setting that an operator changed (`_id` is its key)."""

    def __init__(self, db):
        self.collection = db["configs"]

    def stored(self) -> dict[str, dict]:
        return {doc["_id"]: doc for doc in self.collection.find({})}

    def save(self, changes: dict[str, Any], *, actor_id: str | None, at: datetime, session=None) -> None:
        self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": key},
                    {"$set": {"value": value, "updated_at": at, "updated_by": actor_id}, "$inc": {"version": 1}},
                    upsert=True,
                )
                for key, value in changes.items()
            ],
            ordered=True,
            session=session,
        )
