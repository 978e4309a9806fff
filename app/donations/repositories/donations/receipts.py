"""`receipt_counters` (the gap-free yearly sequence) and `receipts`."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError


class ReceiptTaken(Exception):
    """The donation has its receipt, or the number is taken, already."""


class ReceiptRepository:
    def __init__(self, db):
        self.collection = db["receipts"]
        self.counters = db["receipt_counters"]
        self._counted_years: set[int] = set()

    def create_indexes(self) -> None:
        self.collection.create_index([("donation_id", ASCENDING)], unique=True)
        self.collection.create_index([("receipt_number", ASCENDING)], unique=True)
        self.collection.create_index([("user_id", ASCENDING), ("issued_at", ASCENDING)])

    def ensure_counter(self, year: int) -> None:
        """Create the year's counter outside any transaction (two first donations of a year must not
        both try to insert it inside theirs); once per year and process."""
        if year in self._counted_years:
            return
        try:
            self.counters.update_one({"_id": f"receipts:{year}"}, {"$setOnInsert": {"seq": 0}}, upsert=True)
        except DuplicateKeyError:
            pass
        self._counted_years.add(year)

    def next_numbers(self, year: int, count: int, *, session) -> int:
        """The last of `count` next numbers of the year's sequence (the first is that minus count - 1). Call
        inside the transaction that inserts their receipts: an aborted one rolls the counter back with it, so
        the sequence has no gaps."""
        doc = self.counters.find_one_and_update(
            {"_id": f"receipts:{year}"}, {"$inc": {"seq": count}}, return_document=ReturnDocument.AFTER, session=session
        )
        return doc["seq"]

    def insert_many(self, docs: list[dict], *, session) -> None:
        try:
            self.collection.insert_many(docs, ordered=True, session=session)
        except (DuplicateKeyError, BulkWriteError) as exc:
            raise ReceiptTaken("a receipt of the batch") from exc

    def mark_void(self, donation_id: str, *, at: datetime, reason: str, session) -> None:
        """The donation was refunded: its receipt stays, marked void."""
        self.collection.update_one(
            {"donation_id": donation_id},
            {"$set": {"void": True, "voided_at": at, "void_reason": reason}},
            session=session,
        )

    def pseudonymise_donor(self, user_id: str, donor: dict, at: datetime) -> int:
        """The donor's account was deleted: the receipts stay (the law keeps them), naming nobody."""
        found = {"user_id": user_id, "deleted": {"$ne": True}}
        return self.collection.update_many(
            found, {"$set": {"donor": donor, "deleted": True, "deleted_at": at}}
        ).modified_count

    def by_donation(self, donation_id: str) -> dict | None:
        return self.collection.find_one({"donation_id": donation_id})

    def for_user_between(self, user_id: str, start: datetime, end: datetime) -> list[dict]:
        return list(
            self.collection.find({"user_id": user_id, "issued_at": {"$gte": start, "$lt": end}}).sort(
                "issued_at", ASCENDING
            )
        )
