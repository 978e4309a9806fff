"""Global teams: create, join (size-limited), leave, roles; team score from members' sessions."""

from __future__ import annotations

from app.core.contracts import UserDirectory
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.transactions import Transactions
from app.games.models import team as rules
from app.games.repositories.sessions import SessionRepository
from app.games.repositories.teams import AlreadyInTeam, TeamNameTaken, TeamRepository
from app.games.services.clock import Clock


class TeamService:
    def __init__(
        self,
        teams: TeamRepository,
        *,
        sessions: SessionRepository,
        transactions: Transactions,
        users: UserDirectory,
        clock: Clock,
    ):
        self.repo = teams
        self.sessions = sessions
        self.transactions = transactions
        self.users = users
        self.clock = clock

    # -- contract for other modules ----------------------------------------------------------
    def team_ids_of(self, user_id: str) -> list[str]:
        membership = self.repo.membership(user_id)
        return [membership["team_id"]] if membership else []

    def team_member_ids(self, team_id: str) -> list[str]:
        return [m["user_id"] for m in self.repo.members_of(team_id)]

    def get_team(self, team_id: str) -> dict | None:
        team = self.repo.by_id(team_id)
        return self._summary(team) if team else None

    def names(self, team_ids: list[str]) -> dict[str, str]:
        return {str(t["_id"]): t["name"] for t in self.repo.by_ids(team_ids)}

    # -- reads ---------------------------------------------------------------------------
    def _summary(self, team: dict, score: dict | None = None) -> dict:
        tid = str(team["_id"])
        score = score if score is not None else self.sessions.team_scores([tid]).get(tid, {})
        return {
            "id": tid,
            "name": team["name"],
            "description": team.get("description", ""),
            "owner_id": team["owner_id"],
            "member_count": team["member_count"],
            "max_members": team["max_members"],
            "is_active": team["is_active"],
            "score": score.get("score", 0),
            "sessions_played": score.get("sessions", 0),
            "created_at": team["created_at"],
        }

    def get(self, team_id: str) -> dict:
        team = self.repo.by_id(team_id)
        if team is None:
            raise NotFound("TEAM_NOT_FOUND")
        members = self.repo.members_of(str(team["_id"]))
        names = self.users.display_names([m["user_id"] for m in members])
        return {
            **self._summary(team),
            "members": [
                {
                    "user_id": m["user_id"],
                    "display_name": names.get(m["user_id"], ""),
                    "role": m["role"],
                    "joined_at": m["joined_at"],
                }
                for m in members
            ],
        }

    def list(self, *, search: str | None, skip: int, limit: int):
        rows, total = self.repo.find(search=search, skip=skip, limit=limit)
        scores = self.sessions.team_scores([str(r["_id"]) for r in rows])
        return [self._summary(r, scores.get(str(r["_id"]), {})) for r in rows], total

    def mine(self, user_id: str) -> dict:
        membership = self.repo.membership(user_id)
        if membership is None:
            raise NotFound("TEAM_NOT_FOUND")
        return self.get(membership["team_id"])

    def role_of(self, team_id: str, user_id: str) -> str | None:
        member = self.repo.member(team_id, user_id)
        return member["role"] if member else None

    # -- writes ---------------------------------------------------------------------------
    def create(
        self, owner_id: str, *, name: str, description: str = "", max_members: int = rules.DEFAULT_TEAM_SIZE
    ) -> dict:
        if self.repo.membership(owner_id):
            raise Conflict("ALREADY_IN_TEAM")
        now = self.clock()
        team = {
            "name": " ".join(name.split()),
            "name_key": rules.name_key(name),
            "description": description,
            "owner_id": owner_id,
            "member_count": 1,
            "max_members": max_members,
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }

        def work(s):
            team.pop("_id", None)
            self.repo.insert_team(team, session=s)
            self.repo.insert_member(
                {"team_id": str(team["_id"]), "user_id": owner_id, "role": rules.OWNER, "joined_at": now}, session=s
            )

        try:
            self.transactions.run(work)
        except AlreadyInTeam as exc:
            raise Conflict("ALREADY_IN_TEAM") from exc
        except TeamNameTaken as exc:
            # the owner may have joined another team meanwhile: that is the conflict to report then
            raise Conflict("ALREADY_IN_TEAM" if self.repo.membership(owner_id) else "TEAM_NAME_TAKEN") from exc
        return self.get(str(team["_id"]))

    def join(self, user_id: str, team_id: str) -> dict:
        team = self.repo.by_id(team_id)
        if team is None:
            raise NotFound("TEAM_NOT_FOUND")
        tid = str(team["_id"])
        if self.repo.membership(user_id):
            raise Conflict("ALREADY_IN_TEAM")
        now = self.clock()

        def work(s):
            if self.repo.take_seat(tid, session=s) is None:
                raise Conflict("TEAM_FULL")
            self.repo.insert_member(
                {"team_id": tid, "user_id": user_id, "role": rules.MEMBER, "joined_at": now}, session=s
            )

        try:
            self.transactions.run(work)
        except AlreadyInTeam as exc:
            raise Conflict("ALREADY_IN_TEAM") from exc
        return self.get(tid)

    def leave(self, user_id: str, team_id: str) -> dict:
        """Leave the team; an owner hands over to the longest-serving admin (else member); the last
        one out closes the team."""
        member = self.repo.member(team_id, user_id)
        if member is None:
            raise NotFound("TEAM_MEMBERSHIP_NOT_FOUND")
        now = self.clock()

        def work(s):
            members = self.repo.members_of(team_id, session=s)
            if not self.repo.delete_member(team_id, user_id, session=s):
                raise NotFound("TEAM_MEMBERSHIP_NOT_FOUND")
            self.repo.free_seat(team_id, session=s)
            if member["role"] == rules.OWNER:
                heir = rules.successor([m for m in members if m["user_id"] != user_id])
                if heir is None:
                    self.repo.close(team_id, now, session=s)
                else:
                    self.repo.set_role(team_id, heir["user_id"], rules.OWNER, session=s)
                    self.repo.hand_over(team_id, heir["user_id"], now, session=s)

        self.transactions.run(work)
        team = self.repo.by_id(team_id, active_only=False)
        return self._summary(team)

    def leave_all(self, user_id: str) -> int:
        """Leave every team (a deleted account); how many."""
        team_ids = self.team_ids_of(user_id)
        for team_id in team_ids:
            try:
                self.leave(user_id, team_id)
            except NotFound:  # left meanwhile
                pass
        return len(team_ids)

    def remove_member(self, actor_id: str, team_id: str, target_id: str) -> dict:
        actor, target = self._pair(team_id, actor_id, target_id)
        if not rules.can_remove(actor["role"], target["role"]):
            raise Forbidden("TEAM_PERMISSION_DENIED")

        def work(s):
            if self.repo.delete_member(team_id, target_id, session=s):
                self.repo.free_seat(team_id, session=s)

        self.transactions.run(work)
        return self.get(team_id)

    def set_role(self, actor_id: str, team_id: str, target_id: str, role: str) -> dict:
        actor, target = self._pair(team_id, actor_id, target_id)
        if target["role"] == rules.OWNER or not rules.can_set_role(actor["role"], role):
            raise Forbidden("TEAM_PERMISSION_DENIED")
        self.repo.set_role(team_id, target_id, role)
        return self.get(team_id)

    def _pair(self, team_id: str, actor_id: str, target_id: str) -> tuple[dict, dict]:
        if self.repo.by_id(team_id) is None:
            raise NotFound("TEAM_NOT_FOUND")
        actor = self.repo.member(team_id, actor_id)
        if actor is None:
            raise Forbidden("TEAM_PERMISSION_DENIED")
        target = self.repo.member(team_id, target_id)
        if target is None:
            raise NotFound("TEAM_MEMBERSHIP_NOT_FOUND")
        return actor, target
