"""Single-use account links (email verification, email change, password reset), stored by the SHA-256 of
the token: the database never holds a token that works. Expired ones go through a TTL index."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, ReturnDocument


class AccountTokenRepository:
    def __init__(self, db):
        self.collection = db["account_tokens"]

    def create_indexes(self) -> None:
        self.collection.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        self.collection.create_index([("user_id", ASCENDING), ("purpose", ASCENDING)])

    def insert(self, doc: dict, *, session=None) -> None:
        self.collection.insert_one(doc, session=session)

    def consume(self, token_hash: str, purposes: tuple[str, ...], now: datetime) -> dict | None:
        """The unused, unexpired link of one of `purposes`, now used (one caller wins it); None otherwise."""
        return self.collection.find_one_and_update(
            {"_id": token_hash, "purpose": {"$in": list(purposes)}, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER,
        )

    def void_open(self, user_id: str, purpose: str, now: datetime, *, session=None) -> None:
        """Earlier unused links of the user for `purpose` stop working (a new one was sent)."""
        self.collection.update_many(
            {"user_id": user_id, "purpose": purpose, "used_at": None},
            {"$set": {"used_at": now, "voided": True}},
            session=session,
        )

    def of_user(self, user_id: str) -> list[dict]:
        return list(self.collection.find({"user_id": user_id}, {"_id": 0}))
