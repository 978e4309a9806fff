from app.core.api import (
    Blueprint,
    Envelope,
    admin_required,
    audited,
    current_user_id,
    error_responses,
    ok,
    page_of,
    page_window,
)
from app.donations.models.treasury.disbursement import BANK, PROVIDER
from app.donations.schemas.treasury import (
    DisbursementOut,
    DisbursementPaidIn,
    DisbursementQuery,
    DisbursementReasonIn,
    OnlusStatementOut,
    StatementQuery,
)
from app.donations.services import services

blp = Blueprint(
    "onlus_statements",
    __name__,
    url_prefix="/api/onlus",
    description="What each ONLUS was given and what was paid out to it",
)
admin_blp = Blueprint(
    "admin_disbursements",
    __name__,
    url_prefix="/api/admin/disbursements",
    description="Payouts (admin): each ONLUS's monthly disbursement, scheduled by the monthly batch, then "
    "recorded as paid (with the transfer), failed or reversed",
)

_STATE = "DISBURSEMENT_STATE_CONFLICT: the disbursement is in a state this decision cannot leave"


@blp.route("/<oid:onlus_id>/statement", methods=["GET"])
@blp.arguments(StatementQuery, location="query")
@blp.response(200, Envelope(OnlusStatementOut))
@error_responses(blp, {404: "ONLUS_NOT_FOUND"})
def statement(query, onlus_id):
    """The ONLUS's year month by month: net donations allocated to it, what was paid out (disbursed), what
    is still owed (pending), and the part of it no disbursement covers yet. Public, for transparency: the
    transfer references are not shown."""
    return ok("ONLUS_STATEMENT_RETRIEVED", services().disbursements.statement(onlus_id, year=query["year"]))


@admin_blp.route("", methods=["GET"])
@admin_required
@admin_blp.arguments(DisbursementQuery, location="query")
@admin_blp.response(200, Envelope(DisbursementOut, paginated=True))
def list_disbursements(query):
    """Newest month first; filter by ONLUS, month or status."""
    rows, total = services().disbursements.page(
        onlus_id=query.get("onlus_id"), period=query.get("period"), status=query.get("status"), **page_window(query)
    )
    return ok("DISBURSEMENTS_RETRIEVED", page_of(query, rows, total))


@admin_blp.route("/<disbursement_id>", methods=["GET"])
@admin_required
@admin_blp.response(200, Envelope(DisbursementOut))
@error_responses(admin_blp, {404: "DISBURSEMENT_NOT_FOUND"})
def get_disbursement(disbursement_id):
    return ok("DISBURSEMENT_RETRIEVED", services().disbursements.get(disbursement_id))


@admin_blp.route("/<disbursement_id>/paid", methods=["POST"])
@admin_required
@audited("disbursement.mark_paid")
@admin_blp.arguments(DisbursementPaidIn)
@admin_blp.response(200, Envelope(DisbursementOut))
@error_responses(
    admin_blp,
    {
        404: "DISBURSEMENT_NOT_FOUND",
        409: f"{_STATE} (paid already, with another reference); REFERENCE_ALREADY_USED: the transfer pays "
        "another disbursement",
    },
)
def mark_paid(body, disbursement_id):
    """The money left: a scheduled, failed or reversed disbursement becomes paid, with exactly one of the
    bank transfer's reference and the provider's transfer id. Sending the same again answers
    DISBURSEMENT_UNCHANGED with the disbursement as it is."""
    kind, reference = (
        (BANK, body["bank_reference"]) if "bank_reference" in body else (PROVIDER, body["provider_transfer_id"])
    )
    doc, changed = services().disbursements.mark_paid(
        disbursement_id,
        reference=reference.strip(),
        reference_kind=kind,
        paid_at=body.get("paid_at"),
        actor_id=current_user_id(),
    )
    return ok("DISBURSEMENT_PAID" if changed else "DISBURSEMENT_UNCHANGED", doc)


@admin_blp.route("/<disbursement_id>/failed", methods=["POST"])
@admin_required
@audited("disbursement.mark_failed")
@admin_blp.arguments(DisbursementReasonIn)
@admin_blp.response(200, Envelope(DisbursementOut))
@error_responses(admin_blp, {404: "DISBURSEMENT_NOT_FOUND", 409: f"{_STATE} (only a scheduled one can fail)"})
def mark_failed(body, disbursement_id):
    """The transfer did not go through (e.g. a closed account): the amount stays owed; pay it again later."""
    doc, changed = services().disbursements.mark_failed(
        disbursement_id, reason=body["reason"].strip(), actor_id=current_user_id()
    )
    return ok("DISBURSEMENT_FAILED" if changed else "DISBURSEMENT_UNCHANGED", doc)


@admin_blp.route("/<disbursement_id>/reversal", methods=["POST"])
@admin_required
@audited("disbursement.reverse")
@admin_blp.arguments(DisbursementReasonIn)
@admin_blp.response(200, Envelope(DisbursementOut))
@error_responses(admin_blp, {404: "DISBURSEMENT_NOT_FOUND", 409: f"{_STATE} (only a paid one can be reversed)"})
def reverse(body, disbursement_id):
    """A paid transfer came back: the amount is owed to the ONLUS again (the old reference stays in the
    history)."""
    doc, changed = services().disbursements.reverse(
        disbursement_id, reason=body["reason"].strip(), actor_id=current_user_id()
    )
    return ok("DISBURSEMENT_REVERSED" if changed else "DISBURSEMENT_UNCHANGED", doc)
