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

    source: 'wallet' | 'auto' | 'card' | 'batch'. amount_cents is integer euro cents.
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


EVENTS = (DonationComplete, DonationRefunded, WalletCredited, WalletChanged)
