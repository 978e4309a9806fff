"""What the social module offers the other modules."""

from __future__ import annotations

from typing import Protocol


class SocialGraph(Protocol):
    def impact_score(self, user_id: str) -> int:
        """The user's Impact Score."""

    def are_friends(self, a: str, b: str) -> bool:
        """a and b are friends."""


class ModeratedContent(Protocol):
    """Content of one kind that users can report (a team, a challenge message, an ONLUS update...), as the
    module that owns it lets moderators act on it."""

    hideable: bool

    def author_of(self, target_id: str) -> str | None:
        """Who wrote it (the user a decision is notified to), "" when no user did; None when it does not
        exist."""

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        """Leave it out of (or back in) every listing."""
