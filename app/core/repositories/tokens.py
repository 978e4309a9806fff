"""Refresh-token bookkeeping and the revocation list, both expiring through TTL indexes."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow


class TokenRepository:
    def __init__(self, db):
        self.revoked = db["revoked_tokens"]
        self.refresh = db["refresh_tokens"]

    def create_indexes(self) -> None:
        self.revoked.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        self.refresh.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        self.refresh.create_index([("user_id", ASCENDING), ("family", ASCENDING)])

    def remember_refresh(self, *, jti: str, family: str, user_id: str, expires_at: datetime) -> None:
        """Record an issued refresh token (again: a no-op, so a replayed rotation may call it too)."""
        try:
            self.refresh.update_one(
                {"_id": jti},
                {
                    "$setOnInsert": {
                        "family": family,
                        "user_id": user_id,
                        "used_at": None,
                        "expires_at": expires_at,
                        "created_at": utcnow(),
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:  # a concurrent upsert of the same token inserted it first
            pass

    def use_refresh(self, jti: str) -> bool:
        """Mark a refresh token used; False when it was already used (or never issued)."""
        result = self.refresh.update_one({"_id": jti, "used_at": None}, {"$set": {"used_at": utcnow()}})
        return result.modified_count == 1

    def claim_rotation(self, jti: str, successor: dict) -> bool:
        """Mark an unused refresh token used, recording the claims of the pair that replaces it; False
        when it was already used (or never issued)."""
        result = self.refresh.update_one(
            {"_id": jti, "used_at": None}, {"$set": {"used_at": utcnow(), "successor": successor}}
        )
        return result.modified_count == 1

    def rotation_of(self, jti: str) -> tuple[datetime, dict] | None:
        """When a used refresh token was rotated and the claims of its successor pair; None when it was
        never rotated (unknown, unused, or used by a logout)."""
        doc = self.refresh.find_one({"_id": jti}, {"used_at": 1, "successor": 1})
        if not doc or doc.get("used_at") is None or not doc.get("successor"):
            return None
        return doc["used_at"], doc["successor"]

    def revoke_token(self, jti: str, expires_at: datetime) -> None:
        self._revoke(f"jti:{jti}", expires_at)

    def revoke_family(self, family: str, expires_at: datetime) -> None:
        self._revoke(f"fam:{family}", expires_at)

    def _revoke(self, key: str, expires_at: datetime) -> None:
        try:
            self.revoked.insert_one({"_id": key, "expires_at": expires_at, "revoked_at": utcnow()})
        except DuplicateKeyError:
            pass

    def is_revoked(self, jti: str, family: str | None) -> bool:
        keys = [f"jti:{jti}"] + ([f"fam:{family}"] if family else [])
        return self.revoked.find_one({"_id": {"$in": keys}}, {"_id": 1}) is not None

    def revoked_keys(self, keys: list[str]) -> set[str]:
        """Which of these revocation keys (`jti:<jti>`, `fam:<family>`) are revoked."""
        if not keys:
            return set()
        return {doc["_id"] for doc in self.revoked.find({"_id": {"$in": keys}}, {"_id": 1})}

    def families_of(self, user_id: str) -> list[str]:
        return self.refresh.distinct("family", {"user_id": user_id})
