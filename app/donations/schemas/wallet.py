"""Schemas of the wallet and ledger and of the conversion rates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Computed, Details, Euros, Id, Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.donations.models.wallet.ledger import ENTRY_STATUSES, ENTRY_TYPES, SOURCE_KINDS
from app.donations.schemas.common import check_date_order


class WalletOut(OutSchema):
    balance = Euros(attribute="balance_cents", required=True)
    total_earned = Euros(attribute="total_earned_cents", required=True)
    total_donated = Euros(attribute="total_donated_cents", required=True)
    held = Euros(attribute="held_cents", metadata={"description": "Credits on hold pending review (not spendable)"})
    currency = fields.String(required=True, validate=validate.OneOf(["EUR"]))
    updated_at = Timestamp()


class TransactionQuery(PageQuery):
    type = fields.String(validate=validate.OneOf(ENTRY_TYPES))
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive)"})
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive), not before `from`"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        check_date_order(data)


class TransactionSourceOut(OutSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    id = fields.String(allow_none=True, metadata={"description": "The session, donation, intent, admin... it names"})
    game_id = fields.String(metadata={"description": "kind session"})
    rank = fields.Integer(allow_none=True, metadata={"description": "kind tournament or season"})
    board = fields.String(metadata={"description": "kind season: the leaderboard"})
    team_id = fields.String(allow_none=True, metadata={"description": "kind tournament"})
    key = fields.String(
        metadata={
            "description": "kind held: the key of the held entry released; kind session on a reversal: the key "
            "of the credit taken back"
        }
    )
    via = fields.String(metadata={"description": "kind card: webhook, confirm or reconcile"})
    stripe_event_id = fields.String(metadata={"description": "kind card"})


class TransactionBreakdownOut(OutSchema):
    """How a session's credits were computed (entry type earned), what a release settled (type release), or
    what a voided session's reversal took back (type reversal)."""

    play_seconds = fields.Integer()
    counted_minutes = fields.Float(metadata={"description": "Minutes paid (after the per-session limit)"})
    rate_per_minute = fields.Float(metadata={"description": "Euros per minute"})
    rate_source = fields.String(metadata={"description": "base, or category:<category>"})
    multipliers = fields.Dict(keys=fields.String(), values=fields.Float())
    total_multiplier = fields.Float()
    gross = Euros(attribute="gross_cents", metadata={"description": "Earned before the daily cap"})
    daily_cap = Euros(attribute="daily_cap_cents")
    earned_today_before = Euros(attribute="earned_today_before_cents")
    credited = Euros(attribute="credited_cents")
    held = Euros(attribute="held_cents")
    status = fields.String(validate=validate.OneOf(ENTRY_STATUSES))
    reasons = fields.List(fields.String(), metadata={"description": "Why credits were capped or held"})
    rates_version = fields.Integer()
    approved = fields.Boolean(metadata={"description": "type release: released (true) or voided (false)"})
    reversed = Euros(attribute="reversed_cents", metadata={"description": "type reversal: taken back from the balance"})
    unrecovered = Euros(
        attribute="unrecovered_cents",
        metadata={"description": "type reversal: already donated when the session was voided, not taken back"},
    )


def _entry_status(entry: dict) -> str | None:
    posted_earning = entry.get("status") == "posted" and entry["type"] in ("earned", "bonus")
    return "credited" if posted_earning else entry.get("status")


class TransactionOut(OutSchema):
    id = Id()
    type = fields.String(required=True, validate=validate.OneOf(ENTRY_TYPES))
    status = Computed(fields.String(validate=validate.OneOf(ENTRY_STATUSES)), _entry_status)
    amount = Euros(
        attribute="amount_cents",
        required=True,
        metadata={"description": "Signed euros: credits positive, debits negative"},
    )
    held_amount = Euros(attribute="held_cents", dump_default=0, metadata={"description": "Signed euros put on hold"})
    balance_after = Euros(attribute="balance_after_cents")
    key = fields.String(metadata={"description": "Idempotency key, e.g. session:<id>, donation:<id>"})
    source = fields.Nested(TransactionSourceOut)
    breakdown = fields.Nested(TransactionBreakdownOut, allow_none=True)
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
    discrepancies = fields.List(Details())


class Rate(fields.Field):
    """Euros per minute on the wire with at most 4 decimals; an exact decimal string inside."""

    default_error_messages = {
        "invalid": "Must be a number of euros.",
        "precision": "At most 4 decimal places.",
        "range": "Must be greater than 0 and at most 1.",
    }

    def __init__(self, **kwargs):
        metadata = {"type": "number", "multipleOf": 0.0001, "description": "Euros per minute (at most 4 decimals)"}
        kwargs["metadata"] = {**metadata, **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(Decimal(str(value)))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
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


class MultipliersOut(OutSchema):
    tournament = fields.Float()
    streak = fields.Float()
    weekend = fields.Float()


class RatesOut(OutSchema):
    version = fields.Integer(required=True)
    base_rate_per_minute = Rate(required=True)
    category_rates = Computed(
        fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "Euros per minute"}),
        lambda d: _floats(d.get("category_rates")),
    )
    multipliers = Computed(fields.Nested(MultipliersOut), lambda d: _floats(d.get("multipliers")), required=True)
    streak_min_days = fields.Integer()
    daily_cap = Euros(attribute="daily_cap_cents", required=True)
    currency = fields.Constant("EUR")
    effective_from = Timestamp()
    created_at = Timestamp()
    created_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
