"""Memory Match: flip cards to find pairs on a 6x6 board (18 pairs).

50 points per pair, so a score is a multiple of 50 and at most 900 (the whole board).
Turning two cards takes about a second: no more than 20 pairs (1000 points) a minute.
Universal score: the share of the board cleared, plus a speed bonus for clearing it fast.
"""

from __future__ import annotations

from app.games.models.plugin import GameMetadata, GamePlugin

PAIRS, POINTS_PER_PAIR = 18, 50


class MemoryMatch(GamePlugin):
    metadata = GameMetadata(
        id="memory_match",
        name="Memory Match",
        category="puzzle",
        difficulty="easy",
        description="Find the matching pairs of ONLUS cards; fewer flips, faster clears.",
        min_players=1,
        max_players=2,
        estimated_duration_minutes=4,
    )
    max_score_per_minute = 20 * POINTS_PER_PAIR
    score_step = POINTS_PER_PAIR
    max_score = PAIRS * POINTS_PER_PAIR

    def _universal(self, raw_score, play_seconds):
        cleared = raw_score / self.max_score  # 0..1
        base = 800 * cleared
        if raw_score < self.max_score:
            return base
        # a full board earns up to 200 more, the faster the better (full bonus under a minute)
        speed = min(1.0, 60 / max(play_seconds, 60)) if play_seconds else 1.0
        return base + 200 * speed


PLUGIN = MemoryMatch()
