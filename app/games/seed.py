"""Demo data: the default modes and one upcoming tournament (idempotent: upserts by stable keys)."""
from __future__ import annotations

from datetime import timedelta

DEMO_TOURNAMENT_KEY = "demo_eco_quiz_cup"


def seed_demo(facade) -> None:
    facade.modes.initialize_system()
    now = facade.clock()
    start = (now + timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
    facade.tournaments.create("system", {
        "name": "Eco Quiz Cup",
        "description": "A week of Eco Quiz: the best total wins. Top three earn wallet credits to donate.",
        "game_id": "eco_quiz", "type": "individual", "scoring": "total",
        "starts_at": start, "ends_at": start + timedelta(days=7), "max_participants": 100,
        "prizes": [{"rank": 1, "reward_cents": 500}, {"rank": 2, "reward_cents": 300},
                   {"rank": 3, "reward_cents": 100}],
    }, key=DEMO_TOURNAMENT_KEY)
