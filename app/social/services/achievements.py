"""Achievement catalog, a user's progress and badges; installs the default definitions."""

from __future__ import annotations

from app.core.clock import utcnow
from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.social.models import achievements as rules
from app.social.models.achievements import DEFAULT_ACHIEVEMENTS, progress_of
from app.social.repositories.achievements import AchievementRepository
from app.social.repositories.scores import ScoreRepository
from app.social.services.friends import FriendService


class AchievementService:
    def __init__(
        self,
        repo: AchievementRepository,
        *,
        scores: ScoreRepository,
        users: UserDirectory,
        preferences: UserPreferences,
        friends: FriendService,
    ):
        self.repo, self.scores, self.users, self.preferences, self.friends = repo, scores, users, preferences, friends

    def install_defaults(self) -> int:
        return self.repo.install([d.as_doc() for d in DEFAULT_ACHIEVEMENTS])

    def catalog(self, user_id: str) -> list[dict]:
        """Every active achievement; hidden ones only once the caller has unlocked them."""
        unlocked = {p["achievement_id"] for p in self.repo.unlocked(user_id)}
        return [_definition(d) for d in self.repo.active() if not d.get("hidden") or d["_id"] in unlocked]

    def progress(self, user_id: str) -> list[dict]:
        """Every active achievement with the caller's progress: its target once unlocked, else the
        caller's current stat for its metric."""
        unlocked = {p["achievement_id"]: p["unlocked_at"] for p in self.repo.unlocked(user_id)}
        stats = (self.scores.get(user_id) or {}).get("stats") or {}
        rows = []
        for d in self.repo.active():
            at = unlocked.get(d["_id"])
            if d.get("hidden") and not at:
                continue
            rows.append(
                {
                    **_definition(d),
                    "achievement_id": d["_id"],
                    "progress": int(d["target"]) if at else progress_of(d, stats),
                    "target": int(d["target"]),
                    "unlocked_at": at,
                    "unlocked": bool(at),
                }
            )
        return rows

    def badges(self, user_id: str) -> list[dict]:
        """Every badge the user earned, a retired achievement's too."""
        earned = self.repo.unlocked(user_id)
        definitions = self.repo.by_ids([p["achievement_id"] for p in earned])
        return [
            {
                **_definition(definitions[p["achievement_id"]]),
                "achievement_id": p["achievement_id"],
                "unlocked_at": p["unlocked_at"],
            }
            for p in earned
            if p["achievement_id"] in definitions
        ]

    def public_badges(self, viewer_id: str, owner_id: str) -> list[dict]:
        """Another user's badges, as far as their privacy settings and blocks allow (else 404)."""
        if viewer_id != owner_id:
            if not self.users.exists(owner_id) or self.friends.is_blocked_between(viewer_id, owner_id):
                raise NotFound("USER_NOT_FOUND")
            visibility = self.preferences.get(owner_id)["privacy"].get("profile_visibility")
            friends_only = visibility == "friends" and not self.friends.are_friends(viewer_id, owner_id)
            if visibility == "private" or friends_only:
                raise NotFound("USER_NOT_FOUND")
        return self.badges(owner_id)

    # -- the operator's catalog ------------------------------------------------------------------
    def admin_list(self) -> list[dict]:
        return [_admin_view(d) for d in self.repo.every_definition()]

    def admin_get(self, achievement_id: str) -> dict:
        return _admin_view(self._definition(achievement_id))

    def create(self, data: dict) -> dict:
        doc = _fields(data)
        _check_window(doc)
        status = data.get("status", rules.DRAFT)
        achievement_id = data.get("id") or f"custom_{utcnow():%Y%m%d%H%M%S%f}"
        doc.update(
            _id=achievement_id,
            status=status,
            is_active=status == rules.ACTIVE,
            origin="admin",
            series=data.get("series") or achievement_id,
            level=data.get("level", 1),
            hidden=data.get("hidden", False),
            badge=data.get("badge") or achievement_id,
        )
        doc.setdefault("description", "")
        if not self.repo.insert(doc):
            raise Conflict("ACHIEVEMENT_EXISTS", errors={"id": ["An achievement with this id exists."]})
        return self.admin_get(achievement_id)

    def update(self, achievement_id: str, data: dict) -> dict:
        """Name, description, badge, points, hidden and window can always change (points count for the unlocks
        to come); the condition (metric, target) only while a draft, since others may have unlocked it."""
        current = self._definition(achievement_id)
        changes = _fields(data, current)
        condition = {k for k in ("metric", "target") if k in changes and changes[k] != current.get(k)}
        if condition and rules.status_of(current) != rules.DRAFT:
            raise Conflict("ACHIEVEMENT_PUBLISHED", errors={"target": ["The condition is fixed once published."]})
        _check_window({**current, **changes})
        status = rules.DRAFT if condition else None
        doc = self.repo.update(achievement_id, changes, status=status)
        if doc is None:
            raise Conflict("ACHIEVEMENT_PUBLISHED", errors={"target": ["Published meanwhile."]})
        return _admin_view(doc)

    def publish(self, achievement_id: str) -> dict:
        self._definition(achievement_id)
        doc = self.repo.update(achievement_id, {"status": rules.ACTIVE, "is_active": True}, status=rules.DRAFT)
        if doc is None:
            raise Conflict("ACHIEVEMENT_NOT_DRAFT")
        return _admin_view(doc)

    def retire(self, achievement_id: str) -> dict:
        """It unlocks no more and leaves the catalog; the badges earned stay."""
        current = self._definition(achievement_id)
        if rules.status_of(current) == rules.RETIRED:
            raise Conflict("ACHIEVEMENT_RETIRED")
        doc = self.repo.update(achievement_id, {"status": rules.RETIRED, "is_active": False})
        return _admin_view(doc)

    def _definition(self, achievement_id: str) -> dict:
        doc = self.repo.get(achievement_id)
        if doc is None:
            raise NotFound("ACHIEVEMENT_NOT_FOUND")
        return doc


_INPUT = ("name", "description", "category", "points", "badge", "hidden", "starts_at", "ends_at")


def _fields(data: dict, current: dict | None = None) -> dict:
    fields = {k: data[k] for k in _INPUT if k in data}
    metric = data.get("metric") or (current or {}).get("metric")
    if "metric" in data:
        fields["metric"] = data["metric"]
    if "target" in data:
        fields["target"] = rules.stored_target(metric, data["target"])
    elif current is not None and metric != current.get("metric"):
        raise ValidationFailed("INVALID_TARGET", errors={"target": ["Give the new metric's target too."]})
    if "metric" in fields or "target" in fields:
        target = fields.get("target", (current or {}).get("target"))
        fields["condition"] = {"metric": metric, "op": ">=", "target": target}
    return fields


def _check_window(doc: dict) -> None:
    start, end = doc.get("starts_at"), doc.get("ends_at")
    if start and end and end <= start:
        raise ValidationFailed("INVALID_WINDOW", errors={"ends_at": ["Must be after starts_at."]})


def _admin_view(d: dict) -> dict:
    return {
        **_definition(d),
        "status": rules.status_of(d),
        "starts_at": d.get("starts_at"),
        "ends_at": d.get("ends_at"),
        "origin": d.get("origin", "default"),
    }


def _definition(d: dict) -> dict:
    return {
        "id": d["_id"],
        "name": d["name"],
        "description": d.get("description", ""),
        "category": d["category"],
        "badge": d.get("badge"),
        "points": int(d.get("points", 0)),
        "target": int(d["target"]),
        "metric": d["metric"],
        "level": int(d.get("level", 1)),
        "series": d.get("series"),
        "hidden": bool(d.get("hidden", False)),
        "condition": d.get("condition"),
    }
