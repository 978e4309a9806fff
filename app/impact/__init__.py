"""Impact module: tracking, progressive stories, ONLUS metrics and updates, community reports,
the realtime notifier (Socket.IO namespace /impact) and the module's scheduled jobs."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.core.contracts import MailQueue, TokenChecker, UserDirectory, UserPreferences
from app.core.infrastructure import Infrastructure
from app.core.services.personal_data import ModulePersonalData
from app.donations.contracts import DonationRecords, OnlusDirectory
from app.games.contracts import PlayRecords
from app.impact import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.impact.controllers import impact_controller
from app.impact.models.tracking import DEFAULT_COMMUNITY_MARKS
from app.impact.realtime import ImpactNamespace, RealtimePush
from app.impact.repositories.metrics import MetricRepository
from app.impact.repositories.personal_data import ImpactRecords
from app.impact.repositories.reports import ReportRepository
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.repositories.updates import UpdateRepository
from app.impact.services import ImpactServices
from app.impact.services.cache import ImpactCache
from app.impact.services.community_service import CommunityImpactService
from app.impact.services.feature_service import FeatureGate
from app.impact.services.moderation import ModeratedUpdates
from app.impact.services.story_catalog_service import StoryCatalogService
from app.impact.services.story_service import StoryUnlockingService
from app.impact.services.tracking_service import ImpactTrackingService
from app.impact.services.visualization_service import ImpactVisualizationService
from app.impact.services.weekly_summary_service import WeeklySummaryService
from app.social.contracts import SocialGraph

EVENTS = events.EVENTS  # registered by the factory before any module subscribes


def live_push(infra: Infrastructure) -> RealtimePush:
    """The pushes to /impact sockets (app.impact.contracts.LivePush), also for modules built before impact."""
    return RealtimePush(infra.socketio)


def build(
    infra: Infrastructure,
    *,
    users: UserDirectory,
    preferences: UserPreferences,
    tokens: TokenChecker,
    social: SocialGraph,
    donations: DonationRecords,
    onlus: OnlusDirectory,
    play: PlayRecords,
    mail: MailQueue,
) -> ImpactServices:
    db, hooks, config = infra.db, infra.hooks, infra.config
    story_repo, tracking_repo, metric_repo = StoryRepository(db), TrackingRepository(db), MetricRepository(db)
    updates_repo = UpdateRepository(db)
    marks = config.get("IMPACT_COMMUNITY_MILESTONES") or DEFAULT_COMMUNITY_MARKS

    cache = ImpactCache(
        infra.cache, ttl_overrides=config.get("IMPACT_CACHE_TTLS"), enabled=config.get("IMPACT_CACHE_ENABLED", True)
    )
    stories = StoryUnlockingService(stories=story_repo, tracking=tracking_repo, hooks=hooks, social=social, cache=cache)
    tracking = ImpactTrackingService(
        tracking=tracking_repo,
        metrics=metric_repo,
        transactions=infra.transactions,
        stories=stories,
        hooks=hooks,
        users=users,
        preferences=preferences,
        social=social,
        donations=donations,
        onlus=onlus,
        cache=cache,
        community_marks=marks,
    )
    visualization = ImpactVisualizationService(
        metrics=metric_repo,
        updates=updates_repo,
        tracking=tracking_repo,
        hooks=hooks,
        onlus=onlus,
        cache=cache,
    )
    community = CommunityImpactService(
        tracking=tracking_repo,
        story_repo=story_repo,
        reports=ReportRepository(db),
        tracking_service=tracking,
        stories=stories,
        visualization=visualization,
        donations=donations,
        onlus=onlus,
        users=users,
        preferences=preferences,
        cache=cache,
        community_marks=marks,
    )
    return ImpactServices(
        tracking=tracking,
        stories=stories,
        features=FeatureGate(stories),
        catalog=StoryCatalogService(stories=story_repo, engine=stories, cache=cache),
        visualization=visualization,
        community=community,
        weekly_summary=WeeklySummaryService(
            users=users,
            preferences=preferences,
            play=play,
            donations=donations,
            social=social,
            tracking=tracking_repo,
            stories=story_repo,
            mail=mail,
            frontend_url=config["FRONTEND_URL"],
        ),
        personal_data=ModulePersonalData("impact", ImpactRecords(db), after_erase=cache.forget_user),
        moderated={"onlus_update": ModeratedUpdates(updates_repo)},
        push=live_push(infra),
        tokens=tokens,
        users=users,
        preferences=preferences,
    )


def init_app(app: Flask, api: Api, services: ImpactServices) -> None:
    api.register_blueprint(impact_controller.blp)
    services.push.serve(
        ImpactNamespace(
            tokens=services.tokens, users=services.users, check_seconds=app.config["REALTIME_TOKEN_CHECK_SECONDS"]
        )
    )
