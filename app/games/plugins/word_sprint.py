"""Word Sprint: build words from seven letters against the clock.

10 points per letter of each valid word. A very fast player finds a 4-letter word every
six seconds, so more than 400 points per minute of play is not humanly possible.
Universal score: diminishing returns (the first thousand points matter most).
"""

from __future__ import annotations

import math

from app.games.models.plugin import GameMetadata, GamePlugin


class WordSprint(GamePlugin):
    metadata = GameMetadata(
        id="word_sprint",
        name="Word Sprint",
        category="word",
        difficulty="medium",
        description="Make as many words as you can from seven letters before the sand runs out.",
        min_players=1,
        max_players=1,
        estimated_duration_minutes=3,
    )
    max_score_per_minute = 400
    score_step = 10  # points per letter of each valid word

    def _universal(self, raw_score, play_seconds):
        return 1000 * (1 - math.exp(-raw_score / 1500))


PLUGIN = WordSprint()
