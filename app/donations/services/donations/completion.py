"""What a donation's posting announces, recorded in its transaction: DonationComplete, or DonationHeld /
DonationRejected around a compliance review."""

from __future__ import annotations

from datetime import datetime

from app.donations.events import DonationComplete, DonationHeld, DonationRejected


def donation_complete(donation: dict, onlus: dict, at: datetime, *, reviewed: bool = False) -> DonationComplete:
    return DonationComplete(
        donation_id=str(donation["_id"]),
        user_id=donation["user_id"],
        onlus_id=donation["onlus_id"],
        onlus_name=onlus["name"],
        onlus_category=onlus["category"],
        amount_cents=donation["amount_cents"],
        source=donation["source"],
        completed_at=at,
        reviewed=reviewed,
    )


def completion_key(donation_id) -> str:
    """The event's key (also the ledger key of the donation's debit)."""
    return f"donation:{donation_id}"


def donation_held(donation: dict, at: datetime) -> DonationHeld:
    return DonationHeld(
        donation_id=str(donation["_id"]),
        user_id=donation["user_id"],
        onlus_id=donation["onlus_id"],
        onlus_name=donation["onlus_name"],
        amount_cents=donation["amount_cents"],
        source=donation["source"],
        reasons=list(donation["hold"]["reasons"]),
        held_at=at,
    )


def donation_rejected(donation: dict, at: datetime) -> DonationRejected:
    return DonationRejected(
        donation_id=str(donation["_id"]),
        user_id=donation["user_id"],
        onlus_id=donation["onlus_id"],
        onlus_name=donation["onlus_name"],
        amount_cents=donation["amount_cents"],
        source=donation["source"],
        rejected_at=at,
    )
