"""Database set-up of the impact module (run by the init command, never at start-up)."""

from __future__ import annotations

from app.core.infrastructure import Infrastructure
from app.impact.repositories.metrics import MetricRepository
from app.impact.repositories.reports import ReportRepository
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.repositories.updates import UpdateRepository
from app.impact.services import ImpactServices


def install_schema(infra: Infrastructure) -> None:
    db = infra.db
    for repo in (
        StoryRepository(db),
        TrackingRepository(db),
        MetricRepository(db),
        UpdateRepository(db),
        ReportRepository(db),
    ):
        repo.create_indexes()


def install_content(infra: Infrastructure, services: ImpactServices, *, demo: bool) -> None:
    # the story catalog is product content, not demo data
    services.stories.install_catalog()
