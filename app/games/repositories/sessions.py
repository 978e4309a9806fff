from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.ids import object_id
from app.games.models.session import ABANDONED, ACTIVE, COMPLETED, OPEN_STATUSES, PAUSED


class SessionRepository:
    """`game_sessions`: one document per play, updated with version-guarded writes."""

    def __init__(self, db):
        self.collection = db["game_sessions"]

    def create_indexes(self) -> None:
        c = self.collection
        # at most one open (active or paused) session per user and game
        c.create_index(
            [("open_key", ASCENDING)], unique=True, partialFilterExpression={"open_key": {"$type": "string"}}
        )
        c.create_index([("user_id", ASCENDING), ("status", ASCENDING), ("started_at", DESCENDING)])
        c.create_index([("user_id", ASCENDING), ("completed_day", ASCENDING)])
        c.create_index([("status", ASCENDING), ("last_activity_at", ASCENDING)])
        c.create_index([("tournament_id", ASCENDING), ("status", ASCENDING)])
        c.create_index([("team_ids", ASCENDING), ("status", ASCENDING)])
        c.create_index([("game_id", ASCENDING), ("created_at", ASCENDING)])

    def insert(self, doc: dict, *, session=None) -> dict:
        result = self.collection.insert_one(doc, session=session)
        doc["_id"] = result.inserted_id
        return doc

    def by_id(self, session_id, *, session=None) -> dict | None:
        key = object_id(session_id)
        return self.collection.find_one({"_id": key}, session=session) if key else None

    def for_user(self, session_id: str, user_id: str) -> dict | None:
        key = object_id(session_id)
        return self.collection.find_one({"_id": key, "user_id": user_id}) if key else None

    def open_for(self, user_id: str, game_id: str) -> dict | None:
        return self.collection.find_one(
            {"user_id": user_id, "game_id": game_id, "status": {"$in": list(OPEN_STATUSES)}}
        )

    def guarded_update(self, session_id, expect: dict, update: dict, *, session=None) -> dict | None:
        """Apply `update` only if the document still matches `expect`; the new document or None."""
        return self.collection.find_one_and_update(
            {"_id": object_id(session_id), **expect}, update, return_document=ReturnDocument.AFTER, session=session
        )

    def list_for_user(
        self, user_id: str, *, status: str | None, game_id: str | None, skip: int, limit: int
    ) -> tuple[list[dict], int]:
        query: dict = {"user_id": user_id}
        if status:
            query["status"] = status
        if game_id:
            query["game_id"] = game_id
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("started_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def completed_days(self, user_id: str, since_day: str) -> set[str]:
        return set(
            self.collection.distinct(
                "completed_day", {"user_id": user_id, "status": COMPLETED, "completed_day": {"$gte": since_day}}
            )
        )

    def completion_stats(self, user_id: str, since_day: str, start: datetime, end: datetime) -> tuple[set[str], int]:
        """(completed_days since `since_day`, sessions completed in [start, end)) in one round trip;
        [start, end) must lie after `since_day`."""
        rows = list(
            self.collection.aggregate(
                [
                    {"$match": {"user_id": user_id, "status": COMPLETED, "completed_day": {"$gte": since_day}}},
                    {
                        "$facet": {
                            "days": [{"$group": {"_id": "$completed_day"}}],
                            "window": [{"$match": {"completed_at": {"$gte": start, "$lt": end}}}, {"$count": "n"}],
                        }
                    },
                ]
            )
        )
        facets = rows[0] if rows else {}
        days = {d["_id"] for d in facets.get("days", []) if d.get("_id")}
        window = facets.get("window") or [{}]
        return days, int(window[0].get("n", 0))

    def count_completed_between(self, user_id: str, start: datetime, end: datetime, exclude_id=None) -> int:
        query: dict = {"user_id": user_id, "status": COMPLETED, "completed_at": {"$gte": start, "$lt": end}}
        if exclude_id is not None:
            query["_id"] = {"$ne": exclude_id}
        return self.collection.count_documents(query)

    def stale(self, *, active_before: datetime, paused_before: datetime, limit: int = 500) -> list[dict]:
        return list(
            self.collection.find(
                {
                    "$or": [
                        {"status": ACTIVE, "last_activity_at": {"$lt": active_before}},
                        {"status": PAUSED, "last_activity_at": {"$lt": paused_before}},
                    ]
                }
            ).limit(limit)
        )

    def abandon(self, doc: dict, now: datetime) -> dict | None:
        """Abandon an open session unless it was touched since it was read (version guard)."""
        return self.guarded_update(
            doc["_id"],
            {"status": {"$in": list(OPEN_STATUSES)}, "version": doc["version"]},
            {
                "$set": {"status": ABANDONED, "abandoned_at": now, "updated_at": now},
                "$unset": {"open_key": ""},
                "$inc": {"version": 1},
            },
        )

    def tournament_standings(
        self, tournament_id: str, *, by_team: bool, until: datetime | None, scoring: str
    ) -> list[dict]:
        """[{participant_id, score, sessions, user_ids, first_at}] from completed tournament sessions."""
        match: dict = {"tournament_id": tournament_id, "status": COMPLETED}
        if until is not None:
            match["completed_at"] = {"$lte": until}
        group_key = "$tournament_team_id" if by_team else "$user_id"
        accumulate = {"$max": "$universal_score"} if scoring == "best" else {"$sum": "$universal_score"}
        rows = self.collection.aggregate(
            [
                {"$match": match},
                {
                    "$group": {
                        "_id": group_key,
                        "score": accumulate,
                        "sessions": {"$sum": 1},
                        "user_ids": {"$addToSet": "$user_id"},
                        "first_at": {"$min": "$completed_at"},
                    }
                },
            ]
        )
        return [
            {
                "participant_id": r["_id"],
                "score": int(r["score"] or 0),
                "sessions": r["sessions"],
                "user_ids": sorted(r["user_ids"]),
                "first_at": r["first_at"],
            }
            for r in rows
            if r["_id"]
        ]

    def team_scores(self, team_ids: list[str]) -> dict[str, dict]:
        """{team_id: {score, sessions}} summed from members' completed sessions credited to the team."""
        if not team_ids:
            return {}
        rows = self.collection.aggregate(
            [
                {"$match": {"team_ids": {"$in": team_ids}, "status": COMPLETED}},
                {"$unwind": "$team_ids"},
                {"$match": {"team_ids": {"$in": team_ids}}},
                {"$group": {"_id": "$team_ids", "score": {"$sum": "$universal_score"}, "sessions": {"$sum": 1}}},
            ]
        )
        return {r["_id"]: {"score": int(r["score"] or 0), "sessions": r["sessions"]} for r in rows}
