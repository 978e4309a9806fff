from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.core.clock import utcnow
from app.core.database import shard_of as _shard
from app.impact.models.tracking import TotalsChange
from app.impact.models.tracking import derived as rules_derived

PLATFORM_ID = "platform"
# Every donation adds to its ONLUS's totals and to the platform's: one document each would be written by
# every concurrent donation transaction, which then conflict and retry. So both are split into SHARDS
# documents (`<id>|<shard>`), a donor always adding to the same one, and reads add the shards up.
# (Documents from before the split, `_id` without a shard, are still read.)
SHARDS = 16
_COUNTS = ("total_cents", "donation_count", "donors_count")


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


def _add(counters: dict, amounts: dict) -> None:
    for name, amount in amounts.items():
        counters[name] = counters.get(name, 0) + amount


def _donation_entry(change: TotalsChange, *, total_after_cents: int) -> dict:
    return {
        "user_id": change.user_id,
        "kind": change.kind,
        "ref": change.donation_id,
        "donation_id": change.donation_id,
        "onlus_id": change.onlus_id,
        "onlus_name": change.onlus_name,
        "category": change.category,
        "amount_cents": change.cents,
        "occurred_at": change.at,
        "total_after_cents": total_after_cents,
    }


class AlreadyApplied(Exception):
    """The donation (or refund) was already counted: a retried or replayed event."""


class TrackingRepository:
    """Per-user and per-ONLUS impact totals, platform totals and the impact timeline.

    impact_processed holds one marker per applied fact (`donation:<id>`, `refund:<id>`); it is
    written in the same transaction as the totals, so a fact is counted exactly once even when
    its event is retried, replayed or delivered to two processes.
    """

    def __init__(self, db):
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

    # -- applying donations and refunds (one transaction: the caller passes its session) ---------
    def mark_applied(self, markers: list[str], *, session) -> None:
        """Record that the facts `markers` are being applied (the transaction's first write); AlreadyApplied
        when one was before (counted before, or a concurrent delivery won the race: the transaction aborts)."""
        try:
            self.processed.insert_many([{"_id": m, "at": utcnow()} for m in markers], session=session)
        except (DuplicateKeyError, BulkWriteError) as exc:
            raise AlreadyApplied(", ".join(markers)) from exc

    def users_of(self, user_ids: set[str], *, session=None) -> dict[str, dict]:
        return {d["_id"]: d for d in self.users.find({"_id": {"$in": sorted(user_ids)}}, session=session)}

    def add_many(self, changes: list[TotalsChange], snaps: dict[str, dict], *, session) -> None:
        """Add the changes to their users' counters (with the fields derived from the new totals), to their
        ONLUS's and the platform's totals (the donor's shard of them) and to the timeline (`snaps[marker]`:
        each change's user totals after and donor moves): one write per collection."""
        now = utcnow()
        users: dict[str, dict] = {}
        onlus: dict[str, dict] = {}
        platform: dict[str, dict] = {}
        for change in changes:
            snap = snaps[change.marker]
            user = users.setdefault(
                change.user_id,
                {"$inc": {}, "$set": {}, "$setOnInsert": {"total_earned_cents": 0}},
            )
            for path, amount in change.counters().items():
                field = ".".join(path)
                user["$inc"][field] = user["$inc"].get(field, 0) + amount
            user["$set"] = {"updated_at": now, **rules_derived(snap["user_after"])}
            if change.sign > 0:
                first = user.setdefault("$min", {}).get("first_donation_at")
                user["$min"]["first_donation_at"] = min(filter(None, [first, change.at]))
                last = user.setdefault("$max", {}).get("last_donation_at")
                user["$max"]["last_donation_at"] = max(filter(None, [last, change.at]))
            shard = shard_of(change.user_id)
            counts = {"total_cents": change.cents, "donation_count": change.sign}
            here = onlus.setdefault(
                f"{change.onlus_id}|{shard}",
                {"$inc": {"total_cents": 0, "donation_count": 0, "donors_count": 0}, "$set": {}},
            )
            _add(here["$inc"], {**counts, "donors_count": snap["onlus_donors"]})
            here["$set"].update(
                onlus_id=change.onlus_id,
                updated_at=now,
                **({"name": change.onlus_name} if change.onlus_name else {}),
                **({"category": change.category} if change.category else {}),
            )
            everyone = platform.setdefault(
                f"{PLATFORM_ID}|{shard}",
                {"$inc": {"total_cents": 0, "donation_count": 0, "donors_count": 0}, "$set": {"updated_at": now}},
            )
            _add(everyone["$inc"], {**counts, "donors_count": snap["donors"]})
        self.users.bulk_write(
            [UpdateOne({"_id": uid}, update, upsert=True) for uid, update in users.items()], session=session
        )
        self.onlus.bulk_write([UpdateOne({"_id": i}, u, upsert=True) for i, u in onlus.items()], session=session)
        self.platform.bulk_write([UpdateOne({"_id": i}, u, upsert=True) for i, u in platform.items()], session=session)
        self.timeline.insert_many(
            [
                _donation_entry(
                    change, total_after_cents=snaps[change.marker]["user_after"].get("total_donated_cents", 0)
                )
                for change in changes
            ],
            session=session,
        )

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
    def user(self, user_id: str, *, session=None) -> dict | None:
        return self.users.find_one({"_id": user_id}, session=session)

    def onlus_totals(self, onlus_id: str) -> dict | None:
        docs = list(self.onlus.find({"_id": {"$in": _shard_ids(onlus_id)}}))
        return {"_id": onlus_id, **_summed(docs)} if docs else None

    def platform_totals(self, *, session=None) -> dict:
        """The platform totals, its shards added up (inside a transaction: as of its snapshot)."""
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

    def timeline_by_kind(self, user_id: str, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """{kind: (entries, cents)} of the user's timeline with occurred_at in [start, end)."""
        match = {"user_id": user_id, "occurred_at": {"$gte": start, "$lt": end}}
        group = {"_id": "$kind", "n": {"$sum": 1}, "cents": {"$sum": {"$ifNull": ["$amount_cents", 0]}}}
        return {
            r["_id"]: (int(r["n"]), int(r["cents"]))
            for r in self.timeline.aggregate([{"$match": match}, {"$group": group}])
        }

    def giving_breakdown(self, user_id: str, since: datetime) -> dict[str, list[dict]]:
        """The user's net giving from `since`, grouped by month (`YYYY-MM`), by ONLUS and by category:
        {by: [{_id, cents, donations, name (of the ONLUS)}]} (`donations` counts gifts; refunds only subtract
        their cents)."""
        match = {"user_id": user_id, "kind": {"$in": ["donation", "refund"]}, "occurred_at": {"$gte": since}}
        sums = {
            "cents": {"$sum": "$amount_cents"},
            "donations": {"$sum": {"$cond": [{"$eq": ["$kind", "donation"]}, 1, 0]}},
            "name": {"$max": "$onlus_name"},
        }
        keys = {
            "month": {"$dateToString": {"format": "%Y-%m", "date": "$occurred_at"}},
            "onlus": "$onlus_id",
            "category": {"$ifNull": ["$category", "other"]},
        }
        return {
            by: list(self.timeline.aggregate([{"$match": match}, {"$group": {"_id": key, **sums}}]))
            for by, key in keys.items()
        }

    def platform_months(self, since: datetime) -> list[dict]:
        """Platform giving per month from `since`: [{_id: YYYY-MM, cents, donations, donors}], oldest first."""
        match = {"kind": {"$in": ["donation", "refund"]}, "occurred_at": {"$gte": since}}
        group = {
            "_id": {"$dateToString": {"format": "%Y-%m", "date": "$occurred_at"}},
            "cents": {"$sum": "$amount_cents"},
            "donations": {"$sum": {"$cond": [{"$eq": ["$kind", "donation"]}, 1, 0]}},
            "donor_ids": {"$addToSet": "$user_id"},
        }
        project = {"cents": 1, "donations": 1, "donors": {"$size": "$donor_ids"}}
        pipeline = [{"$match": match}, {"$group": group}, {"$project": project}, {"$sort": {"_id": 1}}]
        return list(self.timeline.aggregate(pipeline))

    def top_onlus(self, limit: int) -> list[dict]:
        """The ONLUS most given to, all time: [{_id: onlus_id, cents, name}] (their shards added up)."""
        return list(
            self.onlus.aggregate(
                [
                    {
                        "$group": {
                            "_id": {"$ifNull": ["$onlus_id", "$_id"]},
                            "cents": {"$sum": "$total_cents"},
                            "name": {"$max": "$name"},
                        }
                    },
                    {"$match": {"cents": {"$gt": 0}}},
                    {"$sort": {"cents": -1, "_id": 1}},
                    {"$limit": limit},
                ]
            )
        )

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
