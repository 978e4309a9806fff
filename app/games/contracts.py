"""What the games module offers the other modules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol


class GameDirectory(Protocol):
    def get_game(self, game_id: str) -> dict | None:
        """The catalog entry of a game; None when there is no such game."""

    def team_ids_of(self, user_id: str) -> list[str]:
        """The global teams the user belongs to."""

    def team_member_ids(self, team_id: str) -> list[str]:
        """The members of a global team."""

    def best_score(self, user_id: str, game_id: str, start: datetime | None, end: datetime | None) -> int | None:
        """The best universal score of the user's completed (not voided) sessions of the game completed in
        [start, end) (no bound where None); None when there is none."""


class PlayRecords(Protocol):
    def play_summary(self, user_id: str, first_day: date, end_day: date) -> dict:
        """{sessions, play_seconds}: the user's sessions completed on first_day <= day < end_day (UTC days)."""
