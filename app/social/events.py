"""Events published by the social module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from app.core.hooks import DomainEvent


@dataclass(frozen=True)
class SocialActivity(DomainEvent):
    """Published by social for social interactions.

    activity: 'friend_requested' (user_id asked target_user_id; ref_id the request) | 'friend_added'
    (user_id accepted target_user_id's request) | 'friend_removed' | 'challenge_joined' | 'challenge_completed'
    | ...
    """

    name: ClassVar[str] = "social_activity"
    user_id: str
    activity: str
    occurred_at: datetime
    target_user_id: str | None = None
    ref_id: str | None = None


@dataclass(frozen=True)
class AchievementUnlock(DomainEvent):
    """Published by social once per (user, achievement); key `achievement:<user>:<id>`."""

    name: ClassVar[str] = "achievement_unlock"
    user_id: str
    achievement_id: str
    achievement_name: str
    points: int
    unlocked_at: datetime


@dataclass(frozen=True)
class WeeklyReset(DomainEvent):
    """Published by the weekly job when an ISO week closes; key `weekly_reset:<period>`.

    period: the closed week, e.g. '2026-W47'. winners: [{leaderboard, rank, user_id, score}].
    """

    name: ClassVar[str] = "weekly_reset"
    period: str
    closed_at: datetime
    winners: list = field(default_factory=list)


@dataclass(frozen=True)
class SeasonRewardGranted(DomainEvent):
    """Published by social once per season, board and rewarded user when the season closes; key
    `season_reward:<season>:<board>:<user>`. bonus_cents goes to the wallet (the donations module), the badge
    and the notice stay in social."""

    name: ClassVar[str] = "season_reward_granted"
    user_id: str
    season_id: str
    season_name: str
    board: str
    rank: int
    score: int
    badge: str | None
    bonus_cents: int
    granted_at: datetime


EVENTS = (SocialActivity, AchievementUnlock, WeeklyReset, SeasonRewardGranted)
