"""Scheduled jobs of the impact module."""

from __future__ import annotations

from app.core.scheduler import Job
from app.impact.services import ImpactServices


def schedule(services: ImpactServices) -> list[Job]:
    return [
        # day 1 at 00:05 UTC: the month that just closed (and in January the closed year)
        Job.cron("impact_monthly_reports", services.community.run_scheduled_reports, day=1, hour=0, minute=5),
        Job.every("impact_trending_metrics", services.visualization.refresh_trending, minutes=5),
        Job.every("impact_cache_warming", services.community.warm_cache, minutes=10),
        # Monday 08:00 UTC: the week that just closed, to everyone who asked for it
        Job.cron(
            "impact_weekly_summary", services.weekly_summary.send_closed_week, day_of_week="mon", hour=8, minute=0
        ),
        # this year's and next year's stories of every campaign exist, whenever the app was last initialised
        Job.cron("impact_seasonal_catalog", services.stories.ensure_campaign_instances, hour=0, minute=1),
    ]
