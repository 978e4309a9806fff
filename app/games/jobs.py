"""Scheduled jobs of the games module (plain functions over the module's services; idempotent)."""
from __future__ import annotations


def make_jobs(facade) -> dict:
    def expire_stale_sessions() -> int:
        """Open sessions idle past GAMES_SESSION_IDLE_MINUTES (paused: GAMES_PAUSED_SESSION_TTL_HOURS)
        become abandoned: no credits, no event."""
        return facade.sessions.expire_stale()

    def tournament_lifecycle() -> dict:
        """Start scheduled tournaments whose start passed; end (rank, reward once) those whose end passed."""
        return facade.tournaments.run_lifecycle()

    def expire_challenges() -> dict:
        """Expire unanswered challenges; decide active ones whose time is up."""
        return facade.challenges.expire_due()

    return {"games_expire_stale_sessions": expire_stale_sessions,
            "games_tournament_lifecycle": tournament_lifecycle,
            "games_expire_challenges": expire_challenges}
