"""Hook subscribers of the impact module: tracking on donations/refunds/credits, and the
realtime notifier that turns events into Socket.IO emits (services never emit)."""

from __future__ import annotations

import logging

from app.core.contracts import UserPreferences
from app.core.hooks import Event, Subscription
from app.core.jsonutil import iso
from app.core.money import cents_to_euros
from app.donations.events import DonationComplete, DonationRefunded, WalletChanged, WalletCredited
from app.impact.events import CommunityMilestone, FeatureUnlocked, ImpactUpdatePublished, StoryUnlocked
from app.impact.realtime import RealtimePush
from app.impact.services import ImpactServices
from app.impact.services.story_service import StoryUnlockingService
from app.social.events import AchievementUnlock

log = logging.getLogger(__name__)


def subscriptions(services: ImpactServices) -> list[Subscription]:
    tracking = services.tracking

    def donation_of(event: Event) -> dict:
        p: DonationComplete = event.payload
        return {
            "donation_id": p.donation_id,
            "user_id": p.user_id,
            "onlus_id": p.onlus_id,
            "amount_cents": p.amount_cents,
            "onlus_name": p.onlus_name,
            "category": p.onlus_category,
            "completed_at": p.completed_at,
        }

    def track_donation(event: Event) -> None:
        tracking.track_donation(**donation_of(event))

    def track_donations(events: list[Event]) -> None:
        tracking.track_donations([donation_of(e) for e in events])

    def reverse_donation(event: Event) -> None:
        p: DonationRefunded = event.payload
        tracking.reverse_donation(
            donation_id=p.donation_id,
            user_id=p.user_id,
            onlus_id=p.onlus_id,
            amount_cents=p.amount_cents,
            category=p.onlus_category,
            refunded_at=p.refunded_at,
        )

    def track_credit(event: Event) -> None:
        p: WalletCredited = event.payload
        tracking.track_credit(
            user_id=p.user_id,
            total_earned_cents=p.total_earned_cents,
            source_key=p.source_key,
            credited_at=p.credited_at,
        )

    notifier = Notifier(services.push, preferences=services.preferences, stories=services.stories)
    return [
        Subscription(DonationComplete, "impact:track_donation", track_donation, batch=track_donations),
        Subscription(DonationRefunded, "impact:reverse_donation", reverse_donation),
        Subscription(WalletCredited, "impact:track_credit", track_credit),
        Subscription(StoryUnlocked, "impact:notify_story_unlocked", notifier.story_unlocked),
        Subscription(FeatureUnlocked, "impact:notify_feature_unlocked", notifier.feature_unlocked),
        Subscription(CommunityMilestone, "impact:notify_community_milestone", notifier.community_milestone),
        Subscription(ImpactUpdatePublished, "impact:notify_impact_update", notifier.impact_update),
        Subscription(WalletChanged, "impact:notify_wallet_changed", notifier.wallet_changed),
        Subscription(AchievementUnlock, "impact:notify_achievement", notifier.achievement_unlocked),
    ]


class Notifier:
    """Pushes events to connected Socket.IO clients of namespace /impact.

    Best effort: a push to nobody is fine, and an emit failure is logged, never raised
    (a socket outage must not park tracking or fail a donation).
    """

    def __init__(self, push: RealtimePush, *, preferences: UserPreferences, stories: StoryUnlockingService):
        self.push, self.preferences, self.stories = push, preferences, stories

    def _emit(self, name: str, data: dict, user_id: str | None = None) -> None:
        try:
            self.push.emit(name, data, user_id=user_id)
        except Exception:
            log.warning("impact notifier: emit %s failed", name, exc_info=True)

    def _wants(self, user_id: str, section: str) -> bool:
        try:
            return bool(self.preferences.get(user_id)["notifications"].get(section, True))
        except Exception:  # noqa: BLE001 - preferences we cannot read: when in doubt, notify
            return True

    def story_unlocked(self, event: Event) -> None:
        p: StoryUnlocked = event.payload
        if not self._wants(p.user_id, "impact_stories"):
            return
        story = self.stories.story(p.story_id) or {}
        self._emit(
            "story_unlocked",
            {
                "story": {
                    "id": p.story_id,
                    "title": p.title,
                    "teaser": story.get("teaser"),
                    "story_type": story.get("story_type"),
                    "category": story.get("category"),
                    "unlock_condition_type": story.get("unlock_condition_type"),
                    "unlocked_at": _iso(p.unlocked_at),
                }
            },
            user_id=p.user_id,
        )

    def feature_unlocked(self, event: Event) -> None:
        p: FeatureUnlocked = event.payload
        if not self._wants(p.user_id, "impact_stories"):
            return
        self._emit(
            "feature_unlocked",
            {
                "feature": {
                    "key": p.feature,
                    "name": p.feature_name,
                    "required_milestone": p.required_milestone,
                    "unlocked_at": _iso(p.unlocked_at),
                }
            },
            user_id=p.user_id,
        )

    def community_milestone(self, event: Event) -> None:
        p: CommunityMilestone = event.payload
        money = p.metric == "total_donated_cents"
        self._emit(
            "community_milestone",
            {
                "milestone": {
                    "metric": p.metric.removesuffix("_cents"),
                    "mark": cents_to_euros(p.mark) if money else p.mark,
                    "value": cents_to_euros(p.value) if money else p.value,
                    "is_money": money,
                    "reached_at": _iso(p.reached_at),
                }
            },
        )

    def impact_update(self, event: Event) -> None:
        p: ImpactUpdatePublished = event.payload
        self._emit(
            "impact_update",
            {
                "update": {
                    "id": p.update_id,
                    "onlus_id": p.onlus_id,
                    "title": p.title,
                    "priority": p.priority,
                    "published_at": _iso(p.published_at),
                }
            },
        )

    def wallet_changed(self, event: Event) -> None:
        """`wallet_updated` with the wallet as `GET /api/wallet` answers it (euros), for every balance change."""
        p: WalletChanged = event.payload
        self._emit(
            "wallet_updated",
            {
                "wallet": {
                    "balance": cents_to_euros(p.balance_cents),
                    "total_earned": cents_to_euros(p.total_earned_cents),
                    "total_donated": cents_to_euros(p.total_donated_cents),
                    "held": cents_to_euros(p.held_cents),
                    "currency": p.currency,
                    "updated_at": _iso(p.updated_at),
                }
            },
            user_id=p.user_id,
        )

    def achievement_unlocked(self, event: Event) -> None:
        p: AchievementUnlock = event.payload
        if not self._wants(p.user_id, "achievements"):
            return
        self._emit(
            "achievement_unlocked",
            {
                "achievement": {
                    "id": p.achievement_id,
                    "name": p.achievement_name,
                    "points": p.points,
                    "unlocked_at": _iso(p.unlocked_at),
                }
            },
            user_id=p.user_id,
        )


def _iso(value) -> str | None:
    return None if value is None else iso(value)
