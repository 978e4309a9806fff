"""What the impact module holds about a user, and what an account deletion does to it (the ONLUS and
platform totals are sums over everyone and stay)."""

from __future__ import annotations

from app.core.repositories.personal_data import KEEP, Holding, PersonalRecords


class ImpactRecords(PersonalRecords):
    holdings = (
        Holding("impact_user_totals", field="_id"),
        Holding("impact_timeline"),
        Holding("impact_story_unlocks"),
        Holding("impact_update_engagements", erase=KEEP),  # likes and shares stay counted
    )
