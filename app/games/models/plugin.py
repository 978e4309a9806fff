"""What a game plugin is: its catalog metadata and its scoring rules.

A plugin validates a raw score against the play time the *server* measured (a client
cannot make a score plausible by claiming it played longer) and maps a valid raw score
onto the universal 0..1000 scale that leaderboards, tournaments and achievements use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

UNIVERSAL_MAX = 1000
CATEGORIES = ("word", "puzzle", "trivia", "arcade", "strategy", "casual")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class GameMetadata:
    id: str
    name: str
    category: str
    description: str
    difficulty: str
    min_players: int = 1
    max_players: int = 1
    estimated_duration_minutes: int = 5
    version: str = "1.0"

    def __post_init__(self):
        if not self.id or not self.id.replace("_", "").isalnum() or self.id != self.id.lower():
            raise ValueError(f"game id {self.id!r} must be lower_snake_case")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: unknown category {self.category!r}")
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(f"{self.id}: unknown difficulty {self.difficulty!r}")
        if not 1 <= self.min_players <= self.max_players:
            raise ValueError(f"{self.id}: min_players/max_players out of order")


class GamePlugin:
    """Base class of every game plugin (one instance per module, exposed as `PLUGIN`).

    Subclasses set `metadata`, `max_score_per_minute` and implement `_universal`;
    they may set `score_step` and `max_score`, and add game-specific checks in `_extra_checks`.
    The score rules (`score_step`, `max_score`, `max_score_per_minute`) are published in the catalog.
    """

    metadata: GameMetadata
    max_score_per_minute: int
    max_score: int | None = None  # absolute cap for one session, when the game has one
    score_step: int = 1  # every valid score is a multiple of this (points per answer, pair, letter...)
    grace_seconds: int = 10  # network latency between the last move and `end`
    max_session_minutes: int = 240  # longest play time one session can be credited with

    @property
    def id(self) -> str:
        return self.metadata.id

    def max_plausible_score(self, play_seconds: int) -> int:
        limit = math.floor(self.max_score_per_minute * (max(play_seconds, 0) + self.grace_seconds) / 60)
        return min(limit, self.max_score) if self.max_score is not None else limit

    def check_score(self, raw_score: int, play_seconds: int) -> list[str]:
        """Reasons why raw_score is impossible after play_seconds of play (empty when valid)."""
        if isinstance(raw_score, bool) or not isinstance(raw_score, int) or raw_score < 0:
            return ["Score must be a non-negative integer."]
        problems = []
        limit = self.max_plausible_score(play_seconds)
        if raw_score > limit:
            problems.append(
                f"Score {raw_score} is not possible in {play_seconds}s of play "
                f"(at most {limit} for {self.metadata.name})."
            )
        if raw_score % self.score_step:
            problems.append(f"{self.metadata.name} scores are multiples of {self.score_step}.")
        problems.extend(self._extra_checks(raw_score, play_seconds))
        return problems

    def universal_score(self, raw_score: int, play_seconds: int) -> int:
        """The raw score on the common 0..1000 scale (monotonic in raw_score)."""
        if raw_score <= 0:
            return 0
        value = self._universal(raw_score, max(play_seconds, 0))
        return max(0, min(UNIVERSAL_MAX, int(round(value))))

    # -- for subclasses ---------------------------------------------------------------
    def _extra_checks(self, raw_score: int, play_seconds: int) -> list[str]:
        return []

    def _universal(self, raw_score: int, play_seconds: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def catalog_entry(self) -> dict:
        """The `games` document fields this plugin owns (is_active belongs to admins)."""
        m = self.metadata
        return {
            "name": m.name,
            "category": m.category,
            "description": m.description,
            "difficulty": m.difficulty,
            "min_players": m.min_players,
            "max_players": m.max_players,
            "estimated_duration_minutes": m.estimated_duration_minutes,
            "version": m.version,
            "score_step": self.score_step,
            "max_score_per_minute": self.max_score_per_minute,
            "max_score": self.max_score,
            "plugin": type(self).__module__,
        }
