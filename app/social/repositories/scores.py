from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow


class AlreadyProcessed(Exception):
    """The processed-marker exists: the effect it guards was applied before (by a concurrent delivery)."""


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

    def get_many(self, user_ids: list[str], session=None) -> dict[str, dict]:
        return {d["_id"]: d for d in self.scores.find({"_id": {"$in": list(user_ids)}}, session=session)}

    def save_many(self, saves: dict[str, dict], session=None) -> None:
        """save() for several users in one write: {user_id: save's keyword arguments}."""
        if not saves:
            return
        now = utcnow()
        self.scores.bulk_write(
            [
                UpdateOne(
                    {"_id": user_id},
                    {
                        "$set": {
                            "stats": f["stats"],
                            "points": f["points"],
                            "impact_score": f["impact_score"],
                            "onlus_ids": f["onlus_ids"],
                            "login": f["login"],
                            "achievements": f["achievements"],
                            "updated_at": now,
                        },
                        "$setOnInsert": {"created_at": f["at"]},
                    },
                    upsert=True,
                )
                for user_id, f in saves.items()
            ],
            ordered=True,
            session=session,
        )

    def mark_many(self, markers: list[str], at, *, session=None) -> set[str]:
        """mark() for several markers: those not processed before are recorded and returned. A concurrent
        delivery committing one of them first fails the insert (the transaction aborts)."""
        wanted = list(dict.fromkeys(markers))
        seen = {d["_id"] for d in self.processed.find({"_id": {"$in": wanted}}, {"_id": 1}, session=session)}
        fresh = [m for m in wanted if m not in seen]
        if fresh:
            self.processed.insert_many([{"_id": m, "at": at} for m in fresh], session=session)
        return set(fresh)

    def record_history_many(self, points_by_day: dict[tuple[str, str], tuple[int, dict]], session=None) -> None:
        """record_history() for several (user, day) pairs in one write: {(user_id, day): (score, points)}."""
        if not points_by_day:
            return
        now = utcnow()
        self.history.bulk_write(
            [
                UpdateOne(
                    {"user_id": user_id, "day": day},
                    {"$set": {"score": score, "points": points, "updated_at": now}},
                    upsert=True,
                )
                for (user_id, day), (score, points) in points_by_day.items()
            ],
            ordered=True,
            session=session,
        )

    def save(
        self,
        user_id: str,
        *,
        impact_score: int,
        points: dict,
        stats: dict,
        onlus_ids: list,
        login: dict,
        achievements: list,
        at,
        session=None,
    ) -> None:
        """Write the user's score document as the scoring computed it (created at `at` if new)."""
        self.scores.update_one(
            {"_id": user_id},
            {
                "$set": {
                    "stats": stats,
                    "points": points,
                    "impact_score": impact_score,
                    "onlus_ids": onlus_ids,
                    "login": login,
                    "achievements": achievements,
                    "updated_at": utcnow(),
                },
                "$setOnInsert": {"created_at": at},
            },
            upsert=True,
            session=session,
        )

    def mark(self, marker: str, at, *, session=None) -> None:
        """Insert a processed-marker as the first write of a transaction; raises AlreadyProcessed when a
        concurrent delivery committed it first (the transaction is then aborted, nothing applied)."""
        try:
            self.processed.insert_one({"_id": marker, "at": at}, session=session)
        except DuplicateKeyError as exc:
            raise AlreadyProcessed(marker) from exc

    def mark_once(self, marker: str, *, session=None) -> bool:
        """True the first time `marker` is seen (read first: a duplicate-key error would abort the
        transaction this runs in)."""
        if self.processed.find_one({"_id": marker}, {"_id": 1}, session=session):
            return False
        self.processed.insert_one({"_id": marker, "at": utcnow()}, session=session)
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
