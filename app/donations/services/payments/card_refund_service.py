"""Money back to the card: after the ledger reversal of a card donation committed (a refund, or a held one
rejected), the provider refunds the payment. Idempotent at the provider (key `refund:<donation_id>`); a
failure is recorded on the intent (and reported by reconciliation) so an admin can retry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound
from app.donations.models.donations.donation import REFUNDED, REJECTED
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.payments.intents import PaymentIntentRepository
from app.donations.services.payments.providers import PaymentProvider, ProviderError

log = logging.getLogger(__name__)


class CardRefundService:
    def __init__(
        self,
        *,
        provider: PaymentProvider,
        intents: PaymentIntentRepository,
        donations: DonationRepository,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.provider = provider
        self.intents = intents
        self.donations = donations
        self.clock = clock

    def refund_at_provider(self, donation: dict, *, reason: str) -> dict:
        intent = self.intents.by_id(donation.get("payment_intent_id") or donation["_id"])
        if intent is None or not intent.get("provider_intent_id"):
            return {"status": "skipped"}
        now = self.clock()
        try:
            result = self.provider.refund(
                intent["provider_intent_id"],
                amount_cents=intent["amount_cents"],
                idempotency_key=f"refund:{donation['_id']}",
                reason=reason,
            )
        except ProviderError as exc:
            self.intents.record_provider_refund_failure(intent["_id"], exc.message, at=now)
            log.error("refund at the provider failed for intent %s", intent["_id"])
            return {"status": "failed"}
        refund = {"status": result.get("status") or "succeeded", "id": result.get("id"), "at": now}
        self.intents.mark_refunded(intent["_id"], provider_refund=refund, via="admin", at=self.clock())
        self.intents.record_provider_refund(intent["_id"], refund, at=now)
        return refund

    def retry(self, intent_id: str) -> dict:
        """An admin sends a refunded or rejected card donation's money back again after a provider failure."""
        intent = self.intents.by_id(intent_id)
        if intent is None:
            raise NotFound("PAYMENT_INTENT_NOT_FOUND")
        donation = self.donations.by_id(str(intent["_id"]))
        if donation is None or donation["status"] not in (REFUNDED, REJECTED):
            raise Conflict("PAYMENT_NOT_REFUNDABLE")
        return self.refund_at_provider(donation, reason="requested_by_customer")
