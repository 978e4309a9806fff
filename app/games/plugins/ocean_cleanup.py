"""Ocean Cleanup: steer a boat and scoop plastic before it sinks.

Any integer score; combo chains make it grow fast but never beyond 1500 points a minute.
Universal score follows a square-root curve reaching 1000 at 60 000 points (a long,
excellent run), so beginners still see progress.
"""

from __future__ import annotations

import math

from app.games.models.plugin import GameMetadata, GamePlugin


class OceanCleanup(GamePlugin):
    metadata = GameMetadata(
        id="ocean_cleanup",
        name="Ocean Cleanup",
        category="arcade",
        difficulty="hard",
        description="Scoop up the plastic before it reaches the reef; chain pickups for combos.",
        min_players=1,
        max_players=1,
        estimated_duration_minutes=8,
    )
    max_score_per_minute = 1500
    full_marks = 60_000

    def _universal(self, raw_score, play_seconds):
        return 1000 * math.sqrt(min(raw_score, self.full_marks) / self.full_marks)


PLUGIN = OceanCleanup()
