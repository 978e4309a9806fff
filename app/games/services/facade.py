"""`container.service("games")`: the games module's contract with other modules, and the
handle controllers use to reach the module's services."""
from __future__ import annotations

from app.games.services.catalog import CatalogService
from app.games.services.challenges import ChallengeService
from app.games.services.clock import Clock
from app.games.services.modes import ModeManager
from app.games.services.sessions import SessionService
from app.games.services.teams import TeamService
from app.games.services.tournaments import TournamentService


class GamesFacade:
    def __init__(self, *, clock: Clock, catalog: CatalogService, sessions: SessionService, modes: ModeManager,
                 challenges: ChallengeService, teams: TeamService, tournaments: TournamentService):
        self.clock = clock
        self.catalog = catalog
        self.sessions = sessions
        self.modes = modes
        self.challenges = challenges
        self.teams = teams
        self.tournaments = tournaments

    # contract (see the brief's "Cross-module service contracts")
    def get_game(self, game_id: str) -> dict | None:
        return self.catalog.find(game_id)

    def list_games(self, active_only: bool = True) -> list[dict]:
        return self.catalog.list(active_only=active_only)[0]

    def team_ids_of(self, user_id: str) -> list[str]:
        return self.teams.team_ids_of(user_id)

    def team_member_ids(self, team_id: str) -> list[str]:
        return self.teams.team_member_ids(team_id)

    def get_team(self, team_id: str) -> dict | None:
        return self.teams.get_team(team_id)
