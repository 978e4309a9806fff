from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.ids import object_id
from app.games.models.competition import ACCEPTED, ACTIVE, PENDING


class ChallengeRepository:
    """`challenges` (the contest) and `challenge_participants` (one per invited user)."""

    def __init__(self, db):
        self.challenges = db["challenges"]
        self.participants = db["challenge_participants"]

    def create_indexes(self) -> None:
        self.challenges.create_index([("challenger_id", ASCENDING), ("created_at", DESCENDING)])
        self.challenges.create_index([("status", ASCENDING), ("accept_by", ASCENDING)])
        self.challenges.create_index([("status", ASCENDING), ("ends_at", ASCENDING)])
        self.challenges.create_index([("game_id", ASCENDING)])
        self.participants.create_index([("challenge_id", ASCENDING), ("user_id", ASCENDING)], unique=True)
        self.participants.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.participants.create_index([("session_id", ASCENDING)])

    def insert(self, challenge: dict, participants: list[dict], *, session=None) -> dict:
        self.challenges.insert_one(challenge, session=session)
        for p in participants:
            p["challenge_id"] = str(challenge["_id"])
        self.participants.insert_many(participants, session=session)
        return challenge

    def by_id(self, challenge_id, *, session=None) -> dict | None:
        key = object_id(challenge_id)
        return self.challenges.find_one({"_id": key}, session=session) if key else None

    def participants_of(self, challenge_id: str, *, session=None) -> list[dict]:
        return list(
            self.participants.find({"challenge_id": challenge_id}, session=session).sort(
                [("side", ASCENDING), ("created_at", ASCENDING)]
            )
        )

    def participant(self, challenge_id: str, user_id: str, *, session=None) -> dict | None:
        return self.participants.find_one({"challenge_id": challenge_id, "user_id": user_id}, session=session)

    def update_participant(
        self, challenge_id: str, user_id: str, expect: dict, update: dict, *, session=None
    ) -> dict | None:
        return self.participants.find_one_and_update(
            {"challenge_id": challenge_id, "user_id": user_id, **expect},
            update,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def release_session(self, session_id: str) -> None:
        """An abandoned session no longer holds its participant's turn."""
        self.participants.update_many({"session_id": session_id, "status": ACCEPTED}, {"$set": {"session_id": None}})

    def transition(self, challenge_id, from_statuses: list[str], update: dict, *, session=None) -> dict | None:
        return self.challenges.find_one_and_update(
            {"_id": object_id(challenge_id), "status": {"$in": from_statuses}},
            update,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def challenge_ids_of(self, user_id: str) -> list[str]:
        return [p["challenge_id"] for p in self.participants.find({"user_id": user_id}, {"challenge_id": 1})]

    def list_for_user(self, user_id: str, *, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        ids = [object_id(c) for c in self.challenge_ids_of(user_id)]
        query: dict = {"_id": {"$in": ids}}
        if status:
            query["status"] = status
        total = self.challenges.count_documents(query)
        rows = list(
            self.challenges.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def due(self, now: datetime, limit: int = 500) -> list[dict]:
        return list(
            self.challenges.find(
                {
                    "$or": [
                        {"status": PENDING, "accept_by": {"$lte": now}},
                        {"status": ACTIVE, "ends_at": {"$lte": now}},
                    ]
                }
            ).limit(limit)
        )
