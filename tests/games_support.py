"""Shared by the games tests: a settable clock plugged into the games module's services."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

START = datetime(2026, 11, 18, 12, 0, 0)  # a Wednesday: no weekend flag, no default mode windows


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def games(container):
    return container.games


@pytest.fixture
def clock(games):
    fake = FakeClock(START)
    games.clock.fn = fake
    return fake
