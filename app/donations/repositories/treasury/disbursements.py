"""`onlus_disbursements`: one per ONLUS and month (its id is `<period>:<onlus_id>`), with its payout
status, the bank reference or provider transfer id it was paid with, and its history of decisions."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.donations.models.treasury.disbursement import PAID


class DuplicateReference(Exception):
    """The bank reference or transfer id already pays another disbursement."""


class DisbursementRepository:
    def __init__(self, db):
        self.collection = db["onlus_disbursements"]

    def create_indexes(self) -> None:
        self.collection.create_index([("period", ASCENDING), ("onlus_id", ASCENDING)])
        self.collection.create_index([("onlus_id", ASCENDING), ("period", ASCENDING)])
        self.collection.create_index([("status", ASCENDING), ("period", DESCENDING)])
        # one transfer pays one disbursement (a reversed one keeps its old reference in its history only)
        self.collection.create_index(
            [("reference_kind", ASCENDING), ("reference", ASCENDING)],
            unique=True,
            partialFilterExpression={"reference": {"$type": "string"}},
        )

    def insert(self, doc: dict) -> tuple[dict, bool]:
        """The disbursement, or the one already scheduled under its id (False)."""
        try:
            self.collection.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            return self.collection.find_one({"_id": doc["_id"]}), False

    def by_id(self, disbursement_id: str) -> dict | None:
        return self.collection.find_one({"_id": disbursement_id})

    def decide(self, disbursement_id: str, *, expected: tuple[str, ...], changes: dict, entry: dict) -> dict | None:
        """Apply a decision only from one of the `expected` states (None when it is in another one)."""
        try:
            return self.collection.find_one_and_update(
                {"_id": disbursement_id, "status": {"$in": list(expected)}},
                {"$set": changes, "$push": {"history": entry}},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as exc:
            raise DuplicateReference from exc

    def page(
        self,
        *,
        skip: int,
        limit: int,
        onlus_id: str | None = None,
        period: str | None = None,
        status: str | None = None,
    ) -> tuple[list, int]:
        query: dict = {}
        if onlus_id:
            query["onlus_id"] = onlus_id
        if period:
            query["period"] = period
        if status:
            query["status"] = status
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("period", DESCENDING), ("onlus_id", ASCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def of_onlus(self, onlus_id: str, *, periods_from: str, periods_to: str) -> list[dict]:
        """The ONLUS's disbursements of the months in [periods_from, periods_to] (YYYY-MM)."""
        return list(
            self.collection.find({"onlus_id": onlus_id, "period": {"$gte": periods_from, "$lte": periods_to}}).sort(
                "period", ASCENDING
            )
        )

    def amounts_by_onlus_period(self) -> dict[tuple[str, str], int]:
        """Per (ONLUS, month), the cents its disbursement carries, whatever its status."""
        rows = self.collection.aggregate(
            [{"$group": {"_id": {"o": "$onlus_id", "p": "$period"}, "cents": {"$sum": "$amount_cents"}}}]
        )
        return {(r["_id"]["o"], r["_id"]["p"]): r["cents"] for r in rows}

    def paid_without_reference(self) -> list[dict]:
        return list(self.collection.find({"status": PAID, "reference": {"$in": [None, ""]}}, {"_id": 1}))

    def periods(self) -> set[str]:
        return set(self.collection.distinct("period"))

    def scheduled_by_onlus(self) -> dict[str, int]:
        """Per ONLUS, the cents of all its disbursements (paid or still owed)."""
        return {
            r["_id"]: r["cents"]
            for r in self.collection.aggregate([{"$group": {"_id": "$onlus_id", "cents": {"$sum": "$amount_cents"}}}])
        }
