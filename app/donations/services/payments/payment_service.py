"""Card donations: a player gives real money straight to an ONLUS.

create intent (compliance + fraud checks first) -> the client confirms with the provider -> the provider's
webhook (or a confirm/sync call) completes it: the donation, its receipt and DonationComplete, exactly
once per intent. Intent states only move forward (app/donations/models/payments/intent.py).

Webhooks: verified against the raw body, the event id recorded first under a unique id (a replay of a
processed event is acknowledged and ignored), then applied with guarded updates, so late, repeated or
out-of-order deliveries cannot undo a completed payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.donations.models.compliance.fraud import CHARGE_DISPUTE, PAYMENT_AMOUNT_MISMATCH
from app.donations.models.donations.donation import COMPLETED, HELD, donated_today
from app.donations.models.payments.intent import CANCELED, CREATED, OPEN, REFUNDED, SUCCEEDED
from app.donations.repositories.donations.donations import DonationRepository
from app.donations.repositories.payments.intents import IntentIdempotencyKeyTaken, PaymentIntentRepository
from app.donations.repositories.payments.providers import ProviderConfigRepository
from app.donations.repositories.payments.webhooks import WebhookEventRepository
from app.donations.repositories.wallet.wallets import WalletRepository
from app.donations.services.compliance.compliance_service import ComplianceRequest, ComplianceService
from app.donations.services.compliance.fraud_service import FraudService
from app.donations.services.compliance.held_donation_review import HeldDonationReview
from app.donations.services.donations.onlus_service import OnlusService
from app.donations.services.donations.refund_service import RefundService
from app.donations.services.payments.card_donation_service import CardDonationService
from app.donations.services.payments.providers import PaymentProvider, ProviderError, ProviderIntent, event_object

log = logging.getLogger(__name__)


class PaymentService:
    def __init__(
        self,
        *,
        provider: PaymentProvider,
        intents: PaymentIntentRepository,
        webhooks: WebhookEventRepository,
        provider_settings: ProviderConfigRepository,
        wallets: WalletRepository,
        donations: DonationRepository,
        onlus: OnlusService,
        compliance: ComplianceService,
        fraud: FraudService,
        card_donations: CardDonationService,
        refunds: RefundService,
        held: HeldDonationReview,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.provider = provider
        self.intents = intents
        self.webhooks = webhooks
        self.provider_settings = provider_settings
        self.wallets = wallets  # today's donated counter (the daily limit)
        self.donations = donations  # the donation a charge.refunded reverses
        self.onlus = onlus
        self.compliance = compliance
        self.fraud = fraud
        self.card_donations = card_donations  # a succeeded payment becomes the donation
        self.refunds = refunds  # a provider refund reverses it (ledger only)
        self.held = held  # ... or rejects it while held
        self.clock = clock

    def register_provider(self) -> None:
        """Record which provider this deployment uses (payment_providers), for admins and reconciliation."""
        self.provider_settings.save(
            self.provider.name,
            {
                "label": self.provider.label,
                "simulated": self.provider.simulated,
                "active": True,
                "currency": "EUR",
                "updated_at": self.clock(),
            },
        )

    def provider_info(self) -> dict:
        return {
            "provider": self.provider.name,
            "label": self.provider.label,
            "simulated": self.provider.simulated,
            "currency": "EUR",
            "webhook_path": "/api/payments/webhooks/stripe",
        }

    # -- create ---------------------------------------------------------------------
    def create_intent(
        self,
        user_id: str,
        *,
        onlus_id: str,
        amount_cents: int,
        idempotency_key: str | None = None,
        client_ip: str | None = None,
    ) -> tuple[dict, bool]:
        if idempotency_key:
            existing = self.intents.by_idempotency_key(user_id, idempotency_key)
            if existing is not None:
                return self._replay(existing, onlus_id, amount_cents), False
        self.compliance.require_donations_enabled()
        onlus = self.onlus.donatable(onlus_id)
        self.fraud.check_payment_attempt(user_id, client_ip)
        wallet = self.wallets.ensure(user_id)
        request = ComplianceRequest(
            user_id=user_id,
            onlus=onlus,
            amount_cents=amount_cents,
            donated_today_cents=donated_today(wallet, self.clock().date().isoformat()),
            source="card",
            client_ip=client_ip,
            wallet=wallet,
        )
        decision = self.compliance.check(request)
        if not decision.allowed:
            self.compliance.record(request, decision, subject_type="payment_intent", subject_id=None)
            raise decision.error()
        now = self.clock()
        intent_id = self.intents.new_id()
        doc = {
            "_id": intent_id,
            "user_id": user_id,
            "onlus_id": onlus_id,
            "onlus_name": onlus["name"],
            "onlus_category": onlus["category"],
            "amount_cents": amount_cents,
            "currency": "EUR",
            "provider": self.provider.name,
            "provider_intent_id": None,
            "client_secret": None,
            "status": CREATED,
            "client_ip": client_ip,
            "donation_id": None,
            "compliance": {
                "outcome": decision.outcome,
                "reasons": list(decision.reasons),
                "failed_checks": [c for c in decision.checks if not c["passed"]],
            },
            "created_at": now,
            "updated_at": now,
            "history": [{"status": CREATED, "at": now, "via": "api"}],
        }
        if idempotency_key:
            doc["idempotency_key"] = idempotency_key
        try:
            self.intents.insert(doc)
        except IntentIdempotencyKeyTaken:
            existing = self.intents.by_idempotency_key(user_id, idempotency_key)  # the same key raced us and won
            return self._replay(existing, onlus_id, amount_cents), False
        self.compliance.record(request, decision, subject_type="payment_intent", subject_id=str(intent_id))
        try:
            remote = self.provider.create_intent(
                amount_cents=amount_cents,
                currency="EUR",
                idempotency_key=f"donation:{intent_id}",
                metadata={"goodplay_intent_id": str(intent_id), "user_id": user_id, "onlus_id": onlus_id},
                description=f"GoodPlay donation to {onlus['name']}",
            )
        except ProviderError as exc:
            self.intents.provider_unavailable(intent_id, message=exc.message, at=self.clock())
            raise
        updated = self.intents.set_provider_intent(
            intent_id, provider_intent_id=remote.id, client_secret=remote.client_secret, at=self.clock()
        )
        return self.intents.await_payment_method(intent_id, at=self.clock()) or updated, True

    def _replay(self, existing: dict, onlus_id: str, amount_cents: int) -> dict:
        if existing["onlus_id"] != onlus_id or existing["amount_cents"] != amount_cents:
            raise ValidationFailed(
                "IDEMPOTENCY_KEY_REUSED", errors={"Idempotency-Key": ["Already used for a different payment."]}
            )
        return existing

    # -- reads -----------------------------------------------------------------------
    def for_user(self, user_id: str, intent_id: str) -> dict:
        intent = self.intents.by_id(intent_id)
        if intent is None or intent["user_id"] != user_id:
            raise NotFound("PAYMENT_INTENT_NOT_FOUND")
        return intent

    def page_for_user(self, user_id: str, *, skip: int, limit: int, status: str | None = None) -> tuple[list, int]:
        return self.intents.page(skip=skip, limit=limit, user_id=user_id, status=status)

    def admin_page(
        self, *, skip: int, limit: int, status: str | None = None, user_id: str | None = None
    ) -> tuple[list, int]:
        return self.intents.page(skip=skip, limit=limit, status=status, user_id=user_id)

    def admin_get(self, intent_id: str) -> dict:
        intent = self.intents.by_id(intent_id)
        if intent is None:
            raise NotFound("PAYMENT_INTENT_NOT_FOUND")
        return intent

    # -- the client's side ---------------------------------------------------------------
    def confirm(self, user_id: str, intent_id: str, *, payment_method: str | None = None) -> dict:
        """Simulated provider: charge the (pretend) card now. Stripe: the browser confirmed with Stripe.js;
        this asks Stripe for the intent's state and applies it (useful when a webhook is late)."""
        intent = self.for_user(user_id, intent_id)
        if not intent.get("provider_intent_id"):
            raise Conflict("PAYMENT_INTENT_NOT_OPEN")
        if intent["status"] in (SUCCEEDED, REFUNDED):
            return intent
        if intent["status"] == CANCELED:
            raise Conflict("PAYMENT_INTENT_NOT_OPEN")
        if self.provider.simulated:
            remote = self.provider.confirm(intent["provider_intent_id"], payment_method)
        else:
            remote = self.provider.retrieve_intent(intent["provider_intent_id"])
        return self.sync(intent, remote, via="confirm")

    def cancel(self, user_id: str, intent_id: str) -> dict:
        intent = self.for_user(user_id, intent_id)
        if intent["status"] not in OPEN:
            raise Conflict("PAYMENT_INTENT_NOT_OPEN")
        if intent.get("provider_intent_id"):
            remote = self.provider.cancel_intent(intent["provider_intent_id"])
            if remote.status == "succeeded":  # charged meanwhile: complete instead of cancelling
                return self.sync(intent, remote, via="cancel")
        moved = self.intents.mark_canceled(intent["_id"], via="cancel", at=self.clock())
        if moved is None:
            raise Conflict("PAYMENT_INTENT_NOT_OPEN")
        return moved

    def sync(self, intent: dict, remote: ProviderIntent, *, via: str) -> dict:
        """Apply the provider's view of an intent (never backwards)."""
        if remote.status == "succeeded":
            self._succeed(intent, amount_cents=remote.amount_cents, reference={"via": via})
        elif remote.status == "canceled":
            self.intents.mark_canceled(intent["_id"], via=via, at=self.clock())
        elif remote.status == "processing":
            self.intents.mark_processing(intent["_id"], via=via, at=self.clock())
        elif remote.last_error:
            self._fail(intent, error=remote.last_error, via=via)
        return self.intents.by_id(intent["_id"])

    # -- state moves ---------------------------------------------------------------------
    def _fail(self, intent: dict, *, error: str | None, via: str) -> dict | None:
        moved = self.intents.mark_failed(intent["_id"], error=error or "payment_failed", via=via, at=self.clock())
        if moved is not None:
            self.fraud.record_failed_payment(moved)
        return moved

    def _succeed(self, intent: dict, *, amount_cents: int | None, reference: dict) -> str:
        if amount_cents is not None and amount_cents != intent["amount_cents"]:
            self.fraud.flag(
                PAYMENT_AMOUNT_MISMATCH,
                subject_type="payment_intent",
                subject=str(intent["_id"]),
                detail={"expected_cents": intent["amount_cents"], "received_cents": amount_cents},
            )
            return "amount_mismatch"
        if intent["status"] not in OPEN:
            return "ignored_state"

        try:
            _, created = self.card_donations.complete(intent, reference=reference)
        except Conflict:
            return "ignored_state"
        return "completed" if created else "already_completed"

    # -- webhooks -------------------------------------------------------------------------
    def handle_webhook(self, payload: bytes, signature: str | None) -> dict:
        """Raises InvalidSignature (nothing recorded). Returns {event_id, type, duplicate, outcome}."""
        event = self.provider.parse_webhook(payload, signature)
        event_id, kind = event.get("id"), event.get("type")
        if not event_id or not kind:
            raise ValidationFailed("INVALID_WEBHOOK_EVENT")
        obj = event_object(event)
        recorded = self.webhooks.record(
            event_id,
            {
                "type": kind,
                "provider": self.provider.name,
                "object_id": obj.get("id"),
                "status": "received",
                "received_at": self.clock(),
            },
        )
        if recorded is None:
            existing = self.webhooks.get(event_id) or {}
            if existing.get("status") == "processed":
                return {"event_id": event_id, "type": kind, "duplicate": True, "outcome": existing.get("outcome")}
            # an earlier delivery stopped midway: apply again (every step below is idempotent)
        outcome = self._apply(kind, obj, event_id)
        self.webhooks.finish(event_id, {"status": "processed", "outcome": outcome, "processed_at": self.clock()})
        return {"event_id": event_id, "type": kind, "duplicate": False, "outcome": outcome}

    def _intent_for(self, provider_intent_id: str | None, metadata: dict | None = None) -> dict | None:
        intent = self.intents.by_provider_id(provider_intent_id) if provider_intent_id else None
        if intent is None and metadata and metadata.get("goodplay_intent_id"):
            intent = self.intents.by_id(metadata["goodplay_intent_id"])
        return intent

    def _apply(self, kind: str, obj: dict, event_id: str) -> str:
        if kind.startswith("payment_intent."):
            intent = self._intent_for(obj.get("id"), obj.get("metadata"))
            if intent is None:
                return "unknown_intent"
            if kind == "payment_intent.succeeded":
                return self._succeed(
                    intent,
                    amount_cents=obj.get("amount_received") or obj.get("amount"),
                    reference={"via": "webhook", "stripe_event_id": event_id},
                )
            if kind == "payment_intent.payment_failed":
                error = (obj.get("last_payment_error") or {}).get("code") or "payment_failed"
                return "failed" if self._fail(intent, error=error, via="webhook") else "ignored_state"
            if kind == "payment_intent.canceled":
                moved = self.intents.mark_canceled(intent["_id"], via="webhook", at=self.clock())
                return "canceled" if moved else "ignored_state"
            if kind == "payment_intent.processing":
                moved = self.intents.mark_processing(intent["_id"], via="webhook", at=self.clock())
                return "processing" if moved else "ignored_state"
            return "ignored_type"
        if kind == "charge.refunded":
            intent = self._intent_for(obj.get("payment_intent"), obj.get("metadata"))
            if intent is None:
                return "unknown_intent"
            return self._refunded_at_provider(intent, obj)
        if kind == "charge.dispute.created":
            intent = self._intent_for(obj.get("payment_intent"), obj.get("metadata"))
            if intent is None:
                return "unknown_intent"
            now = self.clock()
            dispute = {
                "id": obj.get("id"),
                "amount_cents": obj.get("amount"),
                "reason": obj.get("reason"),
                "status": obj.get("status"),
                "at": now,
            }
            self.intents.record_dispute(intent["_id"], dispute, at=now)
            self.fraud.flag(
                CHARGE_DISPUTE,
                subject_type="user",
                subject=intent["user_id"],
                detail={"payment_intent_id": str(intent["_id"]), **dispute},
                ref=f"payment_intent:{intent['_id']}",
            )
            return "dispute_recorded"
        return "ignored_type"

    def _refunded_at_provider(self, intent: dict, charge: dict) -> str:
        """charge.refunded: a full refund reverses the donation (ledger only: the provider already paid back)."""
        refunded = int(charge.get("amount_refunded") or 0)
        if intent["status"] == REFUNDED:
            return "already_refunded"
        if intent["status"] != SUCCEEDED:
            return "ignored_state"
        if refunded < intent["amount_cents"]:
            self.intents.record_partial_refund(intent["_id"], refunded, at=self.clock())
            return "partial_refund_recorded"
        donation = self.donations.by_id(str(intent["_id"]))
        if donation is not None and donation["status"] == COMPLETED:
            self.refunds.refund(
                str(intent["_id"]), actor_id=None, reason="Refunded at the payment provider", provider_initiated=True
            )
        elif donation is not None and donation["status"] == HELD:
            self.held.reject(
                str(intent["_id"]),
                actor_id="provider",
                note="Refunded at the payment provider",
                provider_initiated=True,
            )
        self.intents.mark_refunded(
            intent["_id"], provider_refund={"status": "succeeded", "via": "provider"}, via="webhook", at=self.clock()
        )
        return "refunded"
