from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow


class Clock:
    """The one clock every games service reads; tests swap `fn` to move time without sleeping."""

    def __init__(self, fn: Callable[[], datetime] = utcnow):
        self.fn = fn

    def __call__(self) -> datetime:
        return self.fn()
