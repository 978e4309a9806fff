"""Eco Quiz: twenty questions on climate, nature and solidarity.

100 points per correct answer, 20 questions a round, so at most 2000 points. Reading a
question takes time: at most 10 answers (1000 points) per minute. Universal score is
simply accuracy (correct answers out of 20) on the 0..1000 scale.
"""

from __future__ import annotations

from app.games.models.plugin import GameMetadata, GamePlugin

QUESTIONS, POINTS_PER_ANSWER = 20, 100


class EcoQuiz(GamePlugin):
    metadata = GameMetadata(
        id="eco_quiz",
        name="Eco Quiz",
        category="trivia",
        difficulty="medium",
        description="Twenty questions about the planet and the people who look after it.",
        min_players=1,
        max_players=4,
        estimated_duration_minutes=5,
    )
    max_score_per_minute = 10 * POINTS_PER_ANSWER
    score_step = POINTS_PER_ANSWER
    max_score = QUESTIONS * POINTS_PER_ANSWER

    def _universal(self, raw_score, play_seconds):
        return 1000 * raw_score / self.max_score


PLUGIN = EcoQuiz()
