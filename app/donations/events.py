"""Events published by the donations module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from app.core.hooks import DomainEvent


@dataclass(frozen=True)
class DonationComplete(DomainEvent):
    """Published by donations once per completed donation (key `donation:<id>`), recorded in
    the same transaction that debits the wallet (or completes a card payment).

    source: 'wallet' | 'auto' | 'card' | 'batch'. amount_cents is integer euro cents. reviewed: completed by
    an admin approving it after a compliance hold (DonationHeld came first).
    """

    name: ClassVar[str] = "donation_complete"
    donation_id: str
    user_id: str
    onlus_id: str
    onlus_name: str
    onlus_category: str
    amount_cents: int
    source: str
    completed_at: datetime
    reviewed: bool = False


@dataclass(frozen=True)
class DonationHeld(DomainEvent):
    """Published by donations when a compliance rule holds a donation for review, recorded in the posting that
    moves its amount to `held`; key `donation_held:<id>`. reasons: the rules that held it (KYC_REQUIRED, ...)."""

    name: ClassVar[str] = "donation_held"
    donation_id: str
    user_id: str
    onlus_id: str
    onlus_name: str
    amount_cents: int
    source: str
    reasons: list
    held_at: datetime


@dataclass(frozen=True)
class DonationRejected(DomainEvent):
    """Published by donations when a held donation is rejected (by an admin, or by the card provider refunding
    it), recorded in the posting that returns the money; key `donation_rejected:<id>`. The money goes back to
    the wallet, or to the card for source 'card'."""

    name: ClassVar[str] = "donation_rejected"
    donation_id: str
    user_id: str
    onlus_id: str
    onlus_name: str
    amount_cents: int
    source: str
    rejected_at: datetime


@dataclass(frozen=True)
class AutoDonationFailed(DomainEvent):
    """Published by donations when an auto-donation a credit triggered is refused (insufficient balance, ONLUS
    no longer verified, a limit); key `auto_donation_failed:<credit key>:<onlus_id>`, so a retried credit
    announces it once. reason: the refusal's error key (DONATION_BELOW_MINIMUM, ...)."""

    name: ClassVar[str] = "auto_donation_failed"
    user_id: str
    onlus_id: str
    onlus_name: str | None
    amount_cents: int
    reason: str
    trigger_key: str
    failed_at: datetime


@dataclass(frozen=True)
class DonationRefunded(DomainEvent):
    """Published by donations when a completed donation is refunded/reversed; key `refund:<donation_id>`."""

    name: ClassVar[str] = "donation_refunded"
    donation_id: str
    user_id: str
    onlus_id: str
    onlus_category: str
    amount_cents: int
    refunded_at: datetime


@dataclass(frozen=True)
class WalletCredited(DomainEvent):
    """Published by donations after credits land in a wallet (session conversion, bonus, reward).

    source_key is the ledger idempotency key (e.g. 'session:<id>'); total_earned_cents is
    the wallet's lifetime earnings after this credit.
    """

    name: ClassVar[str] = "wallet_credited"
    user_id: str
    amount_cents: int
    balance_cents: int
    total_earned_cents: int
    source_key: str
    credited_at: datetime


@dataclass(frozen=True)
class WalletChanged(DomainEvent):
    """Published by donations for every ledger posting that changed a wallet's figures: credits from play,
    bonuses and rewards, admin adjustments, donations (wallet, auto, card), refunds, holds and their
    release, card refunds. Recorded in the posting's transaction, key `wallet_changed:<key of the posting's
    first ledger entry>`; a posting replayed under its idempotency key, or one that moved nothing, publishes
    none.

    The figures are the wallet as the posting left it, in integer cents; updated_at is the wallet's (as
    `GET /api/wallet` answers it), so a client can tell the later of two changes.
    """

    name: ClassVar[str] = "wallet_changed"
    user_id: str
    balance_cents: int
    held_cents: int
    total_earned_cents: int
    total_donated_cents: int
    currency: str
    source_key: str
    updated_at: datetime


@dataclass(frozen=True)
class SessionCreditHeld(DomainEvent):
    """Published by donations when a fraud rule (implausible play, too many sessions, velocity, credit farming)
    holds a session's credits, recorded in the crediting transaction; key `session_credit_held:<session id>`.
    The session waits for a moderator's decision (approve: the credits reach the balance; void)."""

    name: ClassVar[str] = "session_credit_held"
    session_id: str
    user_id: str
    held_cents: int
    reasons: list
    held_at: datetime


@dataclass(frozen=True)
class SessionCreditSettled(DomainEvent):
    """Published by donations when a session's held credits are settled (approved into the balance, or
    forfeited), recorded in the settling transaction; key `session_credit_settled:<session id>`."""

    name: ClassVar[str] = "session_credit_settled"
    session_id: str
    user_id: str
    approved: bool
    amount_cents: int
    actor_id: str | None
    settled_at: datetime


EVENTS = (
    SessionCreditHeld,
    SessionCreditSettled,
    DonationComplete,
    DonationRefunded,
    WalletCredited,
    WalletChanged,
    DonationHeld,
    DonationRejected,
    AutoDonationFailed,
)
