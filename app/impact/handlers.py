"""Hook subscribers of the impact module: tracking on donations/refunds/credits, and the
realtime notifier that turns events into Socket.IO emits (services never emit)."""
from __future__ import annotations

import logging

from app.core.api import cents_to_euros
from app.core.hooks import Event
from app.donations.events import DonationComplete, DonationRefunded, WalletCredited
from app.impact.events import CommunityMilestone, ImpactUpdatePublished, StoryUnlocked
from app.social.events import AchievementUnlock

log = logging.getLogger(__name__)
NAMESPACE = "/impact"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def register(container, *, tracking, stories) -> None:
    hooks = container.hooks

    def track_donation(event: Event) -> None:
        p: DonationComplete = event.payload
        tracking.track_donation(donation_id=p.donation_id, user_id=p.user_id, onlus_id=p.onlus_id,
                                amount_cents=p.amount_cents, onlus_name=p.onlus_name, category=p.onlus_category,
                                completed_at=p.completed_at)

    def reverse_donation(event: Event) -> None:
        p: DonationRefunded = event.payload
        tracking.reverse_donation(donation_id=p.donation_id, user_id=p.user_id, onlus_id=p.onlus_id,
                                  amount_cents=p.amount_cents, category=p.onlus_category, refunded_at=p.refunded_at)

    def track_credit(event: Event) -> None:
        p: WalletCredited = event.payload
        tracking.track_credit(user_id=p.user_id, total_earned_cents=p.total_earned_cents, source_key=p.source_key,
                              credited_at=p.credited_at)

    hooks.subscribe(DonationComplete, "impact:track_donation", track_donation)
    hooks.subscribe(DonationRefunded, "impact:reverse_donation", reverse_donation)
    hooks.subscribe(WalletCredited, "impact:track_credit", track_credit)
    Notifier(container, stories).subscribe(hooks)


class Notifier:
    """Pushes events to connected Socket.IO clients of namespace /impact.

    Best effort: a push to nobody is fine, and an emit failure is logged, never raised
    (a socket outage must not park tracking or fail a donation).
    """

    def __init__(self, container, stories):
        self.container = container
        self.stories = stories

    def subscribe(self, hooks) -> None:
        hooks.subscribe(StoryUnlocked, "impact:notify_story_unlocked", self.story_unlocked)
        hooks.subscribe(CommunityMilestone, "impact:notify_community_milestone", self.community_milestone)
        hooks.subscribe(ImpactUpdatePublished, "impact:notify_impact_update", self.impact_update)
        hooks.subscribe(WalletCredited, "impact:notify_wallet_credited", self.wallet_credited)
        hooks.subscribe(AchievementUnlock, "impact:notify_achievement", self.achievement_unlocked)

    def _emit(self, name: str, data: dict, room: str | None = None) -> None:
        try:
            self.container.socketio.emit(name, data, namespace=NAMESPACE, to=room)
        except Exception:  # noqa: BLE001
            log.warning("impact notifier: emit %s failed", name, exc_info=True)

    def _wants(self, user_id: str, section: str) -> bool:
        try:
            return bool(self.container.service("preferences").get(user_id)["notifications"].get(section, True))
        except Exception:  # noqa: BLE001 - when in doubt, notify
            return True

    def story_unlocked(self, event: Event) -> None:
        p: StoryUnlocked = event.payload
        if not self._wants(p.user_id, "impact_stories"):
            return
        story = self.stories.stories.get(p.story_id) or {}
        self._emit("story_unlocked", {"story": {
            "id": p.story_id, "title": p.title, "teaser": story.get("teaser"),
            "story_type": story.get("story_type"), "category": story.get("category"),
            "unlock_condition_type": story.get("unlock_condition_type"),
            "unlocked_at": _iso(p.unlocked_at)}}, room=user_room(p.user_id))

    def community_milestone(self, event: Event) -> None:
        p: CommunityMilestone = event.payload
        money = p.metric == "total_donated_cents"
        self._emit("community_milestone", {"milestone": {
            "metric": p.metric.removesuffix("_cents"), "mark": cents_to_euros(p.mark) if money else p.mark,
            "value": cents_to_euros(p.value) if money else p.value, "is_money": money,
            "reached_at": _iso(p.reached_at)}})

    def impact_update(self, event: Event) -> None:
        p: ImpactUpdatePublished = event.payload
        self._emit("impact_update", {"update": {"id": p.update_id, "onlus_id": p.onlus_id, "title": p.title,
                                                "priority": p.priority, "published_at": _iso(p.published_at)}})

    def wallet_credited(self, event: Event) -> None:
        p: WalletCredited = event.payload
        self._emit("wallet_updated", {"wallet": {"balance": cents_to_euros(p.balance_cents),
                                                 "total_earned": cents_to_euros(p.total_earned_cents),
                                                 "amount": cents_to_euros(p.amount_cents),
                                                 "source_key": p.source_key, "credited_at": _iso(p.credited_at)}},
                   room=user_room(p.user_id))

    def achievement_unlocked(self, event: Event) -> None:
        p: AchievementUnlock = event.payload
        if not self._wants(p.user_id, "achievements"):
            return
        self._emit("achievement_unlocked", {"achievement": {"id": p.achievement_id, "name": p.achievement_name,
                                                            "points": p.points, "unlocked_at": _iso(p.unlocked_at)}},
                   room=user_room(p.user_id))


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"
