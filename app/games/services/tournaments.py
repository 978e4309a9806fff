"""Tournaments: scheduled -> active -> completed, atomic seats, live leaderboard, one-time end step.

Scores come straight from completed sessions started for the tournament (sum or best of their
universal scores), so the leaderboard cannot double count. Ending is a guarded transition
(scheduled|active -> completed) in one transaction with the outbox record of
TournamentComplete (key tournament:<id>): however often the job or an admin runs the end
step, results are ranked once and rewards (paid by donations from the event) once.
"""

from __future__ import annotations

import logging

from app.core.contracts import UserDirectory
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.games.events import TournamentComplete, TournamentStarted
from app.games.models import competition as c
from app.games.models import team as team_rules
from app.games.repositories.sessions import SessionRepository
from app.games.repositories.tournaments import TournamentRepository
from app.games.services.catalog import CatalogService
from app.games.services.clock import Clock
from app.games.services.teams import TeamService

log = logging.getLogger(__name__)


class TournamentService:
    def __init__(
        self,
        tournaments: TournamentRepository,
        *,
        sessions: SessionRepository,
        transactions: Transactions,
        hooks: HookManager,
        catalog: CatalogService,
        teams: TeamService,
        users: UserDirectory,
        clock: Clock,
    ):
        self.repo = tournaments
        self.sessions = sessions
        self.transactions = transactions
        self.hooks = hooks
        self.catalog = catalog
        self.teams = teams
        self.users = users
        self.clock = clock

    # -- create / read -------------------------------------------------------------------
    def create(self, actor_id: str, data: dict, *, key: str | None = None) -> dict:
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationFailed(errors={"ends_at": ["Must be after starts_at."]})
        if data.get("game_id"):
            self.catalog.get(data["game_id"])
        ranks = [p["rank"] for p in data.get("prizes", [])]
        if len(ranks) != len(set(ranks)):
            raise ValidationFailed(errors={"prizes": ["One prize per rank."]})
        now = self.clock()
        doc = {
            "name": data["name"],
            "description": data.get("description", ""),
            "game_id": data.get("game_id"),
            "type": data.get("type", c.INDIVIDUAL),
            "scoring": data.get("scoring", c.TOTAL),
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "status": c.T_ACTIVE if data["starts_at"] <= now else c.SCHEDULED,
            "max_participants": data["max_participants"],
            "participants": [],
            "participants_count": 0,
            "prizes": sorted(data.get("prizes", []), key=lambda p: p["rank"]),
            "results": [],
            "standings": [],
            "created_by": actor_id,
            "created_at": now,
            "updated_at": now,
            "started_at": now if data["starts_at"] <= now else None,
            "completed_at": None,
            "event_id": None,
        }
        if key:
            return self.repo.ensure(key, doc)
        return self.repo.insert(doc)

    def _load(self, tournament_id: str) -> dict:
        doc = self.repo.by_id(tournament_id)
        if doc is None:
            raise NotFound("TOURNAMENT_NOT_FOUND")
        return doc

    def view(self, doc: dict, user_id: str | None = None) -> dict:
        out = dict(doc, id=str(doc["_id"]))
        out["is_registered"] = bool(user_id) and self._participant_id(doc, user_id) in doc["participants"]
        out["seats_left"] = max(0, doc["max_participants"] - doc["participants_count"])
        return out

    def get(self, tournament_id: str, user_id: str | None = None) -> dict:
        return self.view(self._load(tournament_id), user_id)

    def list(self, *, status: str | None, type_: str | None, skip: int, limit: int, user_id: str | None = None):
        rows, total = self.repo.find(status=status, type_=type_, skip=skip, limit=limit)
        return [self.view(r, user_id) for r in rows], total

    def _participant_id(self, doc: dict, user_id: str) -> str | None:
        if doc["type"] == c.INDIVIDUAL:
            return user_id
        teams = self.teams.team_ids_of(user_id)
        return teams[0] if teams else None

    # -- registration ----------------------------------------------------------------------
    def join(self, user_id: str, tournament_id: str) -> dict:
        """Individual: the user takes a seat. Team: an owner/admin registers their team."""
        doc = self._load(tournament_id)
        participant = user_id
        if doc["type"] == c.TEAM:
            teams = self.teams.team_ids_of(user_id)
            if not teams:
                raise Conflict("TEAM_REQUIRED")
            participant = teams[0]
            if not team_rules.can_manage(self.teams.role_of(participant, user_id)):
                raise Forbidden("TEAM_PERMISSION_DENIED")
        if doc["status"] not in c.OPEN_TOURNAMENT_STATUSES or doc["ends_at"] <= self.clock():
            raise Conflict("TOURNAMENT_CLOSED")
        updated = self.repo.take_seat(tournament_id, participant)
        if updated is None:
            current = self._load(tournament_id)
            if participant in current["participants"]:
                raise Conflict("ALREADY_REGISTERED")
            if current["status"] not in c.OPEN_TOURNAMENT_STATUSES:
                raise Conflict("TOURNAMENT_CLOSED")
            raise Conflict("TOURNAMENT_FULL")
        return self.view(updated, user_id)

    def leave(self, user_id: str, tournament_id: str) -> dict:
        doc = self._load(tournament_id)
        participant = self._participant_id(doc, user_id)
        if (
            doc["type"] == c.TEAM
            and participant
            and not team_rules.can_manage(self.teams.role_of(participant, user_id))
        ):
            raise Forbidden("TEAM_PERMISSION_DENIED")
        if not participant or participant not in doc["participants"]:
            raise Conflict("NOT_REGISTERED")
        updated = self.repo.release_seat(tournament_id, participant)
        if updated is None:
            raise Conflict("TOURNAMENT_ALREADY_STARTED")
        return self.view(updated, user_id)

    def session_context(self, tournament_id: str, user_id: str, game: dict, now) -> dict:
        """What a session started for this tournament records; raises when the user may not play it."""
        doc = self._load(tournament_id)
        if doc["status"] != c.T_ACTIVE or not doc["starts_at"] <= now < doc["ends_at"]:
            raise Conflict("TOURNAMENT_NOT_ACTIVE")
        if doc.get("game_id") and doc["game_id"] != game["id"]:
            raise ValidationFailed(
                "TOURNAMENT_GAME_MISMATCH", errors={"game_id": [f"This tournament is played on {doc['game_id']}."]}
            )
        participant = self._participant_id(doc, user_id)
        if not participant or participant not in doc["participants"]:
            raise Conflict("NOT_REGISTERED")
        return {"tournament_id": str(doc["_id"]), "tournament_team_id": participant if doc["type"] == c.TEAM else None}

    # -- standings ---------------------------------------------------------------------------
    def standings(self, doc: dict, until=None) -> list[dict]:
        """Ranked participants: [{rank, participant_id, score, sessions, user_ids, reward_cents}]."""
        scores = self.sessions.tournament_standings(
            str(doc["_id"]),
            by_team=doc["type"] == c.TEAM,
            until=until,
            best_only=doc.get("scoring", c.TOTAL) == c.BEST,
        )
        return c.tournament_standings(scores, doc["participants"], doc.get("prizes", []))

    def leaderboard(self, tournament_id: str) -> dict:
        doc = self._load(tournament_id)
        rows = doc["standings"] if doc["status"] == c.T_COMPLETED else self.standings(doc)
        if doc["type"] == c.TEAM:
            names = self.teams.names([r["participant_id"] for r in rows])
        else:
            names = self.users.display_names([r["participant_id"] for r in rows])
        return {
            "tournament_id": str(doc["_id"]),
            "status": doc["status"],
            "type": doc["type"],
            "entries": [{**r, "display_name": names.get(r["participant_id"], "")} for r in rows],
        }

    # -- lifecycle ---------------------------------------------------------------------------
    def start_due(self) -> int:
        now = self.clock()
        started = 0
        for row in self.repo.due_to_start(now):
            started += int(self._start(str(row["_id"]), now))
        return started

    def _start(self, tournament_id: str, now) -> bool:
        """Scheduled -> active, announced to its players (TournamentStarted) in the same transaction."""

        def work(s):
            doc = self.repo.start(tournament_id, now, session=s)
            if doc is None:  # started by another run meanwhile
                return None
            return self.hooks.record(
                TournamentStarted(
                    tournament_id=tournament_id,
                    tournament_name=doc["name"],
                    tournament_type=doc["type"],
                    game_id=doc.get("game_id"),
                    player_ids=self._players(doc),
                    started_at=now,
                    ends_at=doc["ends_at"],
                ),
                key=f"tournament_started:{tournament_id}",
                session=s,
            )

        event_id = self.transactions.run(work)
        if event_id:
            self.hooks.after_commit(event_id)
        return bool(event_id)

    def _players(self, doc: dict) -> list[str]:
        if doc["type"] != c.TEAM:
            return list(doc["participants"])
        return [user_id for team_id in doc["participants"] for user_id in self.teams.team_member_ids(team_id)]

    def end_due(self) -> int:
        ended = 0
        for row in self.repo.due_to_end(self.clock()):
            _doc, fresh = self.complete(str(row["_id"]))
            ended += int(fresh)
        return ended

    def run_lifecycle(self) -> dict:
        return {"started": self.start_due(), "completed": self.end_due()}

    def end_now(self, tournament_id: str) -> dict:
        doc, _fresh = self.complete(tournament_id)
        return self.view(doc)

    def complete(self, tournament_id: str) -> tuple[dict, bool]:
        """Rank and close the tournament once. -> (document, whether this call closed it)."""
        doc = self._load(tournament_id)
        if doc["status"] == c.T_COMPLETED:
            return doc, False
        if doc["status"] not in c.OPEN_TOURNAMENT_STATUSES:
            raise Conflict("TOURNAMENT_NOT_ACTIVE")
        now = self.clock()
        until = min(now, doc["ends_at"])
        standings = self.standings(doc, until=until)
        results = c.tournament_results(doc["type"], standings)
        tid = str(doc["_id"])

        def work(s):
            done = self.repo.complete(tid, now, standings=standings, results=results, session=s)
            if done is None:
                return None, None
            event_id = self.hooks.record(
                TournamentComplete(
                    tournament_id=tid,
                    tournament_name=doc["name"],
                    tournament_type=doc["type"],
                    completed_at=now,
                    results=results,
                ),
                key=f"tournament:{tid}",
                session=s,
            )
            done = self.repo.set_event_id(tid, event_id, session=s)
            return done, event_id

        done, event_id = self.transactions.run(work)
        if done is None:  # someone else closed it between our read and our write
            return self._load(tournament_id), False
        self.hooks.after_commit(event_id)
        log.info("tournament %s completed with %d ranked participants", tid, len(standings))
        return done, True
