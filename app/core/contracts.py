"""What the core module offers the other modules (their constructors take these, not core's classes)."""

from __future__ import annotations

from typing import Protocol


class UserDirectory(Protocol):
    def get(self, user_id: str) -> dict:
        """The active user's account (NotFound otherwise)."""

    def exists(self, user_id: str) -> bool:
        """An active account with this id exists."""

    def known(self, user_ids: list[str]) -> set[str]:
        """The ids among `user_ids` that name an account, active or not, exactly as spelled (lower case)."""

    def active_display_name(self, user_id: str) -> str | None:
        """'First L.' of an active user; None when there is no such user."""

    def email_of(self, user_id: str) -> str | None:
        """The confirmed address to mail an active user at (never shown to other users); None when there is no
        such user or the address is not confirmed yet."""

    def mail_recipients_after(self, after_id: str | None, limit: int = 200) -> list[dict]:
        """[{id, email, first_name}] of active users with a confirmed address, in id order after `after_id`
        (None: from the first); fewer than `limit` means the last page."""

    def display_names(self, user_ids: list[str]) -> dict[str, str]:
        """{user_id: 'First L.'} for the ids that exist (safe to show other users)."""

    def public_profiles(self, user_ids: list[str]) -> dict[str, dict]:
        """{user_id: {id, first_name, last_name, display_name}} for the ids that exist."""

    def search(self, text: str, *, exclude: list[str], limit: int = 20) -> list[dict]:
        """Public profiles whose name matches `text`."""

    def count(self) -> int:
        """How many accounts there are."""


class UserPreferences(Protocol):
    def get(self, user_id: str) -> dict:
        """The user's preferences, defaults filled in."""

    def many(self, user_ids: list[str]) -> dict[str, dict]:
        """Preferences of several users."""

    def hidden_from_leaderboards(self, user_ids: list[str] | None = None) -> set[str]:
        """Users who opted out of public leaderboards (among user_ids, or all)."""

    def auto_donation(self, user_id: str) -> dict:
        """The user's auto-donation settings."""

    def update(self, user_id: str, changes: dict) -> dict:
        """Merge `changes` (validated sections) into the user's preferences."""

    def update_auto_donation(self, user_id: str, settings: dict) -> dict:
        """Change the auto-donation settings alone, checked as `update` checks them (errors name the fields
        of `settings`); the user's preferences."""


class DonationRecipients(Protocol):
    def refused(self, onlus_ids: list[str]) -> set[str]:
        """The ids among `onlus_ids` that cannot receive donations now (unknown, unverified or suspended)."""


class TokenChecker(Protocol):
    def is_revoked(self, claims: dict) -> bool:
        """The decoded token has been revoked (its own revocation, or its family's: logout, refresh-token
        reuse, password change, and whatever else ends sessions through core's TokenService)."""

    def revoked_among(self, claims: list[dict]) -> set[str]:
        """The ids (jti) of the decoded tokens among `claims` that have been revoked, checked together."""


class MailQueue(Protocol):
    def enqueue(
        self, *, to: str, subject: str, text: str, html: str, key: str, user_id: str | None = None, session=None
    ) -> bool:
        """Put one message in the durable mail outbox (inside the caller's transaction when `session` is
        given); a job sends it later, with retries. `key` makes it idempotent: a second message with the same
        key is not queued (False). Nothing is sent when the outbox write fails with the caller's."""


class AuditTrail(Protocol):
    def record(
        self,
        *,
        actor_id: str | None,
        action: str,
        target: dict | None = None,
        before: dict | None = None,
        after: dict | None = None,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Append one entry to the audit log (never updated or deleted)."""


# -- personal data (export and erasure of an account) ---------------------------------------------------


class PersonalData(Protocol):
    """One module's part of a user's data: what it holds (export) and what an account deletion does to it
    (erase): per collection, the user's documents are deleted, kept (what the law makes us keep: the ledger,
    donations, receipts) or kept with the user's address and names replaced."""

    name: str

    def export(self, user_id: str) -> dict[str, list[dict]]:
        """{collection: that user's documents, JSON-safe}."""

    def erase(self, user_id: str, replacements) -> None:
        """Apply the rules (`replacements`: app.core.models.personal_data.Replacements). Idempotent: a deletion
        interrupted midway runs again."""


class BalanceSettlement(Protocol):
    """What an account deletion does with the money left in the wallet (the donations module decides)."""

    minimum_cents: int

    def balances(self, user_id: str) -> tuple[int, int]:
        """(balance, held) in cents: what the user may spend, and what waits for a review."""

    def donate_balance(self, user_id: str, onlus_id: str, amount_cents: int) -> dict:
        """Donate the balance `balances` read to the ONLUS through the normal donation path (receipt included),
        once (idempotent); the donation. Raises the donation's errors (ONLUS_NOT_FOUND, ...)."""

    def forfeit_balance(self, user_id: str, amount_cents: int) -> None:
        """Give up a balance below the minimum donation: a debit entry in the ledger, once."""


class PublicLimits(Protocol):
    def public_limits(self) -> dict[str, int]:
        """Limits a module sets that the frontend shows (`GET /api/config/public`), in cents: {name_cents: n}."""


class RuntimeConfig(Protocol):
    """The operator's runtime settings (app.core.models.settings), for the modules that obey them."""

    def require_donations_enabled(self) -> None:
        """503 DONATIONS_DISABLED while the operator has paused donations."""

    def donation_limits(self) -> dict[str, int]:
        """{min_cents, max_cents, max_per_day_cents}: one donation's bounds and one donor's daily total."""
