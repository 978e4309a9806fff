"""Database set-up of the social module (run by the init command, never at start-up)."""

from __future__ import annotations

from datetime import timedelta

from app.core.clock import utcnow
from app.core.infrastructure import Infrastructure
from app.social.models.periods import period_key
from app.social.repositories.achievements import AchievementRepository
from app.social.repositories.challenges import ChallengeRepository
from app.social.repositories.donations import SocialDonationRepository
from app.social.repositories.leaderboards import LeaderboardRepository
from app.social.repositories.moderation import ReportRepository
from app.social.repositories.notifications import NotificationRepository
from app.social.repositories.relationships import RelationshipRepository
from app.social.repositories.scores import ScoreRepository
from app.social.repositories.seasons import SeasonRepository
from app.social.services import SocialServices


def install_schema(infra: Infrastructure) -> None:
    db = infra.db
    boards = LeaderboardRepository(db)
    for repo in (
        RelationshipRepository(db),
        ScoreRepository(db),
        boards,
        AchievementRepository(db),
        ChallengeRepository(db),
        SocialDonationRepository(db),
        SeasonRepository(db),
        ReportRepository(db),
    ):
        repo.create_indexes()
    NotificationRepository(db).create_indexes(read_ttl_days=infra.config.get("NOTIFICATION_READ_TTL_DAYS", 90))
    boards.migrate()


def install_content(infra: Infrastructure, services: SocialServices, *, demo: bool) -> None:
    services.achievements.install_defaults()
    if demo:
        seed_challenges(ChallengeRepository(infra.db))


def seed_challenges(repo: ChallengeRepository) -> None:
    """Demo data: this week's community challenges (one per ISO week; upserted by a stable key)."""
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    week = period_key("weekly", now).split(":", 1)[1]
    common = {"visibility": "public", "created_by": None, "starts_at": monday, "ends_at": monday + timedelta(days=7)}
    repo.upsert_seed(
        f"demo:sessions:{week}",
        {
            **common,
            "title": "Play Together Week",
            "metric": "sessions",
            "target": 500,
            "reward_points": 25,
            "description": "Complete 500 game sessions together this week; every contributor earns Impact points.",
        },
    )
    repo.upsert_seed(
        f"demo:donations:{week}",
        {
            **common,
            "title": "€250 For Good",
            "metric": "donation_cents",
            "target": 25_000,
            "reward_points": 50,
            "description": "Donate €250 together this week to any verified ONLUS.",
        },
    )
