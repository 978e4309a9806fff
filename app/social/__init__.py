"""Social module: friends and blocks, the Impact Score, leaderboards, achievements, community challenges.

Collections: user_relationships, user_impact_scores, impact_score_history, leaderboard_entries,
leaderboard_tree, leaderboard_winners, achievements, user_achievements, social_challenges,
social_challenge_participants, social_donations, social_processed.
"""
from __future__ import annotations

from datetime import timedelta

from app.core.clock import utcnow
from app.social import events, jobs
from app.social.controllers import achievements as achievements_routes
from app.social.controllers import challenges as challenges_routes
from app.social.controllers import friends as friends_routes
from app.social.controllers import leaderboards as leaderboards_routes
from app.social.handlers import SocialHandlers
from app.social.models.periods import period_key
from app.social.repositories.achievements import AchievementRepository
from app.social.repositories.challenges import ChallengeRepository
from app.social.repositories.leaderboards import LeaderboardRepository
from app.social.repositories.relationships import RelationshipRepository
from app.social.repositories.scores import ScoreRepository
from app.social.services.achievements import AchievementService
from app.social.services.challenges import ChallengeService
from app.social.services.friends import FriendService
from app.social.services.impact import ImpactScoreService
from app.social.services.leaderboards import LeaderboardService
from app.social.services.scoring import ScoringService
from app.social.services.social import SocialService

EVENTS = events.EVENTS  # registered by the factory before any module subscribes

BLUEPRINTS = (friends_routes.blp, leaderboards_routes.blp, challenges_routes.blp, achievements_routes.blp)


def init_app(app, api, container) -> None:
    db, hooks = container.db, container.hooks

    relationships, scores, boards = RelationshipRepository(db), ScoreRepository(db), LeaderboardRepository(db)
    achievements_repo, challenges_repo = AchievementRepository(db), ChallengeRepository(db)
    for repo in (relationships, scores, boards, achievements_repo, challenges_repo):
        repo.create_indexes()
    boards.migrate()
    db["social_donations"].create_index("user_id")

    users, preferences = container.service("users"), container.service("preferences")
    friends = FriendService(relationships, users=users, preferences=preferences, hooks=hooks)
    leaderboards = LeaderboardService(boards, container=container, friend_ids=friends.friend_ids)
    impact = ImpactScoreService(scores, leaderboards=leaderboards)
    achievements = AchievementService(achievements_repo, scores=scores, container=container, friends=friends)
    challenges = ChallengeService(challenges_repo, friends=friends, users=users, hooks=hooks)
    scoring = ScoringService(db, hooks, scores=scores, boards=boards, achievements=achievements_repo,
                             challenges=challenges_repo)
    achievements.install_defaults()

    container.register("social", SocialService(friends=friends, impact=impact))
    container.register("social_friends", friends)
    container.register("social_leaderboards", leaderboards)
    container.register("social_impact", impact)
    container.register("social_achievements", achievements)
    container.register("social_challenges", challenges)
    container.register("social_scoring", scoring)

    SocialHandlers(scoring, relationships=relationships, boards=boards, db=db).subscribe(hooks)

    for blp in BLUEPRINTS:
        api.register_blueprint(blp)

    container.add_job("social_weekly_reset",
                      lambda: jobs.weekly_reset(hooks=hooks, boards=boards,
                                                hidden=lambda: preferences.hidden_from_leaderboards()),
                      trigger="cron", day_of_week="mon", hour=0, minute=5, misfire_grace_time=None, coalesce=True)
    container.add_job("social_impact_history", lambda: jobs.snapshot_history(scores=scores),
                      trigger="cron", hour=0, minute=10, misfire_grace_time=None, coalesce=True)
    container.add_job("social_challenges_expire", challenges.expire_due, trigger="interval", minutes=15)
    container.add_seeder("social_challenges", lambda: seed_challenges(challenges_repo))


def seed_challenges(repo: ChallengeRepository) -> None:
    """Demo data: this week's community challenges (one per ISO week; upserted by a stable key)."""
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    week = period_key("weekly", now).split(":", 1)[1]
    common = {"visibility": "public", "created_by": None, "starts_at": monday, "ends_at": monday + timedelta(days=7)}
    repo.upsert_seed(f"demo:sessions:{week}", {
        **common, "title": "Play Together Week", "metric": "sessions", "target": 500, "reward_points": 25,
        "description": "Complete 500 game sessions together this week; every contributor earns Impact points."})
    repo.upsert_seed(f"demo:donations:{week}", {
        **common, "title": "€250 For Good", "metric": "donation_cents", "target": 25_000, "reward_points": 50,
        "description": "Donate €250 together this week to any verified ONLUS."})
