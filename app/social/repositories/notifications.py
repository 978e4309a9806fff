from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from app.core.ids import object_id

_INDEX_OPTIONS_CONFLICT = (85, 86)  # MongoDB answers 85, the embedded server 86
_DUPLICATE_KEY = 11000


class AlreadyNotified(Exception):
    """A notification with this key exists: the event was delivered before."""


class NotificationRepository:
    """notifications: one document per delivered notification (unique `key`, `<kind>:<event id>:<user>`):
        {user_id, key, kind, title, body, data, read, created_at, read_at}
    Read ones expire `read_ttl_days` after they were read (TTL index on `read_at`; unread ones have none).
    notification_broadcasts: one document per notification meant for everyone (unique `key`), copied into a
    user's notifications when they next open their inbox.
    notification_cursors: per user (_id = user id), `until`: the time of the newest broadcast copied.
    """

    def __init__(self, db):
        self.collection = db["notifications"]
        self.broadcasts = db["notification_broadcasts"]
        self.cursors = db["notification_cursors"]
        self.db = db

    def create_indexes(self, *, read_ttl_days: int) -> None:
        c = self.collection
        c.create_index([("key", ASCENDING)], unique=True)
        c.create_index([("user_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)])
        c.create_index([("user_id", ASCENDING), ("read", ASCENDING), ("created_at", DESCENDING)])
        ttl = int(read_ttl_days * 86400)
        try:
            c.create_index([("read_at", ASCENDING)], expireAfterSeconds=ttl)
        except OperationFailure as exc:  # created before with another lifetime: change it in place
            if exc.code not in _INDEX_OPTIONS_CONFLICT:
                raise
            self.db.command("collMod", c.name, index={"keyPattern": {"read_at": 1}, "expireAfterSeconds": ttl})
        self.broadcasts.create_index([("key", ASCENDING)], unique=True)
        self.broadcasts.create_index([("created_at", ASCENDING)])

    # -- writes -----------------------------------------------------------------------------
    def insert(self, doc: dict, *, session=None) -> dict:
        try:
            doc["_id"] = self.collection.insert_one(doc, session=session).inserted_id
        except DuplicateKeyError as exc:
            raise AlreadyNotified(doc["key"]) from exc
        return doc

    def insert_missing(self, docs: list[dict]) -> None:
        """Insert those of `docs` whose key is not stored yet."""
        if not docs:
            return
        try:
            self.collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    def mark_read(self, user_id: str, notification_id: str, at: datetime) -> dict | None:
        """The user's notification, read (at `at` if it was unread); None when they have no such notification."""
        oid = object_id(notification_id)
        if oid is None:
            return None
        self.collection.update_one(
            {"_id": oid, "user_id": user_id, "read": False}, {"$set": {"read": True, "read_at": at}}
        )
        return self.collection.find_one({"_id": oid, "user_id": user_id})

    def mark_all_read(self, user_id: str, at: datetime) -> int:
        unread = {"user_id": user_id, "read": False}
        return self.collection.update_many(unread, {"$set": {"read": True, "read_at": at}}).modified_count

    def delete(self, user_id: str, notification_id: str) -> bool:
        oid = object_id(notification_id)
        return bool(oid) and self.collection.delete_one({"_id": oid, "user_id": user_id}).deleted_count == 1

    # -- reads ------------------------------------------------------------------------------
    def page(self, user_id: str, *, unread_only: bool, skip: int, limit: int) -> tuple[list[dict], int]:
        query: dict = {"user_id": user_id}
        if unread_only:
            query["read"] = False
        total = self.collection.count_documents(query)
        newest_first = [("created_at", DESCENDING), ("_id", DESCENDING)]
        return list(self.collection.find(query).sort(newest_first).skip(skip).limit(limit)), total

    def unread_count(self, user_id: str) -> int:
        return self.collection.count_documents({"user_id": user_id, "read": False})

    # -- broadcasts -------------------------------------------------------------------------
    def insert_broadcast(self, doc: dict) -> bool:
        """False when a broadcast with this key exists already."""
        try:
            self.broadcasts.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def broadcasts_after(self, at: datetime, *, limit: int) -> list[dict]:
        return list(self.broadcasts.find({"created_at": {"$gt": at}}).sort("created_at", ASCENDING).limit(limit))

    def cursor(self, user_id: str) -> datetime | None:
        doc = self.cursors.find_one({"_id": user_id})
        return doc["until"] if doc else None

    def move_cursor(self, user_id: str, until: datetime) -> None:
        """Only ever forward."""
        self.cursors.update_one({"_id": user_id}, {"$max": {"until": until}}, upsert=True)
