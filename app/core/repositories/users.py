from __future__ import annotations

import re

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id as to_object_id


class EmailTaken(Exception):
    pass


class UserRepository:
    def __init__(self, db):
        self.collection = db["users"]

    def create_indexes(self) -> None:
        self.collection.create_index([("email", ASCENDING)], unique=True)
        self.collection.create_index([("created_at", ASCENDING)])
        self.collection.create_index([("search_name", ASCENDING)])

    def insert(self, *, email: str, password_hash: str, first_name: str, last_name: str, role: str = "user") -> dict:
        now = utcnow()
        doc = {
            "email": email,
            "password_hash": password_hash,
            "first_name": first_name,
            "last_name": last_name,
            "search_name": f"{first_name} {last_name}".lower(),
            "role": role,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        try:
            result = self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise EmailTaken(email) from exc
        doc["_id"] = result.inserted_id
        return doc

    def by_id(self, user_id: str) -> dict | None:
        oid = to_object_id(user_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def by_email(self, email: str) -> dict | None:
        return self.collection.find_one({"email": email})

    def set_last_login(self, user_id: str, at) -> None:
        """Only ever moves forward (two first logins of a day racing leave the later one)."""
        oid = to_object_id(user_id)
        if oid:
            self.collection.update_one(
                {"_id": oid, "$or": [{"last_login_at": None}, {"last_login_at": {"$lt": at}}]},
                {"$set": {"last_login_at": at}},
            )

    def update_fields(self, user_id: str, fields: dict) -> dict | None:
        oid = to_object_id(user_id)
        if not oid:
            return None
        fields = dict(fields, updated_at=utcnow())
        if "first_name" in fields or "last_name" in fields:
            current = self.collection.find_one({"_id": oid}, {"first_name": 1, "last_name": 1}) or {}
            first = fields.get("first_name", current.get("first_name", ""))
            last = fields.get("last_name", current.get("last_name", ""))
            fields["search_name"] = f"{first} {last}".lower()
        return self.collection.find_one_and_update({"_id": oid}, {"$set": fields}, return_document=ReturnDocument.AFTER)

    def by_ids(self, user_ids: list[str], projection: dict | None = None) -> list[dict]:
        oids = [o for o in (to_object_id(u) for u in user_ids) if o]
        return list(self.collection.find({"_id": {"$in": oids}}, projection))

    def search_by_name(self, text: str, *, exclude: list[str], limit: int) -> list[dict]:
        pattern = re.escape(text.strip().lower())
        oids = [o for o in (to_object_id(u) for u in exclude) if o]
        return list(
            self.collection.find(
                {"search_name": {"$regex": pattern}, "is_active": True, "_id": {"$nin": oids}},
                {"first_name": 1, "last_name": 1},
            ).limit(limit)
        )

    def count(self) -> int:
        return self.collection.estimated_document_count()
