"""Marshmallow schemas of the core module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import ValidationError, fields, post_load, validate
from stdnum.it import codicefiscale

from app.core.api import (
    Computed,
    Details,
    Euros,
    Id,
    IdRef,
    Json,
    Money,
    OutSchema,
    PageQuery,
    QuerySchema,
    StrictSchema,
    Timestamp,
)
from app.core.hooks import DONE, FAILED, PARKED, PENDING
from app.core.ids import OBJECT_ID_PATTERN, canonical_id
from app.core.models import settings as settings_rules
from app.core.models.mail import STATUSES as MAIL_STATUSES
from app.core.models.user import (
    ASSIGNABLE_ROLES,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    NAME_MAX,
    ROLES,
    STATUSES,
    account_status,
)

_name = {"validate": validate.Length(min=1, max=NAME_MAX)}
_password = validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)


class _EmailIn(StrictSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))

    @ma.pre_load
    def _trim_email(self, data, **_):
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            data = {**data, "email": data["email"].strip()}
        return data


class RegisterIn(_EmailIn):
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


_link_token = fields.String(
    required=True, validate=validate.Length(min=1, max=200), metadata={"description": "The token of the emailed link"}
)


class VerifyEmailIn(StrictSchema):
    token = _link_token


class ForgotPasswordIn(_EmailIn):
    pass


class ResetPasswordIn(StrictSchema):
    token = _link_token
    password = fields.String(required=True, load_only=True, validate=_password)


class ChangeEmailIn(_EmailIn):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


class DeleteAccountIn(StrictSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    donate_balance_to = IdRef(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The verified ONLUS that receives the balance (required from EUR 0.50)"},
    )


class DeletedAccountOut(OutSchema):
    balance_donated = fields.Float(metadata={"description": "Euros donated to `onlus_id` (donation `donation_id`)"})
    donation_id = fields.String()
    onlus_id = fields.String()
    balance_forfeited = fields.Float(metadata={"description": "Euros below the minimum donation, given up"})


class ExportOut(OutSchema):
    user_id = fields.String(required=True)
    exported_at = Timestamp(required=True)
    collections = fields.Dict(
        keys=fields.String(),
        values=fields.List(Json()),
        required=True,
        metadata={"description": "Per collection, the user's documents (amounts in euros, ids as strings)"},
    )


class MailQuery(PageQuery):
    to = fields.String(validate=validate.Length(min=1, max=254))
    status = fields.String(validate=validate.OneOf(MAIL_STATUSES))


class MailOut(OutSchema):
    id = fields.String(required=True, attribute="_id")
    to = fields.String(required=True)
    user_id = fields.String(allow_none=True)
    subject = fields.String(required=True)
    text = fields.String(
        allow_none=True,
        metadata={"description": "The plain-text body, outside production only (its links work); null in production"},
    )
    status = fields.String(required=True, validate=validate.OneOf(MAIL_STATUSES))
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)
    created_at = Timestamp()
    sent_at = Timestamp(allow_none=True)
    next_attempt_at = Timestamp(allow_none=True)


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
    email_verified = fields.Boolean(
        dump_default=False, metadata={"description": "The address was confirmed through the emailed link"}
    )
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
    """Auto-donation settings, as PUT /api/preferences and PUT /api/donations/auto-donation take them."""

    enabled = fields.Boolean()
    threshold = Money(attribute="threshold_cents", data_key="threshold", max_cents=100_000)
    percentage = fields.Integer(validate=validate.Range(min=1, max=100))
    allocations = fields.List(fields.Nested(Allocation), validate=validate.Length(max=10))


class DonationPrefs(StrictSchema):
    # stored as given, never looked up: an id that cannot name an ONLUS is refused here
    default_onlus_id = IdRef(
        allow_none=True, validate=validate.Regexp(f"^{OBJECT_ID_PATTERN}$", error="Not a valid id.")
    )
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


# -- admin: users and the audit log ----------------------------------------------------------------


class AdminUserQuery(PageQuery):
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Text in the email or name"})
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(STATUSES))


class AdminUserOut(OutSchema):
    id = Id()
    email = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    status = Computed(fields.String(validate=validate.OneOf(STATUSES)), account_status, required=True)
    created_at = Timestamp()
    last_login_at = Timestamp(allow_none=True, dump_default=None)
    suspended_at = Timestamp(attribute="suspension.at", allow_none=True, dump_default=None)
    suspended_by = fields.String(attribute="suspension.by", allow_none=True, dump_default=None)
    suspension_reason = fields.String(attribute="suspension.reason", allow_none=True, dump_default=None)


class SuspendUserIn(StrictSchema):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=500), validate.Regexp(r"\s*\S", error="Must not be blank.")],
    )


class AuditQuery(PageQuery):
    actor_id = IdRef(validate=validate.Length(min=1, max=64))
    action = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "e.g. wallet.adjust"})
    target_id = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime(
        data_key="from", default_timezone=UTC, metadata={"description": "ISO 8601; entries at or after"}
    )
    until = fields.AwareDateTime(
        data_key="to",
        default_timezone=UTC,
        metadata={"description": "ISO 8601; entries at or before; not before `from`"},
    )

    @post_load
    def _canonical(self, data, **kwargs):
        if "target_id" in data:
            data["target_id"] = canonical_id(data["target_id"])
        for key in ("since", "until"):
            if key in data:
                data[key] = data[key].astimezone(UTC).replace(tzinfo=None)
        return data

    @ma.validates_schema
    def _order(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError({"to": ["Must not be before 'from'."]})


class AuditEntryOut(OutSchema):
    id = Id()
    at = Timestamp(required=True)
    actor_id = fields.String(allow_none=True, required=True)
    actor_role = fields.String(allow_none=True, required=True, validate=validate.OneOf(ROLES))
    action = fields.String(required=True, metadata={"description": "Dotted name, e.g. wallet.adjust, user.suspend"})
    target = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        allow_none=True,
        metadata={"description": "{kind, id}, and any other id of the request's path by name"},
    )
    before = Details(allow_none=True, metadata={"description": "The changed fields before (amounts in euros)"})
    after = Details(allow_none=True, metadata={"description": "The changed fields after, or the answer's data"})
    ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True, metadata={"description": "The X-Request-ID of the request"})


# -- runtime settings ------------------------------------------------------------------------------
_limit = {"max_cents": settings_rules.MONEY_CEILING_CENTS}


class SettingsIn(StrictSchema):
    """The settings to change (any of them; the others keep their values)."""

    donations_enabled = fields.Boolean()
    registration_open = fields.Boolean()
    maintenance_mode = fields.Boolean()
    maintenance_message = fields.String(validate=validate.Length(max=settings_rules.MAX_MESSAGE_LENGTH))
    min_donation_cents = Money(data_key="min_donation", **_limit)
    max_donation_cents = Money(
        data_key="max_donation", metadata={"description": "Not below min_donation (422 INVALID_LIMITS)"}, **_limit
    )
    max_daily_donation_cents = Money(
        data_key="max_daily_donation",
        metadata={"description": "Not below max_donation (422 INVALID_LIMITS)"},
        **_limit,
    )


class SettingsOut(OutSchema):
    donations_enabled = fields.Boolean(required=True)
    registration_open = fields.Boolean(required=True)
    maintenance_mode = fields.Boolean(required=True)
    maintenance_message = fields.String(required=True)
    min_donation = Euros(attribute="min_donation_cents", required=True)
    max_donation = Euros(attribute="max_donation_cents", required=True)
    max_daily_donation = Euros(attribute="max_daily_donation_cents", required=True)


class SettingChangeOut(OutSchema):
    key = Computed(fields.String(), lambda c: c["key"].removesuffix("_cents"))
    description = fields.String()
    updated_at = Timestamp(allow_none=True)
    updated_by = fields.String(allow_none=True)


class AdminSettingsOut(OutSchema):
    values = fields.Nested(SettingsOut, required=True)
    defaults = fields.Nested(SettingsOut, required=True)
    settings = fields.List(fields.Nested(SettingChangeOut), required=True)


class PublicFlagsOut(OutSchema):
    donations_enabled = fields.Boolean(required=True)
    registration_open = fields.Boolean(required=True)


class MaintenanceOut(OutSchema):
    enabled = fields.Boolean(required=True)
    message = fields.String(required=True, metadata={"description": "The banner to show (may be empty)"})


class PublicLimitsOut(OutSchema):
    min_donation = Euros(attribute="min_donation_cents", required=True)
    max_donation = Euros(attribute="max_donation_cents", required=True)
    max_daily_donation = Euros(attribute="max_daily_donation_cents", required=True)
    daily_earning_cap = Euros(
        attribute="daily_earning_cap_cents",
        required=True,
        metadata={"description": "The most play can credit to a wallet in a day"},
    )


class PublicConfigOut(OutSchema):
    flags = fields.Nested(PublicFlagsOut, required=True)
    maintenance = fields.Nested(MaintenanceOut, required=True)
    limits = fields.Nested(PublicLimitsOut, required=True)


class RoleIn(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(ASSIGNABLE_ROLES))
