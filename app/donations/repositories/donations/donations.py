"""`donations`: one per donation (wallet, auto, card or batch), its receipt drafted until numbered."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from app.core.ids import new_object_id, object_id
from app.donations.models.donations.donation import COMPLETED, HELD, REFUNDED, REJECTED
from app.donations.repositories.queries import created_between


class DuplicateDonation(Exception):
    """A donation with this id, or with this user's idempotency key, exists already."""


class DonationRepository:
    def __init__(self, db):
        self.collection = db["donations"]

    def create_indexes(self) -> None:
        self.collection.create_index(
            [("user_id", ASCENDING), ("idempotency_key", ASCENDING)],
            unique=True,
            partialFilterExpression={"idempotency_key": {"$type": "string"}},
        )
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("onlus_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index(
            [("client_ip", ASCENDING), ("created_at", DESCENDING)],
            partialFilterExpression={"client_ip": {"$type": "string"}},
        )
        self.collection.create_index([("status", ASCENDING), ("completed_at", ASCENDING)])
        self.collection.create_index(
            [("completed_at", ASCENDING)],
            name="receipt_draft_completed_at",
            partialFilterExpression={"receipt_draft": {"$exists": True}},
        )

    @staticmethod
    def new_id():
        """The id of a donation about to be made (its ledger keys carry it)."""
        return new_object_id()

    def insert(self, doc: dict, *, session=None) -> dict:
        try:
            self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise DuplicateDonation(doc.get("idempotency_key")) from exc
        return doc

    def by_id(self, donation_id: str, *, session=None) -> dict | None:
        oid = object_id(donation_id)
        return self.collection.find_one({"_id": oid}, session=session) if oid else None

    def by_idempotency_key(self, user_id: str, key: str) -> dict | None:
        return self.collection.find_one({"user_id": user_id, "idempotency_key": key})

    def with_receipt_draft(self, completed_before: datetime, limit: int = 100) -> list[dict]:
        """Completed donations whose receipt was drafted but not numbered yet (a process stopped in between)."""
        return list(
            self.collection.find({"receipt_draft": {"$exists": True}, "completed_at": {"$lt": completed_before}})
            .sort("completed_at", ASCENDING)
            .limit(limit)
        )

    def by_ids(self, donation_ids: list[str]) -> list[dict]:
        oids = [oid for oid in (object_id(d) for d in donation_ids) if oid]
        return list(self.collection.find({"_id": {"$in": oids}}))

    def set_receipt_numbers(self, numbers: dict, *, session) -> bool:
        """Replace the drafts by the numbers {donation _id: number} in one write; False when another run
        numbered any of them first."""
        result = self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": donation_id, "receipt_draft": {"$exists": True}, "receipt_number": None},
                    {"$set": {"receipt_number": number}, "$unset": {"receipt_draft": ""}},
                )
                for donation_id, number in numbers.items()
            ],
            ordered=True,
            session=session,
        )
        return result.modified_count == len(numbers)

    # -- status moves (guarded: None when the donation is not where the move starts from) ----------
    def mark_refunded(self, donation_id, *, at: datetime, reason: str, by: str | None, session) -> dict | None:
        """completed -> refunded."""
        fields = {"status": REFUNDED, "refunded_at": at, "refund_reason": reason, "refunded_by": by}
        return self._move(donation_id, COMPLETED, fields, session=session)

    def approve_held(self, donation_id, *, completion: dict, review: dict, session) -> dict | None:
        """held -> completed, with its receipt drafted (`completion`) and the review."""
        return self._move(donation_id, HELD, {**completion, "review": review}, session=session)

    def reject_held(self, donation_id, *, review: dict, session) -> dict | None:
        """held -> rejected (the money went back)."""
        return self._move(donation_id, HELD, {"status": REJECTED, "review": review}, session=session)

    def _move(self, donation_id, expected: str, fields: dict, *, session) -> dict | None:
        return self.collection.find_one_and_update(
            {"_id": object_id(donation_id), "status": expected},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    # -- reads ---------------------------------------------------------------------------
    def held_page(self, *, skip: int, limit: int, status: str | None) -> tuple[list, int]:
        """Donations that were held for review (in `status` when given), oldest first."""
        query: dict = {"hold": {"$exists": True}}
        if status:
            query["status"] = status
        total = self.collection.count_documents(query)
        rows = list(self.collection.find(query).sort([("created_at", 1), ("_id", 1)]).skip(skip).limit(limit))
        return rows, total

    def held_between(self, start: datetime, end: datetime) -> list[dict]:
        """Donations created in [start, end) that were held for review."""
        return list(self.collection.find({"hold": {"$exists": True}, "created_at": {"$gte": start, "$lt": end}}))

    @staticmethod
    def _query(user_id: str, *, status=None, onlus_id=None, start=None, end=None) -> dict:
        query: dict = {"user_id": user_id}
        if status:
            query["status"] = status
        if onlus_id:
            query["onlus_id"] = onlus_id
        created_between(query, start, end)
        return query

    def page_for_user(self, user_id: str, *, skip: int, limit: int, **filters) -> tuple[list[dict], int]:
        query = self._query(user_id, **filters)
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def count_by_user_since(self, user_id: str, since: datetime, *, limit: int) -> int:
        """The user's donations since then, counted up to `limit` (the work stays bounded)."""
        return self.collection.count_documents({"user_id": user_id, "created_at": {"$gte": since}}, limit=limit)

    def count_by_ip_since(self, client_ip: str, since: datetime, *, limit: int) -> int:
        """Donations from the address since then, counted up to `limit`."""
        return self.collection.count_documents({"client_ip": client_ip, "created_at": {"$gte": since}}, limit=limit)

    def for_user_between(self, user_id: str, start: datetime, end: datetime) -> list[dict]:
        return list(
            self.collection.find({"user_id": user_id, "completed_at": {"$gte": start, "$lt": end}}).sort(
                "completed_at", ASCENDING
            )
        )

    def totals_by_status(self) -> dict[str, tuple[int, int]]:
        """{status: (donations, cents)} over every donation."""
        rows = self.collection.aggregate(
            [{"$group": {"_id": "$status", "count": {"$sum": 1}, "cents": {"$sum": "$amount_cents"}}}]
        )
        return {r["_id"]: (int(r["count"]), int(r["cents"])) for r in rows}
