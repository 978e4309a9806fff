from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.ids import object_id

ACTIVE, COMPLETED, EXPIRED = "active", "completed", "expired"


class AlreadyJoined(Exception):
    pass


class ChallengeRepository:
    """social_challenges: {title, description, metric, target, visibility: public|friends, created_by,
    starts_at, ends_at, reward_points, status: active|completed|expired, progress, participant_count,
    completed_at, seed_key?}
    social_challenge_participants: one document per (challenge, user) with the user's contribution."""

    def __init__(self, db):
        self.challenges = db["social_challenges"]
        self.participants = db["social_challenge_participants"]

    def create_indexes(self) -> None:
        self.challenges.create_index([("status", ASCENDING), ("ends_at", ASCENDING)])
        self.challenges.create_index(
            [("seed_key", ASCENDING)], unique=True, partialFilterExpression={"seed_key": {"$type": "string"}}
        )
        self.participants.create_index([("challenge_id", ASCENDING), ("user_id", ASCENDING)], unique=True)
        self.participants.create_index([("user_id", ASCENDING), ("joined_at", DESCENDING)])
        self.participants.create_index([("challenge_id", ASCENDING), ("contribution", DESCENDING)])

    def insert(self, doc: dict) -> dict:
        doc = dict(doc, status=ACTIVE, progress=0, participant_count=0, completed_at=None, created_at=utcnow())
        doc["_id"] = self.challenges.insert_one(doc).inserted_id
        return doc

    def upsert_seed(self, seed_key: str, doc: dict) -> dict:
        now = utcnow()
        return self.challenges.find_one_and_update(
            {"seed_key": seed_key},
            {
                "$setOnInsert": {
                    **doc,
                    "seed_key": seed_key,
                    "status": ACTIVE,
                    "progress": 0,
                    "participant_count": 0,
                    "completed_at": None,
                    "created_at": now,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def get(self, challenge_id: str) -> dict | None:
        oid = object_id(challenge_id)
        return self.challenges.find_one({"_id": oid}) if oid else None

    def set_hidden(self, challenge_id: str, hidden: bool) -> None:
        """A moderator's decision: a hidden challenge is left out of every listing."""
        oid = object_id(challenge_id)
        if oid is not None:
            self.challenges.update_one({"_id": oid}, {"$set": {"hidden": hidden}})

    def page(
        self,
        *,
        status: str | None,
        now,
        skip: int,
        limit: int,
        joined_by: str | None = None,
        visible_to: list[str] | None = None,
    ) -> tuple[list[dict], int]:
        """Challenges soonest-ending first. `status` is the one a reader sees (an active challenge past its end
        is expired); `joined_by`: only those this user joined; `visible_to`: public ones and those created by
        one of these users (the reader and their friends)."""
        query: dict = {"hidden": {"$ne": True}}
        if status == ACTIVE:
            query.update(status=ACTIVE, ends_at={"$gt": now})
        elif status == EXPIRED:
            query["$or"] = [{"status": EXPIRED}, {"status": ACTIVE, "ends_at": {"$lte": now}}]
        elif status:
            query["status"] = status
        if joined_by is not None:
            query["_id"] = {
                "$in": [p["challenge_id"] for p in self.participants.find({"user_id": joined_by}, {"challenge_id": 1})]
            }
        if visible_to is not None:
            query.setdefault("$and", []).append(
                {"$or": [{"visibility": {"$ne": "friends"}}, {"created_by": {"$in": visible_to}}]}
            )
        total = self.challenges.count_documents(query)
        rows = list(
            self.challenges.find(query).sort([("ends_at", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def join(self, challenge_oid, user_id: str) -> None:
        try:
            self.participants.insert_one(
                {"challenge_id": challenge_oid, "user_id": user_id, "contribution": 0, "joined_at": utcnow()}
            )
        except DuplicateKeyError as exc:
            raise AlreadyJoined() from exc
        self.challenges.update_one({"_id": challenge_oid}, {"$inc": {"participant_count": 1}})

    def leave(self, challenge_oid, user_id: str) -> bool:
        """Only a participant who has not contributed yet can leave (contributions are history)."""
        deleted = self.participants.delete_one(
            {"challenge_id": challenge_oid, "user_id": user_id, "contribution": 0}
        ).deleted_count
        if deleted:
            self.challenges.update_one({"_id": challenge_oid}, {"$inc": {"participant_count": -1}})
        return bool(deleted)

    def participation(self, challenge_oid, user_id: str, session=None) -> dict | None:
        return self.participants.find_one({"challenge_id": challenge_oid, "user_id": user_id}, session=session)

    def joined_active(self, user_id: str, metric: str, at, session=None) -> list[dict]:
        """Active challenges on `metric` the user joined, running at `at`."""
        ids = [
            p["challenge_id"]
            for p in self.participants.find({"user_id": user_id}, {"challenge_id": 1}, session=session)
        ]
        if not ids:
            return []
        return list(
            self.challenges.find(
                {
                    "_id": {"$in": ids},
                    "status": ACTIVE,
                    "metric": metric,
                    "starts_at": {"$lte": at},
                    "ends_at": {"$gt": at},
                },
                session=session,
            )
        )

    def joined_by_users(self, user_ids: list[str], session=None) -> dict[str, list]:
        """{user_id: ids of the challenges they joined} for several users in one read."""
        joined: dict[str, list] = {user_id: [] for user_id in user_ids}
        for p in self.participants.find(
            {"user_id": {"$in": list(user_ids)}}, {"challenge_id": 1, "user_id": 1}, session=session
        ):
            joined.setdefault(p["user_id"], []).append(p["challenge_id"])
        return joined

    def joined_active_by_metric(
        self, user_id: str, metrics, at, session=None, *, joined: list | None = None
    ) -> dict[str, list[dict]]:
        """joined_active for several metrics at once: {metric: [challenges]} in at most two round trips
        (`joined`: the ids of the challenges the user joined, when already read)."""
        metrics = list(metrics)
        out: dict[str, list[dict]] = {m: [] for m in metrics}
        if not metrics:
            return out
        ids = (
            joined
            if joined is not None
            else [
                p["challenge_id"]
                for p in self.participants.find({"user_id": user_id}, {"challenge_id": 1}, session=session)
            ]
        )
        if not ids:
            return out
        for c in self.challenges.find(
            {
                "_id": {"$in": ids},
                "status": ACTIVE,
                "metric": {"$in": metrics},
                "starts_at": {"$lte": at},
                "ends_at": {"$gt": at},
            },
            session=session,
        ):
            out[c["metric"]].append(c)
        return out

    def contribute(self, challenge_oid, user_id: str, amount: int, session=None) -> dict:
        self.participants.update_one(
            {"challenge_id": challenge_oid, "user_id": user_id}, {"$inc": {"contribution": amount}}, session=session
        )
        return self.challenges.find_one_and_update(
            {"_id": challenge_oid},
            {"$inc": {"progress": amount}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    def complete(self, challenge_oid, at, session=None) -> bool:
        result = self.challenges.update_one(
            {"_id": challenge_oid, "status": ACTIVE},
            {"$set": {"status": COMPLETED, "completed_at": at}},
            session=session,
        )
        return result.modified_count == 1

    def contributors(self, challenge_oid, session=None) -> list[str]:
        return [
            p["user_id"]
            for p in self.participants.find(
                {"challenge_id": challenge_oid, "contribution": {"$gt": 0}}, {"user_id": 1}, session=session
            )
        ]

    def participants_page(self, challenge_oid, skip: int, limit: int) -> tuple[list[dict], int]:
        query = {"challenge_id": challenge_oid}
        total = self.participants.count_documents(query)
        rows = list(
            self.participants.find(query)
            .sort([("contribution", DESCENDING), ("joined_at", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return rows, total

    def joined_ids(self, user_id: str, challenge_oids: list) -> set:
        return {
            p["challenge_id"]
            for p in self.participants.find(
                {"user_id": user_id, "challenge_id": {"$in": challenge_oids}}, {"challenge_id": 1}
            )
        }

    def expire_due(self, now) -> int:
        return self.challenges.update_many(
            {"status": ACTIVE, "ends_at": {"$lte": now}}, {"$set": {"status": EXPIRED}}
        ).modified_count
