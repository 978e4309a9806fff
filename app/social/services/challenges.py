"""Community (social) challenges: a shared goal, participants who contribute, completion and rewards.

Progress is added by the scoring service when a participant's session or donation lands inside the
challenge's time window; completion and rewards happen there, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.money import cents_to_euros
from app.social.events import SocialActivity
from app.social.repositories.challenges import ACTIVE, EXPIRED, AlreadyJoined, ChallengeRepository

METRICS = ("sessions", "universal_score", "play_minutes", "donation_cents")
VISIBILITIES = ("public", "friends")
MAX_USER_REWARD = 0  # only admins put Impact points on a challenge (users could farm them otherwise)


class ChallengeService:
    def __init__(self, repo: ChallengeRepository, *, friends, users, hooks, clock: Callable[[], datetime] = utcnow):
        self.repo, self.friends, self.users, self.hooks, self.clock = repo, friends, users, hooks, clock

    def create(
        self,
        actor_id: str,
        *,
        is_admin: bool,
        title: str,
        metric: str,
        target: int,
        days: int,
        description: str = "",
        visibility: str = "public",
        reward_points: int = 0,
    ) -> dict:
        if reward_points > MAX_USER_REWARD and not is_admin:
            raise Forbidden("ADMIN_REQUIRED")
        now = self.clock()
        doc = self.repo.insert(
            {
                "title": title.strip(),
                "description": description.strip(),
                "metric": metric,
                "target": int(target),
                "visibility": visibility,
                "created_by": actor_id,
                "starts_at": now,
                "ends_at": now + timedelta(days=days),
                "reward_points": int(reward_points),
            }
        )
        self.join(actor_id, str(doc["_id"]))
        return self.get(actor_id, str(doc["_id"]))

    def _visible(self, actor_id: str, challenge_id: str) -> dict:
        doc = self.repo.get(challenge_id)
        if doc is None or not self._can_see(actor_id, doc):
            raise NotFound("CHALLENGE_NOT_FOUND")
        return doc

    def _can_see(self, actor_id: str, doc: dict) -> bool:
        if doc.get("hidden") and doc.get("created_by") != actor_id:
            return False  # a moderator hid it
        if doc.get("visibility") != "friends" or doc.get("created_by") in (None, actor_id):
            return True
        return self.friends.are_friends(actor_id, doc["created_by"])

    def get(self, actor_id: str, challenge_id: str) -> dict:
        doc = self._visible(actor_id, challenge_id)
        return self._present(actor_id, [doc])[0]

    def page(self, actor_id: str, *, status: str | None, joined: bool, skip: int, limit: int) -> tuple[list, int]:
        if joined:
            rows, total = self.repo.page(status=status, now=self.clock(), joined_by=actor_id, skip=skip, limit=limit)
        else:
            rows, total = self.repo.page(
                status=status,
                now=self.clock(),
                visible_to=[actor_id, *self.friends.friend_ids(actor_id)],
                skip=skip,
                limit=limit,
            )
        return self._present(actor_id, rows), total

    def join(self, actor_id: str, challenge_id: str) -> dict:
        doc = self._visible(actor_id, challenge_id)
        if doc["status"] != ACTIVE or doc["ends_at"] <= self.clock():
            raise Conflict("CHALLENGE_NOT_ACTIVE")
        try:
            self.repo.join(doc["_id"], actor_id)
        except AlreadyJoined as exc:
            raise Conflict("CHALLENGE_ALREADY_JOINED") from exc
        self.hooks.publish(
            SocialActivity(
                user_id=actor_id, activity="challenge_joined", occurred_at=self.clock(), ref_id=str(doc["_id"])
            ),
            key=f"challenge_joined:{doc['_id']}:{actor_id}",
        )
        return self.get(actor_id, challenge_id)

    def leave(self, actor_id: str, challenge_id: str) -> dict:
        doc = self._visible(actor_id, challenge_id)
        participation = self.repo.participation(doc["_id"], actor_id)
        if participation is None:
            raise NotFound("CHALLENGE_PARTICIPATION_NOT_FOUND")
        if doc["status"] != ACTIVE or not self.repo.leave(doc["_id"], actor_id):
            raise Conflict("CHALLENGE_CANNOT_LEAVE")
        return self.get(actor_id, challenge_id)

    def participants(self, actor_id: str, challenge_id: str, skip: int, limit: int) -> tuple[list, int]:
        doc = self._visible(actor_id, challenge_id)
        rows, total = self.repo.participants_page(doc["_id"], skip, limit)
        profiles = self.users.public_profiles([r["user_id"] for r in rows])
        items = [
            {
                "user_id": r["user_id"],
                "display_name": profiles.get(r["user_id"], {}).get("display_name", "Player"),
                "contribution": _amount(doc, r["contribution"]),
                "joined_at": r["joined_at"],
            }
            for r in rows
        ]
        return items, total

    def expire_due(self) -> int:
        return self.repo.expire_due(self.clock())

    def _present(self, actor_id: str, rows: list[dict]) -> list[dict]:
        now = self.clock()
        joined = self.repo.joined_ids(actor_id, [r["_id"] for r in rows])
        out = []
        for r in rows:
            status = EXPIRED if r["status"] == ACTIVE and r["ends_at"] <= now else r["status"]
            out.append(
                {
                    **r,
                    "id": str(r["_id"]),
                    "status": status,
                    "joined": r["_id"] in joined,
                    "target": _amount(r, r["target"]),
                    "progress": _amount(r, min(r["progress"], r["target"])),
                    "percent": min(100, int(r["progress"] * 100 // max(1, r["target"]))),
                }
            )
        return out


def _amount(challenge: dict, value: int):
    return cents_to_euros(value) if challenge["metric"] == "donation_cents" else int(value)
