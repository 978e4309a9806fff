"""Features that the progressive milestones unlock (pure, no I/O).

A feature is unlocked once its milestone story is: like the story, it stays unlocked after a refund.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.money import cents_to_euros
from app.impact.models.stories import milestone_of


@dataclass(frozen=True)
class Feature:
    key: str
    name: str
    milestone_euros: int
    gates: str  # what it opens, as the OpenAPI descriptions say it


BASIC_METRICS = "basic_metrics"
TREND_DATA = "trend_data"
DETAILED_ANALYTICS = "detailed_analytics"
ONLUS_UPDATES = "onlus_updates"
COMMUNITY_LEADERBOARD = "community_leaderboard"
PLATFORM_INSIGHTS = "platform_insights"
COMMUNITY_DASHBOARDS = "community_dashboards"
ADVANCED_REPORTING = "advanced_reporting"

FEATURES = (
    Feature(BASIC_METRICS, "basic metrics access", 25, "the latest metrics of an ONLUS"),
    Feature(TREND_DATA, "trend data", 50, "the daily trends of an ONLUS's metrics"),
    Feature(DETAILED_ANALYTICS, "detailed analytics", 100, "your giving analysed by month, ONLUS and category"),
    Feature(ONLUS_UPDATES, "ONLUS direct updates", 250, "the updates ONLUS publish, and liking and sharing them"),
    Feature(COMMUNITY_LEADERBOARD, "community leaderboard", 500, "the community impact leaderboard"),
    Feature(PLATFORM_INSIGHTS, "platform insights", 1000, "the platform's month-by-month growth"),
    Feature(COMMUNITY_DASHBOARDS, "community dashboards", 2500, "the community dashboard"),
    Feature(ADVANCED_REPORTING, "advanced reporting", 5000, "community reports over any date range"),
)
BY_KEY = {f.key: f for f in FEATURES}
KEYS = tuple(f.key for f in FEATURES)


def feature_of_milestone(euros: int) -> Feature | None:
    return next((f for f in FEATURES if f.milestone_euros == euros), None)


def unlocked(milestones_unlocked: set[int]) -> list[Feature]:
    """The features of the milestones whose stories the user unlocked, in milestone order."""
    return [f for f in FEATURES if f.milestone_euros in milestones_unlocked]


def next_locked(milestones_unlocked: set[int]) -> Feature | None:
    return next((f for f in FEATURES if f.milestone_euros not in milestones_unlocked), None)


def progress(milestones_unlocked: set[int], total_donated_cents: int) -> dict:
    """`features` unlocked and the next one, with the euros still to donate for it."""
    upcoming = next_locked(milestones_unlocked)
    return {
        "features": [f.key for f in unlocked(milestones_unlocked)],
        "next_feature": (
            {
                "feature": upcoming.key,
                "name": upcoming.name,
                "required_milestone": upcoming.milestone_euros,
                "remaining": cents_to_euros(max(0, upcoming.milestone_euros * 100 - total_donated_cents)),
            }
            if upcoming
            else None
        ),
    }


def milestones_in(story_ids) -> set[int]:
    """The milestones (euros) among unlocked story ids."""
    return {euros for euros in map(milestone_of, story_ids) if euros is not None}


def gate_note(key: str) -> str:
    """The sentence an endpoint's description carries about its gate."""
    feature = BY_KEY[key]
    return (
        f"Unlocked by the €{feature.milestone_euros:,} milestone ({feature.name}): below it, 403 FEATURE_LOCKED "
        f'with `data: {{feature: "{feature.key}", required_milestone: {feature.milestone_euros}}}` '
        f"(euros). Admins always pass."
    )
