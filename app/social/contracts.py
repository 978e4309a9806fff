"""What the social module offers the other modules."""

from __future__ import annotations

from typing import Protocol


class SocialGraph(Protocol):
    def impact_score(self, user_id: str) -> int:
        """The user's Impact Score."""

    def are_friends(self, a: str, b: str) -> bool:
        """a and b are friends."""
