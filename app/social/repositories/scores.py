from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow


class ScoreRepository:
    """user_impact_scores: one document per user (_id = user id):
        {impact_score, points: {gaming, social, donations}, stats: {<metric>: int}, onlus_ids: [...],
         login: {last_day, streak}, created_at, updated_at}
    impact_score_history: one document per (user, UTC day) with that day's closing score.
    social_processed: markers `<handler>:<event id>` (and a few business keys) written in the same
    transaction as the effect they guard, so an event is applied exactly once.
    """

    def __init__(self, db):
        self.scores = db["user_impact_scores"]
        self.history = db["impact_score_history"]
        self.processed = db["social_processed"]

    def create_indexes(self) -> None:
        self.scores.create_index([("impact_score", DESCENDING)])
        self.history.create_index([("user_id", ASCENDING), ("day", ASCENDING)], unique=True)

    def ensure(self, user_id: str, session=None) -> None:
        now = utcnow()
        self.scores.update_one(
            {"_id": user_id},
            {
                "$setOnInsert": {
                    "impact_score": 0,
                    "points": {"gaming": 0, "social": 0, "donations": 0},
                    "stats": {},
                    "onlus_ids": [],
                    "created_at": now,
                    "updated_at": now,
                }
            },
            upsert=True,
            session=session,
        )

    def get(self, user_id: str, session=None) -> dict | None:
        return self.scores.find_one({"_id": user_id}, session=session)

    def update(self, user_id: str, update: dict, session=None) -> dict:
        update = dict(update)
        update.setdefault("$set", {})["updated_at"] = utcnow()
        return self.scores.find_one_and_update(
            {"_id": user_id}, update, upsert=True, return_document=ReturnDocument.AFTER, session=session
        )

    def claim(self, marker: str, session=None) -> bool:
        """Insert a processed-marker; False when it already exists (the effect was applied before)."""
        try:
            self.processed.insert_one({"_id": marker, "at": utcnow()}, session=session)
        except DuplicateKeyError:
            return False
        return True

    def record_history(self, user_id: str, day: str, score: int, points: dict, session=None) -> None:
        self.history.update_one(
            {"user_id": user_id, "day": day},
            {"$set": {"score": score, "points": points, "updated_at": utcnow()}},
            upsert=True,
            session=session,
        )

    def history_of(self, user_id: str, since_day: str) -> list[dict]:
        return list(
            self.history.find(
                {"user_id": user_id, "day": {"$gte": since_day}}, {"_id": 0, "day": 1, "score": 1, "points": 1}
            ).sort("day", ASCENDING)
        )

    def snapshot_day(self, day: str, batch: int = 1000) -> int:
        """Make sure every user has a history point for `day` (keeps a point written by activity that day)."""
        written, ops = 0, []
        for doc in self.scores.find({}, {"impact_score": 1, "points": 1}):
            ops.append(
                UpdateOne(
                    {"user_id": doc["_id"], "day": day},
                    {
                        "$setOnInsert": {
                            "score": doc.get("impact_score", 0),
                            "points": doc.get("points", {}),
                            "updated_at": utcnow(),
                        }
                    },
                    upsert=True,
                )
            )
            if len(ops) >= batch:
                written += self.history.bulk_write(ops, ordered=False).upserted_count
                ops = []
        if ops:
            written += self.history.bulk_write(ops, ordered=False).upserted_count
        return written
