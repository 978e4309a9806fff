"""The `impact` service other modules (and this module's controllers) reach through the container."""
from __future__ import annotations

from dataclasses import dataclass

from app.impact.services.community_service import CommunityImpactService
from app.impact.services.story_service import StoryUnlockingService
from app.impact.services.tracking_service import ImpactTrackingService
from app.impact.services.visualization_service import ImpactVisualizationService


@dataclass
class ImpactService:
    tracking: ImpactTrackingService
    stories: StoryUnlockingService
    visualization: ImpactVisualizationService
    community: CommunityImpactService

    def user_totals(self, user_id: str) -> dict:
        """Contract: {total_donated_cents, donation_count, onlus_supported, onlus_ids, categories,
        total_earned_cents, level, level_name, milestones_reached, next_milestone, ...}."""
        return self.tracking.user_totals(user_id)
