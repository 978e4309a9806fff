"""FeatureGate: the check the endpoints that a milestone unlocks make."""

from __future__ import annotations

from app.core.errors import Forbidden
from app.impact.models import features as rules
from app.impact.services.story_service import StoryUnlockingService


class FeatureGate:
    def __init__(self, stories: StoryUnlockingService):
        self.stories = stories

    def unlocked(self, user_id: str) -> list[str]:
        return [f.key for f in rules.unlocked(self._milestones(user_id))]

    def require(self, user_id: str, key: str, *, is_admin: bool = False) -> None:
        """403 FEATURE_LOCKED (naming the feature and its milestone in euros) unless the user has it."""
        feature = rules.BY_KEY[key]
        if not is_admin and feature.milestone_euros not in self._milestones(user_id):
            raise Forbidden(
                "FEATURE_LOCKED", data={"feature": feature.key, "required_milestone": feature.milestone_euros}
            )

    def _milestones(self, user_id: str) -> set[int]:
        return rules.milestones_in(self.stories.unlocked_summary(user_id)["story_ids"])
