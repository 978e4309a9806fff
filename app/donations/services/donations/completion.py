"""What a donation's completion announces: DonationComplete, recorded in the completing transaction."""

from __future__ import annotations

from datetime import datetime

from app.donations.events import DonationComplete


def donation_complete(donation: dict, onlus: dict, at: datetime) -> DonationComplete:
    return DonationComplete(
        donation_id=str(donation["_id"]),
        user_id=donation["user_id"],
        onlus_id=donation["onlus_id"],
        onlus_name=onlus["name"],
        onlus_category=onlus["category"],
        amount_cents=donation["amount_cents"],
        source=donation["source"],
        completed_at=at,
    )


def completion_key(donation_id) -> str:
    """The event's key (also the ledger key of the donation's debit)."""
    return f"donation:{donation_id}"
