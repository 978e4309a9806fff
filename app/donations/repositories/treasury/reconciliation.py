"""`reconciliation_runs` and their `reconciliation_discrepancies`."""

from __future__ import annotations

from pymongo import DESCENDING


class ReconciliationRepository:
    def __init__(self, db):
        self.runs = db["reconciliation_runs"]
        self.discrepancies = db["reconciliation_discrepancies"]

    def create_indexes(self) -> None:
        self.runs.create_index([("started_at", DESCENDING)])
        self.discrepancies.create_index([("run_id", 1), ("kind", 1)])
