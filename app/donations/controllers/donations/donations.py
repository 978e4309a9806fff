from datetime import date

import marshmallow as ma
from flask import current_app, make_response, request

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
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.donations.controllers.wallet.wallet import day_range
from app.donations.schemas.donations import (
    AutoDonationIn,
    AutoDonationOut,
    DonationHistoryQuery,
    DonationIn,
    DonationOut,
    FormatQuery,
    ReceiptOut,
    RefundIn,
    StatementOut,
    StatementQuery,
)
from app.donations.services import services
from app.donations.services.donations.receipt_pdf import render_receipt, render_statement

blp = Blueprint("donations", __name__, url_prefix="/api/donations", description="Donations from the wallet, receipts")
admin_blp = Blueprint(
    "admin_donations", __name__, url_prefix="/api/admin/donations", description="Donation administration"
)


def _pdf_doc(envelope: str) -> dict:
    """200 is a PDF by default, the JSON envelope with ?format=json."""
    return {
        "responses": {
            "200": {
                "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{envelope}"}},
                }
            }
        }
    }


class IdempotencyHeaders(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "Same key from the same user: the first donation "
            "is returned and the wallet debited once; the same "
            "key with a different body is 422 "
            "IDEMPOTENCY_KEY_REUSED"
        },
    )


def _pdf(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _compress() -> bool:
    return bool(current_app.config.get("DONATION_PDF_COMPRESS", True))


@blp.route("/process", methods=["POST"])
@login_required
@rate_limited("money")
@blp.arguments(DonationIn)
@blp.arguments(IdempotencyHeaders, location="headers")
@blp.response(201, Envelope(DonationOut))
@blp.alt_response(202, schema=Envelope(DonationOut), description="Held for compliance review (status `held`)")
@error_responses(blp, {404: "ONLUS_NOT_FOUND", 409: "INSUFFICIENT_BALANCE"})
def process_donation(body, headers):
    """Donate from the wallet to a verified, active ONLUS (min EUR 0.50; per-donation and daily maxima).
    409 INSUFFICIENT_BALANCE changes nothing. A replayed Idempotency-Key answers the first donation
    (header `Idempotent-Replayed: true`). A donation flagged by a compliance rule (KYC needed, AML
    thresholds, sanctions screening, velocity) is 202 DONATION_HELD_FOR_REVIEW with status `held`: the
    amount waits in the wallet's `held` until an admin approves (completed) or rejects it (returned)."""
    donation, created = services().donations.process(
        current_user_id(),
        onlus_id=body["onlus_id"],
        amount_cents=body["amount"],
        idempotency_key=headers.get("idempotency_key"),
        client_ip=request.remote_addr,
    )
    if donation["status"] == "held":
        return ok("DONATION_HELD_FOR_REVIEW", donation), 202
    if created:
        return ok("DONATION_COMPLETED", donation)
    return ok("DONATION_COMPLETED", donation), 201, {"Idempotent-Replayed": "true"}


@blp.route("/history", methods=["GET"])
@login_required
@blp.arguments(DonationHistoryQuery, location="query")
@blp.response(200, Envelope(DonationOut, paginated=True))
def donation_history(query):
    """The user's donations, newest first; filter by `status`, `onlus_id`, `from`/`to` (inclusive dates)."""
    rows, total = services().donations.history(
        current_user_id(),
        **page_window(query),
        status=query.get("status"),
        onlus_id=query.get("onlus_id"),
        **day_range(query),
    )
    return ok("DONATION_HISTORY_RETRIEVED", page_of(query, rows, total))


@blp.route("/statement", methods=["GET"])
@login_required
@blp.arguments(StatementQuery, location="query")
@blp.response(200, Envelope(StatementOut))
@blp.doc(**_pdf_doc("StatementOutEnvelope"))
def donation_statement(query):
    """Annual statement for a date range (default: this calendar year): PDF, or `?format=json`."""
    today = utcnow().date()
    to_date = query.get("to_date") or today
    from_date = query.get("from_date") or date(to_date.year, 1, 1)
    if from_date > to_date:
        raise ValidationFailed(errors={"from": ["Must not be after 'to'."]})
    statement = services().statements.statement(current_user_id(), from_date, to_date)
    if query["format"] == "json":
        return ok("DONATION_STATEMENT_RETRIEVED", statement)
    return _pdf(render_statement(statement, compress=_compress()), f"goodplay-statement-{from_date}-{to_date}.pdf")


@blp.route("/auto-donation", methods=["GET"])
@login_required
@blp.response(200, Envelope(AutoDonationOut))
def get_auto_donation():
    """Auto-donation settings (stored with the user's preferences)."""
    return ok("AUTO_DONATION_RETRIEVED", services().auto_donations.settings(current_user_id()))


@blp.route("/auto-donation", methods=["PUT"])
@login_required
@blp.arguments(AutoDonationIn)
@blp.response(200, Envelope(AutoDonationOut))
def put_auto_donation(body):
    """On/off, threshold (euros), percentage of the balance, and ONLUS allocations whose shares add up to 100.
    Each ONLUS must be verified and active."""
    return ok("AUTO_DONATION_UPDATED", services().auto_donations.update(current_user_id(), body))


@blp.route("/<oid:donation_id>", methods=["GET"])
@login_required
@blp.response(200, Envelope(DonationOut))
@error_responses(blp, {404: "DONATION_NOT_FOUND"})
def get_donation(donation_id):
    """One of the user's donations (another user's is 404)."""
    return ok("DONATION_RETRIEVED", services().donations.for_user(current_user_id(), donation_id))


@blp.route("/<oid:donation_id>/receipt", methods=["GET"])
@login_required
@blp.arguments(FormatQuery, location="query")
@blp.response(200, Envelope(ReceiptOut))
@blp.doc(**_pdf_doc("ReceiptOutEnvelope"))
@error_responses(blp, {404: "DONATION_NOT_FOUND, RECEIPT_NOT_FOUND"})
def get_receipt(query, donation_id):
    """The donation's receipt: application/pdf by default, the data with `?format=json`."""
    receipt = services().receipts.for_donor(current_user_id(), donation_id)
    if query["format"] == "json":
        return ok("RECEIPT_RETRIEVED", receipt)
    return _pdf(render_receipt(receipt, compress=_compress()), f"{receipt['receipt_number']}.pdf")


@admin_blp.route("/<oid:donation_id>/refund", methods=["POST"])
@admin_required
@audited("donation.refund")
@rate_limited("money")
@admin_blp.arguments(RefundIn)
@admin_blp.response(200, Envelope(DonationOut))
@error_responses(admin_blp, {404: "DONATION_NOT_FOUND", 409: "DONATION_NOT_REFUNDABLE"})
def refund_donation(body, donation_id):
    """Give a completed donation back to the wallet: a new, linked `refund` ledger entry."""
    return ok(
        "DONATION_REFUNDED", services().refunds.refund(donation_id, actor_id=current_user_id(), reason=body["reason"])
    )
