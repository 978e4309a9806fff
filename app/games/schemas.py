"""Marshmallow schemas of the games module: inputs reject unknown fields, outputs list theirs.

Names are prefixed (Game*, Tournament*) so they stay unique in the shared OpenAPI document.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.core.api import (
    MAX_PER_PAGE,
    Euros,
    Id,
    IdRef,
    Json,
    Money,
    OutSchema,
    QuerySchema,
    StrictSchema,
    Timestamp,
    UtcDateTime,
)
from app.core.models.user import STAFF
from app.games.models import competition as comp
from app.games.models import modes as mode_rules
from app.games.models import session as session_rules
from app.games.models import team as team_rules
from app.games.models.plugin import CATEGORIES, DIFFICULTIES

_id = {"validate": validate.Length(min=1, max=64)}
_score = validate.Range(min=0, max=session_rules.MAX_SCORE)


def _page():
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


def _per_page():
    return fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# -- catalog -------------------------------------------------------------------------------


class GameListQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    q = fields.String(validate=validate.Length(min=1, max=60), metadata={"description": "Search by name"})
    include_inactive = fields.Boolean(load_default=False, metadata={"description": "Admins only"})


class GameOut(OutSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String()
    difficulty = fields.String(validate=validate.OneOf(DIFFICULTIES))
    min_players = fields.Integer()
    max_players = fields.Integer()
    estimated_duration_minutes = fields.Integer()
    score_step = fields.Integer(
        required=True, metadata={"description": "Every valid score is a multiple of this (Memory Match: 50)"}
    )
    max_score_per_minute = fields.Integer(metadata={"description": "Scores above this rate of play are rejected"})
    max_score = fields.Integer(
        allow_none=True, metadata={"description": "The most one session can score (null: no cap)"}
    )
    version = fields.String()
    is_active = fields.Boolean(required=True)
    is_available = fields.Boolean(metadata={"description": "False when the game's plugin is not installed"})


# -- sessions --------------------------------------------------------------------------------


class GameSessionStartIn(StrictSchema):
    game_id = fields.String(required=True, **_id)
    mode_key = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Play under this active mode (else the best auto mode)"},
    )
    challenge_id = IdRef(**_id)
    tournament_id = IdRef(**_id)
    device_id = fields.String(validate=validate.Length(min=1, max=100))


class GameSessionSyncIn(StrictSchema):
    # the range is checked by the service, after the version: a stale sync is 409 whatever its score
    score = fields.Integer(
        strict=True,
        metadata={
            "minimum": 0,
            "maximum": session_rules.MAX_SCORE,
            "description": "Checked after `version`: a multiple of the game's score_step, plausible for the "
            "play time the server measured (422 SCORE_NOT_PLAUSIBLE)",
        },
    )
    state = Json(allow_none=True, metadata={"description": "Opaque game state (JSON, at most 16 KB)"})
    version = fields.Integer(
        validate=validate.Range(min=1),
        strict=True,
        metadata={
            "description": "The session version this update is based on; "
            "a stale one is refused with 409 SESSION_VERSION_CONFLICT"
        },
    )
    device_id = fields.String(validate=validate.Length(min=1, max=100))


class GameSessionEndIn(StrictSchema):
    final_score = fields.Integer(required=True, validate=_score, strict=True)
    play_seconds = fields.Integer(
        validate=validate.Range(min=0, max=7 * 24 * 3600),
        strict=True,
        metadata={"description": "The client's own measure; it can only lower the server-measured play time"},
    )
    state = Json(allow_none=True, metadata={"description": "Opaque game state (JSON, at most 16 KB)"})


class GameSessionListQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    status = fields.String(validate=validate.OneOf(session_rules.STATUSES))
    game_id = fields.String(**_id)


class GameSessionOut(OutSchema):
    id = Id()
    game_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(session_rules.STATUSES))
    version = fields.Integer(required=True, metadata={"description": "Send it back with the next sync"})
    started_at = Timestamp(required=True)
    last_activity_at = Timestamp()
    paused_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    abandoned_at = Timestamp(allow_none=True)
    play_seconds = fields.Integer(metadata={"description": "Server-measured play time, paused time excluded"})
    score = fields.Integer()
    state = Json(allow_none=True, metadata={"description": "Opaque game state"})
    final_score = fields.Integer(allow_none=True)
    universal_score = fields.Integer(allow_none=True, metadata={"description": "0..1000, comparable across games"})
    mode_key = fields.String(allow_none=True)
    mode_multiplier = fields.Float()
    challenge_id = fields.String(allow_none=True)
    tournament_id = fields.String(allow_none=True)
    tournament_team_id = fields.String(allow_none=True)
    device_id = fields.String(allow_none=True)
    voided_at = Timestamp(attribute="void.at", metadata={"description": "status voided: when its score was voided"})
    void_reason = fields.String(attribute="void.reason", metadata={"description": "status voided: why"})


class GameSessionEndOut(OutSchema):
    session = fields.Nested(GameSessionOut, required=True)
    credits_earned = Euros(
        attribute="credits_cents",
        required=True,
        metadata={"description": "Euros credited to the wallet for this session"},
    )


# -- fair play -----------------------------------------------------------------------------------
class GameSessionReviewQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    status = fields.String(
        validate=validate.OneOf(session_rules.REVIEW_STATUSES),
        metadata={"description": "Default: pending (waiting for a decision)"},
    )


class GameSessionDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(session_rules.DECISIONS))
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "Told to the player, kept in the audit log"},
    )


class GameSessionDecisionOut(OutSchema):
    decision = fields.String(required=True, validate=validate.OneOf(session_rules.DECISIONS))
    reason = fields.String(metadata={"description": "Absent when the credits were settled from the wallet"})
    by = fields.String(allow_none=True, metadata={"description": "The moderator or admin who decided"})
    role = fields.String(allow_none=True, validate=validate.OneOf(STAFF))
    at = Timestamp(required=True)
    via = fields.String(metadata={"description": "wallet: settled through the held credits of the wallet"})


class GameSessionReviewOut(OutSchema):
    status = fields.String(required=True, validate=validate.OneOf(session_rules.REVIEW_STATUSES))
    reasons = fields.List(fields.String(), required=True, metadata={"description": "The fraud rules that flagged it"})
    held = Euros(attribute="held_cents", required=True, metadata={"description": "Credits held until a decision"})
    flagged_at = Timestamp(required=True)
    decision = fields.Nested(GameSessionDecisionOut)


class GameStaffSessionOut(GameSessionOut):
    user_id = fields.String(required=True)
    review = fields.Nested(GameSessionReviewOut, metadata={"description": "Present when a fraud rule flagged it"})
    void = fields.Nested(GameSessionDecisionOut, metadata={"description": "Present when it was voided"})


# -- modes -------------------------------------------------------------------------------------


class GameModeScheduleIn(StrictSchema):
    recurrence = fields.String(required=True, validate=validate.OneOf(mode_rules.RECURRENCES))
    weekday = fields.String(validate=validate.OneOf(mode_rules.WEEKDAYS), metadata={"description": "weekly only"})
    start_time = fields.String(
        required=True, validate=validate.Regexp(r"^\d{2}:\d{2}$"), metadata={"description": "HH:MM UTC"}
    )
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=7 * 24 * 60))

    @ma.validates_schema
    def _check(self, data, **kwargs):
        if data["recurrence"] == mode_rules.WEEKLY and "weekday" not in data:
            raise ma.ValidationError("Required for a weekly schedule.", "weekday")
        try:
            mode_rules.parse_hhmm(data["start_time"])
        except ValueError as exc:
            raise ma.ValidationError(str(exc), "start_time") from exc

    @ma.post_load
    def _to_model(self, data, **kwargs):
        weekday = data.get("weekday")
        return {
            "recurrence": data["recurrence"],
            "weekday": mode_rules.WEEKDAYS.index(weekday) if weekday else None,
            "start_minute": mode_rules.parse_hhmm(data["start_time"]),
            "duration_minutes": data["duration_minutes"],
        }


class GameModeCreateIn(StrictSchema):
    key = fields.String(
        required=True, validate=[validate.Regexp(r"^[a-z][a-z0-9_]{2,39}$"), validate.NoneOf(["active"])]
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    description = fields.String(validate=validate.Length(max=500))
    multiplier = fields.Float(load_default=1.0, validate=validate.Range(min=1.0, max=5.0))
    auto_apply = fields.Boolean(load_default=True)
    time_limit_seconds = fields.Integer(allow_none=True, validate=validate.Range(min=10, max=24 * 3600))
    game_ids = fields.List(fields.String(**_id), load_default=list, validate=validate.Length(max=50))
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)), load_default=list)
    is_active = fields.Boolean(load_default=True)
    start_date = UtcDateTime(allow_none=True)
    end_date = UtcDateTime(allow_none=True)
    schedules = fields.List(fields.Nested(GameModeScheduleIn), load_default=list, validate=validate.Length(max=14))


class GameModeUpdateIn(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=80))
    description = fields.String(validate=validate.Length(max=500))
    multiplier = fields.Float(validate=validate.Range(min=1.0, max=5.0))
    auto_apply = fields.Boolean()
    is_active = fields.Boolean()
    start_date = UtcDateTime(allow_none=True)
    end_date = UtcDateTime(allow_none=True)


class GameModeAtQuery(QuerySchema):
    at = UtcDateTime(metadata={"description": "The moment to evaluate (default: now)"})


class GameModeScheduleOut(OutSchema):
    recurrence = fields.String(required=True, validate=validate.OneOf(mode_rules.RECURRENCES))
    weekday = fields.String(allow_none=True, validate=validate.OneOf(mode_rules.WEEKDAYS))
    start_time = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)


class GameModeOut(OutSchema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    multiplier = fields.Float(required=True)
    auto_apply = fields.Boolean(metadata={"description": "Sessions started while active join it automatically"})
    time_limit_seconds = fields.Integer(allow_none=True)
    game_ids = fields.List(fields.String())
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)))
    is_active = fields.Boolean(metadata={"description": "Switched on by admins"})
    start_date = Timestamp(allow_none=True)
    end_date = Timestamp(allow_none=True)
    schedules = fields.List(fields.Nested(GameModeScheduleOut))
    is_currently_active = fields.Boolean(required=True)
    active_until = Timestamp(allow_none=True)
    next_start_at = Timestamp(allow_none=True)


# -- challenges ---------------------------------------------------------------------------------


class GameChallengeCreateIn(StrictSchema):
    game_id = fields.String(required=True, **_id)
    opponent_ids = fields.List(IdRef(), required=True, validate=validate.Length(min=1, max=5))
    teammate_ids = fields.List(IdRef(), load_default=list, validate=validate.Length(max=4))
    accept_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=7 * 24))
    duration_hours = fields.Integer(load_default=48, validate=validate.Range(min=1, max=14 * 24))
    message = fields.String(validate=validate.Length(max=200))


class GameChallengeListQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    status = fields.String(validate=validate.OneOf(comp.CHALLENGE_STATUSES))


class GameChallengeParticipantOut(OutSchema):
    user_id = fields.String(required=True)
    display_name = fields.String()
    side = fields.String(required=True, validate=validate.OneOf(("a", "b")))
    status = fields.String(
        required=True, validate=validate.OneOf((comp.INVITED, comp.ACCEPTED, comp.PART_DECLINED, comp.PLAYED))
    )
    score = fields.Integer(allow_none=True, metadata={"description": "Universal score of the bound session"})
    raw_score = fields.Integer(allow_none=True)
    played_at = Timestamp(allow_none=True)


class GameChallengeOut(OutSchema):
    id = Id()
    game_id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("1v1", "nvn")))
    status = fields.String(required=True, validate=validate.OneOf(comp.CHALLENGE_STATUSES))
    challenger_id = fields.String(required=True)
    message = fields.String(allow_none=True)
    created_at = Timestamp(required=True)
    accept_by = Timestamp()
    activated_at = Timestamp(allow_none=True)
    ends_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    winner_side = fields.String(allow_none=True, validate=validate.OneOf(("a", "b")))
    winner_ids = fields.List(fields.String())
    is_draw = fields.Boolean()
    side_scores = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    participants = fields.List(fields.Nested(GameChallengeParticipantOut))


# -- teams ----------------------------------------------------------------------------------------


class GameTeamCreateIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=40))
    description = fields.String(load_default="", validate=validate.Length(max=300))
    max_members = fields.Integer(
        load_default=team_rules.DEFAULT_TEAM_SIZE,
        validate=validate.Range(min=team_rules.MIN_TEAM_SIZE, max=team_rules.MAX_TEAM_SIZE),
    )

    @ma.validates("name")
    def _name(self, value, **kwargs):
        if not value.strip():
            raise ma.ValidationError("Must not be blank.")


class GameTeamListQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    q = fields.String(validate=validate.Length(min=1, max=40))


class GameTeamRoleIn(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf([team_rules.ADMIN, team_rules.MEMBER]))


class GameTeamMemberOut(OutSchema):
    user_id = fields.String(required=True)
    display_name = fields.String()
    role = fields.String(required=True, validate=validate.OneOf(team_rules.ROLES))
    joined_at = Timestamp()


class GameTeamOut(OutSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    owner_id = fields.String(required=True)
    member_count = fields.Integer(required=True)
    max_members = fields.Integer(required=True)
    is_active = fields.Boolean()
    score = fields.Integer(metadata={"description": "Sum of universal scores of sessions played for the team"})
    sessions_played = fields.Integer()
    created_at = Timestamp()
    members = fields.List(fields.Nested(GameTeamMemberOut))


# -- tournaments ------------------------------------------------------------------------------------


class TournamentPrizeIn(StrictSchema):
    rank = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    reward = Money(attribute="reward_cents", data_key="reward", required=True, max_cents=1_000_000)


class TournamentCreateIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=80))
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    game_id = fields.String(allow_none=True, **_id)
    type = fields.String(load_default=comp.INDIVIDUAL, validate=validate.OneOf([comp.INDIVIDUAL, comp.TEAM]))
    scoring = fields.String(load_default=comp.TOTAL, validate=validate.OneOf([comp.TOTAL, comp.BEST]))
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    max_participants = fields.Integer(required=True, validate=validate.Range(min=2, max=10_000))
    prizes = fields.List(fields.Nested(TournamentPrizeIn), load_default=list, validate=validate.Length(max=100))


class TournamentListQuery(QuerySchema):
    page = _page()
    per_page = _per_page()
    status = fields.String(validate=validate.OneOf(comp.TOURNAMENT_STATUSES))
    type = fields.String(validate=validate.OneOf([comp.INDIVIDUAL, comp.TEAM]))


class TournamentPrizeOut(OutSchema):
    rank = fields.Integer(required=True)
    reward = Euros(attribute="reward_cents", required=True)


class TournamentResultOut(OutSchema):
    rank = fields.Integer(required=True)
    user_id = fields.String(allow_none=True)
    team_id = fields.String(allow_none=True)
    score = fields.Integer(required=True)
    reward = Euros(attribute="reward_cents")


class TournamentOut(OutSchema):
    id = Id()
    name = fields.String(required=True)
    description = fields.String()
    game_id = fields.String(allow_none=True)
    type = fields.String(required=True, validate=validate.OneOf([comp.INDIVIDUAL, comp.TEAM]))
    scoring = fields.String(validate=validate.OneOf([comp.TOTAL, comp.BEST]))
    status = fields.String(required=True, validate=validate.OneOf(comp.TOURNAMENT_STATUSES))
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    started_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    max_participants = fields.Integer(required=True)
    participants_count = fields.Integer(required=True)
    seats_left = fields.Integer()
    is_registered = fields.Boolean(metadata={"description": "Whether you (or your team) hold a seat"})
    prizes = fields.List(fields.Nested(TournamentPrizeOut))
    results = fields.List(fields.Nested(TournamentResultOut))


class TournamentEntryOut(OutSchema):
    rank = fields.Integer(required=True)
    participant_id = fields.String(required=True, metadata={"description": "A user id, or a team id"})
    display_name = fields.String()
    score = fields.Integer(required=True)
    sessions = fields.Integer()
    reward = Euros(attribute="reward_cents")


class TournamentLeaderboardOut(OutSchema):
    tournament_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(comp.TOURNAMENT_STATUSES))
    type = fields.String(required=True, validate=validate.OneOf([comp.INDIVIDUAL, comp.TEAM]))
    entries = fields.List(fields.Nested(TournamentEntryOut), required=True)
