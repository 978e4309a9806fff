"""Scheduled jobs of the games module (each idempotent)."""

from __future__ import annotations

from app.core.scheduler import Job
from app.games.services import GamesServices


def schedule(services: GamesServices) -> list[Job]:
    return [
        # open sessions idle past GAMES_SESSION_IDLE_MINUTES (paused: GAMES_PAUSED_SESSION_TTL_HOURS)
        # become abandoned: no credits, no event
        Job.every("games_expire_stale_sessions", services.sessions.expire_stale, minutes=5),
        # start scheduled tournaments whose start passed; end (rank, reward once) those whose end passed
        Job.every("games_tournament_lifecycle", services.tournaments.run_lifecycle, minutes=1),
        # expire unanswered challenges; decide active ones whose time is up
        Job.every("games_expire_challenges", services.challenges.expire_due, minutes=5),
    ]
