from __future__ import annotations

from pymongo import ReturnDocument, UpdateOne


class SocialDonationRepository:
    """social_donations: the donations that counted in a user's stats and leaderboards (_id = donation id):
    {user_id, onlus_id, amount_cents, completed_at, refunded}. Kept so that a refund is taken back in the
    periods the donation counted in."""

    def __init__(self, db):
        self.collection = db["social_donations"]

    def create_indexes(self) -> None:
        self.collection.create_index("user_id")

    def remember(self, donation_id: str, *, user_id: str, onlus_id, amount_cents: int, completed_at, session=None):
        """Record a donation once (a second delivery leaves the first record as it is)."""
        self.collection.update_one(
            {"_id": donation_id},
            {
                "$setOnInsert": {
                    "user_id": user_id,
                    "onlus_id": onlus_id,
                    "amount_cents": amount_cents,
                    "completed_at": completed_at,
                    "refunded": False,
                }
            },
            upsert=True,
            session=session,
        )

    def remember_many(self, donations: list[dict], *, session=None) -> None:
        """remember() for several donations in one write: [{donation_id, user_id, onlus_id, amount_cents,
        completed_at}]."""
        if not donations:
            return
        self.collection.bulk_write(
            [
                UpdateOne(
                    {"_id": d["donation_id"]},
                    {
                        "$setOnInsert": {
                            "user_id": d["user_id"],
                            "onlus_id": d["onlus_id"],
                            "amount_cents": d["amount_cents"],
                            "completed_at": d["completed_at"],
                            "refunded": False,
                        }
                    },
                    upsert=True,
                )
                for d in donations
            ],
            ordered=True,
            session=session,
        )

    def take_back(self, donation_id: str, *, session=None) -> tuple[dict | None, bool]:
        """Mark the donation refunded. Returns (the donation as it counted, or None when it never counted
        here; True when it had been taken back before)."""
        donation = self.collection.find_one_and_update(
            {"_id": donation_id, "refunded": False},
            {"$set": {"refunded": True}},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        if donation is not None:
            return donation, False
        return None, self.collection.find_one({"_id": donation_id}, {"_id": 1}, session=session) is not None
