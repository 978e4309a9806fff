"""Auto-donation: when a credit brings the balance to the user's threshold, donate a share of it to the
ONLUS they chose (settings stored with the user's preferences)."""

from __future__ import annotations

import logging

from app.core.clock import utcnow
from app.core.contracts import UserPreferences
from app.core.errors import AppError
from app.core.hooks import HookManager
from app.donations.events import AutoDonationFailed
from app.donations.models.donations.donation import auto_donation_amounts
from app.donations.services.compliance.compliance_service import ComplianceService
from app.donations.services.donations.donation_service import DonationService
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.wallet.ledger import Ledger

log = logging.getLogger(__name__)


class AutoDonationService:
    def __init__(
        self,
        *,
        donations: DonationService,
        ledger: Ledger,
        onlus: OnlusService,
        preferences: UserPreferences,
        hooks: HookManager,
        compliance: ComplianceService,
    ):
        self.donations = donations
        self.ledger = ledger  # the credit that triggered it
        self.onlus = onlus
        self.preferences = preferences
        self.hooks = hooks
        self.compliance = compliance  # the donation limits in force

    def after_credit(self, user_id: str, trigger_key: str) -> list[dict]:
        """After a credit: when auto-donation is on and the balance is at/over the threshold, donate
        `percentage` of the balance split across the allocations (each its own donation and receipt).
        Idempotent per triggering credit (keys `auto:<trigger_key>:<onlus_id>`)."""
        settings = self.preferences.auto_donation(user_id)
        if not settings.get("enabled") or not settings.get("allocations"):
            return []
        trigger = self.ledger.entry(trigger_key)
        if trigger is None or trigger["user_id"] != user_id or trigger["amount_cents"] <= 0:
            return []
        # the balance right after the triggering credit: the same plan on every retry of the handler
        balance = trigger["balance_after_cents"]
        if balance < int(settings.get("threshold_cents") or 0):
            return []
        made = []
        plan = auto_donation_amounts(balance, int(settings.get("percentage", 100)), settings["allocations"])
        largest = self.compliance.limits()["max_cents"]
        for onlus_id, cents in plan:
            amount = min(cents, largest)
            try:
                donation, _ = self.donations.process(
                    user_id,
                    onlus_id=onlus_id,
                    amount_cents=amount,
                    idempotency_key=f"auto:{trigger_key}:{onlus_id}",
                    source="auto",
                    trigger_key=trigger_key,
                )
            except AppError as exc:  # insufficient balance, ONLUS no longer verified, limits
                log.warning("auto-donation of %s to %s refused: %s", user_id, onlus_id, exc.message)
                self._announce_failure(user_id, onlus_id, amount, exc.message, trigger_key)
                continue
            made.append(donation)
        return made

    def _announce_failure(self, user_id: str, onlus_id: str, amount_cents: int, reason: str, trigger_key: str) -> None:
        onlus = self.onlus.raw(onlus_id) or {}
        self.hooks.publish(
            AutoDonationFailed(
                user_id=user_id,
                onlus_id=onlus_id,
                onlus_name=onlus.get("name"),
                amount_cents=amount_cents,
                reason=reason,
                trigger_key=trigger_key,
                failed_at=utcnow(),
            ),
            key=f"auto_donation_failed:{trigger_key}:{onlus_id}",
        )

    def settings(self, user_id: str) -> dict:
        settings = dict(self.preferences.auto_donation(user_id))
        names = self.onlus.many([a["onlus_id"] for a in settings.get("allocations") or []])
        settings["allocations"] = [
            {**a, "onlus_name": (names.get(a["onlus_id"]) or {}).get("name")} for a in settings.get("allocations") or []
        ]
        return settings

    def update(self, user_id: str, changes: dict) -> dict:
        """Store auto-donation settings in the user's preferences (which check that each ONLUS can receive)."""
        self.preferences.update_auto_donation(user_id, changes)
        return self.settings(user_id)
