"""The social module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.infrastructure import services_of
from app.core.services.personal_data import ModulePersonalData
from app.social.services.achievements import AchievementService
from app.social.services.challenges import ChallengeService
from app.social.services.friends import FriendService
from app.social.services.impact import ImpactScoreService
from app.social.services.leaderboards import LeaderboardService
from app.social.services.moderation import ModerationService
from app.social.services.notifications import NotificationService
from app.social.services.scoring import ScoringService
from app.social.services.seasons import SeasonService
from app.social.services.social import SocialService


@dataclass(frozen=True)
class SocialServices:
    friends: FriendService
    leaderboards: LeaderboardService
    impact: ImpactScoreService
    achievements: AchievementService
    challenges: ChallengeService
    seasons: SeasonService
    scoring: ScoringService
    graph: SocialService  # the social graph other modules read (app.social.contracts.SocialGraph)
    notifications: NotificationService
    moderation: ModerationService
    personal_data: ModulePersonalData  # app.core.contracts.PersonalData


def services() -> SocialServices:
    return services_of(SocialServices)
