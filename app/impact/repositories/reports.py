from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id
from app.impact.models.reports import DRAFT, PUBLISHED


class ReportRepository:
    """community_reports: one document per period key (`monthly:2026-11`, `annual:2026`)."""

    def __init__(self, db):
        self.collection = db["community_reports"]

    def create_indexes(self) -> None:
        self.collection.create_index([("period_key", ASCENDING)], unique=True)
        self.collection.create_index([("report_type", ASCENDING), ("period_start", DESCENDING), ("status", ASCENDING)])

    def by_key(self, period_key: str) -> dict | None:
        return self.collection.find_one({"period_key": period_key})

    def save_draft(self, period_key: str, fields: dict) -> tuple[dict, bool]:
        """Insert or replace the draft for the period; a published report is returned untouched.

        Returns (report, written). The unique period key makes two racing generations end in one report.
        """
        now = utcnow()
        try:
            doc = self.collection.find_one_and_update(
                {"period_key": period_key, "status": DRAFT},
                {
                    "$set": {**fields, "status": DRAFT, "generated_at": now},
                    "$setOnInsert": {"period_key": period_key, "created_at": now},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            return doc, True
        except DuplicateKeyError:
            # the period exists and is not a draft: it is published, keep it
            return self.by_key(period_key), False

    def publish_draft(self, report_id: str) -> dict | None:
        """Draft -> published (only once); None when the id names no draft (unknown, unparseable or
        already published)."""
        oid = object_id(report_id)
        if oid is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid, "status": DRAFT},
            {"$set": {"status": PUBLISHED, "published_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )

    def get(self, report_id: str) -> dict | None:
        oid = object_id(report_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def page(self, *, report_type: str | None, published_only: bool, skip: int, limit: int) -> tuple[list, int]:
        query: dict = {}
        if report_type:
            query["report_type"] = report_type
        if published_only:
            query["status"] = PUBLISHED
        total = self.collection.count_documents(query)
        rows = list(self.collection.find(query).sort("period_start", DESCENDING).skip(skip).limit(limit))
        return rows, total
