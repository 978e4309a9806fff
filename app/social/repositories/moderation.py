from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError


def _lock_id(reporter_id: str, target_type: str, target_id: str) -> str:
    return f"{reporter_id}:{target_type}:{target_id}"


class ReportRepository:
    """content_reports; content_report_locks holds one document per reporter and target while that reporter's
    report about it is not resolved (its id is the pair): the second open report is refused by the index."""

    def __init__(self, db):
        self.reports = db["content_reports"]
        self.locks = db["content_report_locks"]

    def create_indexes(self) -> None:
        self.reports.create_index([("status", ASCENDING), ("created_at", ASCENDING)])
        self.reports.create_index([("target_type", ASCENDING), ("target_id", ASCENDING), ("status", ASCENDING)])
        self.reports.create_index([("reporter_id", ASCENDING)])

    def open(self, doc: dict) -> dict | None:
        """The new report, or None when this reporter has one about this target still open (the lock, taken
        first, decides; a report that could not be written gives its lock back)."""
        lock = _lock_id(doc["reporter_id"], doc["target_type"], doc["target_id"])
        try:
            self.locks.insert_one({"_id": lock})
        except DuplicateKeyError:
            return None
        doc = {**doc, "_id": ObjectId()}
        try:
            self.reports.insert_one(doc)
        except Exception:
            self.locks.delete_one({"_id": lock})
            raise
        return doc

    def get(self, report_id: str) -> dict | None:
        return self.reports.find_one({"_id": ObjectId(report_id)})

    def queue(self, statuses: list[str], *, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"status": {"$in": statuses}}
        total = self.reports.count_documents(query)
        rows = list(
            self.reports.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def of_reporter(self, reporter_id: str, *, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"reporter_id": reporter_id}
        total = self.reports.count_documents(query)
        rows = list(
            self.reports.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def unresolved_about(self, target_type: str, target_id: str) -> list[dict]:
        query = {"target_type": target_type, "target_id": target_id, "status": {"$ne": "resolved"}}
        return list(self.reports.find(query))

    def decide(self, reports: list[dict], *, status: str, decision: dict, at: datetime, session) -> int:
        """Record the decision on these reports (only those not resolved meanwhile); a resolved report frees its
        reporter to report the target again. How many changed."""
        ids = [r["_id"] for r in reports]
        changed = self.reports.update_many(
            {"_id": {"$in": ids}, "status": {"$ne": "resolved"}},
            {"$set": {"status": status, "updated_at": at}, "$push": {"decisions": decision}},
            session=session,
        ).modified_count
        if status == "resolved":
            locks = [_lock_id(r["reporter_id"], r["target_type"], r["target_id"]) for r in reports]
            self.locks.delete_many({"_id": {"$in": locks}}, session=session)
        return changed
