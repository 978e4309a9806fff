from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.ids import object_id
from app.games.models.competition import (
    OPEN_TOURNAMENT_STATUSES,
    SCHEDULED,
    T_ACTIVE,
    T_COMPLETED,
    TOURNAMENT_REACHABLE_FROM,
)


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

    def ensure(self, key: str, doc: dict) -> dict:
        """The tournament with this stable key, created from `doc` if there is none yet (a later edit is kept)."""
        self.collection.update_one({"key": key}, {"$setOnInsert": {**doc, "key": key}}, upsert=True)
        return self.collection.find_one({"key": key})

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
        key = object_id(tournament_id)
        if key is None:
            return None
        return self.collection.find_one_and_update(
            {
                "_id": key,
                "status": {"$in": list(OPEN_TOURNAMENT_STATUSES)},
                "participants": {"$ne": participant_id},
                "$expr": {"$lt": ["$participants_count", "$max_participants"]},
            },
            {"$addToSet": {"participants": participant_id}, "$inc": {"participants_count": 1}},
            return_document=ReturnDocument.AFTER,
        )

    def release_seat(self, tournament_id, participant_id: str) -> dict | None:
        """Give a participant's seat back, only before the tournament starts."""
        key = object_id(tournament_id)
        if key is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": key, "status": SCHEDULED, "participants": participant_id},
            {"$pull": {"participants": participant_id}, "$inc": {"participants_count": -1}},
            return_document=ReturnDocument.AFTER,
        )

    def start(self, tournament_id, at: datetime, *, session=None) -> dict | None:
        """Scheduled -> active."""
        return self._move(tournament_id, T_ACTIVE, {"started_at": at, "updated_at": at}, session=session)

    def complete(self, tournament_id, at: datetime, *, standings: list[dict], results: list[dict], session=None):
        """Scheduled|active -> completed with its final standings and results; None if it was closed already."""
        fields = {"completed_at": at, "updated_at": at, "standings": standings, "results": results}
        return self._move(tournament_id, T_COMPLETED, fields, session=session)

    def set_event_id(self, tournament_id, event_id: str, *, session=None) -> dict | None:
        """Record the TournamentComplete event of a completed tournament."""
        key = object_id(tournament_id)
        if key is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": key, "status": {"$in": [T_COMPLETED]}},
            {"$set": {"event_id": event_id}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def _move(self, tournament_id, to: str, fields: dict, *, session=None) -> dict | None:
        key = object_id(tournament_id)
        if key is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": key, "status": {"$in": list(TOURNAMENT_REACHABLE_FROM[to])}},
            {"$set": {"status": to, **fields}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def due_to_start(self, now: datetime) -> list[dict]:
        return list(
            self.collection.find({"status": SCHEDULED, "starts_at": {"$lte": now}, "ends_at": {"$gt": now}}, {"_id": 1})
        )

    def due_to_end(self, now: datetime) -> list[dict]:
        return list(
            self.collection.find(
                {"status": {"$in": list(OPEN_TOURNAMENT_STATUSES)}, "ends_at": {"$lte": now}}, {"_id": 1}
            )
        )
