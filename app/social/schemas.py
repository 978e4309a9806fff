"""Marshmallow schemas of the social module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import MAX_PER_PAGE, Money, OutSchema, StrictSchema, Timestamp
from app.social.models.periods import PERIODS
from app.social.services.challenges import METRICS, VISIBILITIES
from app.social.services.leaderboards import SCOPES


class Number(fields.Field):
    """A JSON number as computed: integers stay integers (points), euros keep their decimals."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("type", "number")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _jsonschema_type_mapping(self):  # pragma: no cover - apispec hook
        return {"type": "number"}


_id = {"required": True, "validate": validate.Length(min=1, max=64)}


# -- friends --------------------------------------------------------------------------------
class SocialUserIdIn(StrictSchema):
    user_id = fields.String(**_id)


class SocialUserOut(OutSchema):
    id = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    display_name = fields.String(required=True)


class FriendRequestOut(OutSchema):
    id = fields.Function(lambda r: str(r["_id"]), required=True)
    from_user_id = fields.String(attribute="requester_id", required=True)
    to_user_id = fields.String(attribute="addressee_id", required=True)
    status = fields.String(required=True)
    created_at = Timestamp()
    accepted_at = Timestamp(allow_none=True)
    user = fields.Nested(SocialUserOut, metadata={"description": "The other user"})


class FriendRequestsOut(OutSchema):
    incoming = fields.List(fields.Nested(FriendRequestOut), required=True)
    outgoing = fields.List(fields.Nested(FriendRequestOut), required=True)


class FriendOut(SocialUserOut):
    friends_since = Timestamp()


class BlockedUserOut(SocialUserOut):
    blocked_at = Timestamp()


class BlockOut(OutSchema):
    user_id = fields.String(required=True)
    blocked = fields.Boolean(required=True)


class SocialSearchQuery(StrictSchema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=60))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class SocialSearchResultOut(SocialUserOut):
    relationship = fields.String(
        required=True, metadata={"description": "none | friend | request_sent | request_received"}
    )


class SocialPageQuery(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# -- leaderboards and Impact Score -------------------------------------------------------------
class SocialLeaderboardQuery(StrictSchema):
    period = fields.String(load_default="weekly", validate=validate.OneOf(PERIODS))
    scope = fields.String(load_default="global", validate=validate.OneOf(SCOPES))
    game_id = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "Required for type 'game'"}
    )
    team_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "scope=team: one of your teams (default: your first)"},
    )
    period_key = fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"description": "A past bucket: 2026-11-21 (daily), 2026-W47 (weekly), 2026-11 (monthly)"},
    )
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    around = fields.Integer(load_default=2, validate=validate.Range(min=0, max=10))


class SocialLeaderboardEntryOut(OutSchema):
    rank = fields.Integer(required=True)
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    score = Number(required=True, metadata={"description": "points; euros for donations"})


class LeaderboardMeOut(OutSchema):
    rank = fields.Integer(allow_none=True, required=True, metadata={"description": "null until you score"})
    score = Number(required=True)


class SocialLeaderboardOut(OutSchema):
    type = fields.String(required=True)
    board = fields.String(required=True)
    period = fields.String(required=True)
    period_key = fields.String(required=True)
    scope = fields.String(required=True)
    total = fields.Integer(required=True, metadata={"description": "ranked users you can see"})
    entries = fields.List(fields.Nested(SocialLeaderboardEntryOut), required=True)
    me = fields.Nested(LeaderboardMeOut, required=True)
    around_me = fields.List(fields.Nested(SocialLeaderboardEntryOut), required=True)


class WeeklyWinnerOut(OutSchema):
    leaderboard = fields.String(attribute="board", required=True)
    rank = fields.Integer(required=True)
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    score = Number(required=True)


class ImpactComponentOut(OutSchema):
    points = fields.Integer(required=True)
    weight = fields.Integer(required=True)
    score = fields.Integer(required=True)


class ImpactScoreOut(OutSchema):
    impact_score = fields.Integer(required=True)
    components = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "weighted contribution of gaming, social, donations"},
    )
    breakdown = fields.Dict(keys=fields.String(), values=fields.Nested(ImpactComponentOut))
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    rank = fields.Integer(allow_none=True, required=True)
    total_ranked = fields.Integer()
    stats = fields.Dict(keys=fields.String(), values=fields.Integer())
    updated_at = Timestamp(allow_none=True)


class ImpactHistoryQuery(StrictSchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class ImpactHistoryPointOut(OutSchema):
    day = fields.String(required=True)
    impact_score = fields.Integer(required=True)
    components = fields.Dict(keys=fields.String(), values=fields.Integer())


# -- achievements ---------------------------------------------------------------------------
class AchievementOut(OutSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(required=True)
    badge = fields.String()
    points = fields.Integer(required=True)
    target = fields.Integer(required=True)
    metric = fields.String()
    level = fields.Integer()
    series = fields.String()
    hidden = fields.Boolean()
    condition = fields.Dict()


class AchievementProgressOut(OutSchema):
    achievement_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String()
    badge = fields.String()
    points = fields.Integer()
    level = fields.Integer()
    progress = fields.Integer(required=True)
    target = fields.Integer(required=True)
    unlocked = fields.Boolean()
    unlocked_at = Timestamp(allow_none=True, required=True)


class BadgeOut(OutSchema):
    achievement_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String()
    badge = fields.String(required=True)
    points = fields.Integer()
    level = fields.Integer()
    unlocked_at = Timestamp(required=True)


# -- social challenges ------------------------------------------------------------------------
class SocialChallengeIn(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    metric = fields.String(
        required=True,
        validate=validate.OneOf(METRICS),
        metadata={"description": "sessions | universal_score | play_minutes | donation_cents (donated euros together)"},
    )
    target = fields.Integer(
        validate=validate.Range(min=1, max=10_000_000), metadata={"description": "goal for counting metrics"}
    )
    target_amount = Money(max_cents=10_000_000, metadata={"description": "goal in euros for donation_cents"})
    days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=31))
    visibility = fields.String(load_default="public", validate=validate.OneOf(VISIBILITIES))
    reward_points = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1000), metadata={"description": "admins only"}
    )

    @ma.validates_schema
    def _target_matches_metric(self, data, **kwargs):
        if data.get("metric") == "donation_cents":
            if "target_amount" not in data:
                raise ma.ValidationError("Required for donation challenges.", "target_amount")
            if "target" in data:
                raise ma.ValidationError("Use target_amount for donation challenges.", "target")
        elif data.get("metric"):
            if "target" not in data:
                raise ma.ValidationError("Required.", "target")
            if "target_amount" in data:
                raise ma.ValidationError("Only for donation challenges.", "target_amount")


class SocialChallengeListQuery(SocialPageQuery):
    status = fields.String(validate=validate.OneOf(["active", "completed", "expired"]))
    joined = fields.Boolean(load_default=False)


class SocialChallengeOut(OutSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    metric = fields.String(required=True)
    target = Number(required=True, metadata={"description": "euros for donation_cents"})
    progress = Number(required=True)
    percent = fields.Integer(required=True)
    visibility = fields.String(required=True)
    status = fields.String(required=True)
    reward_points = fields.Integer()
    participant_count = fields.Integer()
    joined = fields.Boolean(required=True)
    created_by = fields.String(allow_none=True)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    completed_at = Timestamp(allow_none=True)


class SocialChallengeParticipantOut(OutSchema):
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    contribution = Number(required=True)
    joined_at = Timestamp()
