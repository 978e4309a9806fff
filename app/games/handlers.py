"""Hook subscribers owned by the games module."""

from __future__ import annotations

from app.core.hooks import Event, Subscription
from app.games.events import GameSessionComplete
from app.games.services import GamesServices
from app.games.services.challenges import ChallengeService


def subscriptions(services: GamesServices) -> list[Subscription]:
    return [Subscription(GameSessionComplete, "games:challenge_progress", challenge_progress(services.challenges))]


def challenge_progress(challenges: ChallengeService):
    """GameSessionComplete -> the bound challenge participant has played (maybe deciding the challenge).

    Idempotent: the participant moves accepted -> played once; deciding is a guarded transition.
    """

    def handle(event: Event) -> None:
        p = event.payload
        if not p.challenge_id:
            return
        challenges.record_play(
            challenge_id=p.challenge_id,
            user_id=p.user_id,
            session_id=p.session_id,
            universal_score=p.universal_score,
            raw_score=p.raw_score,
            completed_at=p.completed_at,
        )

    return handle
