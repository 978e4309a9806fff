"""The reads and rewrites of one user's documents that an export and an account deletion need, driven by a
module's table of holdings (the collections it owns that name a user, and what a deletion does to each)."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.models.personal_data import Replacements

DELETE = "delete"  # the user's documents go
KEEP = "keep"  # kept as they are (the law keeps them, or they hold nothing personal beyond the id)
SCRUB = "scrub"  # kept, with the user's address and names replaced inside them


@dataclass(frozen=True)
class Holding:
    collection: str
    field: str = "user_id"  # the field holding the user's id (an array field matches one of its elements)
    erase: str = DELETE
    unset: tuple[str, ...] = ()  # fields removed from the documents kept
    export: bool = True  # part of the user's export (False: another user's data, or internal bookkeeping)


class PersonalRecords:
    """A module's personal-data repository: subclasses list their `holdings` and add what is theirs alone."""

    holdings: tuple[Holding, ...] = ()

    def __init__(self, db):
        self.db = db

    def export(self, user_id: str) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for h in self.holdings:
            if h.export:
                found.setdefault(h.collection, []).extend(self.db[h.collection].find({h.field: user_id}))
        return found

    def erase(self, user_id: str, replacements: Replacements) -> None:
        for h in self.holdings:
            collection, query = self.db[h.collection], {h.field: user_id}
            if h.erase == DELETE:
                collection.delete_many(query)
                continue
            if h.unset:
                collection.update_many(query, {"$unset": dict.fromkeys(h.unset, "")})
            if h.erase == SCRUB:
                self.scrub(h.collection, query, replacements)

    def scrub(self, name: str, query: dict, replacements: Replacements) -> int:
        """Rewrite the matching documents with the user's data replaced; how many changed."""
        collection, changed = self.db[name], 0
        for doc in collection.find(query):
            clean = replacements.apply(doc)
            if clean != doc:
                collection.replace_one({"_id": doc["_id"]}, clean)
                changed += 1
        return changed


class CoreRecords(PersonalRecords):
    """Core's part. The account document itself is UserRepository's (erase_personal_data); the audit log is
    append-only and names users by id alone, so it stays as it is."""

    holdings = (
        Holding("user_preferences", field="_id"),
        Holding("account_tokens", export=False),  # pending links: they carry the address
        Holding("refresh_tokens", erase=KEEP, export=False),  # revoked first; they name nothing but the id
        Holding("mail_outbox"),  # mail to the user, unsent mail included
        Holding("hook_events", field="payload.user_id", erase=SCRUB, export=False),
    )

    def erase(self, user_id: str, replacements: Replacements) -> None:
        super().erase(user_id, replacements)
        # mail to other users that named this one (a friend request's notification), sent or not
        for needle in replacements.needles:
            self.scrub("mail_outbox", {"text": {"$regex": needle, "$options": "i"}}, replacements)
