"""`simulated_payments`: the "remote" side the simulated payment provider keeps (no money moves)."""

from __future__ import annotations


class SimulatedPaymentRepository:
    def __init__(self, db):
        self.collection = db["simulated_payments"]

    def by_idempotency_key(self, key: str) -> dict | None:
        return self.collection.find_one({"idempotency_key": key})

    def get(self, payment_id: str) -> dict | None:
        return self.collection.find_one({"_id": payment_id})

    def insert(self, doc: dict) -> dict:
        self.collection.insert_one(doc)
        return doc

    def settle_attempt(self, payment_id: str, *, from_status: str, status: str, last_error: str | None) -> None:
        """A confirmation charged (or declined) the payment, unless another one settled it first."""
        self.collection.update_one(
            {"_id": payment_id, "status": from_status}, {"$set": {"status": status, "last_error": last_error}}
        )

    def cancel(self, payment_id: str) -> None:
        """Cancel unless it was charged."""
        self.collection.update_one(
            {"_id": payment_id, "status": {"$ne": "succeeded"}}, {"$set": {"status": "canceled"}}
        )

    def add_refund(self, payment_id: str, refund: dict) -> None:
        self.collection.update_one({"_id": payment_id}, {"$push": {"refunds": refund}})
