"""audit_log: one document per recorded action, append-only.

This class is the only code that touches the collection, and it offers an insert and reads: nothing in the
application updates or deletes an entry (tests/api/test_audit_log.py checks it). Retention, if ever
wanted, is an operator's job on the database (an archive, then a purge), never the application's.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING

COLLECTION = "audit_log"
NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]


class AuditRepository:
    def __init__(self, db):
        self.collection = db[COLLECTION]

    def create_indexes(self) -> None:
        """Newest first, alone or by each filter of the admin list."""
        self.collection.create_index(NEWEST_FIRST)
        for field in ("actor_id", "action", "target.id"):
            self.collection.create_index([(field, DESCENDING), *NEWEST_FIRST])

    def append(self, entry: dict) -> None:
        self.collection.insert_one(dict(entry))

    def page(
        self,
        *,
        actor_id: str | None = None,
        action: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 20,
    ) -> tuple[list[dict], int]:
        """Entries matching every filter given, newest first, and how many match in all."""
        query: dict = {}
        for field, value in (("actor_id", actor_id), ("action", action), ("target.id", target_id)):
            if value is not None:
                query[field] = value
        if since is not None or until is not None:
            query["at"] = {
                **({"$gte": since} if since is not None else {}),
                **({"$lte": until} if until is not None else {}),
            }
        rows = list(self.collection.find(query).sort(NEWEST_FIRST).skip(skip).limit(limit))
        return rows, self.collection.count_documents(query)
