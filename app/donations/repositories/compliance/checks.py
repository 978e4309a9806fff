"""`compliance_checks`: every compliance decision recorded, with the result of each rule."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from app.donations.repositories.queries import created_between


class ComplianceCheckRepository:
    def __init__(self, db):
        self.collection = db["compliance_checks"]

    def create_indexes(self) -> None:
        self.collection.create_index([("created_at", DESCENDING)])
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("outcome", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("subject.type", ASCENDING), ("subject.id", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        self.collection.insert_one(doc)
        return doc

    def page(
        self,
        *,
        skip: int,
        limit: int,
        outcome: str | None = None,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[list, int]:
        query = self._query(outcome=outcome, user_id=user_id, start=start, end=end)
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def between(self, start: datetime, end: datetime) -> list[dict]:
        return list(self.collection.find(self._query(start=start, end=end)))

    @staticmethod
    def _query(*, outcome=None, user_id=None, start=None, end=None) -> dict:
        query: dict = {}
        if outcome:
            query["outcome"] = outcome
        if user_id:
            query["user_id"] = user_id
        created_between(query, start, end)
        return query
