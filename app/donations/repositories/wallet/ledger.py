"""`transactions`: the append-only ledger."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from app.core.ids import new_object_id, object_id
from app.donations.models.wallet.ledger import DONATED, HELD, HOLD, REFUND, UNHOLD, release_key
from app.donations.repositories.queries import created_between


class LedgerKeyTaken(Exception):
    """An entry with this idempotency key is already in the ledger (the posting was made before)."""


class LedgerRepository:
    """The `transactions` collection. Append-only: nothing here updates or deletes an entry."""

    def __init__(self, db):
        self.collection = db["transactions"]

    def create_indexes(self) -> None:
        self.collection.create_index([("key", ASCENDING)], unique=True)
        self.collection.create_index([("user_id", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("user_id", ASCENDING), ("type", ASCENDING), ("created_at", DESCENDING)])
        self.collection.create_index([("type", ASCENDING), ("created_at", ASCENDING)])

    def insert(self, entry: dict, *, session=None) -> dict:
        """The entry as stored (with its id); LedgerKeyTaken when its key is in the ledger already."""
        doc = {"_id": new_object_id(), **entry}
        try:
            self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise LedgerKeyTaken(entry["key"]) from exc
        return doc

    def by_key(self, key: str, *, session=None) -> dict | None:
        return self.collection.find_one({"key": key}, session=session)

    def by_id(self, entry_id: str) -> dict | None:
        oid = object_id(entry_id)
        return self.collection.find_one({"_id": oid}) if oid else None

    @staticmethod
    def _user_query(
        user_id: str, *, types: list[str] | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> dict:
        query: dict = {"user_id": user_id}
        if types:
            query["type"] = {"$in": list(types)}
        created_between(query, start, end)
        return query

    def page_for_user(self, user_id: str, *, skip: int, limit: int, **filters) -> tuple[list[dict], int]:
        query = self._user_query(user_id, **filters)
        total = self.collection.count_documents(query)
        rows = list(
            self.collection.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        )
        return rows, total

    def for_user(self, user_id: str, **filters) -> list[dict]:
        return list(self.collection.find(self._user_query(user_id, **filters)).sort("created_at", ASCENDING))

    def period_summary(self, start: datetime, end: datetime) -> dict:
        """Net donated in [start, end) (donations minus refunds), computed by the database over the
        (type, created_at) index: {total_cents, donation_count, donor_ids, by_category, by_onlus}.

        One aggregation per entry type: an equality on `type` bounds the index scan to the period, where
        `type: {$in: [...]}` is planned on `type` alone and reads every donation ever made."""
        unknown = "unknown"
        by_onlus: dict[str, int] = {}
        by_category: dict[str, int] = {}
        donors: list[dict] = []
        for entry_type in (DONATED, REFUND):
            facets: dict = {
                # category follows the ONLUS: grouping by the pair costs one pass for both tables
                "keys": [
                    {
                        "$group": {
                            "_id": ["$meta.onlus_id", "$meta.onlus_category"],
                            "cents": {"$sum": "$amount_cents"},
                        }
                    }
                ]
            }
            if entry_type == DONATED:
                facets["donors"] = [{"$group": {"_id": "$user_id", "n": {"$sum": 1}}}]
            rows = self._period_facets(entry_type, start, end, facets)
            for r in rows.get("keys", []):
                cents = -int(r["cents"])  # a donation debits, a refund credits back
                onlus, category = r["_id"]
                onlus = unknown if onlus is None else onlus
                category = unknown if category is None else category
                by_onlus[onlus] = by_onlus.get(onlus, 0) + cents
                by_category[category] = by_category.get(category, 0) + cents
            donors.extend(rows.get("donors", []))
        return {
            "total_cents": sum(by_onlus.values()),
            "donation_count": sum(int(r["n"]) for r in donors),
            "donor_ids": sorted(r["_id"] for r in donors),
            "by_category": by_category,
            "by_onlus": by_onlus,
        }

    def _period_facets(self, entry_type: str, start: datetime, end: datetime, facets: dict) -> dict:
        """The $facet of the entries of one type created in [start, end) ({} when there are none)."""
        match = {"type": entry_type, "created_at": {"$gte": start, "$lt": end}}
        rows = list(self.collection.aggregate([{"$match": match}, {"$facet": facets}]))
        return rows[0] if rows else {}

    def donated_since(self, user_id: str, since: datetime) -> int:
        """Cents the user gave (or has held for review) since then: donated + hold - unhold entries, so a
        held-then-approved donation counts once and a rejected one not at all."""
        rows = list(
            self.collection.aggregate(
                [
                    {
                        "$match": {
                            "user_id": user_id,
                            "type": {"$in": [DONATED, HOLD, UNHOLD]},
                            "created_at": {"$gte": since},
                        }
                    },
                    {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}}},
                ]
            )
        )
        return -rows[0]["cents"] if rows else 0

    def sum_for_user(self, user_id: str, types: list[str], start: datetime, end: datetime) -> int:
        """Cents of the user's entries of these types created in [start, end)."""
        match = {"user_id": user_id, "type": {"$in": types}, "created_at": {"$gte": start, "$lt": end}}
        rows = list(
            self.collection.aggregate(
                [{"$match": match}, {"$group": {"_id": None, "cents": {"$sum": "$amount_cents"}}}]
            )
        )
        return int(rows[0]["cents"]) if rows else 0

    def unsettled_holds(self) -> list[dict]:
        """Credits a fraud check held that no `release:<key>` entry settled yet, oldest first."""
        held = list(self.collection.find({"status": HELD, "held_cents": {"$gt": 0}}).sort("created_at", 1))
        releases = [release_key(e["key"]) for e in held]
        settled = {e["key"] for e in self.collection.find({"key": {"$in": releases}}, {"key": 1})}
        return [e for e in held if release_key(e["key"]) not in settled]

    def net_donated_by_onlus_month(
        self, *, onlus_id: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> dict[tuple[str, str], int]:
        """{(onlus_id, "YYYY-MM"): net donated cents (donations minus refunds)} by entry time (UTC),
        optionally for one ONLUS and entries in [start, end). One aggregation per entry type, like
        period_summary; the ONLUS is matched after the (type, created_at) scan, not beside it."""
        out: dict[tuple[str, str], int] = {}
        for entry_type in (DONATED, REFUND):
            pipeline: list[dict] = [{"$match": created_between({"type": entry_type}, start, end)}]
            if onlus_id:
                pipeline.append({"$match": {"meta.onlus_id": onlus_id}})
            pipeline.append(
                {
                    "$group": {
                        "_id": {
                            "o": "$meta.onlus_id",
                            "p": {"$dateToString": {"format": "%Y-%m", "date": "$created_at"}},
                        },
                        "cents": {"$sum": "$amount_cents"},
                    }
                }
            )
            for r in self.collection.aggregate(pipeline):
                key = (r["_id"].get("o"), r["_id"]["p"])
                out[key] = out.get(key, 0) - r["cents"]
        return out

    def sums_by_user(self) -> dict[str, dict]:
        """{user_id: {"balance": sum(amount_cents), "held": sum(held_cents), "entries": n}} over the whole ledger."""
        rows = self.collection.aggregate(
            [
                {
                    "$group": {
                        "_id": "$user_id",
                        "balance": {"$sum": "$amount_cents"},
                        "held": {"$sum": {"$ifNull": ["$held_cents", 0]}},
                        "entries": {"$sum": 1},
                    }
                }
            ]
        )
        return {r["_id"]: r for r in rows}

    def totals_by_type(self) -> dict[str, tuple[int, int]]:
        """{entry type: (entries, cents)} over the whole ledger."""
        rows = self.collection.aggregate(
            [{"$group": {"_id": "$type", "count": {"$sum": 1}, "cents": {"$sum": "$amount_cents"}}}]
        )
        return {r["_id"]: (int(r["count"]), int(r["cents"])) for r in rows}
