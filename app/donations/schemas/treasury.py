"""Schemas of the treasury: batch operations, payouts, reconciliation, the financial dashboard."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import (
    Computed,
    Details,
    Euros,
    Id,
    IdRef,
    OutSchema,
    PageQuery,
    QuerySchema,
    StrictSchema,
    Timestamp,
)
from app.core.clock import utcnow
from app.donations.models.payments.intent import STATUSES as INTENT_STATUSES
from app.donations.models.treasury.batch import DISBURSEMENT, IMPORT, ITEM_STATES, STATUSES
from app.donations.models.treasury.disbursement import REFERENCE_KINDS
from app.donations.models.treasury.disbursement import STATUSES as DISBURSEMENT_STATUSES
from app.donations.models.treasury.financial import GRANULARITIES
from app.donations.models.treasury.reconciliation import KINDS as DISCREPANCY_KINDS
from app.donations.schemas.common import DateRangeQuery


class DisbursementBatchIn(StrictSchema):
    period = fields.String(
        required=True,
        validate=validate.Regexp(r"^2\d{3}-(0[1-9]|1[0-2])$", error="A month as YYYY-MM (year 2000-2999)."),
    )


class ImportBatchIn(StrictSchema):
    csv = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500_000),
        metadata={
            "description": "CSV with header `user_email,onlus_id,amount[,reference]` (or `user_id` instead of "
            "`user_email`); amount in euros; at most 5000 rows"
        },
    )
    name = fields.String(validate=validate.Length(max=120))


class RunIn(StrictSchema):
    max_items = fields.Integer(
        validate=validate.Range(min=1, max=5000),
        metadata={"description": "Process at most this many items now (the rest on the next run or by the job)"},
    )


def _progress(batch: dict) -> float:
    counts = batch.get("counts") or {}
    if not batch.get("total"):
        return 100.0
    return round(100 * (counts.get("done", 0) + counts.get("failed", 0)) / batch["total"], 1)


class BatchOut(OutSchema):
    id = Id()
    type = fields.String(validate=validate.OneOf((DISBURSEMENT, IMPORT)))
    name = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    params = Details(metadata={"description": "What the batch was created with (period, rows...)"})
    total = fields.Integer()
    counts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ITEM_STATES)),
        values=fields.Integer(),
        metadata={"description": "Items per state"},
    )
    progress = Computed(fields.Float(metadata={"description": "Percent of items done or failed"}), _progress)
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    runs = fields.Integer()


class BatchQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf((DISBURSEMENT, IMPORT)))


class BatchItemOut(OutSchema):
    id = Id()
    seq = fields.Integer()
    status = fields.String(validate=validate.OneOf(ITEM_STATES))
    attempts = fields.Integer()
    payload = Details(metadata={"description": "The work of the item (an ONLUS and amount, a CSV row...)"})
    result = Details(allow_none=True, metadata={"description": "What it produced (a donation, a disbursement)"})
    error = fields.String(allow_none=True)
    retryable = fields.Boolean(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class BatchItemQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ITEM_STATES))


class ReconciliationCheckOut(OutSchema):
    checked = fields.Integer(required=True)
    discrepancies = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "The check itself failed"})


class ReconciliationOut(OutSchema):
    id = Id()
    started_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    triggered_by = fields.String(allow_none=True)
    checks = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf(("wallets", "donations", "onlus_allocations", "payouts", "payment_intents"))
        ),
        values=fields.Nested(ReconciliationCheckOut),
    )
    discrepancy_count = fields.Integer()


class DiscrepancyOut(OutSchema):
    id = Id()
    run_id = fields.String()
    kind = fields.String(validate=validate.OneOf(DISCREPANCY_KINDS))
    subject = fields.String()
    detail = Details()
    created_at = Timestamp()


class DiscrepancyQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(DISCREPANCY_KINDS))


class DashboardQuery(DateRangeQuery):
    granularity = fields.String(load_default="day", validate=validate.OneOf(GRANULARITIES))
    refresh = fields.Boolean(load_default=False, metadata={"description": "Bypass the cache"})


class FinancialBreakdownOut(OutSchema):
    key = fields.String(metadata={"description": "An ONLUS id, a category, a source or a user id"})
    name = fields.String(allow_none=True)
    amount = Euros(attribute="amount_cents", dump_default=0)
    count = fields.Integer()


class FinancialTrendOut(OutSchema):
    period = fields.String(metadata={"description": "YYYY-MM-DD, YYYY-Www or YYYY-MM by granularity"})
    donated = Euros(attribute="donated_cents", dump_default=0)
    refunded = Euros(attribute="refunded_cents", dump_default=0)
    net = Euros(attribute="net_cents", dump_default=0)
    count = fields.Integer()
    donors = fields.Integer()


class DashboardTotalsOut(OutSchema):
    donated = Euros(attribute="donated_cents", required=True)
    refunded = Euros(attribute="refunded_cents", required=True)
    net = Euros(attribute="net_cents", required=True)
    donation_count = fields.Integer(required=True)
    refund_count = fields.Integer(required=True)
    donors = fields.Integer(required=True)
    new_donors = fields.Integer(required=True, metadata={"description": "Donors with no donation before the range"})
    average_donation = Euros(attribute="average_cents", required=True)
    average_per_donor = Euros(attribute="average_per_donor_cents", required=True)
    largest_donation = Euros(attribute="largest_cents", required=True)


class WalletTotalsOut(OutSchema):
    count = fields.Integer(required=True)
    balance = Euros(attribute="balance_cents", required=True)
    held = Euros(attribute="held_cents", required=True)


class HeldTotalsOut(OutSchema):
    count = fields.Integer(required=True)
    amount = Euros(attribute="amount_cents", required=True)


class CardPaymentsOut(OutSchema):
    count = fields.Integer(required=True)
    amount = Euros(attribute="amount_cents", required=True)
    intents_by_status = fields.Dict(
        keys=fields.String(validate=validate.OneOf(INTENT_STATUSES)), values=fields.Integer()
    )


class DashboardOut(OutSchema):
    from_ = Computed(fields.Date(), lambda d: d["from"].date(), data_key="from")
    to = Computed(fields.Date(), lambda d: d["to_inclusive"], metadata={"description": "Inclusive"})
    granularity = fields.String(validate=validate.OneOf(GRANULARITIES))
    currency = fields.Constant("EUR")
    totals = fields.Nested(DashboardTotalsOut)
    by_onlus = fields.List(fields.Nested(FinancialBreakdownOut))
    by_category = fields.List(fields.Nested(FinancialBreakdownOut))
    by_source = fields.List(fields.Nested(FinancialBreakdownOut))
    top_donors = fields.List(fields.Nested(FinancialBreakdownOut))
    trend = fields.List(fields.Nested(FinancialTrendOut))
    wallets = fields.Nested(WalletTotalsOut)
    held = fields.Nested(HeldTotalsOut)
    card_payments = fields.Nested(CardPaymentsOut)
    generated_at = Timestamp()
    cached = fields.Boolean()


# -- payouts -------------------------------------------------------------------------------------

_PERIOD = validate.Regexp(r"^2\d{3}-(0[1-9]|1[0-2])$", error="A month as YYYY-MM (year 2000-2999).")
_REASON = [
    validate.Length(min=3, max=300),
    validate.Regexp(r"\s*\S", error="Must not be blank."),
]


class DisbursementQuery(PageQuery):
    onlus_id = IdRef()
    period = fields.String(validate=_PERIOD)
    status = fields.String(validate=validate.OneOf(DISBURSEMENT_STATUSES))


class DisbursementPaidIn(StrictSchema):
    bank_reference = fields.String(
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{2,62}[A-Za-z0-9]$",
            error="4 to 64 letters, digits, spaces or . / _ - (starting and ending with a letter or digit)",
        ),
        metadata={"description": "The bank transfer's reference (e.g. the SEPA end-to-end id or the CRO/TRN)"},
    )
    provider_transfer_id = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_]{4,64}$", error="4 to 64 letters, digits or _"),
        metadata={"description": "The payment provider's transfer id (e.g. Stripe `tr_...`)"},
    )
    paid_at = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "When the money left (default: now); not before the month ended, not in the future"},
    )

    @ma.validates_schema
    def _one_reference(self, data, **kwargs):
        if ("bank_reference" in data) == ("provider_transfer_id" in data):
            raise ma.ValidationError(
                "Exactly one of bank_reference and provider_transfer_id.", field_name="bank_reference"
            )

    @ma.post_load
    def _naive_utc(self, data, **kwargs):
        if data.get("paid_at") is not None:
            data["paid_at"] = data["paid_at"].astimezone(UTC).replace(tzinfo=None)
        return data


class DisbursementReasonIn(StrictSchema):
    reason = fields.String(required=True, validate=_REASON)


class DisbursementEventOut(OutSchema):
    status = fields.String(required=True, validate=validate.OneOf(DISBURSEMENT_STATUSES))
    at = Timestamp(required=True)
    actor_id = fields.String(allow_none=True, metadata={"description": "The admin; null for the batch"})
    reference = fields.String(allow_none=True)
    reference_kind = fields.String(allow_none=True, validate=validate.OneOf(REFERENCE_KINDS))
    paid_at = Timestamp(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    reversal_reason = fields.String(allow_none=True)


class DisbursementOut(OutSchema):
    id = Id(metadata={"description": "`<period>:<onlus_id>`: one disbursement per ONLUS and month"})
    period = fields.String(required=True)
    onlus_id = fields.String(required=True)
    onlus_name = fields.String(allow_none=True)
    amount = Euros(attribute="amount_cents", required=True)
    status = fields.String(required=True, validate=validate.OneOf(DISBURSEMENT_STATUSES))
    reference = fields.String(allow_none=True, metadata={"description": "The transfer that paid it (when paid)"})
    reference_kind = fields.String(allow_none=True, validate=validate.OneOf(REFERENCE_KINDS))
    paid_at = Timestamp(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    reversal_reason = fields.String(allow_none=True)
    batch_id = fields.String(allow_none=True)
    history = fields.List(fields.Nested(DisbursementEventOut), metadata={"description": "Every decision, oldest first"})
    created_at = Timestamp()
    updated_at = Timestamp()


class StatementQuery(QuerySchema):
    year = fields.Integer(
        load_default=lambda: utcnow().year,
        validate=validate.Range(min=2000, max=2999),
        metadata={"description": "Default: this year"},
    )


class StatementDisbursementOut(OutSchema):
    id = Id()
    status = fields.String(required=True, validate=validate.OneOf(DISBURSEMENT_STATUSES))
    amount = Euros(attribute="amount_cents", required=True)
    paid_at = Timestamp(allow_none=True)


class StatementFiguresOut(OutSchema):
    allocated = Euros(
        attribute="allocated_cents", required=True, metadata={"description": "Net donations (donations - refunds)"}
    )
    disbursed = Euros(attribute="disbursed_cents", required=True, metadata={"description": "Paid to the ONLUS"})
    pending = Euros(attribute="pending_cents", required=True, metadata={"description": "allocated - disbursed"})
    unscheduled = Euros(
        attribute="unscheduled_cents",
        required=True,
        metadata={"description": "Part of pending no disbursement covers yet (the month's batch has not run)"},
    )


class StatementPeriodOut(StatementFiguresOut):
    period = fields.String(required=True, metadata={"description": "YYYY-MM"})
    disbursements = fields.List(fields.Nested(StatementDisbursementOut), required=True)


class OnlusStatementOut(OutSchema):
    onlus_id = fields.String(required=True)
    onlus_name = fields.String(allow_none=True)
    year = fields.Integer(required=True)
    currency = fields.Constant("EUR")
    totals = fields.Nested(StatementFiguresOut, required=True)
    periods = fields.List(
        fields.Nested(StatementPeriodOut), required=True, metadata={"description": "Months with activity"}
    )
    generated_at = Timestamp()
