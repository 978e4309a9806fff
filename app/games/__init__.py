"""Games module: plugin games, synced sessions, modes, challenges, teams and tournaments.

Collections: games, game_sessions, game_modes, mode_schedules, challenges,
challenge_participants, global_teams, team_members, tournaments.
Registers the `games` service; publishes GameSessionComplete, TournamentComplete,
ChallengeComplete; subscribes to its own GameSessionComplete to advance challenges.
"""
from __future__ import annotations

import logging

from app.games import events
from app.games.controllers import catalog, challenges, modes, sessions, teams, tournaments
from app.games.handlers import make_challenge_progress
from app.games.jobs import make_jobs
from app.games.repositories.challenges import ChallengeRepository
from app.games.repositories.games import GameRepository
from app.games.repositories.modes import ModeRepository
from app.games.repositories.sessions import SessionRepository
from app.games.repositories.teams import TeamRepository
from app.games.repositories.tournaments import TournamentRepository
from app.games.seed import seed_demo
from app.games.services.catalog import CatalogService
from app.games.services.challenges import ChallengeService
from app.games.services.clock import Clock
from app.games.services.facade import GamesFacade
from app.games.services.modes import ModeManager
from app.games.services.sessions import SessionService
from app.games.services.teams import TeamService
from app.games.services.tournaments import TournamentService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

log = logging.getLogger(__name__)
BLUEPRINTS = (catalog.blp, sessions.blp, modes.blp, challenges.blp, teams.blp, tournaments.blp)
# credits_earned reports what actually landed in the wallet (a held credit has not)
_CREDITED = ("credited", "capped")


def _credits_lookup(container):
    def credits(user_id: str, session_id: str) -> int:
        if not container.has("wallet"):
            return 0
        try:
            summary = container.service("wallet").credit_summary(user_id, f"session:{session_id}")
        except Exception:  # the session is complete either way; never fail `end` over a read
            log.exception("wallet credit_summary failed for session %s", session_id)
            return 0
        if not summary or summary.get("status") not in _CREDITED:
            return 0
        return int(summary.get("amount_cents") or 0)

    return credits


def build(app, container) -> GamesFacade:
    db, hooks, config = container.db, container.hooks, app.config
    repos = dict(games=GameRepository(db), sessions=SessionRepository(db), modes=ModeRepository(db),
                 challenges=ChallengeRepository(db), teams=TeamRepository(db), tournaments=TournamentRepository(db))
    for repo in repos.values():
        repo.create_indexes()
    users = container.service("users")
    clock = Clock()
    catalog_svc = CatalogService(repos["games"], clock=clock, cache=container.cache)
    modes_svc = ModeManager(repos["modes"], clock=clock, cache=container.cache)
    teams_svc = TeamService(repos["teams"], sessions=repos["sessions"], db=db, users=users, clock=clock)
    challenges_svc = ChallengeService(repos["challenges"], db=db, hooks=hooks, catalog=catalog_svc, users=users,
                                      clock=clock)
    tournaments_svc = TournamentService(repos["tournaments"], sessions=repos["sessions"], db=db, hooks=hooks,
                                        catalog=catalog_svc, teams=teams_svc, users=users, clock=clock)
    sessions_svc = SessionService(
        repos["sessions"], db=db, hooks=hooks, catalog=catalog_svc, modes=modes_svc, teams=teams_svc,
        challenges=challenges_svc, tournaments=tournaments_svc, clock=clock, credits=_credits_lookup(container),
        idle_minutes=config.get("GAMES_SESSION_IDLE_MINUTES", 30),
        paused_ttl_hours=config.get("GAMES_PAUSED_SESSION_TTL_HOURS", 24))
    return GamesFacade(clock=clock, catalog=catalog_svc, sessions=sessions_svc, modes=modes_svc,
                       challenges=challenges_svc, teams=teams_svc, tournaments=tournaments_svc)


def init_app(app, api, container) -> None:
    hooks = container.hooks

    facade = build(app, container)
    container.register("games", facade)
    facade.catalog.discover_plugins()
    # default modes are system configuration, not demo data; tests opt in (weekend modes
    # would otherwise change multipliers depending on the day the suite runs)
    if app.config.get("GAMES_INIT_MODES", app.config["APP_ENV"] != "testing"):
        facade.modes.initialize_system()

    hooks.subscribe(events.GameSessionComplete, "games:challenge_progress",
                    make_challenge_progress(facade.challenges))

    for blp in BLUEPRINTS:
        api.register_blueprint(blp)

    jobs = make_jobs(facade)
    container.add_job("games_expire_stale_sessions", jobs["games_expire_stale_sessions"],
                      trigger="interval", minutes=5)
    container.add_job("games_tournament_lifecycle", jobs["games_tournament_lifecycle"], trigger="interval", minutes=1)
    container.add_job("games_expire_challenges", jobs["games_expire_challenges"], trigger="interval", minutes=5)
    container.add_seeder("games", lambda: seed_demo(facade))
