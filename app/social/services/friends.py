"""Friend requests, friendships and blocks."""

from __future__ import annotations

from app.core.clock import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.social.events import SocialActivity
from app.social.models.relationships import ACCEPTED, BLOCKED, PENDING, other
from app.social.repositories.relationships import PairTaken, RelationshipRepository


class FriendService:
    def __init__(self, relationships: RelationshipRepository, *, users, preferences, hooks):
        self.relationships = relationships
        self.users, self.preferences, self.hooks = users, preferences, hooks

    # -- requests ---------------------------------------------------------------------------
    def send_request(self, actor_id: str, target_id: str) -> dict:
        if target_id == actor_id:
            raise ValidationFailed(errors={"user_id": ["You cannot befriend yourself."]})
        if not self.users.exists(target_id):
            raise NotFound("USER_NOT_FOUND")
        existing = self.relationships.by_pair(actor_id, target_id)
        if existing:
            self._explain_existing(existing, actor_id)
        if not self.preferences.get(target_id)["privacy"].get("allow_friend_requests", True):
            raise Forbidden("FRIEND_REQUESTS_DISABLED")
        try:
            request = self.relationships.insert_request(actor_id, target_id)
        except PairTaken:
            # the other user (or a parallel click) created the pair first
            self._explain_existing(self.relationships.by_pair(actor_id, target_id) or {}, actor_id)
            raise Conflict("FRIEND_REQUEST_ALREADY_SENT") from None
        self.hooks.publish(
            SocialActivity(
                user_id=actor_id,
                activity="friend_requested",
                occurred_at=request["created_at"],
                target_user_id=target_id,
                ref_id=str(request["_id"]),
            ),
            key=f"friend_requested:{request['_id']}",
        )
        return request

    @staticmethod
    def _explain_existing(rel: dict, actor_id: str) -> None:
        status = rel.get("status")
        if status == BLOCKED:
            if actor_id in rel.get("blocked_by", []):
                raise Conflict("USER_BLOCKED")
            raise NotFound("USER_NOT_FOUND")  # a blocked user must not learn they are blocked
        if status == ACCEPTED:
            raise Conflict("ALREADY_FRIENDS")
        if status == PENDING:
            if rel["requester_id"] == actor_id:
                raise Conflict("FRIEND_REQUEST_ALREADY_SENT")
            raise Conflict("FRIEND_REQUEST_ALREADY_RECEIVED")

    def requests(self, user_id: str) -> dict:
        incoming = self.relationships.pending(user_id, incoming=True)
        outgoing = self.relationships.pending(user_id, incoming=False)
        profiles = self.users.public_profiles({other(r, user_id) for r in incoming + outgoing})

        def present(rows):
            return [dict(r, user=profiles[other(r, user_id)]) for r in rows if other(r, user_id) in profiles]

        return {"incoming": present(incoming), "outgoing": present(outgoing)}

    def _pending_for(self, request_id: str, **owner) -> dict:
        rel = self.relationships.by_id(request_id, **owner)
        if rel is None:
            raise NotFound("FRIEND_REQUEST_NOT_FOUND")
        if rel["status"] != PENDING:
            raise Conflict("FRIEND_REQUEST_NOT_PENDING")
        return rel

    def accept(self, actor_id: str, request_id: str) -> dict:
        rel = self._pending_for(request_id, addressee_id=actor_id)
        accepted = self.relationships.accept(rel["_id"], actor_id)
        if accepted is None:
            raise Conflict("FRIEND_REQUEST_NOT_PENDING")
        self.hooks.publish(
            SocialActivity(
                user_id=actor_id,
                activity="friend_added",
                occurred_at=accepted["accepted_at"],
                target_user_id=rel["requester_id"],
                ref_id=str(rel["_id"]),
            ),
            key=f"friend_added:{rel['_id']}",
        )
        return accepted

    def decline(self, actor_id: str, request_id: str) -> dict:
        rel = self._pending_for(request_id, addressee_id=actor_id)
        if not self.relationships.delete_if(rel["_id"], status=PENDING):
            raise Conflict("FRIEND_REQUEST_NOT_PENDING")
        return dict(rel, status="declined")

    def cancel(self, actor_id: str, request_id: str) -> dict:
        rel = self._pending_for(request_id, requester_id=actor_id)
        if not self.relationships.delete_if(rel["_id"], status=PENDING):
            raise Conflict("FRIEND_REQUEST_NOT_PENDING")
        return dict(rel, status="cancelled")

    # -- friends ----------------------------------------------------------------------------
    def friends_page(self, user_id: str, skip: int, limit: int) -> tuple[list[dict], int]:
        rows, total = self.relationships.friends_page(user_id, skip, limit)
        profiles = self.users.public_profiles([other(r, user_id) for r in rows])
        items = [
            dict(profiles[other(r, user_id)], friends_since=r["accepted_at"])
            for r in rows
            if other(r, user_id) in profiles
        ]
        return items, total

    def unfriend(self, actor_id: str, friend_id: str) -> None:
        rel = self.relationships.by_pair(actor_id, friend_id) if friend_id != actor_id else None
        if not rel or rel["status"] != ACCEPTED or not self.relationships.delete_if(rel["_id"], status=ACCEPTED):
            raise NotFound("FRIEND_NOT_FOUND")
        self.hooks.publish(
            SocialActivity(
                user_id=actor_id,
                activity="friend_removed",
                occurred_at=utcnow(),
                target_user_id=friend_id,
                ref_id=str(rel["_id"]),
            ),
            key=f"friend_removed:{rel['_id']}",
        )

    def friend_ids(self, user_id: str) -> list[str]:
        return self.relationships.friend_ids(user_id)

    def are_friends(self, a: str, b: str) -> bool:
        if a == b:
            return False
        rel = self.relationships.by_pair(a, b)
        return bool(rel and rel["status"] == ACCEPTED)

    # -- blocks -----------------------------------------------------------------------------
    def block(self, actor_id: str, target_id: str) -> dict:
        if target_id == actor_id:
            raise ValidationFailed(errors={"user_id": ["You cannot block yourself."]})
        if not self.users.exists(target_id):
            raise NotFound("USER_NOT_FOUND")
        before = self.relationships.by_pair(actor_id, target_id)
        rel = self.relationships.block(actor_id, target_id)
        if before and before["status"] == ACCEPTED:
            self.hooks.publish(
                SocialActivity(
                    user_id=actor_id,
                    activity="friend_removed",
                    occurred_at=utcnow(),
                    target_user_id=target_id,
                    ref_id=str(before["_id"]),
                ),
                key=f"friend_removed:{before['_id']}",
            )
        return rel

    def unblock(self, actor_id: str, target_id: str) -> None:
        if self.relationships.unblock(actor_id, target_id) is None:
            raise NotFound("BLOCK_NOT_FOUND")

    def blocked_page(self, user_id: str, skip: int, limit: int) -> tuple[list[dict], int]:
        rows, total = self.relationships.blocked_by_page(user_id, skip, limit)
        profiles = self.users.public_profiles([other(r, user_id) for r in rows])
        return [
            dict(profiles[other(r, user_id)], blocked_at=r["updated_at"]) for r in rows if other(r, user_id) in profiles
        ], total

    def is_blocked_between(self, a: str, b: str) -> bool:
        rel = self.relationships.by_pair(a, b)
        return bool(rel and rel["status"] == BLOCKED)

    def search(self, actor_id: str, text: str, limit: int) -> list[dict]:
        """Name search for adding friends: no emails, nobody in a block with the caller, nobody whose
        profile is private (or for friends only, unless a friend), each with the caller's relationship."""
        hidden = self.relationships.block_partners(actor_id)
        # a few more than asked for, as some may keep their profile to themselves or their friends
        rows = self.users.search(text, exclude=[actor_id, *hidden], limit=limit * 2)
        rels = {other(r, actor_id): r for r in self.relationships.of_pairs(actor_id, [u["id"] for u in rows])}
        visibility = {
            user_id: prefs["privacy"].get("profile_visibility", "public")
            for user_id, prefs in self.preferences.many([u["id"] for u in rows]).items()
        }
        rows = [
            u
            for u in rows
            if visibility.get(u["id"], "public") == "public"
            or (visibility[u["id"]] == "friends" and rels.get(u["id"], {}).get("status") == ACCEPTED)
        ][:limit]
        for u in rows:
            rel = rels.get(u["id"])
            if rel is None:
                u["relationship"] = "none"
            elif rel["status"] == ACCEPTED:
                u["relationship"] = "friend"
            else:
                u["relationship"] = "request_sent" if rel["requester_id"] == actor_id else "request_received"
        return rows
