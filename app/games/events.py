"""Events published by the games module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from app.core.hooks import DomainEvent


@dataclass(frozen=True)
class GameSessionComplete(DomainEvent):
    """Published by games when a session ends (once per session; key `session:<id>`).

    Carries everything credit conversion, achievements and leaderboards need, so no
    subscriber has to read the games collections:
    - play_seconds: server-measured play time, paused time excluded.
    - universal_score: the game's raw score mapped onto the common 0..1000-per-session scale.
    - mode_key / mode_multiplier: the game mode active when the session started (or None / 1.0).
    - tournament_id / challenge_id / team_ids: competitive context, when any.
    - streak_days: consecutive UTC days (ending today) on which the user completed a session.
    - is_weekend: the session ended on a Saturday or Sunday (UTC).
    - sessions_last_hour: completed sessions by this user in the hour before this one (fraud hint).
    """

    name: ClassVar[str] = "game_session_complete"
    session_id: str
    user_id: str
    game_id: str
    game_category: str
    play_seconds: int
    raw_score: int
    universal_score: int
    started_at: datetime
    completed_at: datetime
    mode_key: str | None = None
    mode_multiplier: float = 1.0
    tournament_id: str | None = None
    challenge_id: str | None = None
    team_ids: list = field(default_factory=list)
    streak_days: int = 1
    is_weekend: bool = False
    sessions_last_hour: int = 0


@dataclass(frozen=True)
class TournamentComplete(DomainEvent):
    """Published by games once when a tournament is ended (job or admin); key `tournament:<id>`.

    results: [{"rank": int, "user_id": str | None, "team_id": str | None, "score": int,
               "reward_cents": int}], best first; for team tournaments each member of a
    ranked team appears with that team's rank.
    """

    name: ClassVar[str] = "tournament_complete"
    tournament_id: str
    tournament_name: str
    tournament_type: str
    completed_at: datetime
    results: list = field(default_factory=list)


@dataclass(frozen=True)
class ChallengeComplete(DomainEvent):
    """Published by games when a direct challenge is decided; key `challenge:<id>`.

    winner_ids is empty for a draw; participant_ids lists everyone who was in it.
    """

    name: ClassVar[str] = "challenge_complete"
    challenge_id: str
    game_id: str
    participant_ids: list
    winner_ids: list
    completed_at: datetime


@dataclass(frozen=True)
class ChallengeInvited(DomainEvent):
    """Published by games when a player creates a direct challenge, recorded in the creating transaction;
    key `challenge_invited:<id>`. invited_ids: everyone asked to accept (teammates and opponents)."""

    name: ClassVar[str] = "challenge_invited"
    challenge_id: str
    game_id: str
    challenger_id: str
    invited_ids: list
    accept_by: datetime
    invited_at: datetime


@dataclass(frozen=True)
class TournamentStarted(DomainEvent):
    """Published by games once when a scheduled tournament starts (the lifecycle job), recorded in the same
    transaction; key `tournament_started:<id>`. player_ids: the registered users (for a team tournament, the
    members of the registered teams). A tournament created already running has nobody registered: none."""

    name: ClassVar[str] = "tournament_started"
    tournament_id: str
    tournament_name: str
    tournament_type: str
    game_id: str | None
    player_ids: list
    started_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SessionVoided(DomainEvent):
    """Published by games once when a moderator or an admin voids a completed session's score, recorded in the
    voiding transaction; key `session_voided:<id>`. What the session counted for is taken back: its credits
    (a linked ledger entry; held credits are forfeited), its points, totals and leaderboard entries.
    completed_event_id: the GameSessionComplete that counted it (a subscriber that has not applied that event
    yet must never apply it)."""

    name: ClassVar[str] = "session_voided"
    session_id: str
    user_id: str
    game_id: str
    universal_score: int
    play_seconds: int
    completed_at: datetime
    completed_event_id: str | None
    reason: str
    actor_id: str
    voided_at: datetime


@dataclass(frozen=True)
class SessionApproved(DomainEvent):
    """Published by games once when a moderator or an admin approves a session a fraud rule flagged; key
    `session_approved:<id>`. Its held credits go to the balance."""

    name: ClassVar[str] = "session_approved"
    session_id: str
    user_id: str
    game_id: str
    reason: str
    actor_id: str
    approved_at: datetime


EVENTS = (
    GameSessionComplete,
    TournamentComplete,
    ChallengeComplete,
    ChallengeInvited,
    TournamentStarted,
    SessionVoided,
    SessionApproved,
)
