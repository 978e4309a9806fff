"""Hook subscribers owned by the games module."""

from __future__ import annotations

from app.core.hooks import Event, Subscription
from app.donations.events import SessionCreditHeld, SessionCreditSettled
from app.games.events import GameSessionComplete
from app.games.services import GamesServices
from app.games.services.challenges import ChallengeService


def subscriptions(services: GamesServices) -> list[Subscription]:
    fair_play = services.fair_play
    return [
        Subscription(GameSessionComplete, "games:challenge_progress", challenge_progress(services.challenges)),
        # idempotent: a session enters the queue once, and a review closes once
        Subscription(SessionCreditHeld, "games:review_flagged_session", lambda event: fair_play.flag(event.payload)),
        Subscription(
            SessionCreditSettled, "games:close_session_review", lambda event: fair_play.settled(event.payload)
        ),
    ]


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
