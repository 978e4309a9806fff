"""Games module: plugin games, synced sessions, modes, challenges, teams and tournaments.

Collections: games, game_sessions, game_modes, mode_schedules, challenges,
challenge_participants, global_teams, team_members, tournaments.
Publishes GameSessionComplete, TournamentComplete, ChallengeComplete, SessionVoided, SessionApproved; subscribes
to its own GameSessionComplete to advance challenges, and to donations' SessionCreditHeld / SessionCreditSettled
for the review queue of flagged sessions.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from app.core.contracts import UserDirectory
from app.core.infrastructure import Infrastructure
from app.core.services.personal_data import ModulePersonalData
from app.donations.contracts import SessionCrediting, SessionCredits
from app.games import events, handlers, jobs, setup  # noqa: F401  (the factory and the init command use them)
from app.games.controllers import catalog, challenges, fair_play, modes, sessions, teams, tournaments
from app.games.repositories.challenges import ChallengeRepository
from app.games.repositories.games import GameRepository
from app.games.repositories.modes import ModeRepository
from app.games.repositories.personal_data import GameRecords
from app.games.repositories.sessions import SessionRepository
from app.games.repositories.teams import TeamRepository
from app.games.repositories.tournaments import TournamentRepository
from app.games.services import GamesServices
from app.games.services.catalog import CatalogService
from app.games.services.challenges import ChallengeService
from app.games.services.clock import Clock
from app.games.services.directory import GameDirectoryService
from app.games.services.fair_play import FairPlayService
from app.games.services.moderation import ModeratedChallengeMessages, ModeratedTeams
from app.games.services.modes import ModeManager
from app.games.services.sessions import SessionService
from app.games.services.teams import TeamService
from app.games.services.tournaments import TournamentService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (catalog.blp, sessions.blp, fair_play.blp, modes.blp, challenges.blp, teams.blp, tournaments.blp)


def build(
    infra: Infrastructure, *, users: UserDirectory, wallet: SessionCredits, credits: SessionCrediting
) -> GamesServices:
    db, transactions, hooks, config, cache = infra.db, infra.transactions, infra.hooks, infra.config, infra.cache
    sessions_repo = SessionRepository(db)
    clock = Clock()
    catalog_svc = CatalogService(GameRepository(db), clock=clock, cache=cache)
    modes_svc = ModeManager(ModeRepository(db), clock=clock, cache=cache)
    teams_repo, challenges_repo = TeamRepository(db), ChallengeRepository(db)
    teams_svc = TeamService(teams_repo, sessions=sessions_repo, transactions=transactions, users=users, clock=clock)
    challenges_svc = ChallengeService(
        challenges_repo, transactions=transactions, hooks=hooks, catalog=catalog_svc, users=users, clock=clock
    )
    tournaments_svc = TournamentService(
        TournamentRepository(db),
        sessions=sessions_repo,
        transactions=transactions,
        hooks=hooks,
        catalog=catalog_svc,
        teams=teams_svc,
        users=users,
        clock=clock,
    )
    sessions_svc = SessionService(
        sessions_repo,
        transactions=transactions,
        hooks=hooks,
        catalog=catalog_svc,
        modes=modes_svc,
        teams=teams_svc,
        challenges=challenges_svc,
        tournaments=tournaments_svc,
        wallet=wallet,
        credits=credits,
        clock=clock,
        idle_minutes=config.get("GAMES_SESSION_IDLE_MINUTES", 30),
        paused_ttl_hours=config.get("GAMES_PAUSED_SESSION_TTL_HOURS", 24),
    )
    return GamesServices(
        clock=clock,
        catalog=catalog_svc,
        sessions=sessions_svc,
        fair_play=FairPlayService(sessions_repo, transactions=transactions, hooks=hooks, clock=clock),
        modes=modes_svc,
        challenges=challenges_svc,
        teams=teams_svc,
        tournaments=tournaments_svc,
        directory=GameDirectoryService(catalog=catalog_svc, teams=teams_svc, sessions=sessions_svc),
        personal_data=ModulePersonalData("games", GameRecords(db), before_erase=teams_svc.leave_all),
        moderated={
            "team": ModeratedTeams(teams_repo),
            "challenge_message": ModeratedChallengeMessages(challenges_repo),
        },
    )


def init_app(app: Flask, api: Api, services: GamesServices) -> None:
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
