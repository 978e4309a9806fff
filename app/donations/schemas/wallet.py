"""Schemas of the wallet and ledger and of the conversion rates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.core.money import cents_to_euros
from app.donations.models.wallet.ledger import ENTRY_TYPES
from app.donations.schemas.common import check_date_order, id_field


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
        check_date_order(data)


class TransactionOut(OutSchema):
    id = id_field
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
