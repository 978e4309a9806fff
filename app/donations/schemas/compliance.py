"""Schemas of compliance and fraud: KYC, held donations, compliance checks, sanctions, reports, fraud flags."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import Money, OutSchema, PageQuery, StrictSchema, Timestamp
from app.donations.schemas.common import euros, id_field


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
    id = id_field
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
    id = id_field
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
    held_amount = euros("held_amount_cents")
    held_decisions = fields.Dict()
    kyc = fields.Dict()
    fraud_flags = fields.Dict()
    generated_at = Timestamp()


class FraudFlagOut(OutSchema):
    id = id_field
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
