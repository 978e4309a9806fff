"""Scheduled jobs of the social module (each idempotent per period)."""

from __future__ import annotations

from app.core.scheduler import Job
from app.social.services import SocialServices


def schedule(services: SocialServices) -> list[Job]:
    return [
        Job.cron("social_weekly_reset", services.leaderboards.close_week, day_of_week="mon", hour=0, minute=5),
        Job.cron("social_impact_history", services.impact.snapshot_history, hour=0, minute=10),
        Job.every("social_challenges_expire", services.challenges.expire_due, minutes=15),
        Job.every("social_seasons_close", services.seasons.close_due, minutes=5),
    ]
