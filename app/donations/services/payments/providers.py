"""Payment providers behind one small interface.

- StripeProvider: ONE injected `stripe.StripeClient` (built by build_provider from STRIPE_SECRET_KEY; STRIPE_API_BASE
  points it at another address, e.g. a local fake in tests). PaymentIntents are created with the
  deterministic idempotency key `donation:<id>`; webhooks are verified with the client's construct_event.
- SimulatedProvider: used when no Stripe key is configured, so the product works offline. Every answer
  is labelled `provider: "simulated"`; no money moves anywhere. It keeps its "remote" state in
  `simulated_payments` and completes a payment when the client confirms it.
"""

from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from app.core.clock import utcnow
from app.core.errors import AppError
from app.donations.repositories.payments.simulated import SimulatedPaymentRepository

log = logging.getLogger(__name__)

SIMULATED_DECLINE_METHODS = ("pm_card_chargeDeclined", "pm_card_visa_chargeDeclined", "pm_card_declined")


class InvalidSignature(Exception):
    """A webhook whose signature (or body) cannot be verified."""


class ProviderError(AppError):
    status_code = 502
    message = "PAYMENT_PROVIDER_ERROR"


@dataclass
class ProviderIntent:
    id: str
    status: str  # the provider's vocabulary (Stripe's): requires_payment_method, processing, ...
    amount_cents: int
    currency: str
    client_secret: str | None = None
    last_error: str | None = None
    raw: dict = field(default_factory=dict)


class PaymentProvider(ABC):
    name: str = ""
    label: str = ""
    simulated: bool = False

    @abstractmethod
    def create_intent(
        self, *, amount_cents: int, currency: str, idempotency_key: str, metadata: dict, description: str
    ) -> ProviderIntent: ...

    @abstractmethod
    def retrieve_intent(self, provider_intent_id: str) -> ProviderIntent: ...

    @abstractmethod
    def cancel_intent(self, provider_intent_id: str) -> ProviderIntent: ...

    @abstractmethod
    def refund(self, provider_intent_id: str, *, amount_cents: int, idempotency_key: str, reason: str) -> dict: ...

    @abstractmethod
    def parse_webhook(self, payload: bytes, signature: str | None) -> dict:
        """The verified event as a plain dict {id, type, data: {object: {...}}}; InvalidSignature otherwise."""


def _intent_from_stripe(obj) -> ProviderIntent:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    error = (data.get("last_payment_error") or {}) if isinstance(data.get("last_payment_error"), dict) else {}
    return ProviderIntent(
        id=data["id"],
        status=data.get("status") or "requires_payment_method",
        amount_cents=int(data.get("amount") or 0),
        currency=(data.get("currency") or "eur"),
        client_secret=data.get("client_secret"),
        last_error=error.get("code") or error.get("message"),
        raw=data,
    )


class StripeProvider(PaymentProvider):
    name = "stripe"
    label = "Stripe"

    def __init__(self, client, *, webhook_secret: str | None):
        self.client = client  # stripe.StripeClient
        self.webhook_secret = webhook_secret

    def _call(self, what: str, fn):
        import stripe

        try:
            return fn()
        except stripe.StripeError as exc:
            log.warning("stripe %s failed: %s", what, exc)
            message = getattr(exc, "user_message", None) or "Payment provider error."
            raise ProviderError(errors={"provider": [message]}) from exc

    def create_intent(self, *, amount_cents, currency, idempotency_key, metadata, description) -> ProviderIntent:
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "metadata": metadata,
            "description": description,
            "automatic_payment_methods": {"enabled": True},
        }
        obj = self._call(
            "create",
            lambda: self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key}),
        )
        return _intent_from_stripe(obj)

    def retrieve_intent(self, provider_intent_id) -> ProviderIntent:
        return _intent_from_stripe(
            self._call("retrieve", lambda: self.client.v1.payment_intents.retrieve(provider_intent_id))
        )

    def cancel_intent(self, provider_intent_id) -> ProviderIntent:
        return _intent_from_stripe(
            self._call("cancel", lambda: self.client.v1.payment_intents.cancel(provider_intent_id))
        )

    def refund(self, provider_intent_id, *, amount_cents, idempotency_key, reason) -> dict:
        params = {"payment_intent": provider_intent_id, "amount": amount_cents}
        if reason in ("duplicate", "fraudulent", "requested_by_customer"):
            params["reason"] = reason
        obj = self._call(
            "refund", lambda: self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        )
        data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
        return {"id": data.get("id"), "status": data.get("status")}

    def parse_webhook(self, payload: bytes, signature: str | None) -> dict:
        import stripe

        if not self.webhook_secret or not signature:
            raise InvalidSignature("missing webhook secret or signature")
        try:
            event = self.client.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidSignature(str(exc)) from exc
        return event.to_dict()


class SimulatedProvider(PaymentProvider):
    """Offline stand-in, clearly labelled: confirms complete at once (or decline with a Stripe-style test
    payment method such as `pm_card_chargeDeclined`). Never use it to take real money: it takes none."""

    name = "simulated"
    label = "Simulated payments (no real money moves)"
    simulated = True

    def __init__(self, payments: SimulatedPaymentRepository):
        self.payments = payments

    def create_intent(self, *, amount_cents, currency, idempotency_key, metadata, description) -> ProviderIntent:
        existing = self.payments.by_idempotency_key(idempotency_key)
        if existing is None:
            pid = f"sim_pi_{uuid.uuid4().hex[:24]}"
            existing = self.payments.insert(
                {
                    "_id": pid,
                    "idempotency_key": idempotency_key,
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "status": "requires_payment_method",
                    "client_secret": f"{pid}_secret_{uuid.uuid4().hex[:16]}",
                    "metadata": metadata,
                    "created_at": utcnow(),
                    "refunds": [],
                }
            )
        return self._intent(existing)

    def _intent(self, doc: dict) -> ProviderIntent:
        return ProviderIntent(
            id=doc["_id"],
            status=doc["status"],
            amount_cents=doc["amount"],
            currency=doc["currency"],
            client_secret=doc["client_secret"],
            last_error=doc.get("last_error"),
            raw={k: v for k, v in doc.items() if k != "_id"},
        )

    def _get(self, provider_intent_id: str) -> dict:
        doc = self.payments.get(provider_intent_id)
        if doc is None:
            raise ProviderError("PAYMENT_PROVIDER_ERROR", errors={"provider": ["Unknown simulated payment."]})
        return doc

    def retrieve_intent(self, provider_intent_id) -> ProviderIntent:
        return self._intent(self._get(provider_intent_id))

    def confirm(self, provider_intent_id: str, payment_method: str | None) -> ProviderIntent:
        """What Stripe.js would do in the browser: the card is charged (or declined)."""
        doc = self._get(provider_intent_id)
        if doc["status"] in ("requires_payment_method", "requires_confirmation"):
            declined = payment_method in SIMULATED_DECLINE_METHODS
            self.payments.settle_attempt(
                provider_intent_id,
                from_status=doc["status"],
                status="requires_payment_method" if declined else "succeeded",
                last_error="card_declined" if declined else None,
            )
            doc = self._get(provider_intent_id)
        return self._intent(doc)

    def cancel_intent(self, provider_intent_id) -> ProviderIntent:
        self.payments.cancel(provider_intent_id)
        return self._intent(self._get(provider_intent_id))

    def refund(self, provider_intent_id, *, amount_cents, idempotency_key, reason) -> dict:
        doc = self._get(provider_intent_id)
        for refund in doc.get("refunds") or []:
            if refund["idempotency_key"] == idempotency_key:
                return {"id": refund["id"], "status": refund["status"]}
        refund = {
            "id": f"sim_re_{uuid.uuid4().hex[:24]}",
            "status": "succeeded",
            "amount": amount_cents,
            "idempotency_key": idempotency_key,
            "reason": reason,
        }
        self.payments.add_refund(provider_intent_id, refund)
        return {"id": refund["id"], "status": refund["status"]}

    def parse_webhook(self, payload: bytes, signature: str | None) -> dict:
        # nothing can be verified without a Stripe webhook secret: treat every delivery as unsigned
        raise InvalidSignature("the simulated provider receives no webhooks")


def event_object(event: dict) -> dict:
    return ((event.get("data") or {}).get("object")) or {}
