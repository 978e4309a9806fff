from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.ids import object_id
from app.games.models.session import (
    ABANDONED,
    ACTIVE,
    COMPLETED,
    OPEN_STATUSES,
    PAUSED,
    REACHABLE_FROM,
    REVIEW_PENDING,
    VOIDED,
)


class SessionAlreadyOpen(Exception):
    """The user already has an open session of this game (the unique `open_key`)."""


class SessionRepository:
    """`game_sessions`: one document per play, updated with version-guarded writes; `play_summaries`."""

    def __init__(self, db):
        self.collection = db["game_sessions"]
        self.summaries = db["play_summaries"]  # per user: last completed day, streak, the last hour's ends

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
        c.create_index([("review.status", ASCENDING), ("review.flagged_at", ASCENDING)], sparse=True)
        c.create_index(
            [("user_id", ASCENDING), ("game_id", ASCENDING), ("status", ASCENDING), ("completed_at", ASCENDING)]
        )

    # -- writes ---------------------------------------------------------------------------
    def insert(self, doc: dict, *, session=None) -> dict:
        """Store a new open session (`doc` gets its `_id`); SessionAlreadyOpen when one is open already."""
        try:
            result = self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise SessionAlreadyOpen(doc.get("open_key")) from exc
        doc["_id"] = result.inserted_id
        return doc

    def save_progress(self, session_id, version: int, changes: dict) -> dict | None:
        """Apply `changes` to a session still open and at `version` (the version moves on)."""
        return self._write(session_id, version, OPEN_STATUSES, {"$set": changes, "$inc": {"version": 1}})

    def pause(self, session_id, version: int, at: datetime) -> dict | None:
        """Pause an active session still at `version`."""
        fields = {"status": PAUSED, "paused_at": at, "last_activity_at": at, "updated_at": at}
        return self._move(session_id, version, PAUSED, {"$set": fields})

    def resume(self, session_id, version: int, at: datetime, *, paused_seconds: float) -> dict | None:
        """Resume a paused session still at `version`; `paused_seconds` is its paused time so far."""
        fields = {
            "status": ACTIVE,
            "paused_at": None,
            "last_activity_at": at,
            "updated_at": at,
            "paused_seconds": paused_seconds,
        }
        return self._move(session_id, version, ACTIVE, {"$set": fields})

    def complete(self, session_id, version: int, changes: dict, *, session=None) -> dict | None:
        """Complete an open session still at `version` with the result fields in `changes`; it no longer
        blocks a new session of its game."""
        update = {"$set": {**changes, "status": COMPLETED}, "$unset": {"open_key": ""}}
        return self._move(session_id, version, COMPLETED, update, session=session)

    def abandon(self, session_id, version: int, at: datetime) -> dict | None:
        """Abandon an open session unless it was touched since it was read (version guard)."""
        update = {"$set": {"status": ABANDONED, "abandoned_at": at, "updated_at": at}, "$unset": {"open_key": ""}}
        return self._move(session_id, version, ABANDONED, update)

    def flag_for_review(self, session_id: str, review: dict) -> bool:
        """Put a session in the review queue, once (a session already flagged or decided stays as it is)."""
        key = object_id(session_id)
        if key is None:
            return False
        done = self.collection.update_one({"_id": key, "review": {"$exists": False}}, {"$set": {"review": review}})
        return done.modified_count == 1

    def settle_review(self, session_id: str, status: str, decision: dict) -> bool:
        """Close a pending review (its held credits were settled another way)."""
        key = object_id(session_id)
        if key is None:
            return False
        done = self.collection.update_one(
            {"_id": key, "review.status": REVIEW_PENDING},
            {"$set": {"review.status": status, "review.decision": decision}},
        )
        return done.modified_count == 1

    def approve(self, session_id, decision: dict, *, status: str, session=None) -> dict | None:
        """A completed session in review, approved: its review closes (None: not completed, or not in review)."""
        return self.collection.find_one_and_update(
            {"_id": session_id, "status": COMPLETED, "review.status": REVIEW_PENDING},
            {"$set": {"review.status": status, "review.decision": decision, "updated_at": decision["at"]}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def void(self, session_id, decision: dict, *, review_status: str, session=None) -> dict | None:
        """A completed session voided (None: it is not completed, e.g. voided by someone else first); a pending
        review closes with it."""
        doc = self.collection.find_one_and_update(
            {"_id": session_id, "status": COMPLETED},
            {"$set": {"status": VOIDED, "void": decision, "updated_at": decision["at"]}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if doc is not None:  # its day may no longer count for the streak: the next end rebuilds the summary
            self.summaries.delete_one({"_id": doc["user_id"]}, session=session)
        if doc is not None and (doc.get("review") or {}).get("status") == REVIEW_PENDING:
            doc = self.collection.find_one_and_update(
                {"_id": session_id},
                {"$set": {"review.status": review_status, "review.decision": decision}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
        return doc

    def _move(self, session_id, version: int, to: str, update: dict, *, session=None) -> dict | None:
        return self._write(session_id, version, REACHABLE_FROM[to], {**update, "$inc": {"version": 1}}, session=session)

    def _write(self, session_id, version: int, statuses, update: dict, *, session=None) -> dict | None:
        key = object_id(session_id)
        if key is None:
            return None
        status = statuses[0] if len(statuses) == 1 else {"$in": list(statuses)}
        return self.collection.find_one_and_update(
            {"_id": key, "status": status, "version": version},
            update,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    # -- reads ----------------------------------------------------------------------------
    def for_user(self, session_id: str, user_id: str) -> dict | None:
        key = object_id(session_id)
        return self.collection.find_one({"_id": key, "user_id": user_id}) if key else None

    def by_id(self, session_id: str) -> dict | None:
        key = object_id(session_id)
        return self.collection.find_one({"_id": key}) if key else None

    def review_queue(self, *, status: str, skip: int, limit: int) -> tuple[list[dict], int]:
        """Sessions whose review has this status, the oldest flag first."""
        query = {"review.status": status}
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query)
            .sort([("review.flagged_at", ASCENDING), ("_id", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return rows, total

    def best_score(self, user_id: str, game_id: str, start: datetime | None, end: datetime | None) -> int | None:
        """The best universal score of the user's completed sessions of a game completed in [start, end) (no
        bound where None); None when there is none."""
        match: dict = {"user_id": user_id, "game_id": game_id, "status": COMPLETED}
        window = {op: at for op, at in (("$gte", start), ("$lt", end)) if at is not None}
        if window:
            match["completed_at"] = window
        doc = self.collection.find_one(match, {"universal_score": 1}, sort=[("universal_score", DESCENDING)])
        return None if doc is None else int(doc.get("universal_score") or 0)

    def open_for(self, user_id: str, game_id: str) -> dict | None:
        return self.collection.find_one(
            {"user_id": user_id, "game_id": game_id, "status": {"$in": list(OPEN_STATUSES)}}
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

    def completion_stats(
        self, user_id: str, since_day: str, start: datetime, end: datetime, *, session=None
    ) -> tuple[set[str], list[datetime]]:
        """(completed_days since `since_day`, completion times in [start, end)) in one round trip;
        [start, end) must lie after `since_day`."""
        rows = list(
            self.collection.aggregate(
                [
                    {"$match": {"user_id": user_id, "status": COMPLETED, "completed_day": {"$gte": since_day}}},
                    {
                        "$facet": {
                            "days": [{"$group": {"_id": "$completed_day"}}],
                            "window": [
                                {"$match": {"completed_at": {"$gte": start, "$lt": end}}},
                                {"$project": {"_id": 0, "completed_at": 1}},
                            ],
                        }
                    },
                ],
                session=session,
            )
        )
        facets = rows[0] if rows else {}
        days = {d["_id"] for d in facets.get("days", []) if d.get("_id")}
        return days, [w["completed_at"] for w in facets.get("window", [])]

    # -- play summaries: one per user, kept by each completion -------------------------------
    def record_play(self, user_id: str, update: list[dict], *, session=None) -> dict | None:
        """Apply a completion's update to the user's play summary; the summary as it was (None: none yet)."""
        return self.summaries.find_one_and_update(
            {"_id": user_id}, update, upsert=True, return_document=ReturnDocument.BEFORE, session=session
        )

    def save_play_summary(self, user_id: str, summary: dict, *, session=None) -> None:
        self.summaries.replace_one({"_id": user_id}, {"_id": user_id, **summary}, upsert=True, session=session)

    def play_between(self, user_id: str, first_day: str, end_day: str) -> tuple[int, int]:
        """(sessions completed, credited play seconds) on days first_day <= day < end_day (ISO dates)."""
        rows = list(
            self.collection.aggregate(
                [
                    {
                        "$match": {
                            "user_id": user_id,
                            "completed_day": {"$gte": first_day, "$lt": end_day},
                            "status": COMPLETED,
                        }
                    },
                    {"$group": {"_id": None, "n": {"$sum": 1}, "seconds": {"$sum": "$play_seconds"}}},
                ]
            )
        )
        return (int(rows[0]["n"]), int(rows[0]["seconds"] or 0)) if rows else (0, 0)

    def stale(self, *, active_before: datetime, paused_before: datetime, limit: int = 500) -> list[dict]:
        """Open sessions whose last activity is older than the limit of their status."""
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

    def tournament_standings(
        self, tournament_id: str, *, by_team: bool, until: datetime | None, best_only: bool
    ) -> list[dict]:
        """[{participant_id, score, sessions, user_ids, first_at}] from completed tournament sessions: the
        score is the sum of their universal scores, or the best one with `best_only`."""
        match: dict = {"tournament_id": tournament_id, "status": COMPLETED}
        if until is not None:
            match["completed_at"] = {"$lte": until}
        group_key = "$tournament_team_id" if by_team else "$user_id"
        accumulate = {"$max": "$universal_score"} if best_only else {"$sum": "$universal_score"}
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
