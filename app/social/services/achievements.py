"""Achievement catalog, a user's progress and badges; installs the default definitions."""

from __future__ import annotations

from app.core.contracts import UserDirectory, UserPreferences
from app.core.errors import NotFound
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
        definitions = {d["_id"]: d for d in self.repo.active()}
        return [
            {
                **_definition(definitions[p["achievement_id"]]),
                "achievement_id": p["achievement_id"],
                "unlocked_at": p["unlocked_at"],
            }
            for p in self.repo.unlocked(user_id)
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
