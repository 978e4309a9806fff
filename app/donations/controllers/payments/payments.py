from flask import request

from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    login_required,
    ok,
    page_of,
    page_window,
    rate_limited,
)
from app.core.errors import BadRequest
from app.donations.controllers.donations.donations import IdempotencyHeaders
from app.donations.schemas.payments import (
    AdminPaymentIntentOut,
    AdminPaymentIntentQuery,
    ConfirmIn,
    PaymentIntentIn,
    PaymentIntentOut,
    PaymentIntentQuery,
    ProviderOut,
    WebhookOut,
)
from app.donations.services import services
from app.donations.services.payments.providers import InvalidSignature

blp = Blueprint(
    "payments",
    __name__,
    url_prefix="/api/payments",
    description="Card donations straight to an ONLUS (Stripe, or a clearly labelled simulated provider)",
)
admin_blp = Blueprint(
    "admin_payments", __name__, url_prefix="/api/admin/payments", description="Payment intents administration"
)


@blp.route("/provider", methods=["GET"])
@blp.response(200, Envelope(ProviderOut))
def provider():
    """The active payment provider: `stripe`, or `simulated` when no Stripe key is configured (no money moves)."""
    return ok("PAYMENT_PROVIDER_RETRIEVED", services().payments.provider_info())


@blp.route("/intents", methods=["POST"])
@login_required
@rate_limited("money")
@blp.arguments(PaymentIntentIn)
@blp.arguments(IdempotencyHeaders, location="headers")
@blp.response(201, Envelope(PaymentIntentOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND", 502: "PAYMENT_PROVIDER_ERROR"})
def create_intent(body, headers):
    """Start a card donation: answers the provider's `client_secret` for the client to confirm the payment.
    The donation (receipt, DonationComplete) is created when the provider reports success (webhook or
    `/confirm`). 429 PAYMENT_VELOCITY_EXCEEDED when too many attempts or declines came from this user/address.
    A replayed `Idempotency-Key` answers the first intent."""
    intent, created = services().payments.create_intent(
        current_user_id(),
        onlus_id=body["onlus_id"],
        amount_cents=body["amount"],
        idempotency_key=headers.get("idempotency_key"),
        client_ip=request.remote_addr,
    )
    if created:
        return ok("PAYMENT_INTENT_CREATED", intent)
    return ok("PAYMENT_INTENT_CREATED", intent), 201, {"Idempotent-Replayed": "true"}


@blp.route("/intents", methods=["GET"])
@login_required
@blp.arguments(PaymentIntentQuery, location="query")
@blp.response(200, Envelope(PaymentIntentOut, paginated=True))
def list_intents(query):
    """The user's card payments, newest first."""
    rows, total = services().payments.page_for_user(current_user_id(), **page_window(query), status=query.get("status"))
    return ok("PAYMENT_INTENTS_RETRIEVED", page_of(query, rows, total))


@blp.route("/intents/<oid:intent_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(PaymentIntentOut))
@error_responses(blp, {404: "PAYMENT_INTENT_NOT_FOUND"})
def get_intent(intent_id):
    """One of the user's payment intents (another user's is 404)."""
    return ok("PAYMENT_INTENT_RETRIEVED", services().payments.for_user(current_user_id(), intent_id))


@blp.route("/intents/<oid:intent_id>/confirm", methods=["POST"])
@login_required
@rate_limited("money")
@blp.arguments(ConfirmIn)
@blp.response(200, Envelope(PaymentIntentOut))
@error_responses(blp, {404: "PAYMENT_INTENT_NOT_FOUND", 409: "PAYMENT_INTENT_NOT_OPEN", 502: "PAYMENT_PROVIDER_ERROR"})
def confirm_intent(body, intent_id):
    """Simulated provider: charge now (`payment_method: pm_card_chargeDeclined` declines). Stripe: after
    Stripe.js confirmed in the browser, fetch the intent's state from Stripe and apply it."""
    intent = services().payments.confirm(current_user_id(), intent_id, payment_method=body.get("payment_method"))
    return ok("PAYMENT_INTENT_CONFIRMED", intent)


@blp.route("/intents/<oid:intent_id>/cancel", methods=["POST"])
@login_required
@blp.response(200, Envelope(PaymentIntentOut))
@error_responses(blp, {404: "PAYMENT_INTENT_NOT_FOUND", 409: "PAYMENT_INTENT_NOT_OPEN", 502: "PAYMENT_PROVIDER_ERROR"})
def cancel_intent(intent_id):
    """Cancel an open payment (409 PAYMENT_INTENT_NOT_OPEN once it succeeded or was cancelled)."""
    return ok("PAYMENT_INTENT_CANCELED", services().payments.cancel(current_user_id(), intent_id))


@blp.route("/webhooks/stripe", methods=["POST"])
@blp.response(200, Envelope(WebhookOut))
@blp.doc(
    security=[],
    requestBody={
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "A Stripe event, signed in the `Stripe-Signature` header",
                    "required": ["id", "type", "data"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string", "description": "e.g. payment_intent.succeeded"},
                        "data": {
                            "type": "object",
                            "properties": {"object": {"$ref": "#/components/schemas/JsonObject"}},
                        },
                    },
                    "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
                }
            }
        },
    },
    parameters=[{"in": "header", "name": "Stripe-Signature", "required": True, "schema": {"type": "string"}}],
)
def stripe_webhook():
    """Stripe events: payment_intent.succeeded / payment_failed / canceled / processing, charge.refunded,
    charge.dispute.created. The signature is verified against the raw body (400 INVALID_SIGNATURE, nothing
    changes); the event id is recorded first, so a replay is acknowledged (`duplicate: true`) and ignored."""
    try:
        result = services().payments.handle_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except InvalidSignature as exc:
        raise BadRequest("INVALID_SIGNATURE") from exc
    return ok("WEBHOOK_DUPLICATE_IGNORED" if result["duplicate"] else "WEBHOOK_PROCESSED", result)


@admin_blp.route("", methods=["GET"])
@admin_required
@admin_blp.arguments(AdminPaymentIntentQuery, location="query")
@admin_blp.response(200, Envelope(AdminPaymentIntentOut, paginated=True))
def admin_list(query):
    rows, total = services().payments.admin_page(
        **page_window(query), status=query.get("status"), user_id=query.get("user_id")
    )
    return ok("PAYMENT_INTENTS_RETRIEVED", page_of(query, rows, total))


@admin_blp.route("/<oid:intent_id>", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(AdminPaymentIntentOut))
@error_responses(admin_blp, {404: "PAYMENT_INTENT_NOT_FOUND"})
def admin_get(intent_id):
    return ok("PAYMENT_INTENT_RETRIEVED", services().payments.admin_get(intent_id))


@admin_blp.route("/<oid:intent_id>/retry-refund", methods=["POST"])
@admin_required
@audited("payment.retry_refund")
@rate_limited("money")
@admin_blp.response(200, Envelope(AdminPaymentIntentOut))
@error_responses(admin_blp, {404: "PAYMENT_INTENT_NOT_FOUND", 409: "PAYMENT_NOT_REFUNDABLE"})
def admin_retry_refund(intent_id):
    """Send a refunded/rejected card donation's money back to the card again after a provider failure
    (idempotent at the provider)."""
    services().card_refunds.retry(intent_id)
    return ok("PAYMENT_REFUND_RETRIED", services().payments.admin_get(intent_id))
