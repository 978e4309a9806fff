"""Hook subscribers of the core module: none (core publishes, other modules listen)."""

from __future__ import annotations

from app.core.hooks import Subscription
from app.core.services import CoreServices


def subscriptions(services: CoreServices) -> list[Subscription]:
    return []
