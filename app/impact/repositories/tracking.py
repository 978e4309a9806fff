from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.clock import utcnow
from app.core.database import in_transaction
from app.core.database import shard_of as _shard
from app.impact.models.stories import level_for, milestones_reached

PLATFORM_ID = "platform"
# Every donation adds to its ONLUS's totals and to the platform's: one document each would be written by
# every concurrent donation transaction, which then conflict and retry. So both are split into SHARDS
# documents (`<id>|<shard>`), a donor always adding to the same one, and reads add the shards up.
# (Documents from before the split, `_id` without a shard, are still read.)
SHARDS = 16
_COUNTS = ("total_cents", "donation_count", "donors_count")


def safe_key(value: str | None) -> str:
    """A value usable as a MongoDB field name inside a map ($inc on 'category_cents.<key>')."""
    text = (value or "other").strip() or "other"
    return re.sub(r"[.$\x00]", "_", text)[:80]


def shard_of(user_id: str) -> int:
    return _shard(user_id, SHARDS)


def _shard_ids(base: str) -> list[str]:
    return [base] + [f"{base}|{s}" for s in range(SHARDS)]


def _summed(docs) -> dict:
    """One totals document from its shards: the counters added up, the other fields from the newest."""
    total: dict = {}
    for doc in sorted(docs, key=lambda d: d.get("updated_at") or datetime.min):
        total.update({k: v for k, v in doc.items() if k not in _COUNTS and k != "_id"})
        for k in _COUNTS:
            total[k] = total.get(k, 0) + int(doc.get(k, 0))
    return total


class AlreadyApplied(Exception):
    """The donation (or refund) was already counted: a retried or replayed event."""


class TrackingRepository:
    """Per-user and per-ONLUS impact totals, platform totals and the impact timeline.

    impact_processed holds one marker per applied fact (`donation:<id>`, `refund:<id>`); it is
    written in the same transaction as the totals, so a fact is counted exactly once even when
    its event is retried, replayed or delivered to two processes.
    """

    def __init__(self, db):
        self.db = db
        self.users = db["impact_user_totals"]
        self.onlus = db["impact_onlus_totals"]
        self.platform = db["impact_platform"]
        self.processed = db["impact_processed"]
        self.timeline = db["impact_timeline"]

    def create_indexes(self) -> None:
        self.users.create_index([("total_donated_cents", DESCENDING)])
        self.users.create_index([("donation_count", DESCENDING)])
        self.users.create_index([("onlus_diversity", DESCENDING)])
        self.users.create_index([("last_donation_at", DESCENDING)])
        self.onlus.create_index([("onlus_id", ASCENDING)])
        self.timeline.create_index([("user_id", ASCENDING), ("occurred_at", DESCENDING)])
        self.timeline.create_index([("user_id", ASCENDING), ("kind", ASCENDING), ("ref", ASCENDING)], unique=True)
        self.timeline.create_index([("occurred_at", DESCENDING)])

    # -- applying donations and refunds ---------------------------------------------------
    def apply(
        self,
        *,
        marker: str,
        kind: str,
        sign: int,
        donation_id: str,
        user_id: str,
        onlus_id: str,
        onlus_name: str | None,
        category: str | None,
        amount_cents: int,
        at: datetime,
    ) -> dict:
        """Count (+1) or reverse (-1) one donation; returns before/after snapshots.

        Raises AlreadyApplied when the marker exists (the fact was counted before).
        """
        cat = safe_key(category)
        okey = safe_key(onlus_id)
        cents = sign * int(amount_cents)

        def work(session):
            self.processed.insert_one({"_id": marker, "at": utcnow()}, session=session)
            before = self.users.find_one({"_id": user_id}, session=session) or {}
            update: dict = {
                "$inc": {
                    "total_donated_cents": cents,
                    "donation_count": sign,
                    f"onlus_cents.{okey}": cents,
                    f"onlus_counts.{okey}": sign,
                    f"category_cents.{cat}": cents,
                },
                "$set": {"updated_at": utcnow()},
                "$setOnInsert": {"total_earned_cents": 0},
            }
            if sign > 0:
                update["$min"] = {"first_donation_at": at}
                update["$max"] = {"last_donation_at": at}
            # inside the transaction nobody else changes this document: its new state is known up front
            after = _applied(before, update["$inc"], at if sign > 0 else None)
            update["$set"].update(_derived(after))
            self.users.update_one({"_id": user_id}, update, upsert=True, session=session)
            after.update(_derived(after))

            shard = shard_of(user_id)
            was_donor_here = (before.get("onlus_counts") or {}).get(okey, 0) > 0
            is_donor_here = (after.get("onlus_counts") or {}).get(okey, 0) > 0
            self.onlus.update_one(
                {"_id": f"{onlus_id}|{shard}"},
                {
                    "$inc": {
                        "total_cents": cents,
                        "donation_count": sign,
                        "donors_count": int(is_donor_here) - int(was_donor_here),
                    },
                    "$set": {
                        "onlus_id": onlus_id,
                        "updated_at": utcnow(),
                        **({"name": onlus_name} if onlus_name else {}),
                        **({"category": category} if category else {}),
                    },
                },
                upsert=True,
                session=session,
            )

            was_donor = before.get("donation_count", 0) > 0
            is_donor = after.get("donation_count", 0) > 0
            platform_before = self._platform(session=session)
            self.platform.update_one(
                {"_id": f"{PLATFORM_ID}|{shard}"},
                {
                    "$inc": {
                        "total_cents": cents,
                        "donation_count": sign,
                        "donors_count": int(is_donor) - int(was_donor),
                    },
                    "$set": {"updated_at": utcnow()},
                },
                upsert=True,
                session=session,
            )

            self.timeline.insert_one(
                {
                    "user_id": user_id,
                    "kind": kind,
                    "ref": donation_id,
                    "donation_id": donation_id,
                    "onlus_id": onlus_id,
                    "onlus_name": onlus_name,
                    "category": category,
                    "amount_cents": cents,
                    "occurred_at": at,
                    "total_after_cents": after.get("total_donated_cents", 0),
                },
                session=session,
            )
            # platform_before is as of this transaction's snapshot: the caller compares it with the
            # committed totals read afterwards (platform_totals), so a mark crossed by concurrent
            # donations is still seen by the last of them
            return {"user_before": before, "user_after": after, "platform_before": platform_before}

        try:
            return in_transaction(self.db, work)
        except DuplicateKeyError as exc:  # a concurrent delivery of the same fact won the race
            raise AlreadyApplied(marker) from exc

    def set_total_earned(self, user_id: str, total_earned_cents: int) -> dict:
        """Lifetime earnings only grow; a late or repeated event never lowers them."""
        return self.users.find_one_and_update(
            {"_id": user_id},
            {
                "$max": {"total_earned_cents": int(total_earned_cents)},
                "$set": {"updated_at": utcnow()},
                "$setOnInsert": {"total_donated_cents": 0, "donation_count": 0},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def add_timeline(self, *, user_id: str, kind: str, ref: str, at: datetime, **fields) -> None:
        try:
            self.timeline.insert_one({"user_id": user_id, "kind": kind, "ref": ref, "occurred_at": at, **fields})
        except DuplicateKeyError:
            pass

    # -- reads --------------------------------------------------------------------------------
    def user(self, user_id: str) -> dict | None:
        return self.users.find_one({"_id": user_id})

    def onlus_totals(self, onlus_id: str) -> dict | None:
        docs = list(self.onlus.find({"_id": {"$in": _shard_ids(onlus_id)}}))
        return {"_id": onlus_id, **_summed(docs)} if docs else None

    def platform_totals(self) -> dict:
        return self._platform()

    def _platform(self, session=None) -> dict:
        return _summed(self.platform.find({"_id": {"$in": _shard_ids(PLATFORM_ID)}}, session=session))

    def timeline_page(
        self, user_id: str, *, skip: int, limit: int, kinds: list[str] | None = None
    ) -> tuple[list[dict], int]:
        query: dict = {"user_id": user_id}
        if kinds:
            query["kind"] = {"$in": kinds}
        total = self.timeline.count_documents(query)
        rows = list(
            self.timeline.find(query).sort([("occurred_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def donated_between(self, user_id: str, start: datetime | None, end: datetime | None) -> int:
        """Net cents the user donated with occurred_at in [start, end) (event stories)."""
        match: dict = {"user_id": user_id, "kind": {"$in": ["donation", "refund"]}}
        window = {k: v for k, v in (("$gte", start), ("$lt", end)) if v}
        if window:
            match["occurred_at"] = window
        rows = list(
            self.timeline.aggregate([{"$match": match}, {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}}}])
        )
        return int(rows[0]["cents"]) if rows else 0

    def leaderboard(self, field: str, *, exclude: set[str], skip: int, limit: int) -> tuple[list[dict], int]:
        query = {field: {"$gt": 0}, "_id": {"$nin": list(exclude)}}
        total = self.users.count_documents(query)
        rows = list(
            self.users.find(query, {field: 1}).sort([(field, DESCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def rank_of(self, field: str, value: int, *, exclude: set[str]) -> int:
        return self.users.count_documents({field: {"$gt": value}, "_id": {"$nin": list(exclude)}}) + 1

    def category_totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.onlus.find({}, {"category": 1, "total_cents": 1}):  # shards add up too
            key = row.get("category") or "other"
            out[key] = out.get(key, 0) + int(row.get("total_cents", 0))
        return {k: v for k, v in out.items() if v}

    def active_onlus_count(self) -> int:
        rows = self.onlus.aggregate(
            [
                {"$group": {"_id": {"$ifNull": ["$onlus_id", "$_id"]}, "total_cents": {"$sum": "$total_cents"}}},
                {"$match": {"total_cents": {"$gt": 0}}},
                {"$count": "n"},
            ]
        )
        return next(iter(rows), {}).get("n", 0)

    def recently_active_users(self, since: datetime, limit: int = 100) -> list[str]:
        return [
            r["_id"]
            for r in self.users.find({"last_donation_at": {"$gte": since}}, {"_id": 1})
            .sort("last_donation_at", DESCENDING)
            .limit(limit)
        ]


def _applied(before: dict, inc: dict, donated_at: datetime | None) -> dict:
    """The user totals document after `inc` (dotted paths one level deep) and the donation dates."""
    after = {k: (dict(v) if isinstance(v, dict) else v) for k, v in before.items()}
    for path, amount in inc.items():
        if "." in path:
            field, key = path.split(".", 1)
            sub = after.setdefault(field, {})
            sub[key] = sub.get(key, 0) + amount
        else:
            after[path] = after.get(path, 0) + amount
    after.setdefault("total_earned_cents", 0)
    if donated_at is not None:
        after["first_donation_at"] = min(filter(None, [before.get("first_donation_at"), donated_at]))
        after["last_donation_at"] = max(filter(None, [before.get("last_donation_at"), donated_at]))
    return after


def _derived(doc: dict) -> dict:
    """Fields computed from the counters (kept on the document so leaderboards can sort on them)."""
    total = int(doc.get("total_donated_cents", 0))
    return {
        "onlus_diversity": sum(1 for v in (doc.get("onlus_cents") or {}).values() if v > 0),
        "level": level_for(total),
        "milestones_reached": milestones_reached(total),
    }
