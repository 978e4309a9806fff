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
from app.donations.schemas.treasury import (
    BatchItemOut,
    BatchItemQuery,
    BatchOut,
    BatchQuery,
    DisbursementBatchIn,
    ImportBatchIn,
    RunIn,
)
from app.donations.services import services

blp = Blueprint(
    "batch",
    __name__,
    url_prefix="/api/batch",
    description="Batch operations (admin): monthly disbursements to each ONLUS, bulk donation import "
    "from CSV; progress, per-item status, retries, idempotency per item",
)


@blp.route("/operations", methods=["GET"])
@admin_required
@blp.arguments(BatchQuery, location="query")
@blp.response(200, Envelope(BatchOut, paginated=True))
def list_batches(query):
    rows, total = services().batches.page(status=query.get("status"), type=query.get("type"), **page_window(query))
    return ok("BATCHES_RETRIEVED", page_of(query, rows, total))


@blp.route("/disbursements", methods=["POST"])
@admin_required
@audited("batch.create_disbursements")
@blp.arguments(DisbursementBatchIn)
@blp.response(201, Envelope(BatchOut))
@blp.alt_response(200, schema=Envelope(BatchOut), description="BATCH_EXISTS: that month's batch, made earlier")
def create_disbursement(body):
    """A batch paying each ONLUS its net donated credits of a closed month (one item per ONLUS). One batch
    per month: asking again answers the first (200). 422 PERIOD_NOT_CLOSED for the current month."""
    batch, created = services().batches.create_disbursement(body["period"], actor_id=current_user_id())
    return ok("BATCH_CREATED" if created else "BATCH_EXISTS", batch), 201 if created else 200


@blp.route("/imports", methods=["POST"])
@admin_required
@audited("batch.create_import")
@blp.arguments(ImportBatchIn)
@blp.response(201, Envelope(BatchOut))
def create_import(body):
    """Bulk wallet donations from CSV (`user_id,onlus_id,amount[,reference]`, euros). Invalid rows become
    failed items with the reason; the others are donated when the batch runs (source `batch`)."""
    return ok(
        "BATCH_CREATED",
        services().batches.create_import(body["csv"], name=body.get("name"), actor_id=current_user_id()),
    )


@blp.route("/operations/<oid:batch_id>", methods=["GET"])
@admin_required
@blp.response(200, Envelope(BatchOut))
@error_responses(blp, {404: "BATCH_NOT_FOUND"})
def get_batch(batch_id):
    """Status, per-status counts and progress (%)."""
    return ok("BATCH_RETRIEVED", services().batches.get(batch_id))


@blp.route("/operations/<oid:batch_id>/run", methods=["POST"])
@admin_required
@audited("batch.run")
@blp.arguments(RunIn)
@blp.response(200, Envelope(BatchOut))
@error_responses(blp, {404: "BATCH_NOT_FOUND", 409: "BATCH_BUSY"})
def run_batch(body, batch_id):
    """Process the remaining items now (optionally at most `max_items`); an interrupted batch resumes where
    it stopped, and no finished item is repeated. 409 BATCH_BUSY while another runner holds it."""
    return ok("BATCH_RUN", services().batches.run(batch_id, max_items=body.get("max_items")))


@blp.route("/operations/<oid:batch_id>/retry", methods=["POST"])
@admin_required
@audited("batch.retry")
@blp.response(200, Envelope(BatchOut))
@error_responses(blp, {404: "BATCH_NOT_FOUND", 409: "NO_FAILED_ITEMS"})
def retry_batch(batch_id):
    """Put every failed item back to pending (run the batch again to process them); 409 NO_FAILED_ITEMS."""
    return ok("BATCH_RETRY_SCHEDULED", services().batches.retry_failed(batch_id))


@blp.route("/operations/<oid:batch_id>/items", methods=["GET"])
@admin_required
@blp.arguments(BatchItemQuery, location="query")
@blp.response(200, Envelope(BatchItemOut, paginated=True))
@error_responses(blp, {404: "BATCH_NOT_FOUND"})
def batch_items(query, batch_id):
    rows, total = services().batches.items(batch_id, status=query.get("status"), **page_window(query))
    return ok("BATCH_ITEMS_RETRIEVED", page_of(query, rows, total))
