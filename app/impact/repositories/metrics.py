from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from app.core.clock import utcnow
from app.core.ids import object_id


class MetricRepository:
    """impact_metrics: one document per recorded measurement of an ONLUS metric."""

    def __init__(self, db):
        self.collection = db["impact_metrics"]

    def create_indexes(self) -> None:
        self.collection.create_index(
            [("onlus_id", ASCENDING), ("metric_name", ASCENDING), ("collection_date", DESCENDING)]
        )
        self.collection.create_index([("metric_type", ASCENDING), ("efficiency_ratio", DESCENDING)])

    def insert(self, doc: dict) -> dict:
        doc = {**doc, "created_at": utcnow(), "is_active": True}
        doc["_id"] = self.collection.insert_one(doc).inserted_id
        return doc

    def set_verification(self, metric_id: str, status: str, note: str | None) -> dict | None:
        """The metric with its new verification status; None when the id names no metric."""
        oid = object_id(metric_id)
        if oid is None:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid},
            {"$set": {"verification_status": status, "verification_note": note, "verified_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )

    def previous(self, onlus_id: str, metric_name: str, before: datetime) -> dict | None:
        return self.collection.find_one(
            {"onlus_id": onlus_id, "metric_name": metric_name, "is_active": True, "collection_date": {"$lte": before}},
            sort=[("collection_date", DESCENDING), ("_id", DESCENDING)],
        )

    def latest_per_metric(self, onlus_id: str) -> list[dict]:
        rows = self.collection.aggregate(
            [
                {"$match": {"onlus_id": onlus_id, "is_active": True}},
                {"$sort": {"collection_date": -1, "_id": -1}},
                {"$group": {"_id": "$metric_name", "doc": {"$first": "$$ROOT"}}},
                {"$sort": {"_id": 1}},
            ]
        )
        return [r["doc"] for r in rows]

    def daily_series(self, onlus_id: str, since: datetime, metric_name: str | None = None) -> list[dict]:
        """[{metric_name, date 'YYYY-MM-DD', value (last of that day), efficiency_ratio (avg)}]."""
        match: dict = {"onlus_id": onlus_id, "is_active": True, "collection_date": {"$gte": since}}
        if metric_name:
            match["metric_name"] = metric_name
        rows = self.collection.aggregate(
            [
                {"$match": match},
                {"$sort": {"collection_date": 1, "_id": 1}},
                {
                    "$group": {
                        "_id": {
                            "metric": "$metric_name",
                            "date": {"$dateToString": {"format": "%Y-%m-%d", "date": "$collection_date"}},
                        },
                        "value": {"$last": "$current_value"},
                        "efficiency_ratio": {"$avg": "$efficiency_ratio"},
                    }
                },
                {"$sort": {"_id.metric": 1, "_id.date": 1}},
            ]
        )
        return [
            {
                "metric_name": r["_id"]["metric"],
                "date": r["_id"]["date"],
                "value": r["value"],
                "efficiency_ratio": r["efficiency_ratio"],
            }
            for r in rows
        ]

    def verification_counts(self, onlus_id: str) -> dict[str, int]:
        rows = self.collection.aggregate(
            [
                {"$match": {"onlus_id": onlus_id, "is_active": True}},
                {"$group": {"_id": "$verification_status", "n": {"$sum": 1}}},
            ]
        )
        return {r["_id"]: r["n"] for r in rows}
