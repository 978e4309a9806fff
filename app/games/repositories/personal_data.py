"""What the games module holds about a user, and what an account deletion does to it: the sessions stay (the
ledger's credits point at them) without the device and game state; team memberships end through
TeamService.leave_all first (an owner hands the team over)."""

from __future__ import annotations

from app.core.repositories.personal_data import KEEP, Holding, PersonalRecords


class GameRecords(PersonalRecords):
    holdings = (
        Holding("game_sessions", erase=KEEP, unset=("device_id", "state_json")),
        Holding("play_summaries", field="_id"),
        Holding("challenges", field="challenger_id", erase=KEEP),
        Holding("challenge_participants", erase=KEEP),
        Holding("tournaments", field="participants", erase=KEEP),
        Holding("team_members", erase=KEEP),
        Holding("global_teams", field="owner_id", erase=KEEP),
    )
