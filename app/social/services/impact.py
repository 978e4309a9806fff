"""Impact Score reads: score, weighted components, global rank, daily history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.social.models import impact as rules
from app.social.repositories.scores import ScoreRepository


class ImpactScoreService:
    def __init__(self, scores: ScoreRepository, *, leaderboards, clock: Callable[[], datetime] = utcnow):
        self.scores, self.leaderboards, self.clock = scores, leaderboards, clock

    def score(self, user_id: str) -> int:
        doc = self.scores.get(user_id)
        return int(doc.get("impact_score", 0)) if doc else 0

    def summary(self, user_id: str) -> dict:
        doc = self.scores.get(user_id) or {}
        points = doc.get("points") or {}
        board = self.leaderboards.read(user_id, "impact_score", period="all_time", scope="global", limit=1, around=0)
        return {
            "impact_score": int(doc.get("impact_score", 0)),
            "components": {c: v["score"] for c, v in rules.breakdown(points).items()},
            "breakdown": rules.breakdown(points),
            "weights": dict(rules.WEIGHTS),
            "rank": board["me"]["rank"],
            "total_ranked": board["total"],
            "stats": {k: int(v) for k, v in (doc.get("stats") or {}).items()},
            "updated_at": doc.get("updated_at"),
        }

    def history(self, user_id: str, days: int) -> list[dict]:
        since = (self.clock() - timedelta(days=days - 1)).strftime("%Y-%m-%d")
        return [
            {
                "day": h["day"],
                "impact_score": h["score"],
                "components": {c: v["score"] for c, v in rules.breakdown(h.get("points") or {}).items()},
            }
            for h in self.scores.history_of(user_id, since)
        ]

    def snapshot_history(self) -> int:
        """Write yesterday's closing Impact Score for every user who had no activity that day."""
        return self.scores.snapshot_day((self.clock() - timedelta(days=1)).strftime("%Y-%m-%d"))
