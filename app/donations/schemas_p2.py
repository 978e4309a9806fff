"""Marshmallow schemas of the donations module, part 2: payments, compliance, fraud, batches,
reconciliation, financial analytics. Inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.core.money import cents_to_euros

_id = fields.Function(lambda d: str(d["_id"]), required=True)


def _euros(key: str):
    return fields.Function(lambda d: cents_to_euros(d.get(key) or 0))


def _date_range(data):
    start, end = data.get("from_date"), data.get("to_date")
    if start and end and end < start:
        raise ma.ValidationError({"to": ["Must not be before 'from'."]})
    if start and end and (end - start).days > 731:
        raise ma.ValidationError({"to": ["At most two years."]})


class DateRangeQuery(StrictSchema):
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive); default: 30 days ago"})
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive); default: today"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


# -- payments ---------------------------------------------------------------------


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
    id = _id
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
    status = fields.String(
        validate=validate.OneOf(
            ("created", "requires_payment_method", "processing", "succeeded", "failed", "canceled", "refunded")
        )
    )


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


# -- compliance -------------------------------------------------------------------


class KycIn(StrictSchema):
    full_name = fields.String(required=True, validate=validate.Length(min=3, max=120))
    date_of_birth = fields.Date(required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166 alpha-2, e.g. IT"))
    document_type = fields.String(required=True, validate=validate.OneOf(("passport", "id_card", "driving_licence")))
    document_number = fields.String(required=True, validate=validate.Length(min=5, max=40))
    tax_code = fields.String(validate=validate.Length(min=11, max=16))

    @ma.validates("date_of_birth")
    def _adult(self, value, **kwargs):
        today = date.today()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18 or age > 120:
            raise ma.ValidationError("KYC is for adults (18+).")


class KycDataOut(OutSchema):
    full_name = fields.String()
    date_of_birth = fields.Function(lambda d: str(d.get("date_of_birth")) if d.get("date_of_birth") else None)
    country = fields.String()
    document_type = fields.String()
    document_number_last4 = fields.String()
    tax_code = fields.String(allow_none=True)


class KycOut(OutSchema):
    user_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "none | pending | approved | rejected"})
    submitted_at = Timestamp(allow_none=True)
    reviewed_at = Timestamp(allow_none=True)
    review_note = fields.String(allow_none=True)


class AdminKycOut(KycOut):
    data = fields.Nested(KycDataOut)
    reviewed_by = fields.String(allow_none=True)
    history = fields.List(fields.Dict())


class KycQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))


class ReviewIn(StrictSchema):
    approve = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(max=500))


class DecisionIn(StrictSchema):
    note = fields.String(validate=validate.Length(max=500))


class HeldDonationOut(OutSchema):
    id = _id
    user_id = fields.String()
    onlus_id = fields.String()
    onlus_name = fields.String()
    amount = Money(attribute="amount_cents")
    source = fields.String()
    status = fields.String()
    hold = fields.Dict()
    review = fields.Dict(allow_none=True)
    receipt_number = fields.String(allow_none=True)
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


class HeldQuery(PageQuery):
    status = fields.String(
        load_default="held", validate=validate.OneOf(("held", "completed", "rejected", "refunded", "all"))
    )


class ComplianceCheckOut(OutSchema):
    id = _id
    user_id = fields.String()
    onlus_id = fields.String()
    amount = Money(attribute="amount_cents")
    source = fields.String()
    outcome = fields.String()
    code = fields.String()
    reasons = fields.List(fields.String())
    checks = fields.List(fields.Dict())
    subject = fields.Dict()
    created_at = Timestamp()


class ComplianceCheckQuery(PageQuery):
    outcome = fields.String(validate=validate.OneOf(("approved", "held", "refused")))
    user_id = fields.String(validate=validate.Length(min=1, max=64))


class SanctionIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    note = fields.String(validate=validate.Length(max=500))


class SanctionOut(OutSchema):
    id = fields.String(allow_none=True)
    name = fields.String()
    source = fields.String(metadata={"description": "config (DONATION_COMPLIANCE.sanctions_list) or admin"})
    note = fields.String(allow_none=True)
    added_by = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)


class ComplianceReportOut(OutSchema):
    from_ = fields.Function(lambda r: r["from"].date().isoformat(), data_key="from")
    to = fields.Function(lambda r: r["to_inclusive"].isoformat())
    checks_total = fields.Integer()
    by_outcome = fields.Dict()
    by_rule = fields.Dict()
    held_amount = _euros("held_amount_cents")
    held_decisions = fields.Dict()
    kyc = fields.Dict()
    fraud_flags = fields.Dict()
    generated_at = Timestamp()


class FraudFlagOut(OutSchema):
    id = _id
    kind = fields.String()
    subject_type = fields.String()
    subject = fields.String()
    detail = fields.Dict()
    status = fields.String()
    occurrences = fields.Integer()
    refs = fields.List(fields.String())
    created_at = Timestamp()
    last_seen_at = Timestamp(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution_note = fields.String(allow_none=True)


class FraudFlagQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("open", "resolved")))
    kind = fields.String(validate=validate.Length(min=1, max=60))


class ResolveIn(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=3, max=500))


# -- batches ----------------------------------------------------------------------


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


class BatchOut(OutSchema):
    id = _id
    type = fields.String()
    name = fields.String(allow_none=True)
    status = fields.String()
    params = fields.Dict()
    total = fields.Integer()
    counts = fields.Dict()
    progress = fields.Function(
        lambda b: (
            round(
                100 * ((b.get("counts") or {}).get("done", 0) + (b.get("counts") or {}).get("failed", 0)) / b["total"],
                1,
            )
            if b.get("total")
            else 100.0
        )
    )
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    runs = fields.Integer()


class BatchQuery(PageQuery):
    status = fields.String(validate=validate.Length(min=1, max=40))
    type = fields.String(validate=validate.OneOf(("monthly_disbursement", "donation_import")))


class BatchItemOut(OutSchema):
    id = _id
    seq = fields.Integer()
    status = fields.String()
    attempts = fields.Integer()
    payload = fields.Dict()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    retryable = fields.Boolean(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class BatchItemQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("pending", "processing", "done", "failed")))


# -- reconciliation and financial analytics ------------------------------------------


class ReconciliationOut(OutSchema):
    id = _id
    started_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    triggered_by = fields.String(allow_none=True)
    checks = fields.Dict()
    discrepancy_count = fields.Integer()


class DiscrepancyOut(OutSchema):
    id = _id
    run_id = fields.String()
    kind = fields.String()
    subject = fields.String()
    detail = fields.Dict()
    created_at = Timestamp()


class DiscrepancyQuery(PageQuery):
    kind = fields.String(validate=validate.Length(min=1, max=60))


class DashboardQuery(DateRangeQuery):
    granularity = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))
    refresh = fields.Boolean(load_default=False, metadata={"description": "Bypass the cache"})


class FinancialBreakdownOut(OutSchema):
    key = fields.String()
    name = fields.String(allow_none=True)
    amount = _euros("amount_cents")
    count = fields.Integer()


class FinancialTrendOut(OutSchema):
    period = fields.String()
    donated = _euros("donated_cents")
    refunded = _euros("refunded_cents")
    net = _euros("net_cents")
    count = fields.Integer()
    donors = fields.Integer()


class DashboardOut(OutSchema):
    from_ = fields.Function(lambda d: d["from"].date().isoformat(), data_key="from")
    to = fields.Function(lambda d: d["to_inclusive"].isoformat())
    granularity = fields.String()
    currency = fields.Constant("EUR")
    totals = fields.Function(
        lambda d: {
            "donated": cents_to_euros(d["totals"]["donated_cents"]),
            "refunded": cents_to_euros(d["totals"]["refunded_cents"]),
            "net": cents_to_euros(d["totals"]["net_cents"]),
            "donation_count": d["totals"]["donation_count"],
            "refund_count": d["totals"]["refund_count"],
            "donors": d["totals"]["donors"],
            "new_donors": d["totals"]["new_donors"],
            "average_donation": cents_to_euros(d["totals"]["average_cents"]),
            "average_per_donor": cents_to_euros(d["totals"]["average_per_donor_cents"]),
            "largest_donation": cents_to_euros(d["totals"]["largest_cents"]),
        }
    )
    by_onlus = fields.List(fields.Nested(FinancialBreakdownOut))
    by_category = fields.List(fields.Nested(FinancialBreakdownOut))
    by_source = fields.List(fields.Nested(FinancialBreakdownOut))
    top_donors = fields.List(fields.Nested(FinancialBreakdownOut))
    trend = fields.List(fields.Nested(FinancialTrendOut))
    wallets = fields.Function(
        lambda d: {
            k.removesuffix("_cents"): (cents_to_euros(v) if k.endswith("_cents") else v)
            for k, v in d["wallets"].items()
        }
    )
    held = fields.Function(lambda d: {"count": d["held"]["count"], "amount": cents_to_euros(d["held"]["amount_cents"])})
    card_payments = fields.Dict()
    generated_at = Timestamp()
    cached = fields.Boolean()
