"""StoryUnlockingService: the progressive unlock algorithm, story views and progress."""

from __future__ import annotations

import logging
from datetime import datetime

from app.core.clock import utcnow
from app.core.errors import NotFound
from app.core.hooks import HookManager
from app.impact.events import FeatureUnlocked, StoryUnlocked
from app.impact.models import features
from app.impact.models import stories as rules
from app.impact.repositories.stories import StoryRepository
from app.impact.repositories.tracking import TrackingRepository
from app.impact.services.cache import ImpactCache
from app.social.contracts import SocialGraph

log = logging.getLogger(__name__)


class StoryUnlockingService:
    def __init__(
        self,
        *,
        stories: StoryRepository,
        tracking: TrackingRepository,
        hooks: HookManager,
        social: SocialGraph,
        cache: ImpactCache,
    ):
        self.stories = stories
        self.tracking = tracking
        self.hooks = hooks
        self.social = social
        self.cache = cache

    def install_catalog(self, at: datetime | None = None) -> None:
        """The ten milestone stories (as code defines them), the other default stories and campaigns (added
        when missing: an operator's edits stay) and the campaigns' instances of this year and the next."""
        self.stories.upsert_catalog(rules.milestone_catalog(), replace=True)
        self.stories.upsert_catalog(rules.extra_catalog(), replace=False)
        self.stories.install_campaigns([c.as_doc() for c in rules.DEFAULT_CAMPAIGNS])
        self.ensure_campaign_instances(at)
        self.cache.catalog_changed()

    def ensure_campaign_instances(self, at: datetime | None = None) -> int:
        """Every published campaign's stories of this year and the next exist (added when missing; an
        instance an operator edited stays as it is). Returns how many campaigns were looked at."""
        years = rules.campaign_years(at or utcnow())
        campaigns = [rules.Campaign.from_doc(d) for d in self.stories.campaign_list(published_only=True)]
        self.stories.upsert_catalog([c.story(y) for c in campaigns for y in years], replace=False)
        return len(campaigns)

    def _catalog(self) -> list[dict]:
        """The active catalog; loading it (at most once per cache period) makes sure this year's campaign
        stories exist, so the catalog is right on any date."""
        self.ensure_campaign_instances()
        return self.stories.active()

    # -- the user's standing --------------------------------------------------------------
    def standing(self, user_id: str, totals: dict | None = None, *, with_score: bool = True) -> rules.UserStanding:
        """The user's figures; the Impact Score (another module's read) only `with_score`."""
        totals = totals if totals is not None else (self.tracking.user(user_id) or {})
        return rules.UserStanding(
            total_donated_cents=int(totals.get("total_donated_cents", 0)),
            donation_count=int(totals.get("donation_count", 0)),
            onlus_diversity=int(totals.get("onlus_diversity", 0)),
            impact_score=self._impact_score(user_id) if with_score else 0,
            total_earned_cents=int(totals.get("total_earned_cents", 0)),
        )

    def _impact_score(self, user_id: str) -> int:
        try:
            return int(self.social.impact_score(user_id) or 0)
        except Exception:  # a score we cannot read only delays score-based stories
            log.warning("impact: could not read the impact score of %s", user_id, exc_info=True)
            return 0

    def _event_totals(self, user_id: str, stories: list[dict]) -> dict[str, int]:
        return {
            s["_id"]: self.tracking.donated_between(user_id, s.get("event_starts_at"), s.get("event_ends_at"))
            for s in stories
            if s["unlock_condition_type"] == rules.SPECIAL_EVENT
        }

    # -- unlocking ------------------------------------------------------------------------------
    def check_and_unlock(
        self, user_id: str, *, trigger: str | None = None, at: datetime | None = None, totals: dict | None = None
    ) -> list[dict]:
        """Record every story whose condition the user now meets (once per user and story) and
        publish StoryUnlocked for each. Returns the stories unlocked by this call.

        Unlocks whose event was not yet published (a crash between the two) are published
        again here: the event key `story:<user>:<story>` keeps that to one event.
        """
        at = at or utcnow()
        unlocks = self.stories.unlocks_of(user_id)
        # every donation and credit checks the catalog: cached, and dropped by every change to it
        catalog = self.cache.remember(self.cache.story_catalog_key(), "story_catalog", self._catalog)
        candidates = sorted((s for s in catalog if s["_id"] not in unlocks), key=rules.unlock_order)
        newly = []
        if candidates:
            standing = self.standing(
                user_id, totals, with_score=any(s["unlock_condition_type"] == rules.IMPACT_SCORE for s in candidates)
            )
            # a story outside its window cannot unlock now: an event story's total is not even counted
            candidates = [s for s in candidates if rules.event_window_open(s, at)]
            events = self._event_totals(user_id, candidates)
            for story in candidates:
                if not rules.is_met(story, standing, events):
                    continue
                if self.stories.record_unlock(user_id=user_id, story=story, at=at, trigger=trigger):
                    newly.append(story)
                    self.tracking.add_timeline(
                        user_id=user_id,
                        kind="story_unlocked",
                        ref=story["_id"],
                        at=at,
                        story_id=story["_id"],
                        title=story["title"],
                    )
        if newly:
            self.cache.user_changed(user_id)
            self.cache.community_changed()
        unpublished = any(not u.get("published_event", True) for u in unlocks.values())
        for unlock in self._in_unlock_order(self.stories.unpublished(user_id), catalog) if newly or unpublished else ():
            self.hooks.publish(
                StoryUnlocked(
                    user_id=user_id,
                    story_id=unlock["story_id"],
                    title=unlock["title"],
                    unlocked_at=unlock["unlocked_at"],
                ),
                key=f"story:{user_id}:{unlock['story_id']}",
            )
            self._publish_feature(user_id, unlock)
            self.stories.mark_published(unlock["_id"])
        return newly

    def _publish_feature(self, user_id: str, unlock: dict) -> None:
        euros = rules.milestone_of(unlock["story_id"])
        feature = features.feature_of_milestone(euros) if euros else None
        if feature:
            self.hooks.publish(
                FeatureUnlocked(
                    user_id=user_id,
                    feature=feature.key,
                    feature_name=feature.name,
                    required_milestone=feature.milestone_euros,
                    unlocked_at=unlock["unlocked_at"],
                ),
                key=f"feature:{user_id}:{feature.key}",
            )

    @staticmethod
    def _in_unlock_order(unlocks: list[dict], catalog: list[dict]) -> list[dict]:
        """Unlocks to announce, in the catalog's unlock order (a story no longer in the catalog last)."""
        position = {s["_id"]: i for i, s in enumerate(sorted(catalog, key=rules.unlock_order))}
        return sorted(unlocks, key=lambda u: (position.get(u["story_id"], len(position)), u["story_id"]))

    # -- views ------------------------------------------------------------------------------------
    def list_for_user(
        self,
        user_id: str,
        *,
        status: str = "all",
        text: str | None = None,
        category: str | None = None,
        skip: int = 0,
        limit: int = 20,
    ) -> tuple[list[dict], int]:
        unlocks = self.stories.unlocks_of(user_id)
        ids = list(unlocks)
        if status == "unlocked":
            rows, total = self.stories.search(ids=ids, text=text, category=category, skip=skip, limit=limit)
        elif status == "locked":
            rows, total = self.stories.search(
                exclude_ids=ids, text=text, category=category, content_searchable=False, skip=skip, limit=limit
            )
        else:
            rows, total = self._search_all(ids, text, category, skip, limit)
        standing = self.standing(user_id) if any(r["_id"] not in unlocks for r in rows) else None
        events = self._event_totals(user_id, [r for r in rows if r["_id"] not in unlocks]) if standing else {}
        return [self._view(r, unlocks.get(r["_id"]), standing, events) for r in rows], total

    def _search_all(self, unlocked_ids, text, category, skip, limit):
        # Content is searchable only in stories the user has unlocked (locked content stays hidden).
        if not text:
            return self.stories.search(text=None, category=category, skip=skip, limit=limit)
        open_rows, _ = self.stories.search(ids=unlocked_ids, text=text, category=category, skip=0, limit=1000)
        locked_rows, _ = self.stories.search(
            exclude_ids=unlocked_ids, text=text, category=category, content_searchable=False, skip=0, limit=1000
        )
        rows = sorted(
            open_rows + locked_rows, key=lambda s: (-s.get("priority", 0), s["unlock_condition_value"], s["_id"])
        )
        return rows[skip : skip + limit], len(rows)

    def get_for_user(self, user_id: str, story_id: str) -> dict:
        story = self.stories.get(story_id)
        if story is None:
            raise NotFound("STORY_NOT_FOUND")
        unlock = self.stories.unlock(user_id, story_id)
        standing = None if unlock else self.standing(user_id)
        events = self._event_totals(user_id, [story]) if standing else {}
        return self._view(story, unlock, standing, events)

    def _view(self, story: dict, unlock: dict | None, standing, events) -> dict:
        view = {
            k: story.get(k)
            for k in (
                "_id",
                "onlus_id",
                "title",
                "teaser",
                "story_type",
                "category",
                "priority",
                "tags",
                "unlock_condition_type",
                "unlock_condition_value",
                "event_starts_at",
                "event_ends_at",
                "featured_until",
            )
        }
        view["is_unlocked"] = unlock is not None
        view["status"] = "unlocked" if unlock else "locked"
        if unlock:
            seen = self._text_seen(story, unlock)
            view.update(
                title=seen.get("title"),
                teaser=seen.get("teaser"),
                content=seen.get("content"),
                media_urls=seen.get("media_urls") or [],
                unlocked_at=unlock["unlocked_at"],
                progress=None,
            )
        else:
            # locked view: title and teaser only, the content stays hidden
            view.update(content=None, media_urls=[], unlocked_at=None, progress=rules.progress(story, standing, events))
        return view

    def _text_seen(self, story: dict, unlock: dict) -> dict:
        """The text of the version the user unlocked (a story edited since keeps it for them)."""
        version = unlock.get("version", 1)
        if version != story.get("version", 1):
            kept = self.stories.text_of_version(story["_id"], version)
            if kept is not None:
                return kept
        return story

    def progress(self, user_id: str) -> dict:
        totals = self.tracking.user(user_id) or {}
        standing = self.standing(user_id, totals)
        all_stories = self.stories.active()
        unlocks = self.stories.unlocks_of(user_id)
        locked = [s for s in all_stories if s["_id"] not in unlocks]
        events = self._event_totals(user_id, locked)
        by_condition: dict[str, dict] = {}
        now = utcnow()
        for story in locked:
            if rules.lifecycle(story, now) != rules.ACTIVE:
                continue  # a campaign not open yet, or closed, is no goal now
            cond = story["unlock_condition_type"]
            current = by_condition.get(cond)
            if current is None or story["unlock_condition_value"] < current["target"]:
                by_condition[cond] = {
                    "story_id": story["_id"],
                    "title": story["title"],
                    "teaser": story.get("teaser"),
                    **rules.progress(story, standing, events),
                }
        milestone_locked = [s for s in locked if s["story_type"] == "milestone"]
        next_story = min(milestone_locked, key=lambda s: s["unlock_condition_value"], default=None)
        return {
            "unlocked_count": len(unlocks),
            "total_count": len(all_stories),
            "level": rules.level_for(standing.total_donated_cents),
            "level_name": rules.LEVEL_NAMES[rules.level_for(standing.total_donated_cents)],
            "total_donated_cents": standing.total_donated_cents,
            "next_milestone": rules.next_milestone(standing.total_donated_cents),
            "next_story": (
                {
                    "story_id": next_story["_id"],
                    "title": next_story["title"],
                    "teaser": next_story.get("teaser"),
                    **rules.progress(next_story, standing, events),
                }
                if next_story
                else None
            ),
            "next_by_condition": list(by_condition.values()),
            **features.progress(features.milestones_in(unlocks), standing.total_donated_cents),
        }

    def story(self, story_id: str) -> dict | None:
        """An active story of the catalog."""
        return self.stories.get(story_id)

    def unlocks_by_trigger(self, user_id: str, trigger: str) -> list[dict]:
        """The user's unlocks that one fact (`donation:<id>`, a credit's source key) triggered."""
        return self.stories.unlocks_for_trigger(user_id, trigger)

    def unlocked_summary(self, user_id: str) -> dict:
        """{count, story_ids} cached per user (cache kind `story_unlocks`)."""

        def compute():
            ids = self.stories.unlocked_ids(user_id)
            return {"count": len(ids), "story_ids": sorted(ids)}

        return self.cache.remember(self.cache.unlocks_key(user_id), "story_unlocks", compute)
