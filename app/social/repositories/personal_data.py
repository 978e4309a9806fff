"""What the social module holds about a user, and what an account deletion does to it."""

from __future__ import annotations

from app.core.repositories.personal_data import KEEP, SCRUB, Holding, PersonalRecords


class SocialRecords(PersonalRecords):
    holdings = (
        Holding("user_relationships", field="members"),  # friendships, requests and blocks, both sides
        Holding("user_impact_scores", field="_id"),
        Holding("impact_score_history"),
        Holding("user_achievements"),
        Holding("leaderboard_entries", erase=KEEP),  # taken off the boards by LeaderboardRepository.remove_user
        Holding("leaderboard_winners"),
        Holding("notifications"),
        Holding("notifications", field="data.user_id", erase=SCRUB, export=False),  # others' naming the user
        Holding("notification_cursors", field="_id", export=False),
        Holding("social_challenge_participants"),
        Holding("social_challenges", field="created_by", erase=KEEP),
        Holding("social_donations", export=False),
        Holding("season_standings"),
        Holding("season_rewards"),
    )
