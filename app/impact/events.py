"""Events published by the impact module (the realtime notifier subscribes to them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from app.core.hooks import DomainEvent


@dataclass(frozen=True)
class StoryUnlocked(DomainEvent):
    """Published by impact once per (user, story); key `story:<user>:<story>`."""

    name: ClassVar[str] = "story_unlocked"
    user_id: str
    story_id: str
    title: str
    unlocked_at: datetime


@dataclass(frozen=True)
class FeatureUnlocked(DomainEvent):
    """Published by impact with the StoryUnlocked of the milestone that unlocks the feature; key
    `feature:<user>:<feature>`. `required_milestone` is in euros."""

    name: ClassVar[str] = "feature_unlocked"
    user_id: str
    feature: str
    feature_name: str
    required_milestone: int
    unlocked_at: datetime


@dataclass(frozen=True)
class ImpactUpdatePublished(DomainEvent):
    """Published by impact when an ONLUS update is published; key `impact_update:<id>`."""

    name: ClassVar[str] = "impact_update_published"
    update_id: str
    onlus_id: str
    title: str
    priority: str
    published_at: datetime


@dataclass(frozen=True)
class CommunityMilestone(DomainEvent):
    """Published by impact when platform totals cross a configured mark; key `community_milestone:<metric>:<mark>`."""

    name: ClassVar[str] = "community_milestone"
    metric: str
    mark: int
    value: int
    reached_at: datetime


EVENTS = (StoryUnlocked, FeatureUnlocked, ImpactUpdatePublished, CommunityMilestone)
