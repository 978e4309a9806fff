"""Marshmallow schemas of the social module: inputs reject unknown fields, outputs list theirs."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import (
    MAX_PER_PAGE,
    Computed,
    Euros,
    Id,
    IdRef,
    Money,
    Number,
    OutSchema,
    QuerySchema,
    StrictSchema,
    Timestamp,
    UtcDateTime,
)
from app.core.money import cents_to_euros
from app.social.models import moderation as moderation_rules
from app.social.models.achievements import ACTIVE as ACHIEVEMENT_ACTIVE
from app.social.models.achievements import CATEGORIES as ACHIEVEMENT_CATEGORIES
from app.social.models.achievements import DRAFT as ACHIEVEMENT_DRAFT
from app.social.models.achievements import METRICS as ACHIEVEMENT_METRICS
from app.social.models.achievements import MONEY_METRICS
from app.social.models.achievements import STATUSES as ACHIEVEMENT_STATUSES
from app.social.models.impact import COMPONENTS
from app.social.models.notifications import KINDS as NOTIFICATION_KINDS
from app.social.models.periods import PERIODS
from app.social.models.seasons import BOARDS as SEASON_BOARDS
from app.social.models.seasons import MAX_RANK as SEASON_MAX_RANK
from app.social.models.seasons import STATES as SEASON_STATES
from app.social.repositories.challenges import ACTIVE, COMPLETED, EXPIRED
from app.social.services.challenges import METRICS, VISIBILITIES
from app.social.services.leaderboards import SCOPES, TYPES

# Money metrics count cents inside; on the wire their names and values are in euros.
_ACHIEVEMENT_METRIC_NAMES = {metric: metric.removesuffix("_cents") for metric in ACHIEVEMENT_METRICS}
_CHALLENGE_METRIC_NAMES = {"donation_cents": "donations"}
CHALLENGE_WIRE_METRICS = tuple(_CHALLENGE_METRIC_NAMES.get(m, m) for m in METRICS)
_CHALLENGE_METRICS_BY_WIRE = {wire: stored for stored, wire in _CHALLENGE_METRIC_NAMES.items()}


def _achievement_amount(achievement: dict, value):
    return cents_to_euros(value) if achievement.get("metric") in MONEY_METRICS else value


_id = {"required": True, "validate": validate.Length(min=1, max=64)}


# -- friends --------------------------------------------------------------------------------
class SocialUserIdIn(StrictSchema):
    user_id = IdRef(**_id)


class SocialUserOut(OutSchema):
    id = fields.String(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    display_name = fields.String(required=True)


class FriendRequestOut(OutSchema):
    id = Id()
    from_user_id = fields.String(attribute="requester_id", required=True)
    to_user_id = fields.String(attribute="addressee_id", required=True)
    status = fields.String(required=True, validate=validate.OneOf(("pending", "accepted", "declined", "cancelled")))
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


class UnfriendOut(OutSchema):
    user_id = fields.String(required=True, metadata={"description": "The former friend"})


class SocialSearchQuery(QuerySchema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=60))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class SocialSearchResultOut(SocialUserOut):
    relationship = fields.String(
        required=True, validate=validate.OneOf(("none", "friend", "request_sent", "request_received"))
    )


class SocialPageQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# -- leaderboards and Impact Score -------------------------------------------------------------
class SocialLeaderboardQuery(QuerySchema):
    period = fields.String(load_default="weekly", validate=validate.OneOf(PERIODS))
    scope = fields.String(load_default="global", validate=validate.OneOf(SCOPES))
    game_id = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "Required for type 'game'"}
    )
    team_id = IdRef(
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
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    board = fields.String(required=True, metadata={"description": "The type, or game:<game_id>"})
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    period_key = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
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


_COMPONENT_KEYS = fields.String(validate=validate.OneOf(COMPONENTS))


class ImpactStatsOut(OutSchema):
    """A user's counters (achievements read them); money in euros."""

    sessions_completed = fields.Integer()
    play_streak_days = fields.Integer()
    universal_score_total = fields.Integer()
    donations_count = fields.Integer()
    donated = Euros(attribute="donated_cents", metadata={"description": "Donated, net of refunds"})
    onlus_count = fields.Integer()
    friends_count = fields.Integer()
    challenges_played = fields.Integer()
    challenge_wins = fields.Integer()
    tournaments_played = fields.Integer()
    tournament_wins = fields.Integer()
    social_challenges_completed = fields.Integer()
    login_days = fields.Integer()
    login_streak_days = fields.Integer()
    impact_score = fields.Integer()


class ImpactScoreOut(OutSchema):
    impact_score = fields.Integer(required=True)
    components = fields.Dict(
        keys=_COMPONENT_KEYS,
        values=fields.Integer(),
        required=True,
        metadata={"description": "weighted contribution of gaming, social, donations"},
    )
    breakdown = fields.Dict(keys=_COMPONENT_KEYS, values=fields.Nested(ImpactComponentOut))
    weights = fields.Dict(keys=_COMPONENT_KEYS, values=fields.Integer())
    rank = fields.Integer(allow_none=True, required=True)
    total_ranked = fields.Integer()
    stats = fields.Nested(ImpactStatsOut)
    updated_at = Timestamp(allow_none=True)


class ImpactHistoryQuery(QuerySchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class ImpactHistoryPointOut(OutSchema):
    day = fields.String(required=True, metadata={"format": "date"})
    impact_score = fields.Integer(required=True)
    components = fields.Dict(keys=_COMPONENT_KEYS, values=fields.Integer())


# -- achievements ---------------------------------------------------------------------------
_ACHIEVEMENT_METRIC = fields.String(validate=validate.OneOf(tuple(_ACHIEVEMENT_METRIC_NAMES.values())))
_AMOUNT = {"description": "A count, or euros for the money metric `donated`"}


class AchievementConditionOut(OutSchema):
    metric = Computed(_ACHIEVEMENT_METRIC, lambda c: _ACHIEVEMENT_METRIC_NAMES.get(c["metric"], c["metric"]))
    op = fields.String(validate=validate.OneOf([">="]))
    target = Computed(Number(metadata=_AMOUNT), lambda c: _achievement_amount(c, c["target"]))


def _target(achievement: dict):
    return _achievement_amount(achievement, achievement["target"])


class AchievementOut(OutSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(required=True, validate=validate.OneOf(ACHIEVEMENT_CATEGORIES))
    badge = fields.String()
    points = fields.Integer(required=True)
    target = Computed(Number(metadata=_AMOUNT), _target, required=True)
    metric = Computed(_ACHIEVEMENT_METRIC, lambda a: _ACHIEVEMENT_METRIC_NAMES.get(a["metric"], a["metric"]))
    level = fields.Integer()
    series = fields.String()
    hidden = fields.Boolean()
    condition = fields.Nested(AchievementConditionOut)


_slug = validate.Regexp(r"^[a-z0-9_]{3,60}$", error="3-60 of a-z, 0-9, _.")
_ACHIEVEMENT_METRICS_BY_WIRE = {wire: stored for stored, wire in _ACHIEVEMENT_METRIC_NAMES.items()}


class AchievementPatchIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    description = fields.String(validate=validate.Length(max=300))
    category = fields.String(validate=validate.OneOf(ACHIEVEMENT_CATEGORIES))
    metric = _ACHIEVEMENT_METRIC
    target = fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=100_000_000),
        metadata={"description": "A whole count, or euros (2 decimals) for `donated` (422 INVALID_TARGET)"},
    )
    points = fields.Integer(validate=validate.Range(min=0, max=10_000))
    badge = fields.String(validate=_slug)
    hidden = fields.Boolean()
    starts_at = UtcDateTime(allow_none=True)
    ends_at = UtcDateTime(allow_none=True, metadata={"description": "exclusive; after starts_at (422 INVALID_WINDOW)"})

    @ma.post_load
    def _stored_metric(self, data, **kwargs):
        if "metric" in data:
            data["metric"] = _ACHIEVEMENT_METRICS_BY_WIRE[data["metric"]]
        return data


class AchievementCreateIn(AchievementPatchIn):
    id = fields.String(validate=_slug, metadata={"description": "default: generated"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    category = fields.String(required=True, validate=validate.OneOf(ACHIEVEMENT_CATEGORIES))
    metric = fields.String(required=True, validate=validate.OneOf(tuple(_ACHIEVEMENT_METRIC_NAMES.values())))
    target = fields.Float(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=100_000_000),
        metadata={"description": "A whole count, or euros (2 decimals) for `donated` (422 INVALID_TARGET)"},
    )
    points = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000))
    series = fields.String(validate=_slug, metadata={"description": "default: its id"})
    level = fields.Integer(validate=validate.Range(min=0, max=100))
    status = fields.String(
        load_default=ACHIEVEMENT_DRAFT,
        validate=validate.OneOf((ACHIEVEMENT_DRAFT, ACHIEVEMENT_ACTIVE)),
        metadata={"description": "draft (default) or active"},
    )


class AdminAchievementOut(AchievementOut):
    status = fields.String(required=True, validate=validate.OneOf(ACHIEVEMENT_STATUSES))
    starts_at = Timestamp(allow_none=True)
    ends_at = Timestamp(allow_none=True)
    origin = fields.String(validate=validate.OneOf(("default", "admin")))


class AchievementProgressOut(OutSchema):
    achievement_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(validate=validate.OneOf(ACHIEVEMENT_CATEGORIES))
    badge = fields.String()
    points = fields.Integer()
    level = fields.Integer()
    progress = Computed(Number(metadata=_AMOUNT), lambda a: _achievement_amount(a, a["progress"]), required=True)
    target = Computed(Number(metadata=_AMOUNT), _target, required=True)
    unlocked = fields.Boolean()
    unlocked_at = Timestamp(allow_none=True, required=True)


class BadgeOut(OutSchema):
    achievement_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    category = fields.String(validate=validate.OneOf(ACHIEVEMENT_CATEGORIES))
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
        validate=validate.OneOf(CHALLENGE_WIRE_METRICS),
        metadata={
            "description": "What participants add up: sessions, universal_score, play_minutes, or donations "
            "(euros donated together)"
        },
    )
    target = fields.Integer(
        validate=validate.Range(min=1, max=10_000_000), metadata={"description": "goal for counting metrics"}
    )
    target_amount = Money(max_cents=10_000_000, metadata={"description": "goal in euros for donations"})
    days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=31))
    visibility = fields.String(load_default="public", validate=validate.OneOf(VISIBILITIES))
    reward_points = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1000), metadata={"description": "admins only"}
    )

    @ma.validates_schema
    def _target_matches_metric(self, data, **kwargs):
        if data.get("metric") == "donations":
            if "target_amount" not in data:
                raise ma.ValidationError("Required for donation challenges.", "target_amount")
            if "target" in data:
                raise ma.ValidationError("Use target_amount for donation challenges.", "target")
        elif data.get("metric"):
            if "target" not in data:
                raise ma.ValidationError("Required.", "target")
            if "target_amount" in data:
                raise ma.ValidationError("Only for donation challenges.", "target_amount")

    @ma.post_load
    def _stored_metric(self, data, **kwargs):
        return {**data, "metric": _CHALLENGE_METRICS_BY_WIRE.get(data["metric"], data["metric"])}


_CHALLENGE_STATUSES = (ACTIVE, COMPLETED, EXPIRED)


class SocialChallengeListQuery(SocialPageQuery):
    status = fields.String(validate=validate.OneOf(_CHALLENGE_STATUSES))
    joined = fields.Boolean(load_default=False)


class SocialChallengeOut(OutSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String()
    metric = Computed(
        fields.String(validate=validate.OneOf(CHALLENGE_WIRE_METRICS)),
        lambda c: _CHALLENGE_METRIC_NAMES.get(c["metric"], c["metric"]),
        required=True,
    )
    target = Number(required=True, metadata={"description": "A count, or euros for donations"})
    progress = Number(required=True, metadata={"description": "A count, or euros for donations"})
    percent = fields.Integer(required=True)
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    status = fields.String(required=True, validate=validate.OneOf(_CHALLENGE_STATUSES))
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
    contribution = Number(required=True, metadata={"description": "A count, or euros for donations"})
    joined_at = Timestamp()


# -- notifications ----------------------------------------------------------------------------------
class NotificationsQuery(SocialPageQuery):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only the unread ones"})


class NotificationDataOut(OutSchema):
    """The ids (and the few values) a client links a notification to; each present only where it applies."""

    user_id = fields.String(metadata={"description": "The other player (friend requests, challenges)"})
    request_id = fields.String(metadata={"description": "The friend request"})
    challenge_id = fields.String()
    game_id = fields.String()
    outcome = fields.String(validate=validate.OneOf(("won", "lost", "draw")), metadata={"description": "Challenges"})
    tournament_id = fields.String()
    rank = fields.Integer(metadata={"description": "Your final rank in the tournament"})
    donation_id = fields.String()
    onlus_id = fields.String()
    reason = fields.String(metadata={"description": "Why an auto-donation was refused: its error key"})
    story_id = fields.String()
    achievement_id = fields.String()
    metric = fields.String(
        validate=validate.OneOf(("total_donated", "donation_count", "donors_count")),
        metadata={"description": "The community total a milestone is about"},
    )
    mark = Number(metadata={"description": "The milestone reached: euros for total_donated, else a count"})
    feature = fields.String(metadata={"description": "The feature a milestone unlocked"})
    season_id = fields.String()
    report_id = fields.String()
    board = fields.String(metadata={"description": "The leaderboard an entry was removed from"})
    period_key = fields.String()
    target_id = fields.String(metadata={"description": "The content a moderation notice is about"})
    decision = fields.String(validate=validate.OneOf(("dismiss", "hide", "warn", "escalate")))
    required_milestone = Number(metadata={"description": "Euros donated in total that unlock the feature"})
    session_id = fields.String(metadata={"description": "The game session a moderator voided or approved"})


class NotificationOut(OutSchema):
    id = Id()
    kind = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_KINDS))
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "One or two sentences to show as they are"})
    data = fields.Nested(NotificationDataOut, required=True)
    read = fields.Boolean(required=True)
    created_at = Timestamp(required=True)
    read_at = Timestamp(required=True, allow_none=True)


class UnreadCountOut(OutSchema):
    count = fields.Integer(required=True, metadata={"description": "Unread notifications"})


class NotificationsReadOut(OutSchema):
    marked = fields.Integer(required=True, metadata={"description": "How many were unread and are now read"})


class NotificationDeletedOut(OutSchema):
    id = fields.String(required=True)


# -- seasons ------------------------------------------------------------------------------------------
class SeasonRewardIn(StrictSchema):
    rank_from = fields.Integer(required=True, validate=validate.Range(min=1, max=SEASON_MAX_RANK))
    rank_to = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=SEASON_MAX_RANK),
        metadata={"description": "Not below rank_from; ranges do not overlap (422 INVALID_SEASON)"},
    )
    badge = fields.String(validate=_slug)
    bonus_cents = Money(data_key="bonus", max_cents=100_000, metadata={"description": "Credited to the wallet"})


class SeasonIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    description = fields.String(validate=validate.Length(max=300))
    starts_on = fields.Date(required=True, metadata={"description": "YYYY-MM-DD, the first day (UTC)"})
    ends_on = fields.Date(
        required=True, metadata={"description": "YYYY-MM-DD, the last day (UTC), not before starts_on nor today"}
    )
    boards = fields.List(
        fields.String(validate=validate.OneOf(SEASON_BOARDS)),
        required=True,
        validate=validate.Length(min=1, max=len(SEASON_BOARDS)),
    )
    rewards = fields.List(fields.Nested(SeasonRewardIn), load_default=list, validate=validate.Length(max=20))


class SeasonRewardOut(OutSchema):
    rank_from = fields.Integer(required=True)
    rank_to = fields.Integer(required=True)
    badge = fields.String(allow_none=True)
    bonus = Euros(attribute="bonus_cents", allow_none=True)


class SeasonOut(OutSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    state = fields.String(required=True, validate=validate.OneOf(SEASON_STATES))
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True, metadata={"description": "exclusive"})
    boards = fields.List(fields.String(validate=validate.OneOf(SEASON_BOARDS)))
    rewards = fields.List(fields.Nested(SeasonRewardOut))
    archived_at = Timestamp(allow_none=True)


class SeasonStandingsQuery(QuerySchema):
    board = fields.String(required=True, validate=validate.OneOf(SEASON_BOARDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def _season_score():
    return Computed(
        Number(metadata={"description": "Points, or euros on the donations board"}),
        lambda row: cents_to_euros(row["score"]) if row["board"] == "donations" else row["score"],
        required=True,
    )


class SeasonStandingOut(OutSchema):
    rank = fields.Integer(required=True)
    user_id = fields.String(required=True)
    display_name = fields.String(required=True)
    score = _season_score()


class SeasonMeOut(OutSchema):
    rank = fields.Integer(required=True)
    score = _season_score()


class SeasonStandingsOut(OutSchema):
    items = fields.List(fields.Nested(SeasonStandingOut), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    me = fields.Nested(SeasonMeOut, allow_none=True, required=True, metadata={"description": "null: not ranked"})


class SeasonPrizeOut(OutSchema):
    season_id = fields.String(required=True)
    season_name = fields.String(required=True)
    board = fields.String(validate=validate.OneOf(SEASON_BOARDS))
    rank = fields.Integer(required=True)
    score = _season_score()
    badge = fields.String(allow_none=True)
    bonus = Euros(attribute="bonus_cents")
    granted_at = Timestamp()


# -- reports and moderation ---------------------------------------------------------------------------
class ReportIn(StrictSchema):
    target_type = fields.String(required=True, validate=validate.OneOf(moderation_rules.TARGET_TYPES))
    target_id = IdRef(
        required=True,
        metadata={
            "description": "The account, team, community challenge, direct challenge (for its message) or ONLUS update"
        },
    )
    reason = fields.String(required=True, validate=validate.OneOf(moderation_rules.REASONS))
    details = fields.String(load_default="", validate=validate.Length(max=500))


class ReportOut(OutSchema):
    id = Id()
    target_type = fields.String(required=True, validate=validate.OneOf(moderation_rules.TARGET_TYPES))
    target_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(moderation_rules.REASONS))
    details = fields.String()
    status = fields.String(required=True, validate=validate.OneOf(moderation_rules.STATUSES))
    created_at = Timestamp(required=True)
    updated_at = Timestamp()


class ReportDecisionOut(OutSchema):
    decision = fields.String(required=True, validate=validate.OneOf(moderation_rules.DECISIONS))
    note = fields.String()
    by = fields.String(metadata={"description": "The moderator or admin"})
    role = fields.String(validate=validate.OneOf(("moderator", "admin")))
    at = Timestamp()


class StaffReportOut(ReportOut):
    reporter_id = fields.String(required=True)
    target_author_id = fields.String(allow_none=True, metadata={"description": "null: no user wrote it"})
    decisions = fields.List(fields.Nested(ReportDecisionOut))


class ReportQueueQuery(SocialPageQuery):
    status = fields.String(
        validate=validate.OneOf(moderation_rules.STATUSES),
        metadata={"description": "default: open (moderators), open and escalated (admins)"},
    )


class ReportDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(moderation_rules.DECISIONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class EntryRemovalIn(StrictSchema):
    user_id = IdRef(required=True)
    period = fields.String(load_default="weekly", validate=validate.OneOf(PERIODS))
    period_key = fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The bucket (2026-W47 weekly, ...); default: the current one"},
    )
    game_id = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "For type 'game'"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class EntryRemovedOut(OutSchema):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    board = fields.String(required=True)
    period = fields.String(required=True, validate=validate.OneOf(PERIODS))
    period_key = fields.String(required=True)
    user_id = fields.String(required=True)
    score = Number(required=True, metadata={"description": "What the entry had: points, or euros (donations)"})
    reason = fields.String(required=True)
