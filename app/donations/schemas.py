"""Marshmallow schemas of the donations module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.core.money import cents_to_euros
from app.donations.models.ledger import ENTRY_TYPES
from app.donations.models.onlus import CATEGORIES, REJECTED, STATUSES, VERIFIED

_id = fields.Function(lambda d: str(d["_id"]), required=True)


class Rate(fields.Field):
    """Euros per minute on the wire with at most 4 decimals; an exact decimal string inside."""

    default_error_messages = {
        "invalid": "Must be a number of euros.",
        "precision": "At most 4 decimal places.",
        "range": "Must be greater than 0 and at most 1.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("type", "number")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(Decimal(str(value)))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite():
            raise self.make_error("invalid")
        # range first: quantizing a huge exponent (1e30) overflows the decimal context
        if amount <= 0 or amount > 1:
            raise self.make_error("range")
        if amount != amount.quantize(Decimal("0.0001")):
            raise self.make_error("precision")
        return str(amount.quantize(Decimal("0.0001")))

    def _jsonschema_type_mapping(self):  # pragma: no cover
        return {"type": "number"}


def _date_range(data, from_key="from_date", to_key="to_date"):
    start, end = data.get(from_key), data.get(to_key)
    if start and end and end < start:
        raise ma.ValidationError({"to": ["Must not be before 'from'."]})


# -- wallet -----------------------------------------------------------------------


class WalletOut(OutSchema):
    balance = Money(attribute="balance_cents", required=True)
    total_earned = Money(attribute="total_earned_cents", required=True)
    total_donated = Money(attribute="total_donated_cents", required=True)
    held = Money(attribute="held_cents", metadata={"description": "Credits on hold pending review (not spendable)"})
    currency = fields.String(required=True)
    updated_at = Timestamp()


class TransactionQuery(PageQuery):
    type = fields.String(validate=validate.OneOf(ENTRY_TYPES))
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive)"})
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive)"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


class TransactionOut(OutSchema):
    id = _id
    type = fields.String(required=True)
    status = fields.Function(
        lambda e: "credited" if e.get("status") == "posted" and e["type"] in ("earned", "bonus") else e.get("status")
    )
    amount = fields.Function(
        lambda e: cents_to_euros(e["amount_cents"]),
        required=True,
        metadata={"description": "Signed euros: credits positive, debits negative"},
    )
    held_amount = fields.Function(lambda e: cents_to_euros(e.get("held_cents") or 0))
    balance_after = fields.Function(lambda e: cents_to_euros(e["balance_after_cents"]))
    key = fields.String(metadata={"description": "Idempotency key, e.g. session:<id>, donation:<id>"})
    source = fields.Dict()
    breakdown = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = Timestamp(required=True)


class AdjustmentIn(StrictSchema):
    amount = Money(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(("credit", "debit")))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class AdminTransactionOut(TransactionOut):
    actor_id = fields.String(allow_none=True)
    user_id = fields.String()


class ReleaseIn(StrictSchema):
    approve = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class IntegrityOut(OutSchema):
    checked_at = Timestamp()
    wallets_checked = fields.Integer()
    discrepancies = fields.List(fields.Dict())


# -- conversion rates -----------------------------------------------------------


class MultipliersIn(StrictSchema):
    tournament = fields.Float(validate=validate.Range(min=1, max=5))
    streak = fields.Float(validate=validate.Range(min=1, max=5))
    weekend = fields.Float(validate=validate.Range(min=1, max=5))


class RatesIn(StrictSchema):
    base_rate_per_minute = Rate()
    category_rates = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=Rate(allow_none=True),
        metadata={"description": "Per-category euros per minute; null removes one"},
    )
    multipliers = fields.Nested(MultipliersIn)
    streak_min_days = fields.Integer(validate=validate.Range(min=1, max=365))
    daily_cap = Money(attribute="daily_cap_cents", data_key="daily_cap", max_cents=100_000)
    note = fields.String(validate=validate.Length(max=500))

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if not {k for k in data if k != "note"}:
            raise ma.ValidationError("Change at least one rate.", "_schema")


def _floats(d):
    return {k: float(Decimal(str(v))) for k, v in (d or {}).items()}


class RatesOut(OutSchema):
    version = fields.Integer(required=True)
    base_rate_per_minute = Rate(required=True)
    category_rates = fields.Function(lambda d: _floats(d.get("category_rates")))
    multipliers = fields.Function(lambda d: _floats(d.get("multipliers")), required=True)
    streak_min_days = fields.Integer()
    daily_cap = Money(attribute="daily_cap_cents", required=True)
    currency = fields.Constant("EUR")
    effective_from = Timestamp()
    created_at = Timestamp()
    created_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


# -- ONLUS --------------------------------------------------------------------


class OnlusQuery(PageQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    search = fields.String(validate=validate.Length(min=1, max=100))


class AdminOnlusQuery(OnlusQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    is_active = fields.Boolean()


_website = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=300), allow_none=True)


class OnlusIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    tax_code = fields.String(required=True, validate=validate.Length(min=11, max=16))
    website = _website
    address = fields.String(validate=validate.Length(max=300), allow_none=True)
    logo_url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500), allow_none=True)
    is_active = fields.Boolean()


class OnlusUpdateIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=2, max=120))
    description = fields.String(validate=validate.Length(max=2000))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    tax_code = fields.String(validate=validate.Length(min=11, max=16))
    website = _website
    address = fields.String(validate=validate.Length(max=300), allow_none=True)
    logo_url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500), allow_none=True)
    is_active = fields.Boolean()


class VerifyIn(StrictSchema):
    decision = fields.String(load_default=VERIFIED, validate=validate.OneOf((VERIFIED, REJECTED)))
    note = fields.String(validate=validate.Length(max=500))


class SuspendIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class OnlusOut(OutSchema):
    id = _id
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(required=True)
    tax_code = fields.String(required=True)
    website = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    logo_url = fields.String(allow_none=True)
    verification_status = fields.String(required=True)
    is_verified = fields.Function(lambda d: d["verification_status"] == VERIFIED, required=True)
    is_active = fields.Boolean(required=True)
    can_receive_donations = fields.Function(lambda d: d["verification_status"] == VERIFIED and bool(d["is_active"]))
    verified_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class StatusChangeOut(OutSchema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    note = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = Timestamp()


class AdminOnlusOut(OnlusOut):
    status_note = fields.String(allow_none=True)
    status_history = fields.List(fields.Nested(StatusChangeOut))
    updated_at = Timestamp()


# -- donations ----------------------------------------------------------------


class DonationIn(StrictSchema):
    onlus_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount = Money(required=True)


class DonationOut(OutSchema):
    id = _id
    onlus_id = fields.String(required=True)
    onlus_name = fields.String()
    amount = Money(attribute="amount_cents", required=True)
    currency = fields.String()
    status = fields.String(required=True)
    source = fields.String()
    receipt_number = fields.String(allow_none=True)
    transaction_id = fields.String()
    created_at = Timestamp(required=True)
    completed_at = Timestamp(allow_none=True)
    refunded_at = Timestamp(allow_none=True)
    hold_reasons = fields.Function(lambda d: (d.get("hold") or {}).get("reasons"), allow_none=True)
    payment_intent_id = fields.String(allow_none=True)


class DonationHistoryQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("completed", "refunded", "held", "rejected")))
    onlus_id = fields.String(validate=validate.Length(min=1, max=64))
    from_date = fields.Date(data_key="from")
    to_date = fields.Date(data_key="to")

    @ma.validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)


class FormatQuery(StrictSchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "json")))


class StatementQuery(FormatQuery):
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive); default 1 January"})
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive); default today"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        _date_range(data)
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and (end - start).days > 366:
            raise ma.ValidationError({"to": ["A statement covers at most one year."]})


class PartyOut(OutSchema):
    id = fields.String()
    name = fields.String(allow_none=True)
    tax_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class ReceiptOut(OutSchema):
    receipt_number = fields.String(required=True)
    void = fields.Function(
        lambda r: bool(r.get("void")),
        metadata={"type": "boolean", "description": "True once the donation was refunded"},
    )
    voided_at = Timestamp(allow_none=True)
    payment_method = fields.String(allow_none=True)
    donation_id = fields.String(required=True)
    donation_status = fields.String()
    amount = Money(attribute="amount_cents", required=True)
    currency = fields.String()
    issued_at = Timestamp(required=True)
    donor = fields.Nested(PartyOut)
    onlus = fields.Nested(PartyOut)
    tax_note = fields.String()


class StatementLineOut(OutSchema):
    id = fields.String()
    receipt_number = fields.String(allow_none=True)
    onlus_id = fields.String()
    onlus_name = fields.String()
    tax_code = fields.String(allow_none=True)
    amount = Money(attribute="amount_cents")
    completed_at = Timestamp()


class StatementGroupOut(OutSchema):
    onlus_id = fields.String()
    onlus_name = fields.String()
    tax_code = fields.String(allow_none=True)
    amount = Money(attribute="amount_cents")
    count = fields.Integer()


class StatementOut(OutSchema):
    from_ = fields.Function(lambda s: s["from"].date().isoformat(), data_key="from")
    to = fields.Function(lambda s: s["to_inclusive"].isoformat())
    donor = fields.Nested(PartyOut)
    total = Money(attribute="total_cents", allow_zero=True)
    donation_count = fields.Integer()
    by_onlus = fields.List(fields.Nested(StatementGroupOut))
    donations = fields.List(fields.Nested(StatementLineOut))
    tax_note = fields.String()
    generated_at = Timestamp()


class RefundIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class AutoDonationAllocationIn(StrictSchema):
    onlus_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    share = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class AutoDonationIn(StrictSchema):
    enabled = fields.Boolean(required=True)
    threshold = Money(attribute="threshold_cents", data_key="threshold", max_cents=100_000)
    percentage = fields.Integer(validate=validate.Range(min=1, max=100))
    allocations = fields.List(fields.Nested(AutoDonationAllocationIn), validate=validate.Length(max=10))


class AutoDonationAllocationOut(OutSchema):
    onlus_id = fields.String()
    share = fields.Integer()
    onlus_name = fields.String(allow_none=True)


class AutoDonationOut(OutSchema):
    enabled = fields.Boolean()
    threshold = Money(attribute="threshold_cents", allow_zero=True)
    percentage = fields.Integer()
    allocations = fields.List(fields.Nested(AutoDonationAllocationOut))
