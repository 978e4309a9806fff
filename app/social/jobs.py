"""Scheduled jobs of the social module (plain functions; each idempotent per period)."""

from __future__ import annotations

from datetime import timedelta

from app.core.clock import utcnow
from app.core.scheduler import Job
from app.social.events import WeeklyReset
from app.social.models.periods import previous_week
from app.social.services import SocialServices

WINNER_BOARDS = ("impact_score", "gaming", "donations")
WINNERS_PER_BOARD = 3


def schedule(services: SocialServices) -> list[Job]:
    hidden = services.leaderboards.preferences.hidden_from_leaderboards
    return [
        Job.cron(
            "social_weekly_reset",
            lambda: weekly_reset(hooks=services.scoring.hooks, boards=services.scoring.boards, hidden=hidden),
            day_of_week="mon",
            hour=0,
            minute=5,
        ),
        Job.cron("social_impact_history", lambda: snapshot_history(scores=services.scoring.scores), hour=0, minute=10),
        Job.every("social_challenges_expire", services.challenges.expire_due, minutes=15),
    ]


def weekly_reset(*, hooks, boards, hidden=lambda: set(), clock=utcnow) -> str:
    """Close the ISO week that just ended: announce its top 3 per board (key weekly_reset:<week>).

    Nothing is wiped: next week's entries already live under their own period key. A second run
    for the same week finds the event already recorded and publishes nothing new."""
    week, closed_at = previous_week(clock())
    key = f"weekly:{week}"
    hidden = set(hidden())  # opted out of public leaderboards: never announced
    winners = []
    for board in WINNER_BOARDS:
        rank, previous = 0, None
        for position, e in enumerate(
            boards.band(
                board,
                key,
                low=boards.tree(board, key).score_at(WINNERS_PER_BOARD + len(hidden)),
                exclude=hidden,
                limit=WINNERS_PER_BOARD + 20,
            ),
            start=1,
        ):
            if e["score"] <= 0:
                break
            if e["score"] != previous:
                rank, previous = position, e["score"]
            if rank > WINNERS_PER_BOARD:
                break
            winners.append({"leaderboard": board, "rank": rank, "user_id": e["user_id"], "score": e["score"]})
    return hooks.publish(WeeklyReset(period=week, closed_at=closed_at, winners=winners), key=f"weekly_reset:{week}")


def snapshot_history(*, scores, clock=utcnow) -> int:
    """Write yesterday's closing Impact Score for every user who had no activity that day."""
    day = (clock() - timedelta(days=1)).strftime("%Y-%m-%d")
    return scores.snapshot_day(day)
