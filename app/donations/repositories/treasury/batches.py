"""`batch_operations` (one per batch, with counts and a run lease) and `batch_items` (one per item, with
its status, attempts and result)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.ids import new_object_id, object_id
from app.donations.models.treasury.batch import COMPLETED, COMPLETED_WITH_ERRORS, DISBURSEMENT, ITEM_STATES


class BatchRepository:
    def __init__(self, db):
        self.collection = db["batch_operations"]
        self.items = db["batch_items"]

    def create_indexes(self) -> None:
        self.collection.create_index(
            [("key", ASCENDING)], unique=True, partialFilterExpression={"key": {"$type": "string"}}
        )
        self.collection.create_index([("status", ASCENDING), ("created_at", DESCENDING)])
        self.items.create_index([("batch_id", ASCENDING), ("seq", ASCENDING)], unique=True)
        self.items.create_index([("batch_id", ASCENDING), ("status", ASCENDING)])

    # -- batches ---------------------------------------------------------------------
    @staticmethod
    def new_id():
        """The id of a batch about to be created (its items' ids derive from it)."""
        return new_object_id()

    def insert(self, doc: dict, items: list[dict]) -> dict | None:
        """The batch, then its items (items first would leave orphans if the batch key is taken)."""
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return None
        if items:
            self.items.insert_many(items, ordered=False)
        return doc

    def by_id(self, batch_id) -> dict | None:
        oid = object_id(batch_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def by_key(self, key: str) -> dict | None:
        return self.collection.find_one({"key": key})

    def lease(self, batch_id, *, owner: str, now: datetime, until: datetime) -> dict | None:
        """Claim the batch for one runner: only when not finished and nobody holds an unexpired lease."""
        return self.collection.find_one_and_update(
            {
                "_id": object_id(batch_id),
                "status": {"$in": ["pending", "running"]},
                "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}, {"lease_owner": owner}],
            },
            {"$set": {"status": "running", "lease_owner": owner, "lease_until": until}, "$inc": {"runs": 1}},
            return_document=ReturnDocument.AFTER,
        )

    def mark_started(self, batch_id, *, now: datetime) -> None:
        self.collection.update_one({"_id": batch_id, "started_at": None}, {"$set": {"started_at": now}})

    def renew(self, batch_id, *, owner: str, until: datetime) -> None:
        self.collection.update_one({"_id": batch_id, "lease_owner": owner}, {"$set": {"lease_until": until}})

    def release(self, batch_id, *, owner: str, finished: tuple[str, datetime] | None = None) -> dict | None:
        """The runner lets the batch go; `finished` (status, at) when no item is left to do."""
        fields = {"status": finished[0], "finished_at": finished[1]} if finished else {}
        return self.collection.find_one_and_update(
            {"_id": batch_id, "lease_owner": owner},
            {"$set": {**fields, "lease_owner": None, "lease_until": None}},
            return_document=ReturnDocument.AFTER,
        )

    def recount(self, batch_id) -> dict:
        """Store the batch's item counts by status (and answer the batch)."""
        counts = dict.fromkeys(ITEM_STATES, 0)
        for row in self.items.aggregate(
            [{"$match": {"batch_id": batch_id}}, {"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        ):
            counts[row["_id"]] = row["n"]
        return self.collection.find_one_and_update(
            {"_id": batch_id}, {"$set": {"counts": counts}}, return_document=ReturnDocument.AFTER
        )

    def reopen(self, batch_id) -> None:
        """Failed items were put back to pending: the batch runs again."""
        self.collection.update_one({"_id": object_id(batch_id)}, {"$set": {"status": "running", "finished_at": None}})

    def resumable(self, *, now: datetime, limit: int = 20) -> list[dict]:
        return list(
            self.collection.find(
                {
                    "status": {"$in": ["pending", "running"]},
                    "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}],
                }
            )
            .sort("created_at", ASCENDING)
            .limit(limit)
        )

    def page(self, *, skip: int, limit: int, status: str | None = None, type: str | None = None) -> tuple[list, int]:
        query: dict = {}
        if status:
            query["status"] = status
        if type:
            query["type"] = type
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    # -- items -----------------------------------------------------------------------
    def next_items(self, batch_id, *, max_attempts: int, limit: int) -> list[dict]:
        """Items still to do, in order: pending, interrupted (processing) and retryable failures."""
        return list(
            self.items.find(
                {
                    "batch_id": batch_id,
                    "$or": [
                        {"status": {"$in": ["pending", "processing"]}},
                        {"status": "failed", "retryable": True, "attempts": {"$lt": max_attempts}},
                    ],
                }
            )
            .sort("seq", ASCENDING)
            .limit(limit)
        )

    def start_item(self, item_id: str, *, now: datetime) -> dict | None:
        return self.items.find_one_and_update(
            {"_id": item_id, "status": {"$in": ["pending", "processing", "failed"]}},
            {"$set": {"status": "processing", "updated_at": now}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )

    def item_done(self, item_id: str, *, result: dict, at: datetime) -> None:
        self._finish_item(item_id, {"status": "done", "result": result, "error": None, "updated_at": at})

    def item_failed(self, item_id: str, *, error: str, retryable: bool, at: datetime) -> None:
        self._finish_item(item_id, {"status": "failed", "retryable": retryable, "error": error, "updated_at": at})

    def _finish_item(self, item_id: str, fields: dict) -> None:
        self.items.update_one({"_id": item_id, "status": "processing"}, {"$set": fields})

    def retry_failed(self, batch_id, *, now: datetime) -> int:
        result = self.items.update_many(
            {"batch_id": batch_id, "status": "failed"},
            {"$set": {"status": "pending", "attempts": 0, "retryable": True, "updated_at": now}},
        )
        return result.modified_count

    def items_page(self, batch_id, *, skip: int, limit: int, status: str | None = None) -> tuple[list, int]:
        query: dict = {"batch_id": batch_id}
        if status:
            query["status"] = status
        total = self.items.count_documents(query)
        rows = list(self.items.find(query).sort("seq", ASCENDING).skip(skip).limit(limit))
        return rows, total

    def disbursement_periods(self) -> set[str]:
        """The months a disbursement batch has finished scheduling."""
        query = {"type": DISBURSEMENT, "status": {"$in": [COMPLETED, COMPLETED_WITH_ERRORS]}}
        return {b["params"]["period"] for b in self.collection.find(query, {"params.period": 1})}
