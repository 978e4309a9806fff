"""Games module."""
from __future__ import annotations

from app.games import events


def init_app(app, api, container) -> None:
    for event in events.EVENTS:
        container.hooks.register_event(event)
