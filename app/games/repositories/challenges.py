from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.ids import object_id
from app.games.models.competition import (
    ACCEPTED,
    ACTIVE,
    CANCELLED,
    CHALLENGE_REACHABLE_FROM,
    COMPLETED,
    DECLINED,
    EXPIRED,
    PART_DECLINED,
    PARTICIPANT_REACHABLE_FROM,
    PENDING,
    PLAYED,
)


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

    # -- challenges -------------------------------------------------------------------------
    def by_id(self, challenge_id, *, session=None) -> dict | None:
        key = object_id(challenge_id)
        return self.challenges.find_one({"_id": key}, session=session) if key else None

    def hide_message(self, challenge_id, hidden: bool) -> dict | None:
        """A moderator's decision: a hidden message is no longer shown with its challenge."""
        key = object_id(challenge_id)
        if key is None:
            return None
        return self.challenges.find_one_and_update(
            {"_id": key}, {"$set": {"message_hidden": hidden}}, return_document=ReturnDocument.AFTER
        )

    def activate(self, challenge_id, at: datetime, *, ends_at: datetime) -> dict | None:
        """Pending -> active: everyone accepted, play until `ends_at`."""
        return self._move(challenge_id, ACTIVE, {"activated_at": at, "updated_at": at, "ends_at": ends_at})

    def decline(self, challenge_id, at: datetime) -> dict | None:
        return self._move(challenge_id, DECLINED, {"updated_at": at, "completed_at": at})

    def cancel(self, challenge_id, at: datetime) -> dict | None:
        return self._move(challenge_id, CANCELLED, {"updated_at": at, "completed_at": at})

    def expire(self, challenge_id, at: datetime) -> dict | None:
        return self._move(challenge_id, EXPIRED, {"updated_at": at, "completed_at": at})

    def complete(self, challenge_id, at: datetime, result: dict, *, session=None) -> dict | None:
        """Active -> completed with the decision in `result` (side_scores, winner_side, winner_ids)."""
        return self._move(challenge_id, COMPLETED, {"completed_at": at, "updated_at": at, **result}, session=session)

    def _move(self, challenge_id, to: str, fields: dict, *, session=None) -> dict | None:
        """Move the challenge to `to` if it is still in a status that may reach it; None otherwise."""
        key = object_id(challenge_id)
        if key is None:
            return None
        return self.challenges.find_one_and_update(
            {"_id": key, "status": {"$in": list(CHALLENGE_REACHABLE_FROM[to])}},
            {"$set": {"status": to, **fields}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def list_for_user(self, user_id: str, *, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        ids = [object_id(c) for c in self._challenge_ids_of(user_id)]
        query: dict = {"_id": {"$in": ids}}
        if status:
            query["status"] = status
        total = self.challenges.count_documents(query)
        rows = list(
            self.challenges.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def due(self, now: datetime, limit: int = 500) -> list[dict]:
        """Pending challenges past `accept_by` and active ones past `ends_at`."""
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

    # -- participants -----------------------------------------------------------------------
    def participants_of(self, challenge_id: str, *, session=None) -> list[dict]:
        return list(
            self.participants.find({"challenge_id": challenge_id}, session=session).sort(
                [("side", ASCENDING), ("created_at", ASCENDING)]
            )
        )

    def participant(self, challenge_id: str, user_id: str, *, session=None) -> dict | None:
        return self.participants.find_one({"challenge_id": challenge_id, "user_id": user_id}, session=session)

    def accept_invitation(self, challenge_id: str, user_id: str, at: datetime) -> dict | None:
        """Invited -> accepted; None when the participant answered already."""
        return self._move_participant(challenge_id, user_id, ACCEPTED, {"responded_at": at})

    def decline_invitation(self, challenge_id: str, user_id: str, at: datetime) -> dict | None:
        """Invited -> declined; None when the participant answered already."""
        return self._move_participant(challenge_id, user_id, PART_DECLINED, {"responded_at": at})

    def bind_session(self, challenge_id: str, user_id: str, session_id: str, *, session=None) -> dict | None:
        """Give an accepted participant's one turn to a session; None when the turn is taken or played."""
        return self._update_participant(
            {"challenge_id": challenge_id, "user_id": user_id, "status": ACCEPTED, "session_id": None},
            {"session_id": session_id},
            session=session,
        )

    def record_play(
        self, challenge_id: str, user_id: str, session_id: str, *, score: int, raw_score: int, played_at: datetime
    ) -> dict | None:
        """Accepted -> played, by the session bound to the turn; None when already recorded (or not bound)."""
        return self._move_participant(
            challenge_id,
            user_id,
            PLAYED,
            {"score": score, "raw_score": raw_score, "played_at": played_at},
            session_id=session_id,
        )

    def release_session(self, session_id: str) -> None:
        """An abandoned session no longer holds its participant's turn."""
        self.participants.update_many({"session_id": session_id, "status": ACCEPTED}, {"$set": {"session_id": None}})

    def _move_participant(self, challenge_id: str, user_id: str, to: str, fields: dict, **expect) -> dict | None:
        query = {"challenge_id": challenge_id, "user_id": user_id, **expect, "status": PARTICIPANT_REACHABLE_FROM[to]}
        return self._update_participant(query, {"status": to, **fields})

    def _update_participant(self, query: dict, fields: dict, *, session=None) -> dict | None:
        return self.participants.find_one_and_update(
            query, {"$set": fields}, return_document=ReturnDocument.AFTER, session=session
        )

    def _challenge_ids_of(self, user_id: str) -> list[str]:
        return [p["challenge_id"] for p in self.participants.find({"user_id": user_id}, {"challenge_id": 1})]
