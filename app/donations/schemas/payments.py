"""Schemas of card payments: intents, the provider, webhooks."""

from __future__ import annotations

from marshmallow import fields, validate

from app.core.api import Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.donations.models.payments.intent import STATUSES as INTENT_STATUSES
from app.donations.schemas.common import id_field


class PaymentIntentIn(StrictSchema):
    onlus_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount = Money(required=True)


class ConfirmIn(StrictSchema):
    payment_method = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Simulated provider only: a Stripe-style test method; `pm_card_chargeDeclined` declines"
        },
    )


class PaymentIntentOut(OutSchema):
    id = id_field
    provider = fields.String(required=True, metadata={"description": "`stripe`, or `simulated` (no real money)"})
    provider_intent_id = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True, metadata={"description": "For Stripe.js confirmCardPayment"})
    status = fields.String(required=True)
    onlus_id = fields.String(required=True)
    onlus_name = fields.String()
    amount = Money(attribute="amount_cents", required=True)
    currency = fields.String()
    donation_id = fields.String(allow_none=True)
    review_required = fields.Function(lambda d: bool((d.get("compliance") or {}).get("reasons")))
    last_error = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class AdminPaymentIntentOut(PaymentIntentOut):
    user_id = fields.String()
    client_ip = fields.String(allow_none=True)
    compliance = fields.Dict()
    dispute = fields.Dict(allow_none=True)
    provider_refund = fields.Dict(allow_none=True)
    history = fields.List(fields.Dict())


class PaymentIntentQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(INTENT_STATUSES))


class AdminPaymentIntentQuery(PaymentIntentQuery):
    user_id = fields.String(validate=validate.Length(min=1, max=64))


class ProviderOut(OutSchema):
    provider = fields.String(required=True)
    label = fields.String()
    simulated = fields.Boolean()
    currency = fields.String()
    webhook_path = fields.String()


class WebhookOut(OutSchema):
    event_id = fields.String()
    type = fields.String()
    duplicate = fields.Boolean()
    outcome = fields.String(allow_none=True)
