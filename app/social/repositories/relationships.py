from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id
from app.social.models.relationships import ACCEPTED, BLOCKED, PENDING, pair_key


class PairTaken(Exception):
    """Another relationship already exists for this pair (unique index)."""


class RelationshipRepository:
    """user_relationships: one document per unordered pair (unique `pair`).

    {pair, members: [a, b], requester_id, addressee_id, status: pending|accepted|blocked,
     blocked_by: [user ids], created_at, accepted_at, updated_at}
    """

    def __init__(self, db):
        self.collection = db["user_relationships"]

    def create_indexes(self) -> None:
        self.collection.create_index([("pair", ASCENDING)], unique=True)
        self.collection.create_index([("members", ASCENDING), ("status", ASCENDING), ("accepted_at", DESCENDING)])
        self.collection.create_index([("addressee_id", ASCENDING), ("status", ASCENDING)])
        self.collection.create_index([("requester_id", ASCENDING), ("status", ASCENDING)])
        self.collection.create_index([("blocked_by", ASCENDING)])

    def by_pair(self, a: str, b: str, session=None) -> dict | None:
        return self.collection.find_one({"pair": pair_key(a, b)}, session=session)

    def by_id(self, rel_id: str, **fields) -> dict | None:
        """The relationship with this id (and these field values, e.g. addressee_id=...)."""
        oid = object_id(rel_id)
        return self.collection.find_one({"_id": oid, **fields}) if oid else None

    def of_pairs(self, user_id: str, others) -> list[dict]:
        """The relationships between `user_id` and each of `others` that exist."""
        return list(self.collection.find({"pair": {"$in": [pair_key(user_id, o) for o in others]}}))

    def insert_request(self, requester_id: str, addressee_id: str) -> dict:
        now = utcnow()
        doc = {
            "pair": pair_key(requester_id, addressee_id),
            "members": sorted([requester_id, addressee_id]),
            "requester_id": requester_id,
            "addressee_id": addressee_id,
            "status": PENDING,
            "blocked_by": [],
            "created_at": now,
            "updated_at": now,
            "accepted_at": None,
        }
        try:
            doc["_id"] = self.collection.insert_one(doc).inserted_id
        except DuplicateKeyError as exc:
            raise PairTaken() from exc
        return doc

    def accept(self, rel_id, addressee_id: str) -> dict | None:
        """pending -> accepted, only by the addressee; None when the state moved meanwhile."""
        now = utcnow()
        return self.collection.find_one_and_update(
            {"_id": rel_id, "addressee_id": addressee_id, "status": PENDING},
            {"$set": {"status": ACCEPTED, "accepted_at": now, "updated_at": now}},
            return_document=ReturnDocument.AFTER,
        )

    def delete_if(self, rel_id, **conditions) -> bool:
        return self.collection.delete_one({"_id": rel_id, **conditions}).deleted_count == 1

    def block(self, blocker_id: str, blocked_id: str) -> dict:
        """Whatever existed between the two (request, friendship) becomes a block by blocker_id."""
        now = utcnow()
        try:
            return self.collection.find_one_and_update(
                {"pair": pair_key(blocker_id, blocked_id)},
                {
                    "$set": {"status": BLOCKED, "updated_at": now, "accepted_at": None},
                    "$addToSet": {"blocked_by": blocker_id},
                    "$setOnInsert": {
                        "members": sorted([blocker_id, blocked_id]),
                        "requester_id": blocker_id,
                        "addressee_id": blocked_id,
                        "created_at": now,
                    },
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # two upserts raced on the same pair: the other one created it
            return self.block(blocker_id, blocked_id)

    def unblock(self, blocker_id: str, blocked_id: str) -> dict | None:
        """Remove blocker_id's block; the pair disappears when nobody blocks any more."""
        doc = self.collection.find_one_and_update(
            {"pair": pair_key(blocker_id, blocked_id), "blocked_by": blocker_id},
            {"$pull": {"blocked_by": blocker_id}, "$set": {"updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None and not doc["blocked_by"]:
            self.collection.delete_one({"_id": doc["_id"], "blocked_by": []})
        return doc

    def friends_page(self, user_id: str, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"members": user_id, "status": ACCEPTED}
        total = self.collection.count_documents(query)
        rows = list(self.collection.find(query).sort("accepted_at", DESCENDING).skip(skip).limit(limit))
        return rows, total

    def friend_ids(self, user_id: str, session=None) -> list[str]:
        rows = self.collection.find({"members": user_id, "status": ACCEPTED}, {"members": 1}, session=session)
        return [m for r in rows for m in r["members"] if m != user_id]

    def count_friends(self, user_id: str, session=None) -> int:
        return self.collection.count_documents({"members": user_id, "status": ACCEPTED}, session=session)

    def pending(self, user_id: str, *, incoming: bool, limit: int = 200) -> list[dict]:
        field = "addressee_id" if incoming else "requester_id"
        return list(
            self.collection.find({field: user_id, "status": PENDING}).sort("created_at", DESCENDING).limit(limit)
        )

    def blocked_by_page(self, user_id: str, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"blocked_by": user_id}
        total = self.collection.count_documents(query)
        return list(self.collection.find(query).sort("updated_at", DESCENDING).skip(skip).limit(limit)), total

    def block_partners(self, user_id: str) -> set[str]:
        """Everyone in a blocked relationship with user_id, whichever side blocked."""
        rows = self.collection.find({"members": user_id, "status": BLOCKED}, {"members": 1})
        return {m for r in rows for m in r["members"] if m != user_id}
