"""Schemas of card payments: intents, the provider, webhooks."""

from __future__ import annotations

from marshmallow import fields, validate

from app.core.api import Computed, Euros, Id, IdRef, Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.donations.models.payments.intent import STATUSES as INTENT_STATUSES
from app.donations.schemas.compliance import RuleCheckOut

_PROVIDERS = ("stripe", "simulated")


class PaymentIntentIn(StrictSchema):
    onlus_id = IdRef(required=True, validate=validate.Length(min=1, max=64))
    amount = Money(required=True)


class ConfirmIn(StrictSchema):
    payment_method = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Simulated provider only: a Stripe-style test method; `pm_card_chargeDeclined` declines"
        },
    )


class PaymentIntentOut(OutSchema):
    id = Id()
    provider = fields.String(
        required=True,
        validate=validate.OneOf(_PROVIDERS),
        metadata={"description": "`stripe`, or `simulated` (no real money)"},
    )
    provider_intent_id = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={"description": "For Stripe.js confirmCardPayment"})
    status = fields.String(required=True, validate=validate.OneOf(INTENT_STATUSES))
    onlus_id = fields.String(required=True)
    onlus_name = fields.String()
    amount = Euros(attribute="amount_cents", required=True)
    currency = fields.String(validate=validate.OneOf(["EUR"]))
    donation_id = fields.String(allow_none=True)
    review_required = Computed(
        fields.Boolean(),
        lambda d: bool((d.get("compliance") or {}).get("reasons")),
        metadata={"description": "The donation will wait for a compliance review once paid"},
    )
    last_error = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class IntentComplianceOut(OutSchema):
    outcome = fields.String(validate=validate.OneOf(("approved", "held", "refused")))
    reasons = fields.List(fields.String())
    failed_checks = fields.List(fields.Nested(RuleCheckOut))


class DisputeOut(OutSchema):
    id = fields.String(allow_none=True)
    amount = Euros(attribute="amount_cents", allow_none=True)
    reason = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "As the provider reports it"})
    at = Timestamp()


class ProviderRefundOut(OutSchema):
    status = fields.String(
        validate=validate.OneOf(("succeeded", "pending", "failed", "canceled", "requires_action")),
        metadata={"description": "As the provider reports it; failed when sending it back failed"},
    )
    id = fields.String(allow_none=True)
    via = fields.String()
    error = fields.String(allow_none=True)
    at = Timestamp()


class IntentHistoryOut(OutSchema):
    status = fields.String(validate=validate.OneOf(INTENT_STATUSES), metadata={"description": "A state change"})
    event = fields.String(metadata={"description": "A fact that did not change the state: dispute, refund..."})
    at = Timestamp(required=True)
    via = fields.String()
    error = fields.String(allow_none=True)
    amount = Euros(attribute="amount_cents", metadata={"description": "event partial_refund"})


class AdminPaymentIntentOut(PaymentIntentOut):
    user_id = fields.String()
    client_ip = fields.String(allow_none=True)
    compliance = fields.Nested(IntentComplianceOut)
    dispute = fields.Nested(DisputeOut, allow_none=True)
    provider_refund = fields.Nested(ProviderRefundOut, allow_none=True)
    history = fields.List(fields.Nested(IntentHistoryOut))


class PaymentIntentQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(INTENT_STATUSES))


class AdminPaymentIntentQuery(PaymentIntentQuery):
    user_id = IdRef(validate=validate.Length(min=1, max=64))


class ProviderOut(OutSchema):
    provider = fields.String(required=True, validate=validate.OneOf(_PROVIDERS))
    label = fields.String()
    simulated = fields.Boolean()
    currency = fields.String(validate=validate.OneOf(["EUR"]))
    webhook_path = fields.String()


_WEBHOOK_OUTCOMES = (
    "completed",
    "already_completed",
    "amount_mismatch",
    "processing",
    "failed",
    "canceled",
    "refunded",
    "already_refunded",
    "partial_refund_recorded",
    "dispute_recorded",
    "unknown_intent",
    "ignored_state",
    "ignored_type",
)


class WebhookOut(OutSchema):
    event_id = fields.String()
    type = fields.String(metadata={"description": "The provider's event type, e.g. payment_intent.succeeded"})
    duplicate = fields.Boolean()
    outcome = fields.String(allow_none=True, validate=validate.OneOf(_WEBHOOK_OUTCOMES))
