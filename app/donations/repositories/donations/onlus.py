"""`onlus`: the registry of organisations that can receive donations."""

from __future__ import annotations

import re

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id


class TaxCodeTaken(Exception):
    pass


class OnlusRepository:
    def __init__(self, db):
        self.collection = db["onlus"]

    def create_indexes(self) -> None:
        self.collection.create_index([("tax_code", ASCENDING)], unique=True)
        self.collection.create_index(
            [("verification_status", ASCENDING), ("is_active", ASCENDING), ("category", ASCENDING)]
        )
        self.collection.create_index([("search_name", ASCENDING)])

    def insert(self, doc: dict) -> dict:
        now = utcnow()
        doc = {**doc, "search_name": doc["name"].lower(), "created_at": now, "updated_at": now}
        try:
            doc["_id"] = self.collection.insert_one(doc).inserted_id
        except DuplicateKeyError as exc:
            raise TaxCodeTaken(doc["tax_code"]) from exc
        return doc

    def upsert_by_tax_code(self, doc: dict) -> dict:
        """Demo seeding: create once by tax code, never overwrite an admin's later edits."""
        now = utcnow()
        try:
            return self.collection.find_one_and_update(
                {"tax_code": doc["tax_code"]},
                {"$setOnInsert": {**doc, "search_name": doc["name"].lower(), "created_at": now, "updated_at": now}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return self.collection.find_one({"tax_code": doc["tax_code"]})

    def by_id(self, onlus_id: str) -> dict | None:
        oid = object_id(onlus_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def by_ids(self, ids: list[str]) -> list[dict]:
        oids = [o for o in (object_id(i) for i in ids) if o]
        return list(self.collection.find({"_id": {"$in": oids}}))

    def update(self, onlus_id: str, fields: dict) -> dict | None:
        oid = object_id(onlus_id)
        if not oid:
            return None
        fields = dict(fields, updated_at=utcnow())
        if "name" in fields:
            fields["search_name"] = fields["name"].lower()
        try:
            return self.collection.find_one_and_update(
                {"_id": oid}, {"$set": fields}, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError as exc:
            raise TaxCodeTaken(fields.get("tax_code")) from exc

    @staticmethod
    def _query(*, statuses=None, active=None, category=None, search=None) -> dict:
        query: dict = {}
        if statuses:
            query["verification_status"] = {"$in": list(statuses)}
        if active is not None:
            query["is_active"] = active
        if category:
            query["category"] = category
        if search:
            query["search_name"] = {"$regex": re.escape(search.strip().lower())}
        return query

    def page(self, *, skip: int, limit: int, **filters) -> tuple[list[dict], int]:
        query = self._query(**filters)
        total = self.collection.count_documents(query)
        rows = list(self.collection.find(query).sort([("name", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit))
        return rows, total

    def find(self, **filters) -> list[dict]:
        return list(self.collection.find(self._query(**filters)).sort("name", ASCENDING))
