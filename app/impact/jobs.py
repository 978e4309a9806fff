"""Scheduled jobs of the impact module (declared in init_app, run by app.core.scheduler)."""
from __future__ import annotations


def declare(container, *, community, visualization) -> None:
    # Day 1 at 00:05 UTC: the month that just closed (and in January the closed year).
    container.add_job("impact_monthly_reports", community.run_scheduled_reports,
                      trigger="cron", day=1, hour=0, minute=5)
    container.add_job("impact_trending_metrics", visualization.refresh_trending, trigger="interval", minutes=5)
    container.add_job("impact_cache_warming", community.warm_cache, trigger="interval", minutes=10)
