"""What moderators can do to the games module's content (app.social.contracts.ModeratedContent)."""

from __future__ import annotations

from app.games.repositories.challenges import ChallengeRepository
from app.games.repositories.teams import TeamRepository


class ModeratedTeams:
    hideable = True

    def __init__(self, teams: TeamRepository):
        self.teams = teams

    def author_of(self, target_id: str) -> str | None:
        team = self.teams.by_id(target_id, active_only=False)
        return None if team is None else team.get("owner_id") or ""

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        self.teams.set_hidden(target_id, hidden)


class ModeratedChallengeMessages:
    """A direct challenge's message (the target id is the challenge's)."""

    hideable = True

    def __init__(self, challenges: ChallengeRepository):
        self.challenges = challenges

    def author_of(self, target_id: str) -> str | None:
        challenge = self.challenges.by_id(target_id)
        if challenge is None or not challenge.get("message"):
            return None
        return challenge["challenger_id"]

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        self.challenges.hide_message(target_id, hidden)
