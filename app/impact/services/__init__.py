"""The impact module's services, as `build()` returns them."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.contracts import TokenChecker, UserDirectory, UserPreferences
from app.core.infrastructure import services_of
from app.core.services.personal_data import ModulePersonalData
from app.impact.realtime import RealtimePush
from app.impact.services.community_service import CommunityImpactService
from app.impact.services.feature_service import FeatureGate
from app.impact.services.story_catalog_service import StoryCatalogService
from app.impact.services.story_service import StoryUnlockingService
from app.impact.services.tracking_service import ImpactTrackingService
from app.impact.services.visualization_service import ImpactVisualizationService
from app.impact.services.weekly_summary_service import WeeklySummaryService


@dataclass(frozen=True)
class ImpactServices:
    tracking: ImpactTrackingService
    stories: StoryUnlockingService
    features: FeatureGate
    catalog: StoryCatalogService
    visualization: ImpactVisualizationService
    community: CommunityImpactService
    weekly_summary: WeeklySummaryService
    personal_data: ModulePersonalData  # app.core.contracts.PersonalData
    moderated: dict  # {target type: app.social.contracts.ModeratedContent}: what users can report
    # the realtime side: pushes, who may connect, who wants which pushes
    push: RealtimePush
    tokens: TokenChecker
    users: UserDirectory
    preferences: UserPreferences


def services() -> ImpactServices:
    return services_of(ImpactServices)
