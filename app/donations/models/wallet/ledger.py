"""Ledger vocabulary (pure): entry types, statuses, and the shape of a posting.

The `transactions` collection is append-only. Each entry carries its idempotency `key`,
its signed effect on the balance (`amount_cents`), what it put on hold (`held_cents`),
the balance after it, and a reference to its source. The sum of a wallet's
`amount_cents` equals its balance; the sum of `held_cents` equals its held amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

EARNED = "earned"  # credits from play (session conversion)
BONUS = "bonus"  # tournament rewards and other grants
DONATED = "donated"  # debit for a completed donation
REFUND = "refund"  # a donation given back to the wallet (linked to the donation)
ADJUSTMENT = "adjustment"  # admin correction, with reason and admin id
RELEASE = "release"  # held credits released into the balance (or voided)
HOLD = "hold"  # a donation held for compliance review: balance -> held
UNHOLD = "unhold"  # a held donation settled: held -> balance (then donated, or left there)
CARD_PAYMENT = "card_payment"  # money received from a card for a donation (paired with `donated`: net 0)
CARD_REFUND = "card_refund"  # money sent back to the card (paired with `refund`: net 0)
REVERSAL = "reversal"  # credits of a voided session taken back (linked to the credit's entry)

ENTRY_TYPES = (
    EARNED,
    BONUS,
    DONATED,
    REFUND,
    ADJUSTMENT,
    RELEASE,
    HOLD,
    UNHOLD,
    CARD_PAYMENT,
    CARD_REFUND,
    REVERSAL,
)

# entry status
POSTED = "posted"  # a plain balance change
CREDITED = "credited"  # earnings credited in full
CAPPED = "capped"  # earnings reduced (daily cap, per-session limits); reasons in the breakdown
HELD = "held"  # earnings put on hold by a fraud check; not in the balance
VOIDED = "voided"  # a session voided before its credits were posted: it never earns any
ENTRY_STATUSES = (POSTED, CREDITED, CAPPED, HELD, VOIDED)

# what an entry's `source.kind` names
SOURCE_KINDS = ("session", "tournament", "season", "donation", "card", "admin", "held")


@dataclass
class Posting:
    """One balance change to write as a ledger entry, in one transaction with the wallet update."""

    user_id: str
    key: str
    type: str
    amount_cents: int  # signed effect on the balance
    source: dict  # {"kind": "session"|"donation"|"tournament"|"admin"|..., "id": str}
    status: str = POSTED
    held_cents: int = 0  # signed effect on the held amount
    breakdown: dict | None = None
    reason: str | None = None
    actor_id: str | None = None
    meta: dict = field(default_factory=dict)  # denormalised facts (onlus_id, onlus_category, donation_id)
    wallet_set: dict = field(default_factory=dict)  # extra wallet fields (day counters) set by the same update

    def __post_init__(self):
        if self.type not in ENTRY_TYPES:
            raise ValueError(f"unknown ledger entry type {self.type!r}")

    def wallet_inc(self) -> dict:
        inc = {"balance_cents": self.amount_cents}
        if self.held_cents:
            inc["held_cents"] = self.held_cents
        if self.type in (EARNED, BONUS) and self.amount_cents > 0:
            inc["total_earned_cents"] = self.amount_cents
        if self.type == RELEASE and self.amount_cents > 0:
            inc["total_earned_cents"] = self.amount_cents
        if self.type == REVERSAL:
            inc["total_earned_cents"] = self.amount_cents
        if self.type == DONATED:
            inc["total_donated_cents"] = -self.amount_cents
        if self.type == REFUND:
            inc["total_donated_cents"] = -self.amount_cents
        return inc

    def min_balance(self) -> int | None:
        """The balance the wallet needs for this posting (a debit never overdraws); None for a credit."""
        return -self.amount_cents if self.amount_cents < 0 else None

    def entry(self, wallet_after: dict, *, at: datetime) -> dict:
        """The ledger entry recording this posting, with the wallet as the posting left it."""
        return {
            "key": self.key,
            "user_id": self.user_id,
            "type": self.type,
            "status": self.status,
            "amount_cents": self.amount_cents,
            "held_cents": self.held_cents,
            "balance_after_cents": wallet_after["balance_cents"],
            "held_after_cents": wallet_after.get("held_cents", 0),
            "source": self.source,
            "breakdown": self.breakdown,
            "reason": self.reason,
            "actor_id": self.actor_id,
            "meta": self.meta,
            "created_at": at,
        }


def summary_status(entry: dict) -> str:
    """What credit_summary calls an entry: 'credited' | 'capped' | 'held'."""
    status = entry.get("status", POSTED)
    return CREDITED if status == POSTED else status


def release_key(held_key: str) -> str:
    """The key of the entry that settles credits held under `held_key`."""
    return f"release:{held_key}"


def reversal_key(credit_key: str) -> str:
    """The key of the entry that takes back credits posted under `credit_key` (a voided session)."""
    return f"reversal:{credit_key}"
