from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.ids import object_id
from app.games.models.competition import SCHEDULED, T_ACTIVE


class TournamentRepository:
    """`tournaments`: participants (user or team ids) live on the document, seats taken atomically."""

    def __init__(self, db):
        self.collection = db["tournaments"]

    def create_indexes(self) -> None:
        c = self.collection
        c.create_index([("key", ASCENDING)], unique=True, partialFilterExpression={"key": {"$type": "string"}})
        c.create_index([("status", ASCENDING), ("starts_at", ASCENDING)])
        c.create_index([("status", ASCENDING), ("ends_at", ASCENDING)])
        c.create_index([("participants", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        self.collection.insert_one(doc)
        return doc

    def ensure(self, key: str, doc: dict) -> bool:
        result = self.collection.update_one({"key": key}, {"$setOnInsert": {**doc, "key": key}}, upsert=True)
        return result.upserted_id is not None

    def by_id(self, tournament_id, *, session=None) -> dict | None:
        key = object_id(tournament_id)
        return self.collection.find_one({"_id": key}, session=session) if key else None

    def find(self, *, status: str | None, type_: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        query: dict = {}
        if status:
            query["status"] = status
        if type_:
            query["type"] = type_
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("starts_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def take_seat(self, tournament_id, participant_id: str) -> dict | None:
        """Register a participant if there is a free seat and registration is open: one conditional update,
        so racing joins can never overfill the tournament."""
        return self.collection.find_one_and_update(
            {
                "_id": object_id(tournament_id),
                "status": {"$in": [SCHEDULED, T_ACTIVE]},
                "participants": {"$ne": participant_id},
                "$expr": {"$lt": ["$participants_count", "$max_participants"]},
            },
            {"$addToSet": {"participants": participant_id}, "$inc": {"participants_count": 1}},
            return_document=ReturnDocument.AFTER,
        )

    def release_seat(self, tournament_id, participant_id: str) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": object_id(tournament_id), "status": SCHEDULED, "participants": participant_id},
            {"$pull": {"participants": participant_id}, "$inc": {"participants_count": -1}},
            return_document=ReturnDocument.AFTER,
        )

    def transition(self, tournament_id, from_statuses: list[str], update: dict, *, session=None) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": object_id(tournament_id), "status": {"$in": from_statuses}},
            update,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def due_to_start(self, now: datetime) -> list[dict]:
        return list(
            self.collection.find({"status": SCHEDULED, "starts_at": {"$lte": now}, "ends_at": {"$gt": now}}, {"_id": 1})
        )

    def due_to_end(self, now: datetime) -> list[dict]:
        return list(
            self.collection.find({"status": {"$in": [SCHEDULED, T_ACTIVE]}, "ends_at": {"$lte": now}}, {"_id": 1})
        )
