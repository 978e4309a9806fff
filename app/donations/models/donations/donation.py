"""Donation rules (pure): statuses, the donation document, holds, auto-donation splits."""

from __future__ import annotations

from datetime import datetime

MIN_DONATION_CENTS = 50
COMPLETED, REFUNDED = "completed", "refunded"
HELD, REJECTED = "held", "rejected"  # held for compliance review; rejected by an admin (money returned)
STATUSES = (COMPLETED, REFUNDED, HELD, REJECTED)
SOURCES = ("wallet", "auto", "card", "batch")  # how a donation was made: by hand, auto-donation, card, import


def donated_today(wallet: dict, today: str) -> int:
    """What the wallet gave today (its day counter, when it is today's)."""
    return wallet.get("donated_today_cents", 0) if wallet.get("donated_day") == today else 0


def day_counters(today: str, donated_today_cents: int) -> dict:
    """The wallet's day counters after a donation (set by the same update as the debit)."""
    return {"donated_day": today, "donated_today_cents": donated_today_cents}


def ledger_meta(donation_id: str, *, onlus_id: str, onlus_category: str | None, source: str | None, **more) -> dict:
    """The facts a donation's ledger entries carry (what analytics and summaries read from the ledger)."""
    return {
        "donation_id": donation_id,
        "onlus_id": onlus_id,
        "onlus_category": onlus_category,
        "source": source,
        **more,
    }


def new_donation(
    donation_id,
    *,
    user_id: str,
    onlus_id: str,
    onlus: dict,
    amount_cents: int,
    source: str,
    entry: dict,
    held: bool,
    at: datetime,
    client_ip: str | None,
    payment: dict | None = None,
) -> dict:
    """A donation as its ledger posting writes it; `entry` is its debit (`donated`, or `hold` when held),
    `payment` the card payment's references."""
    return {
        "_id": donation_id,
        "user_id": user_id,
        "onlus_id": onlus_id,
        "onlus_name": onlus["name"],
        "onlus_category": onlus["category"],
        "amount_cents": amount_cents,
        "currency": "EUR",
        "status": HELD if held else COMPLETED,
        "source": source,
        **(payment or {}),
        "transaction_id": str(entry["_id"]),
        "ledger_key": entry["key"],
        "receipt_number": None,
        "created_at": at,
        "completed_at": None if held else at,
        "client_ip": client_ip,
    }


def hold_record(reasons, failed_checks, *, at: datetime) -> dict:
    """Why a donation waits for a compliance review."""
    return {"reasons": list(reasons), "held_at": at, "checks": list(failed_checks)}


def review_record(decision: str, *, by: str | None, at: datetime, note: str | None) -> dict:
    """An admin's decision on a held donation: 'approved' or 'rejected'."""
    return {"decision": decision, "by": by, "at": at, "note": note}


def settled_by_review(donation: dict, status: str) -> bool:
    """The donation was held and a review settled it into `status` (a repeated decision answers it again)."""
    decision = "approved" if status == COMPLETED else "rejected"
    return donation["status"] == status and (donation.get("review") or {}).get("decision") == decision


def auto_donation_amounts(
    balance_cents: int, percentage: int, allocations: list[dict], *, minimum: int = MIN_DONATION_CENTS
) -> list[tuple[str, int]]:
    """[(onlus_id, cents)] for `percentage` of the balance split by share, rounded down.

    The rounding remainder goes to the first allocation; parts under the minimum donation are dropped.
    """
    if balance_cents <= 0 or not allocations or percentage <= 0:
        return []
    pot = balance_cents * min(int(percentage), 100) // 100
    parts = [(a["onlus_id"], pot * int(a["share"]) // 100) for a in allocations if int(a.get("share", 0)) > 0]
    if not parts:
        return []
    remainder = pot - sum(c for _, c in parts)
    first_id, first_cents = parts[0]
    parts[0] = (first_id, first_cents + remainder)
    return [(oid, cents) for oid, cents in parts if cents >= minimum]
