from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, InsertOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.core.clock import utcnow


class SeasonRepository:
    """seasons; season_standings (the final standings, one row per season, board and user); season_rewards
    (one row per reward granted: the unique id keeps it to one)."""

    def __init__(self, db):
        self.seasons = db["seasons"]
        self.standings = db["season_standings"]
        self.rewards = db["season_rewards"]
        self.entries = db["leaderboard_entries"]

    def create_indexes(self) -> None:
        self.seasons.create_index([("ends_at", ASCENDING), ("archived_at", ASCENDING)])
        self.standings.create_index([("season_id", ASCENDING), ("board", ASCENDING), ("rank", ASCENDING)])
        self.rewards.create_index([("user_id", ASCENDING), ("granted_at", DESCENDING)])

    def insert(self, doc: dict) -> dict:
        doc = {**doc, "_id": ObjectId(), "created_at": utcnow()}
        self.seasons.insert_one(doc)
        return doc

    def get(self, season_id: str) -> dict | None:
        return self.seasons.find_one({"_id": ObjectId(season_id)})

    def page(self, *, skip: int, limit: int) -> tuple[list[dict], int]:
        total = self.seasons.count_documents({})
        rows = list(
            self.seasons.find({}).sort([("starts_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def due(self, now: datetime) -> list[dict]:
        """Seasons over and not archived yet."""
        return list(self.seasons.find({"ends_at": {"$lte": now}, "archived_at": None}))

    def mark_archived(self, season_id, at: datetime) -> None:
        self.seasons.update_one({"_id": season_id, "archived_at": None}, {"$set": {"archived_at": at}})

    def delete_scheduled(self, season_id: str, now: datetime) -> bool:
        return self.seasons.delete_one({"_id": ObjectId(season_id), "starts_at": {"$gt": now}}).deleted_count == 1

    # -- standings ------------------------------------------------------------------------------
    def season_totals(self, board: str, periods: list[str]) -> list[tuple[str, int]]:
        """[(user_id, score)] summed over the board's daily buckets `periods`, best first (ties by user id)."""
        rows = self.entries.aggregate(
            [
                {"$match": {"board": board, "period": {"$in": periods}}},
                {"$group": {"_id": "$user_id", "score": {"$sum": "$score"}}},
                {"$match": {"score": {"$gt": 0}}},
                {"$sort": {"score": -1, "_id": 1}},
            ]
        )
        return [(r["_id"], int(r["score"])) for r in rows]

    def archive_standings(self, rows: list[dict]) -> None:
        """Insert the final rows (ids are season:board:user): a rerun after a crash adds only the missing."""
        if not rows:
            return
        try:
            self.standings.bulk_write([InsertOne(r) for r in rows], ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise

    def standings_page(
        self, season_id: str, board: str, *, exclude: set[str], skip: int, limit: int
    ) -> tuple[list[dict], int]:
        query = {"season_id": season_id, "board": board, "user_id": {"$nin": list(exclude)}}
        total = self.standings.count_documents(query)
        order = [("rank", ASCENDING), ("user_id", ASCENDING)]
        return list(self.standings.find(query).sort(order).skip(skip).limit(limit)), total

    def standing_of(self, season_id: str, board: str, user_id: str) -> dict | None:
        return self.standings.find_one({"_id": f"{season_id}:{board}:{user_id}"})

    # -- rewards --------------------------------------------------------------------------------
    def record_reward(self, doc: dict) -> bool:
        """False when this reward was granted before."""
        try:
            self.rewards.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def rewards_of(self, user_id: str) -> list[dict]:
        return list(self.rewards.find({"user_id": user_id}).sort("granted_at", DESCENDING))
