"""job_runs: one document per scheduled job, its last run and how it ended.
job_claims: one document per run of a job at a given slot (its fire time), so that no slot runs twice
whichever scheduler fires it; kept for CLAIM_DAYS."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

CLAIM_DAYS = 7


class JobRunRepository:
    def __init__(self, db: Database):
        self.collection = db["job_runs"]
        self.claims = db["job_claims"]

    def create_indexes(self) -> None:
        self.claims.create_index([("at", ASCENDING)], expireAfterSeconds=CLAIM_DAYS * 86400)
        self.claims.create_index([("job_id", ASCENDING), ("at", ASCENDING)])

    def all(self) -> list[dict]:
        return list(self.collection.find({}))

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

    def claim(self, job_id: str, slot: str, *, holder: str, at: datetime) -> bool:
        """True for the first claim of this job's slot; False when some scheduler ran it already."""
        try:
            self.claims.insert_one(
                {"_id": f"{job_id}@{slot}", "job_id": job_id, "slot": slot, "holder": holder, "at": at}
            )
        except DuplicateKeyError:
            return False
        return True
