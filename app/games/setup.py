"""Database set-up of the games module (run by the init command, never at start-up)."""

from __future__ import annotations

from datetime import timedelta

from app.core.infrastructure import Infrastructure
from app.games.repositories.challenges import ChallengeRepository
from app.games.repositories.games import GameRepository
from app.games.repositories.modes import ModeRepository
from app.games.repositories.sessions import SessionRepository
from app.games.repositories.teams import TeamRepository
from app.games.repositories.tournaments import TournamentRepository
from app.games.services import GamesServices

DEMO_TOURNAMENT_KEY = "demo_eco_quiz_cup"


def install_schema(infra: Infrastructure) -> None:
    db = infra.db
    for repo in (
        GameRepository(db),
        SessionRepository(db),
        ModeRepository(db),
        ChallengeRepository(db),
        TeamRepository(db),
        TournamentRepository(db),
    ):
        repo.create_indexes()


def install_content(infra: Infrastructure, services: GamesServices, *, demo: bool) -> None:
    services.catalog.discover_plugins()
    # default modes are system configuration, not demo data; tests opt in (weekend modes
    # would otherwise change multipliers depending on the day the suite runs)
    if infra.config.get("GAMES_INIT_MODES", infra.config["APP_ENV"] != "testing"):
        services.modes.initialize_system()
    if demo:
        seed_demo(services)


def seed_demo(services: GamesServices) -> None:
    """Demo data: the default modes and one upcoming tournament (idempotent: upserts by stable keys)."""
    services.modes.initialize_system()
    now = services.clock()
    start = (now + timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
    services.tournaments.create(
        "system",
        {
            "name": "Eco Quiz Cup",
            "description": "A week of Eco Quiz: the best total wins. Top three earn wallet credits to donate.",
            "game_id": "eco_quiz",
            "type": "individual",
            "scoring": "total",
            "starts_at": start,
            "ends_at": start + timedelta(days=7),
            "max_participants": 100,
            "prizes": [
                {"rank": 1, "reward_cents": 500},
                {"rank": 2, "reward_cents": 300},
                {"rank": 3, "reward_cents": 100},
            ],
        },
        key=DEMO_TOURNAMENT_KEY,
    )
