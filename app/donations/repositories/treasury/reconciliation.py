"""`reconciliation_runs` and their `reconciliation_discrepancies`, and what a run reads to compare the books
with themselves: the ledger's donation entries (`transactions`) and the `donations`."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING, ReturnDocument

from app.core.ids import new_object_id, object_id
from app.donations.models.wallet.ledger import DONATED, REFUND


class ReconciliationRepository:
    def __init__(self, db):
        self.runs = db["reconciliation_runs"]
        self.discrepancies = db["reconciliation_discrepancies"]
        self.ledger = db["transactions"]
        self.donations = db["donations"]

    def create_indexes(self) -> None:
        self.runs.create_index([("started_at", DESCENDING)])
        self.discrepancies.create_index([("run_id", 1), ("kind", 1)])

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, *, triggered_by: str | None, at: datetime):
        """A run under way; its id."""
        run_id = new_object_id()
        self.runs.insert_one(
            {
                "_id": run_id,
                "started_at": at,
                "finished_at": None,
                "triggered_by": triggered_by,
                "checks": {},
                "discrepancy_count": 0,
            }
        )
        return run_id

    def finish_run(self, run_id, *, checks: dict, discrepancies: list[dict], at: datetime) -> dict:
        """Store the run's discrepancies and the outcome of each check; the finished run."""
        if discrepancies:
            self.discrepancies.insert_many([{"run_id": run_id, "created_at": at, **d} for d in discrepancies])
        return self.runs.find_one_and_update(
            {"_id": run_id},
            {"$set": {"finished_at": at, "checks": checks, "discrepancy_count": len(discrepancies)}},
            return_document=ReturnDocument.AFTER,
        )

    def run(self, run_id) -> dict | None:
        oid = object_id(run_id)
        return self.runs.find_one({"_id": oid}) if oid else None

    def runs_page(self, *, skip: int, limit: int) -> tuple[list, int]:
        total = self.runs.count_documents({})
        rows = list(self.runs.find({}).sort([("started_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit))
        return rows, total

    def discrepancies_page(self, run_id, *, skip: int, limit: int, kind: str | None = None) -> tuple[list, int]:
        query: dict = {"run_id": run_id}
        if kind:
            query["kind"] = kind
        total = self.discrepancies.count_documents(query)
        rows = list(self.discrepancies.find(query).sort("_id", 1).skip(skip).limit(limit))
        return rows, total

    # -- what a run compares ---------------------------------------------------------------------
    def donation_entries_by_key(self) -> dict[str, dict]:
        """Every `donated` and `refund` ledger entry ({key, type, amount_cents}), by key."""
        entries = self.ledger.find({"type": {"$in": [DONATED, REFUND]}}, {"key": 1, "amount_cents": 1, "type": 1})
        return {e["key"]: e for e in entries}

    def settled_donations(self) -> list[dict]:
        """Every completed or refunded donation ({_id, amount_cents, status})."""
        return list(
            self.donations.find({"status": {"$in": ["completed", "refunded"]}}, {"amount_cents": 1, "status": 1})
        )

    def ledger_net_by_onlus(self) -> dict[str, int]:
        """Per ONLUS, the ledger's net donated cents (donations minus refunds)."""
        rows = self.ledger.aggregate(
            [
                {"$match": {"type": {"$in": [DONATED, REFUND]}}},
                {"$group": {"_id": "$meta.onlus_id", "net": {"$sum": "$amount_cents"}}},
            ]
        )
        return {row["_id"]: -row["net"] for row in rows}

    def completed_by_onlus(self) -> dict[str, int]:
        """Per ONLUS, the cents of its completed donations."""
        rows = self.donations.aggregate(
            [{"$match": {"status": "completed"}}, {"$group": {"_id": "$onlus_id", "cents": {"$sum": "$amount_cents"}}}]
        )
        return {row["_id"]: row["cents"] for row in rows}

    def donation_state(self, donation_id) -> dict | None:
        """The donation's {status, source}; None when there is none."""
        return self.donations.find_one({"_id": object_id(donation_id)}, {"status": 1, "source": 1})
