"""Schemas of the treasury: batch operations, reconciliation, the financial dashboard."""

from __future__ import annotations

from marshmallow import fields, validate

from app.core.api import OutSchema, PageQuery, StrictSchema, Timestamp
from app.core.money import cents_to_euros
from app.donations.models.treasury.batch import DISBURSEMENT, IMPORT, ITEM_STATES
from app.donations.models.treasury.financial import GRANULARITIES
from app.donations.schemas.common import DateRangeQuery, euros, id_field


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
    id = id_field
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
    type = fields.String(validate=validate.OneOf((DISBURSEMENT, IMPORT)))


class BatchItemOut(OutSchema):
    id = id_field
    seq = fields.Integer()
    status = fields.String()
    attempts = fields.Integer()
    payload = fields.Dict()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    retryable = fields.Boolean(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class BatchItemQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(ITEM_STATES))


class ReconciliationOut(OutSchema):
    id = id_field
    started_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    triggered_by = fields.String(allow_none=True)
    checks = fields.Dict()
    discrepancy_count = fields.Integer()


class DiscrepancyOut(OutSchema):
    id = id_field
    run_id = fields.String()
    kind = fields.String()
    subject = fields.String()
    detail = fields.Dict()
    created_at = Timestamp()


class DiscrepancyQuery(PageQuery):
    kind = fields.String(validate=validate.Length(min=1, max=60))


class DashboardQuery(DateRangeQuery):
    granularity = fields.String(load_default="day", validate=validate.OneOf(GRANULARITIES))
    refresh = fields.Boolean(load_default=False, metadata={"description": "Bypass the cache"})


class FinancialBreakdownOut(OutSchema):
    key = fields.String()
    name = fields.String(allow_none=True)
    amount = euros("amount_cents")
    count = fields.Integer()


class FinancialTrendOut(OutSchema):
    period = fields.String()
    donated = euros("donated_cents")
    refunded = euros("refunded_cents")
    net = euros("net_cents")
    count = fields.Integer()
    donors = fields.Integer()


class CardPaymentsField(fields.Dict):
    """{count, amount (euros), intents_by_status} from the figures' {count, amount_cents, intents_by_status}."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return {
            "count": value["count"],
            "amount": cents_to_euros(value["amount_cents"]),
            "intents_by_status": value["intents_by_status"],
        }


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
    card_payments = CardPaymentsField()
    generated_at = Timestamp()
    cached = fields.Boolean()
