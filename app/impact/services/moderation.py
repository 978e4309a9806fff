"""What moderators can do to ONLUS updates (app.social.contracts.ModeratedContent)."""

from __future__ import annotations

from app.impact.models.updates import PUBLISHED
from app.impact.repositories.updates import UpdateRepository


class ModeratedUpdates:
    hideable = True

    def __init__(self, updates: UpdateRepository):
        self.updates = updates

    def author_of(self, target_id: str) -> str | None:
        """An update is the ONLUS's, published by an admin: no user to notify."""
        update = self.updates.get(target_id)
        return None if update is None or update.get("status") != PUBLISHED else ""

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        self.updates.set_hidden(target_id, hidden)
