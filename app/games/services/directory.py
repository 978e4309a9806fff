"""The games module's read-only view for other modules (app.games.contracts.GameDirectory)."""

from __future__ import annotations

from datetime import date, datetime

from app.games.services.catalog import CatalogService
from app.games.services.sessions import SessionService
from app.games.services.teams import TeamService


class GameDirectoryService:
    def __init__(self, *, catalog: CatalogService, teams: TeamService, sessions: SessionService):
        self.catalog, self.teams, self.sessions = catalog, teams, sessions

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

    def play_summary(self, user_id: str, first_day: date, end_day: date) -> dict:
        return self.sessions.play_summary(user_id, first_day, end_day)

    def best_score(self, user_id: str, game_id: str, start: datetime | None, end: datetime | None) -> int | None:
        return self.sessions.best_score(user_id, game_id, start, end)
