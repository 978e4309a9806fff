"""Schemas of compliance and fraud: KYC, held donations, compliance checks, sanctions, reports, fraud flags."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Computed, Details, Euros, Id, IdRef, OutSchema, PageQuery, StrictSchema, Timestamp
from app.donations.models.compliance.fraud import FLAG_KINDS, FLAG_STATUSES, FLAG_SUBJECT_TYPES
from app.donations.models.compliance.rules import KYC_STATUSES
from app.donations.models.donations.donation import SOURCES
from app.donations.models.donations.donation import STATUSES as DONATION_STATUSES

_DOCUMENT_TYPES = ("passport", "id_card", "driving_licence")
_OUTCOMES = ("approved", "held", "refused")
_DECISIONS = ("approved", "rejected")


class KycIn(StrictSchema):
    full_name = fields.String(required=True, validate=validate.Length(min=3, max=120))
    date_of_birth = fields.Date(required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166 alpha-2, e.g. IT"))
    document_type = fields.String(required=True, validate=validate.OneOf(_DOCUMENT_TYPES))
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
    date_of_birth = Computed(
        fields.String(allow_none=True, metadata={"format": "date"}),
        lambda d: str(d.get("date_of_birth")) if d.get("date_of_birth") else None,
    )
    country = fields.String()
    document_type = fields.String(validate=validate.OneOf(_DOCUMENT_TYPES))
    document_number_last4 = fields.String()
    tax_code = fields.String(allow_none=True)


class KycOut(OutSchema):
    user_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(KYC_STATUSES))
    submitted_at = Timestamp(allow_none=True)
    reviewed_at = Timestamp(allow_none=True)
    review_note = fields.String(allow_none=True)


class KycHistoryOut(OutSchema):
    status = fields.String(required=True, validate=validate.OneOf(KYC_STATUSES))
    at = Timestamp(required=True)
    by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class AdminKycOut(KycOut):
    data = fields.Nested(KycDataOut)
    reviewed_by = fields.String(allow_none=True)
    history = fields.List(fields.Nested(KycHistoryOut))


class KycQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))


class ReviewIn(StrictSchema):
    approve = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(max=500))


class DecisionIn(StrictSchema):
    note = fields.String(validate=validate.Length(max=500))


class RuleCheckOut(OutSchema):
    rule = fields.String(required=True, metadata={"description": "KYC_REQUIRED, AML_SINGLE_AMOUNT, ..."})
    passed = fields.Boolean(required=True)
    detail = Details(metadata={"description": "The figures the rule compared (amounts in euros)"})


class HoldOut(OutSchema):
    reasons = fields.List(fields.String(), required=True)
    held_at = Timestamp(required=True)
    checks = fields.List(fields.Nested(RuleCheckOut), metadata={"description": "The checks that failed"})


class ReviewOut(OutSchema):
    decision = fields.String(required=True, validate=validate.OneOf(_DECISIONS))
    by = fields.String(allow_none=True)
    at = Timestamp(required=True)
    note = fields.String(allow_none=True)


class HeldDonationOut(OutSchema):
    id = Id()
    user_id = fields.String()
    onlus_id = fields.String()
    onlus_name = fields.String()
    amount = Euros(attribute="amount_cents")
    source = fields.String(validate=validate.OneOf(SOURCES))
    status = fields.String(validate=validate.OneOf(DONATION_STATUSES))
    hold = fields.Nested(HoldOut)
    review = fields.Nested(ReviewOut, allow_none=True)
    receipt_number = fields.String(allow_none=True)
    created_at = Timestamp()
    completed_at = Timestamp(allow_none=True)


class HeldQuery(PageQuery):
    status = fields.String(
        load_default="held", validate=validate.OneOf(("held", "completed", "rejected", "refunded", "all"))
    )


class CheckSubjectOut(OutSchema):
    type = fields.String(required=True, validate=validate.OneOf(("donation", "payment_intent")))
    id = fields.String(allow_none=True, metadata={"description": "null when the attempt was refused"})


class ComplianceCheckOut(OutSchema):
    id = Id()
    user_id = fields.String()
    onlus_id = fields.String()
    amount = Euros(attribute="amount_cents")
    source = fields.String(validate=validate.OneOf(SOURCES))
    outcome = fields.String(validate=validate.OneOf(_OUTCOMES))
    code = fields.String(allow_none=True)
    reasons = fields.List(fields.String())
    checks = fields.List(fields.Nested(RuleCheckOut))
    subject = fields.Nested(CheckSubjectOut)
    created_at = Timestamp()


class ComplianceCheckQuery(PageQuery):
    outcome = fields.String(validate=validate.OneOf(_OUTCOMES))
    user_id = IdRef(validate=validate.Length(min=1, max=64))


class SanctionIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    note = fields.String(validate=validate.Length(max=500))


class SanctionOut(OutSchema):
    id = fields.String(allow_none=True)
    name = fields.String()
    source = fields.String(
        validate=validate.OneOf(("config", "admin")),
        metadata={"description": "config (DONATION_COMPLIANCE.sanctions_list) or admin"},
    )
    note = fields.String(allow_none=True)
    added_by = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)


def _counts(description: str):
    return fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": description})


class OutcomeCountsOut(OutSchema):
    approved = fields.Integer(required=True)
    held = fields.Integer(required=True)
    refused = fields.Integer(required=True)


class DecisionCountsOut(OutSchema):
    approved = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    pending = fields.Integer(required=True)


class FraudFlagCountsOut(OutSchema):
    total = fields.Integer(required=True)
    by_kind = _counts("Flags per kind")


class ComplianceReportOut(OutSchema):
    from_ = Computed(fields.Date(), lambda r: r["from"].date(), data_key="from")
    to = Computed(fields.Date(), lambda r: r["to_inclusive"], metadata={"description": "Inclusive"})
    checks_total = fields.Integer()
    by_outcome = fields.Nested(OutcomeCountsOut)
    by_rule = _counts("Held checks per rule (hold reason)")
    held_amount = Euros(attribute="held_amount_cents", dump_default=0)
    held_decisions = fields.Nested(DecisionCountsOut)
    kyc = _counts("KYC reviews per resulting status")
    fraud_flags = fields.Nested(FraudFlagCountsOut)
    generated_at = Timestamp()


class FraudFlagOut(OutSchema):
    id = Id()
    kind = fields.String(validate=validate.OneOf(FLAG_KINDS))
    subject_type = fields.String(validate=validate.OneOf(FLAG_SUBJECT_TYPES))
    subject = fields.String()
    detail = Details()
    status = fields.String(validate=validate.OneOf(FLAG_STATUSES))
    occurrences = fields.Integer()
    refs = fields.List(fields.String())
    created_at = Timestamp()
    last_seen_at = Timestamp(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution_note = fields.String(allow_none=True)


class FraudFlagQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(FLAG_STATUSES))
    kind = fields.String(validate=validate.Length(min=1, max=60))


class ResolveIn(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=3, max=500))
