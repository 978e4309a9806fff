"""StoryCatalogService: the operator's stories and recurring campaigns, changed without a release.

A story is a draft until published; published, its window makes it scheduled, active or ended. Its condition
and window can change only while nobody can have unlocked it (draft or scheduled); its text can always
change, as a new version: whoever unlocked an earlier version keeps reading the text they saw. Milestone
stories belong to the milestone ladder (and the features it unlocks) and are not edited here.
"""

from __future__ import annotations

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.impact.models import stories as rules
from app.impact.repositories.stories import StoryRepository
from app.impact.services.cache import ImpactCache
from app.impact.services.story_service import StoryUnlockingService

# what can change only while nobody can have unlocked the story
RULE_FIELDS = ("unlock_condition_type", "unlock_condition_value", "event_starts_at", "event_ends_at", "onlus_id")


class StoryCatalogService:
    def __init__(self, *, stories: StoryRepository, engine: StoryUnlockingService, cache: ImpactCache):
        self.stories, self.engine, self.cache = stories, engine, cache

    # -- stories ------------------------------------------------------------------------------
    def page(self, *, state: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        rows, total = self.stories.admin_page(state, utcnow(), skip=skip, limit=limit)
        return [self._admin_view(r) for r in rows], total

    def get(self, story_id: str) -> dict:
        return self._admin_view(self._story(story_id))

    def create(self, data: dict, *, actor_id: str | None) -> dict:
        doc = _story_fields(data)
        rules.check_window(doc.get("event_starts_at"), doc.get("event_ends_at"), doc["unlock_condition_type"])
        publish = data.get("status") == rules.PUBLISHED
        story_id = data.get("id") or f"story_{utcnow():%Y%m%d%H%M%S%f}"
        doc.update(
            _id=story_id,
            status=rules.PUBLISHED if publish else rules.DRAFT,
            is_active=publish,
            origin="admin",
            version=1,
            created_by=actor_id,
        )
        doc.setdefault("media_urls", [])
        doc.setdefault("tags", [])
        doc.setdefault("featured_until", None)
        if not self.stories.insert(doc):
            raise Conflict("STORY_EXISTS", errors={"id": ["A story with this id exists."]})
        self.cache.catalog_changed()
        return self.get(story_id)

    def update(self, story_id: str, data: dict) -> dict:
        story = self._editable(story_id)
        changes = _story_fields(data, story)
        state = rules.lifecycle(story, utcnow())
        if any(k in changes and changes[k] != story.get(k) for k in RULE_FIELDS) and state not in (
            rules.DRAFT,
            rules.SCHEDULED,
        ):
            raise Conflict("STORY_ALREADY_OPEN", errors={"unlock_condition_type": ["Only the text can change now."]})
        merged = {**story, **changes}
        rules.check_window(merged.get("event_starts_at"), merged.get("event_ends_at"), merged["unlock_condition_type"])
        new_text = any(k in changes and changes[k] != story.get(k) for k in rules.TEXT_FIELDS)
        if new_text:
            self.stories.keep_version(story)
        updated = self.stories.update(story_id, story.get("version", 1), changes, new_version=new_text)
        if updated is None:
            raise Conflict("STORY_CHANGED", errors={"_schema": ["Changed by someone else meanwhile; read it again."]})
        self.cache.catalog_changed()
        return self._admin_view(updated)

    def publish(self, story_id: str) -> dict:
        story = self._editable(story_id)
        if story.get("status", rules.PUBLISHED) != rules.DRAFT:
            raise Conflict("STORY_ALREADY_PUBLISHED")
        self.stories.update(
            story_id, story.get("version", 1), {"status": rules.PUBLISHED, "is_active": True}, new_version=False
        )
        self.cache.catalog_changed()
        return self.get(story_id)

    def end(self, story_id: str) -> dict:
        """Close the story's window now: nobody unlocks it any more; those who did keep it."""
        story = self._editable(story_id)
        now = utcnow()
        if rules.lifecycle(story, now) in (rules.DRAFT, rules.ENDED):
            raise Conflict("STORY_NOT_OPEN")
        fields = {"event_ends_at": now}
        if (story.get("event_starts_at") or now) > now:
            fields["event_starts_at"] = now  # a scheduled story ends before it opens
        self.stories.update(story_id, story.get("version", 1), fields, new_version=False)
        self.cache.catalog_changed()
        return self.get(story_id)

    def delete(self, story_id: str) -> None:
        self._editable(story_id)
        if not self.stories.delete_draft(story_id):
            raise Conflict("STORY_PUBLISHED", errors={"_schema": ["Only a draft is deleted; end a published one."]})
        self.cache.catalog_changed()

    def _story(self, story_id: str) -> dict:
        story = self.stories.get_any(story_id)
        if story is None:
            raise NotFound("STORY_NOT_FOUND")
        return story

    def _editable(self, story_id: str) -> dict:
        story = self._story(story_id)
        if story.get("story_type") == "milestone":
            raise Conflict("MILESTONE_STORY", errors={"_schema": ["Milestone stories follow the milestone ladder."]})
        return story

    @staticmethod
    def _admin_view(story: dict) -> dict:
        return {
            **story,
            "id": story["_id"],
            "state": rules.lifecycle(story, utcnow()),
            "version": story.get("version", 1),
        }

    # -- recurring campaigns --------------------------------------------------------------------
    def campaigns(self) -> list[dict]:
        return [_campaign_view(c) for c in self.stories.campaign_list()]

    def campaign(self, key: str) -> dict:
        return _campaign_view(self._campaign(key))

    def create_campaign(self, data: dict) -> dict:
        doc = _campaign_fields(data)
        rules.Campaign.from_doc(doc).window(utcnow().year)  # the days exist
        if not self.stories.insert_campaign(doc):
            raise Conflict("CAMPAIGN_EXISTS", errors={"key": ["A campaign with this key exists."]})
        self._refresh_instances(doc["_id"])
        return self.campaign(doc["_id"])

    def update_campaign(self, key: str, data: dict) -> dict:
        """The change holds for every year whose window has not opened yet; an opened year keeps its story."""
        doc = _campaign_fields(data, self._campaign(key))
        self.stories.update_campaign(key, {k: v for k, v in doc.items() if k not in ("_id", "created_at")})
        self._refresh_instances(key)
        return self.campaign(key)

    def end_campaign(self, key: str) -> dict:
        """No more yearly stories; the ones already created stay."""
        self._campaign(key)
        self.stories.update_campaign(key, {"status": rules.DRAFT})
        self.cache.catalog_changed()
        return self.campaign(key)

    def _refresh_instances(self, key: str) -> None:
        now = utcnow()
        doc = self._campaign(key)
        campaign = rules.Campaign.from_doc(doc)
        if campaign.status == rules.PUBLISHED:
            for story in self.stories.instances_not_started(key, now):
                self.stories.replace_not_started(campaign.story(story["year"]), now)
            self.engine.ensure_campaign_instances(now)
        self.cache.catalog_changed()

    def _campaign(self, key: str) -> dict:
        doc = self.stories.campaign(key)
        if doc is None:
            raise NotFound("CAMPAIGN_NOT_FOUND")
        return doc


_STORY_INPUT = (
    "title",
    "teaser",
    "content",
    "story_type",
    "category",
    "priority",
    "tags",
    "media_urls",
    "onlus_id",
    "unlock_condition_type",
    "event_starts_at",
    "event_ends_at",
    "featured_until",
)


def _story_fields(data: dict, current: dict | None = None) -> dict:
    """The stored fields of a story's input (amounts in cents); `current`: the story being changed."""
    fields = {k: data[k] for k in _STORY_INPUT if k in data}
    kind = data.get("unlock_condition_type") or (current or {}).get("unlock_condition_type")
    if "unlock_condition_value" in data:
        fields["unlock_condition_value"] = rules.condition_amount(kind, data["unlock_condition_value"])
    elif current is not None and kind != current.get("unlock_condition_type"):
        raise ValidationFailed(
            "INVALID_CONDITION_VALUE", errors={"unlock_condition_value": ["Give the new condition's value too."]}
        )
    return fields


_CAMPAIGN_INPUT = ("title", "teaser", "content", "starts", "ends", "priority", "category", "tags", "status")


def _campaign_fields(data: dict, current: dict | None = None) -> dict:
    """The stored campaign from its input over `current` (amounts in cents)."""
    doc = {**(current or {}), **{k: data[k] for k in _CAMPAIGN_INPUT if k in data}}
    if "key" in data:
        doc["_id"] = data["key"]
    doc.update(_story_fields(data, current))
    doc.setdefault("status", rules.PUBLISHED)
    doc["tags"] = list(doc.get("tags") or [])
    return doc


def _campaign_view(doc: dict) -> dict:
    return {**doc, "key": doc["_id"]}
