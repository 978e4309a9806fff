from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id


class TeamNameTaken(Exception):
    """An active team already has this name (the unique `name_key`)."""


class AlreadyInTeam(Exception):
    """The user is a member of a team already (the unique `team_members.user_id`)."""


class TeamRepository:
    """`global_teams` and `team_members` (a user belongs to at most one team)."""

    def __init__(self, db):
        self.teams = db["global_teams"]
        self.members = db["team_members"]

    def create_indexes(self) -> None:
        self.teams.create_index([("name_key", ASCENDING)], unique=True, partialFilterExpression={"is_active": True})
        self.teams.create_index([("is_active", ASCENDING), ("created_at", ASCENDING)])
        self.members.create_index([("user_id", ASCENDING)], unique=True)
        self.members.create_index([("team_id", ASCENDING), ("role", ASCENDING), ("joined_at", ASCENDING)])

    # -- teams ------------------------------------------------------------------------------
    def insert_team(self, doc: dict, *, session=None) -> dict:
        """Store a new team (`doc` gets its `_id`); TeamNameTaken when an active team has the name."""
        try:
            self.teams.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise TeamNameTaken(doc.get("name_key")) from exc
        return doc

    def by_id(self, team_id, *, session=None, active_only: bool = True) -> dict | None:
        key = object_id(team_id)
        if not key:
            return None
        query = {"_id": key, **({"is_active": True} if active_only else {})}
        return self.teams.find_one(query, session=session)

    def by_ids(self, team_ids: list[str]) -> list[dict]:
        keys = [key for key in map(object_id, team_ids) if key]
        return list(self.teams.find({"_id": {"$in": keys}}))

    def set_hidden(self, team_id, hidden: bool) -> dict | None:
        """A moderator's decision: a hidden team is left out of every listing."""
        return self._set(team_id, {"hidden": hidden, "updated_at": utcnow()})

    def find(self, *, search: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        query: dict = {"is_active": True, "hidden": {"$ne": True}}
        if search:
            query["name_key"] = {"$regex": re.escape(search.strip().casefold())}
        total = self.teams.count_documents(query)
        rows = list(self.teams.find(query).sort([("name_key", ASCENDING)]).skip(skip).limit(limit))
        return rows, total

    def take_seat(self, team_id, *, session=None) -> dict | None:
        """One more member if the team is active and not full (a single conditional update)."""
        key = object_id(team_id)
        if key is None:
            return None
        return self.teams.find_one_and_update(
            {"_id": key, "is_active": True, "$expr": {"$lt": ["$member_count", "$max_members"]}},
            {"$inc": {"member_count": 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def free_seat(self, team_id, *, session=None) -> None:
        key = object_id(team_id)
        if key is not None:
            self.teams.update_one(
                {"_id": key, "member_count": {"$gt": 0}}, {"$inc": {"member_count": -1}}, session=session
            )

    def close(self, team_id, at: datetime, *, session=None) -> dict | None:
        """The last member left: the team is inactive (its name is free again)."""
        return self._set(team_id, {"is_active": False, "closed_at": at, "updated_at": at}, session=session)

    def hand_over(self, team_id, owner_id: str, at: datetime, *, session=None) -> dict | None:
        """Record the team's new owner."""
        return self._set(team_id, {"owner_id": owner_id, "updated_at": at}, session=session)

    def _set(self, team_id, fields: dict, *, session=None) -> dict | None:
        key = object_id(team_id)
        if key is None:
            return None
        return self.teams.find_one_and_update(
            {"_id": key}, {"$set": fields}, return_document=ReturnDocument.AFTER, session=session
        )

    # -- members ----------------------------------------------------------------------------
    def insert_member(self, doc: dict, *, session=None) -> None:
        """Store a membership; AlreadyInTeam when the user belongs to a team already."""
        try:
            self.members.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise AlreadyInTeam(doc.get("user_id")) from exc

    def membership(self, user_id: str, *, session=None) -> dict | None:
        return self.members.find_one({"user_id": user_id}, session=session)

    def member(self, team_id: str, user_id: str, *, session=None) -> dict | None:
        return self.members.find_one({"team_id": team_id, "user_id": user_id}, session=session)

    def members_of(self, team_id: str, *, session=None) -> list[dict]:
        return list(self.members.find({"team_id": team_id}, session=session).sort("joined_at", ASCENDING))

    def delete_member(self, team_id: str, user_id: str, *, session=None) -> bool:
        return self.members.delete_one({"team_id": team_id, "user_id": user_id}, session=session).deleted_count == 1

    def set_role(self, team_id: str, user_id: str, role: str, *, session=None) -> dict | None:
        return self.members.find_one_and_update(
            {"team_id": team_id, "user_id": user_id},
            {"$set": {"role": role}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
