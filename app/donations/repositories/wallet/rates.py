"""`conversion_rates`: versions of the credit conversion rates; the current one is the latest effective."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError


class VersionTaken(Exception):
    pass


class RatesRepository:
    def __init__(self, db):
        self.collection = db["conversion_rates"]

    def create_indexes(self) -> None:
        self.collection.create_index([("version", ASCENDING)], unique=True)
        self.collection.create_index([("effective_from", DESCENDING)])

    def current(self, now: datetime) -> dict | None:
        return self.collection.find_one(
            {"effective_from": {"$lte": now}}, sort=[("effective_from", DESCENDING), ("version", DESCENDING)]
        )

    def latest_version(self) -> int:
        doc = self.collection.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        return doc["version"] if doc else 0

    def insert(self, doc: dict) -> dict:
        try:
            doc["_id"] = self.collection.insert_one(doc).inserted_id
        except DuplicateKeyError as exc:
            raise VersionTaken(doc["version"]) from exc
        return doc

    def page(self, *, skip: int, limit: int) -> tuple[list[dict], int]:
        total = self.collection.count_documents({})
        rows = list(self.collection.find({}).sort("version", DESCENDING).skip(skip).limit(limit))
        return rows, total
