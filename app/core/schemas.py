"""Marshmallow schemas of the core module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import ValidationError, fields, post_load, validate
from stdnum.it import codicefiscale

from app.core.api import Details, Id, IdRef, Money, OutSchema, QuerySchema, StrictSchema, Timestamp
from app.core.hooks import DONE, FAILED, PARKED, PENDING
from app.core.models.user import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NAME_MAX, ROLES

_name = {"validate": validate.Length(min=1, max=NAME_MAX)}
_password = validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)


class RegisterIn(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))

    @ma.pre_load
    def _trim_email(self, data, **_):
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip()}
        return data

    password = fields.String(required=True, load_only=True, validate=_password)
    first_name = fields.String(required=True, **_name)
    last_name = fields.String(required=True, **_name)


class LoginIn(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


class LogoutIn(StrictSchema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class ChangePasswordIn(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    new_password = fields.String(required=True, validate=_password)


def _personal_tax_code(value: str) -> None:
    if not codicefiscale.is_valid(value):
        raise ValidationError("Not a valid Italian codice fiscale.")


class ProfileIn(StrictSchema):
    first_name = fields.String(**_name)
    last_name = fields.String(**_name)
    tax_code = fields.String(
        allow_none=True,
        validate=_personal_tax_code,
        metadata={"description": "The donor's codice fiscale (optional; printed on tax receipts); null removes it"},
    )

    @post_load
    def _compact_tax_code(self, data, **kwargs):
        if data.get("tax_code"):
            data["tax_code"] = codicefiscale.compact(data["tax_code"])
        return data


class UserOut(OutSchema):
    id = Id()
    email = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    tax_code = fields.String(allow_none=True, dump_default=None)
    created_at = Timestamp()


_expires_in = {"required": True, "metadata": {"description": "Seconds the access token has left to live"}}


class UserWithTokensOut(OutSchema):
    user = fields.Nested(UserOut, required=True)
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    expires_in = fields.Integer(**_expires_in)


class TokensOut(OutSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    expires_in = fields.Integer(**_expires_in)


class UserOnlyOut(OutSchema):
    user = fields.Nested(UserOut, required=True)


class PublicUserOut(OutSchema):
    id = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    display_name = fields.String(required=True)


# -- preferences ------------------------------------------------------------------


class NotificationPrefs(StrictSchema):
    email = fields.Boolean()
    push = fields.Boolean()
    achievements = fields.Boolean()
    donations = fields.Boolean()
    friends = fields.Boolean()
    impact_stories = fields.Boolean()
    weekly_summary = fields.Boolean()


class PrivacyPrefs(StrictSchema):
    profile_visibility = fields.String(validate=validate.OneOf(["public", "friends", "private"]))
    show_on_leaderboards = fields.Boolean()
    show_donations = fields.Boolean()
    allow_friend_requests = fields.Boolean()


class GamingPrefs(StrictSchema):
    difficulty = fields.String(validate=validate.OneOf(["easy", "normal", "hard"]))
    sound = fields.Boolean()
    music = fields.Boolean()
    tutorials = fields.Boolean()
    preferred_categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20)
    )


class Allocation(StrictSchema):
    onlus_id = IdRef(required=True, validate=validate.Length(min=1, max=64))
    share = fields.Integer(required=True, validate=validate.Range(min=1, max=100))


class AutoDonationPrefs(StrictSchema):
    enabled = fields.Boolean()
    threshold = Money(attribute="threshold_cents", data_key="threshold", max_cents=1_000_000)
    percentage = fields.Integer(validate=validate.Range(min=1, max=100))
    allocations = fields.List(fields.Nested(Allocation), validate=validate.Length(max=10))


class DonationPrefs(StrictSchema):
    default_onlus_id = IdRef(allow_none=True, validate=validate.Length(min=1, max=64))
    receipt_email = fields.Boolean()
    auto_donation = fields.Nested(AutoDonationPrefs)


class PreferencesIn(StrictSchema):
    notifications = fields.Nested(NotificationPrefs)
    privacy = fields.Nested(PrivacyPrefs)
    gaming = fields.Nested(GamingPrefs)
    donations = fields.Nested(DonationPrefs)


class PreferencesOut(OutSchema):
    notifications = fields.Nested(NotificationPrefs)
    privacy = fields.Nested(PrivacyPrefs)
    gaming = fields.Nested(GamingPrefs)
    donations = fields.Nested(DonationPrefs)


# -- health and admin events ----------------------------------------------------------


class HealthOut(OutSchema):
    status = fields.String(required=True, validate=validate.OneOf(["healthy", "ready"]))
    database = fields.String(validate=validate.OneOf(["ok"]))
    payments = fields.String(
        validate=validate.OneOf(("stripe", "simulated")),
        metadata={"description": "The payment provider; simulated: test mode, no money moves"},
    )


_EVENT_STATUSES = [PENDING, DONE, FAILED, PARKED]


class HandlerStateOut(OutSchema):
    status = fields.String(required=True, validate=validate.OneOf(_EVENT_STATUSES))
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = Timestamp(allow_none=True)


class HookEventOut(OutSchema):
    id = Id()
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(_EVENT_STATUSES))
    key = fields.String(allow_none=True)
    payload = Details(required=True, metadata={"description": "The event as published (amounts in euros)"})
    handlers = fields.Dict(keys=fields.String(), values=fields.Nested(HandlerStateOut))
    created_at = Timestamp(required=True)


class EventListQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf(_EVENT_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReplayIn(StrictSchema):
    handler = fields.String(validate=validate.Length(min=1, max=100))


class UserSearchQuery(QuerySchema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=60))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))
