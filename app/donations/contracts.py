"""What the donations module offers the other modules."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from app.donations.models.donations import donation, onlus
from app.games.events import GameSessionComplete

# The words of the views below: a donation's `status`, an ONLUS's `category` and `verification_status`.
DONATION_STATUSES = donation.STATUSES
ONLUS_CATEGORIES = onlus.CATEGORIES
ONLUS_STATUSES = onlus.STATUSES


class SessionCredits(Protocol):
    def credit_summary(self, user_id: str, source_key: str) -> dict | None:
        """The ledger entry with that idempotency key ({amount_cents, status, breakdown}); None when nothing
        was recorded for it."""


class SessionCrediting(Protocol):
    def credit_completed_session(self, session: GameSessionComplete, *, follow_ups: bool = True) -> None:
        """Post a completed session's credits now (idempotent per session: the event's handler, a retry or
        a concurrent caller post them once). follow_ups=False leaves what a credit sets off (auto-donations)
        to the event's handler."""


class OnlusDirectory(Protocol):
    def get(self, onlus_id: str) -> dict | None:
        """An ONLUS's public view; None when there is no such ONLUS."""


class DonationRecords(Protocol):
    def get_donation(self, donation_id: str) -> dict | None:
        """{id, user_id, onlus_id, amount_cents, status, created_at, completed_at, receipt_number}."""

    def period_summary(self, start: datetime, end: datetime) -> dict:
        """Net donated in [start, end): {total_cents, donation_count, donor_ids, by_category, by_onlus}."""

    def earned_between(self, user_id: str, start: datetime, end: datetime) -> int:
        """Cents credited to the user's balance in [start, end) (play, rewards, released holds)."""
