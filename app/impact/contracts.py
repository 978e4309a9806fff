"""What the impact module offers the other modules."""

from __future__ import annotations

from typing import Protocol


class LivePush(Protocol):
    def emit(self, name: str, data: dict, *, user_id: str | None = None) -> None:
        """Send event `name` with `data` to the clients of namespace /impact: to one user's room, or to every
        client when user_id is None (through the message queue when one is configured)."""
