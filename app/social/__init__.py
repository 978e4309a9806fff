"""Social module: friends and blocks, the Impact Score, leaderboards, achievements, community challenges.

Collections: user_relationships, user_impact_scores, impact_score_history, leaderboard_entries,
leaderboard_tree, leaderboard_winners, achievements, user_achievements, social_challenges,
social_challenge_participants, social_donations, social_processed, notifications, notification_broadcasts,
notification_cursors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from flask import Flask
from flask_smorest import Api

from app.core.contracts import MailQueue, UserDirectory, UserPreferences
from app.core.infrastructure import Infrastructure
from app.core.services.personal_data import ModulePersonalData
from app.games.contracts import GameDirectory
from app.impact.contracts import LivePush
from app.social import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.social.contracts import ModeratedContent
from app.social.controllers import achievements as achievements_routes
from app.social.controllers import challenges as challenges_routes
from app.social.controllers import friends as friends_routes
from app.social.controllers import leaderboards as leaderboards_routes
from app.social.controllers import moderation as moderation_routes
from app.social.controllers import notifications as notifications_routes
from app.social.controllers import seasons as seasons_routes
from app.social.repositories.achievements import AchievementRepository
from app.social.repositories.challenges import ChallengeRepository
from app.social.repositories.donations import SocialDonationRepository
from app.social.repositories.leaderboards import LeaderboardRepository
from app.social.repositories.moderation import ReportRepository
from app.social.repositories.notifications import NotificationRepository
from app.social.repositories.personal_data import SocialRecords
from app.social.repositories.relationships import RelationshipRepository
from app.social.repositories.scores import ScoreRepository
from app.social.repositories.seasons import SeasonRepository
from app.social.services import SocialServices
from app.social.services.achievements import AchievementService
from app.social.services.challenges import ChallengeService
from app.social.services.friends import FriendService
from app.social.services.impact import ImpactScoreService
from app.social.services.leaderboards import LeaderboardService
from app.social.services.moderation import ModeratedChallenges, ModeratedUsers, ModerationService
from app.social.services.notifications import NotificationService
from app.social.services.scoring import ScoringService
from app.social.services.seasons import SeasonService
from app.social.services.social import SocialService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (
    friends_routes.blp,
    friends_routes.people,
    leaderboards_routes.blp,
    challenges_routes.blp,
    achievements_routes.blp,
    achievements_routes.admin_blp,
    seasons_routes.blp,
    seasons_routes.admin_blp,
    moderation_routes.blp,
    moderation_routes.staff_blp,
    notifications_routes.blp,
)


def build(
    infra: Infrastructure,
    *,
    users: UserDirectory,
    preferences: UserPreferences,
    games: GameDirectory,
    push: LivePush | None = None,
    mail: MailQueue | None = None,
) -> SocialServices:
    """`push`: live notifications to the user's sockets; `mail`: notifications by email (none without)."""
    db, hooks = infra.db, infra.hooks
    relationships, scores, boards = RelationshipRepository(db), ScoreRepository(db), LeaderboardRepository(db)
    achievements_repo, challenges_repo = AchievementRepository(db), ChallengeRepository(db)

    friends = FriendService(relationships, users=users, preferences=preferences, hooks=hooks)
    leaderboards = LeaderboardService(
        boards, users=users, preferences=preferences, games=games, hooks=hooks, friend_ids=friends.friend_ids
    )
    impact = ImpactScoreService(scores, leaderboards=leaderboards)
    notifications = NotificationService(
        NotificationRepository(db),
        transactions=infra.transactions,
        users=users,
        preferences=preferences,
        games=games,
        push=push,
        mail=mail,
    )
    return SocialServices(
        friends=friends,
        leaderboards=leaderboards,
        impact=impact,
        achievements=AchievementService(
            achievements_repo, scores=scores, users=users, preferences=preferences, friends=friends
        ),
        challenges=ChallengeService(challenges_repo, friends=friends, users=users, hooks=hooks),
        seasons=SeasonService(SeasonRepository(db), hooks=hooks, users=users, preferences=preferences),
        scoring=ScoringService(
            infra.transactions,
            hooks,
            scores=scores,
            boards=boards,
            achievements=achievements_repo,
            challenges=challenges_repo,
            relationships=relationships,
            donations=SocialDonationRepository(db),
        ),
        graph=SocialService(friends=friends, impact=impact),
        notifications=notifications,
        moderation=ModerationService(
            ReportRepository(db),
            transactions=infra.transactions,
            notifications=notifications,
            content={"user": ModeratedUsers(users), "community_challenge": ModeratedChallenges(challenges_repo)},
            leaderboards=leaderboards,
        ),
        personal_data=ModulePersonalData("social", SocialRecords(db), before_erase=leaderboards.remove_user),
    )


def with_moderated_content(services: SocialServices, content: Mapping[str, ModeratedContent]) -> SocialServices:
    """Social's services with the content of the modules built after it, which users can report too."""
    return dataclasses.replace(services, moderation=services.moderation.with_content(content))


def init_app(app: Flask, api: Api, services: SocialServices) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
