from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne

from app.core.clock import utcnow
from app.social.models import ranking


def int_range(low: int | None = None, high: int | None = None) -> dict:
    """An inclusive integer range written with exclusive bounds ($gt low-1, $lt high+1).

    Same meaning for integer scores and blocks; it also sidesteps a quirk of the embedded server
    (secantusd-py 0.7), whose index scans drop an inclusive bound at the far end of the scan."""
    rng = {}
    if low is not None:
        rng["$gt"] = int(low) - 1
    if high is not None:
        rng["$lt"] = int(high) + 1
    return rng


class LeaderboardRepository:
    """leaderboard_entries: one document per (board, period, user) with its score.
    leaderboard_counts: the tree of counts per (board, period) that answers rank and position
    questions in a bounded number of reads (see app.social.models.ranking).

    board: 'impact_score' | 'gaming' | 'donations' | 'game:<game_id>'; period: 'daily:2026-11-21', ...
    """

    def __init__(self, db):
        self.entries = db["leaderboard_entries"]
        self.counts = db["leaderboard_counts"]
        self.winners = db["leaderboard_winners"]

    def create_indexes(self) -> None:
        self.entries.create_index([("board", ASCENDING), ("period", ASCENDING), ("user_id", ASCENDING)],
                                  unique=True)
        self.entries.create_index([("board", ASCENDING), ("period", ASCENDING), ("score", DESCENDING),
                                   ("user_id", ASCENDING)])
        self.counts.create_index([("board", ASCENDING), ("period", ASCENDING), ("level", ASCENDING),
                                  ("block", ASCENDING)], unique=True)
        self.winners.create_index([("period", ASCENDING), ("board", ASCENDING), ("user_id", ASCENDING)],
                                  unique=True)

    # -- writes (inside the handler's transaction) ---------------------------------------
    def change(self, board: str, period: str, user_id: str, value: int, *, mode: str = "inc",
               session=None) -> tuple[int | None, int]:
        """Add `value` to the user's score ('inc') or raise it to `value` ('max'); keep the counts in step.

        Returns (old score or None, new score)."""
        op = {"$inc": {"score": int(value)}} if mode == "inc" else {"$max": {"score": int(value)}}
        before = self.entries.find_one_and_update(
            {"board": board, "period": period, "user_id": user_id},
            {**op, "$set": {"updated_at": utcnow()}}, upsert=True,
            return_document=ReturnDocument.BEFORE, session=session)
        old = None if before is None else int(before["score"])
        new = (old or 0) + int(value) if mode == "inc" else max(old if old is not None else int(value), int(value))
        if new < 0:  # a refund larger than what this period saw: never below zero
            self.entries.update_one({"board": board, "period": period, "user_id": user_id},
                                    {"$set": {"score": 0}}, session=session)
            new = 0
        self._apply_counts(board, period, old, new, session=session)
        return old, new

    def _apply_counts(self, board, period, old, new, *, session=None) -> None:
        changes = ranking.count_changes(old, new)
        if not changes:
            return
        self.counts.bulk_write([
            UpdateOne({"board": board, "period": period, "level": level, "block": blk},
                      {"$inc": {"n": delta}}, upsert=True)
            for level, blk, delta in changes], ordered=True, session=session)

    # -- reads -------------------------------------------------------------------------
    def entry(self, board: str, period: str, user_id: str) -> dict | None:
        return self.entries.find_one({"board": board, "period": period, "user_id": user_id})

    def entries_of(self, board: str, period: str, user_ids) -> list[dict]:
        ids = list(user_ids)
        if not ids:
            return []
        return list(self.entries.find({"board": board, "period": period, "user_id": {"$in": ids}},
                                      {"_id": 0, "user_id": 1, "score": 1}))

    def count_above(self, board: str, period: str, score: int) -> int:
        """Entries scoring strictly more than `score` (all users, opted-out ones included)."""
        total = 0
        for level, first, last in ranking.ranges_above(score):
            rng = int_range(first, last)
            for doc in self.counts.find({"board": board, "period": period, "level": level, "block": rng},
                                        {"_id": 0, "n": 1}):
                total += doc["n"]
        return total

    def total(self, board: str, period: str) -> int:
        return sum(d["n"] for d in self.counts.find({"board": board, "period": period,
                                                     "level": ranking.LEVELS - 1}, {"_id": 0, "n": 1}))

    def score_at(self, board: str, period: str, position: int) -> int | None:
        """The score of the entry at `position` (1 = best); None when there are fewer entries."""
        if position < 1:
            return None
        level = ranking.LEVELS - 1
        rng = int_range(0)
        while True:
            rows = [(d["block"], d["n"]) for d in self.counts.find(
                {"board": board, "period": period, "level": level, "block": rng},
                {"_id": 0, "block": 1, "n": 1}).sort("block", DESCENDING)]
            chosen, position = ranking.pick(rows, position)
            if chosen is None:
                return None
            if level == 0:
                return chosen
            level -= 1
            first, last = ranking.children_range(level, chosen)
            rng = int_range(first, last)

    def band(self, board: str, period: str, *, low: int | None = None, high: int | None = None,
             low_inclusive: bool = True, high_inclusive: bool = True, exclude=(), limit: int = 100,
             best_first: bool = True) -> list[dict]:
        """Entries with a score inside [low, high], best first (score desc, user_id asc) or the reverse."""
        if low is not None and not low_inclusive:
            low += 1
        if high is not None and not high_inclusive:
            high -= 1
        score = int_range(low, high)
        query: dict = {"board": board, "period": period}
        if score:
            query["score"] = score
        if exclude:
            query["user_id"] = {"$nin": list(exclude)}
        order = [("score", DESCENDING), ("user_id", ASCENDING)] if best_first else \
            [("score", ASCENDING), ("user_id", DESCENDING)]
        return list(self.entries.find(query, {"_id": 0, "user_id": 1, "score": 1}).sort(order).limit(limit))

    def ties(self, board: str, period: str, score: int, user_id: str, *, before: bool, exclude=(),
             limit: int = 10) -> list[dict]:
        """Entries with exactly `score` ordered just before (user_id smaller) or after `user_id`."""
        cond = {"$lt": user_id} if before else {"$gt": user_id}
        if exclude:
            cond["$nin"] = list(exclude)
        rows = self.entries.find({"board": board, "period": period, "score": score, "user_id": cond},
                                 {"_id": 0, "user_id": 1, "score": 1}).sort(
            "user_id", DESCENDING if before else ASCENDING).limit(limit)
        return list(rows)

    # -- weekly winners -------------------------------------------------------------------
    def save_winners(self, period: str, winners: list[dict]) -> None:
        now = utcnow()
        for w in winners:
            self.winners.update_one({"period": period, "board": w["leaderboard"], "user_id": w["user_id"]},
                                    {"$setOnInsert": {"rank": w["rank"], "score": w["score"],
                                                      "created_at": now}}, upsert=True)

    def winners_of(self, period: str) -> list[dict]:
        return list(self.winners.find({"period": period}, {"_id": 0}).sort([("board", 1), ("rank", 1)]))
