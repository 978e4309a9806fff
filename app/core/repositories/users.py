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

    def insert(
        self,
        *,
        email: str,
        password_hash: str,
        first_name: str,
        last_name: str,
        role: str = "user",
        email_verified: bool = False,
        session=None,
    ) -> dict:
        now = utcnow()
        doc = {
            "email": email,
            "password_hash": password_hash,
            "first_name": first_name,
            "last_name": last_name,
            "search_name": f"{first_name} {last_name}".lower(),
            "role": role,
            "is_active": True,
            "email_verified": email_verified,
            "created_at": now,
            "updated_at": now,
        }
        try:
            result = self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise EmailTaken(email) from exc
        doc["_id"] = result.inserted_id
        return doc

    def by_id(self, user_id: str) -> dict | None:
        oid = to_object_id(user_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    def confirmed_after(self, after_id: str | None, limit: int) -> list[dict]:
        """Active users with a confirmed address, in id order after `after_id` (paging through everyone)."""
        query: dict = {"is_active": True, "email_verified": True}
        after = to_object_id(after_id) if after_id else None
        if after:
            query["_id"] = {"$gt": after}
        projection = {"email": 1, "first_name": 1}
        return list(self.collection.find(query, projection).sort("_id", ASCENDING).limit(limit))

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

    def set_role(self, user_id: str, role: str) -> dict | None:
        """The account with `role`, unless it is an admin (None then, or when there is no such account)."""
        oid = to_object_id(user_id)
        if not oid:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid, "role": {"$ne": "admin"}},
            {"$set": {"role": role, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )

    def set_email(self, user_id: str, email: str) -> dict | None:
        """The account under its new (verified) address; EmailTaken when another account has it."""
        try:
            return self.update_fields(user_id, {"email": email, "email_verified": True})
        except DuplicateKeyError as exc:
            raise EmailTaken(email) from exc

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

    # -- administration ----------------------------------------------------------------------
    def admin_page(
        self, *, text: str | None, role: str | None, active: bool | None, skip: int, limit: int
    ) -> tuple[list[dict], int]:
        """Accounts, active or not, newest first: `text` in the email or the name, of `role`."""
        query: dict = {}
        if text:
            pattern = re.escape(text.strip().lower())
            query["$or"] = [{"email": {"$regex": pattern}}, {"search_name": {"$regex": pattern}}]
        if role:
            query["role"] = role
        if active is not None:
            query["is_active"] = {"$ne": False} if active else False
        cursor = self.collection.find(query, {"password_hash": 0}).sort([("created_at", -1), ("_id", -1)])
        return list(cursor.skip(skip).limit(limit)), self.collection.count_documents(query)

    def suspend(self, user_id: str, *, reason: str, by: str, at) -> dict | None:
        """The account made inactive, with why, by whom and when; None when it already was inactive (or
        there is no such account)."""
        oid = to_object_id(user_id)
        if not oid:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid, "is_active": {"$ne": False}},
            {"$set": {"is_active": False, "suspension": {"reason": reason, "by": by, "at": at}, "updated_at": at}},
            return_document=ReturnDocument.AFTER,
        )

    def reinstate(self, user_id: str, *, at) -> dict | None:
        """The account active again; None when it already was active (or there is no such account)."""
        oid = to_object_id(user_id)
        if not oid:
            return None
        return self.collection.find_one_and_update(
            {"_id": oid, "is_active": False},
            {"$set": {"is_active": True, "updated_at": at}, "$unset": {"suspension": ""}},
            return_document=ReturnDocument.AFTER,
        )

    def erase_personal_data(self, user_id: str, *, email: str, names: tuple[str, str], password_hash: str, at) -> None:
        """The deleted account's document: its address, names and password replaced, inactive, marked deleted
        (the original address is then free to register again)."""
        oid = to_object_id(user_id)
        if not oid:
            return
        first, last = names
        self.collection.update_one(
            {"_id": oid},
            {
                "$set": {
                    "email": email,
                    "first_name": first,
                    "last_name": last,
                    "search_name": "",
                    "password_hash": password_hash,
                    "is_active": False,
                    "email_verified": False,
                    "deleted_at": at,
                    "updated_at": at,
                },
                "$unset": {"suspension": "", "last_login_at": "", "pending_email": "", "tax_code": ""},
            },
        )
