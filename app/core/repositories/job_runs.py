"""job_runs: one document per scheduled job, its last run and how it ended."""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database


class JobRunRepository:
    def __init__(self, db: Database):
        self.collection = db["job_runs"]

    def get(self, job_id: str) -> dict | None:
        return self.collection.find_one({"_id": job_id})

    def record(self, job_id: str, fields: dict, *, first_seen_at: datetime) -> None:
        self.collection.update_one(
            {"_id": job_id},
            {"$set": fields, "$inc": {"runs": 1}, "$setOnInsert": {"first_seen_at": first_seen_at}},
            upsert=True,
        )

    def remember(self, job_id: str, now: datetime) -> None:
        """The first time a scheduler sees the job: catch-up counts missed runs from here."""
        self.collection.update_one({"_id": job_id}, {"$setOnInsert": {"first_seen_at": now, "runs": 0}}, upsert=True)
