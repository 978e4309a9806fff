"""Schemas of the ONLUS registry, donations, receipts, statements and auto-donation."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Computed, Euros, Id, IdRef, Money, OutSchema, PageQuery, QuerySchema, StrictSchema, Timestamp
from app.core.schemas import AutoDonationPrefs
from app.donations.models.donations.donation import SOURCES
from app.donations.models.donations.donation import STATUSES as DONATION_STATUSES
from app.donations.models.donations.onlus import CATEGORIES, REJECTED, STATUSES, VERIFIED
from app.donations.schemas.common import check_date_order


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
    id = Id()
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    tax_code = fields.String(required=True)
    website = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    logo_url = fields.String(allow_none=True)
    verification_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    is_verified = Computed(fields.Boolean(), lambda d: d["verification_status"] == VERIFIED, required=True)
    is_active = fields.Boolean(required=True)
    can_receive_donations = Computed(
        fields.Boolean(), lambda d: d["verification_status"] == VERIFIED and bool(d["is_active"])
    )
    verified_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class StatusChangeOut(OutSchema):
    from_ = fields.String(data_key="from", attribute="from", validate=validate.OneOf(STATUSES))
    to = fields.String(validate=validate.OneOf(STATUSES))
    note = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = Timestamp()


class AdminOnlusOut(OnlusOut):
    status_note = fields.String(allow_none=True)
    status_history = fields.List(fields.Nested(StatusChangeOut))
    updated_at = Timestamp()


class DonationIn(StrictSchema):
    onlus_id = IdRef(required=True, validate=validate.Length(min=1, max=64))
    amount = Money(required=True)


class DonationOut(OutSchema):
    id = Id()
    onlus_id = fields.String(required=True)
    onlus_name = fields.String()
    amount = Euros(attribute="amount_cents", required=True)
    currency = fields.String(validate=validate.OneOf(["EUR"]))
    status = fields.String(required=True, validate=validate.OneOf(DONATION_STATUSES))
    source = fields.String(validate=validate.OneOf(SOURCES))
    receipt_number = fields.String(allow_none=True)
    transaction_id = fields.String()
    created_at = Timestamp(required=True)
    completed_at = Timestamp(allow_none=True)
    refunded_at = Timestamp(allow_none=True)
    hold_reasons = Computed(
        fields.List(fields.String(), allow_none=True),
        lambda d: (d.get("hold") or {}).get("reasons"),
        metadata={"description": "Why a held donation waits for review (compliance rule keys)"},
    )
    payment_intent_id = fields.String(allow_none=True)


class DonationHistoryQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(DONATION_STATUSES))
    onlus_id = IdRef(validate=validate.Length(min=1, max=64))
    from_date = fields.Date(data_key="from")
    to_date = fields.Date(data_key="to", metadata={"description": "YYYY-MM-DD (inclusive), not before `from`"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        check_date_order(data)


class FormatQuery(QuerySchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "json")))


class StatementQuery(FormatQuery):
    from_date = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (inclusive); default 1 January"})
    to_date = fields.Date(
        data_key="to", metadata={"description": "YYYY-MM-DD (inclusive), not before `from`; default today"}
    )

    @ma.validates_schema
    def _range(self, data, **kwargs):
        check_date_order(data)
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
    void = Computed(
        fields.Boolean(), lambda r: bool(r.get("void")), metadata={"description": "True once the donation was refunded"}
    )
    voided_at = Timestamp(allow_none=True)
    kind = fields.String(
        validate=validate.OneOf(("tax_receipt", "acknowledgement")),
        metadata={"description": "tax_receipt: paid by card, deductible; acknowledgement: play-earned credits"},
    )
    test_mode = fields.Boolean(metadata={"description": "Paid through the simulated provider: no money moved"})
    payment_method = fields.String(allow_none=True)
    payment_method_label = fields.String()
    donation_id = fields.String(required=True)
    donation_status = fields.String(validate=validate.OneOf(DONATION_STATUSES))
    amount = Euros(attribute="amount_cents", required=True)
    currency = fields.String(validate=validate.OneOf(["EUR"]))
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
    amount = Euros(attribute="amount_cents")
    completed_at = Timestamp()
    kind = fields.String(validate=validate.OneOf(("tax_receipt", "acknowledgement")))


class StatementGroupOut(OutSchema):
    onlus_id = fields.String()
    onlus_name = fields.String()
    tax_code = fields.String(allow_none=True)
    amount = Euros(attribute="amount_cents")
    count = fields.Integer()


class StatementOut(OutSchema):
    from_ = Computed(fields.Date(), lambda s: s["from"].date(), data_key="from")
    to = Computed(fields.Date(), lambda s: s["to_inclusive"], metadata={"description": "Inclusive"})
    donor = fields.Nested(PartyOut)
    total = Euros(attribute="total_cents")
    deductible = Euros(attribute="deductible_cents", metadata={"description": "The card-paid part of the total"})
    donation_count = fields.Integer()
    by_onlus = fields.List(fields.Nested(StatementGroupOut))
    donations = fields.List(fields.Nested(StatementLineOut))
    tax_note = fields.String()
    generated_at = Timestamp()


class RefundIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class AutoDonationIn(AutoDonationPrefs):
    enabled = fields.Boolean(required=True)


class AutoDonationAllocationOut(OutSchema):
    onlus_id = fields.String()
    share = fields.Integer()
    onlus_name = fields.String(allow_none=True)


class AutoDonationOut(OutSchema):
    enabled = fields.Boolean()
    threshold = Euros(attribute="threshold_cents")
    percentage = fields.Integer()
    allocations = fields.List(fields.Nested(AutoDonationAllocationOut))
