"""The `social` service other modules use (see the cross-module contract)."""

from __future__ import annotations


class SocialService:
    def __init__(self, *, friends, impact):
        self._friends, self._impact = friends, impact

    def impact_score(self, user_id: str) -> int:
        return self._impact.score(user_id)

    def friend_ids(self, user_id: str) -> list[str]:
        return self._friends.friend_ids(user_id)

    def are_friends(self, a: str, b: str) -> bool:
        return self._friends.are_friends(a, b)
