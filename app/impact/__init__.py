"""Impact module: tracking, progressive stories, ONLUS metrics and updates, community reports,
the realtime notifier (Socket.IO namespace /impact) and the module's scheduled jobs."""
from __future__ import annotations

from app.impact import events, handlers, jobs
from app.impact.controllers import impact_controller
from app.impact.realtime import ImpactNamespace
from app.impact.repositories.metrics import MetricRepository
from app.impact.repositories.reports import ReportRepository
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.repositories.updates import UpdateRepository
from app.impact.services.cache import ImpactCache
from app.impact.services.community_service import CommunityImpactService
from app.impact.services.impact_service import ImpactService
from app.impact.services.story_service import StoryUnlockingService
from app.impact.services.tracking_service import ImpactTrackingService
from app.impact.services.visualization_service import ImpactVisualizationService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes


def init_app(app, api, container) -> None:
    db, hooks = container.db, container.hooks

    story_repo, tracking_repo = StoryRepository(db), TrackingRepository(db)
    metric_repo, update_repo, report_repo = MetricRepository(db), UpdateRepository(db), ReportRepository(db)
    for repo in (story_repo, tracking_repo, metric_repo, update_repo, report_repo):
        repo.create_indexes()

    cache = ImpactCache(container.cache, ttl_overrides=app.config.get("IMPACT_CACHE_TTLS"),
                        enabled=app.config.get("IMPACT_CACHE_ENABLED", True))
    stories = StoryUnlockingService(stories=story_repo, tracking=tracking_repo, hooks=hooks, container=container,
                                    cache=cache)
    tracking = ImpactTrackingService(tracking=tracking_repo, stories=stories, hooks=hooks, container=container,
                                     cache=cache, community_marks=app.config.get("IMPACT_COMMUNITY_MILESTONES"))
    visualization = ImpactVisualizationService(metrics=metric_repo, updates=update_repo, tracking=tracking_repo,
                                               hooks=hooks, container=container, cache=cache)
    community = CommunityImpactService(tracking=tracking_repo, story_repo=story_repo, reports=report_repo,
                                       tracking_service=tracking, stories=stories, visualization=visualization,
                                       container=container, cache=cache)
    container.register("impact", ImpactService(tracking=tracking, stories=stories, visualization=visualization,
                                               community=community))

    handlers.register(container, tracking=tracking, stories=stories)
    api.register_blueprint(impact_controller.blp)
    container.socketio.on_namespace(ImpactNamespace(container))
    jobs.declare(container, community=community, visualization=visualization)

    # The story catalog is product content, not demo data: installed (upserted) at every start-up.
    stories.install_catalog()
