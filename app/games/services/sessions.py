"""Game sessions: start, progress sync (optimistic concurrency), pause/resume, end, expiry.

Play time is always measured here, from server timestamps; a client's claim can only lower it.
Ending is guarded by a status transition in one transaction with the outbox record of
GameSessionComplete, so the event is published exactly once and never lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from app.core.database import in_transaction
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.games.events import GameSessionComplete
from app.games.models import session as rules
from app.games.repositories.sessions import SessionRepository
from app.games.services.catalog import CatalogService
from app.games.services.clock import Clock
from app.games.services.modes import ModeManager

log = logging.getLogger(__name__)
UNSET: Any = object()
_ATTEMPTS = 5


class _Raced(Exception):
    """The session changed between read and write; read it again."""


class SessionService:
    def __init__(
        self,
        sessions: SessionRepository,
        *,
        db,
        hooks,
        catalog: CatalogService,
        modes: ModeManager,
        teams,
        challenges,
        tournaments,
        clock: Clock,
        credits: Callable[[str, str], int],
        idle_minutes: int = 30,
        paused_ttl_hours: int = 24,
    ):
        self.repo = sessions
        self.db = db
        self.hooks = hooks
        self.catalog = catalog
        self.modes = modes
        self.teams = teams
        self.challenges = challenges
        self.tournaments = tournaments
        self.clock = clock
        self.credits = credits
        self.idle = timedelta(minutes=idle_minutes)
        self.paused_ttl = timedelta(hours=paused_ttl_hours)

    # -- reads ----------------------------------------------------------------------
    def get(self, user_id: str, session_id: str) -> dict:
        """The user's own session (another user's is simply not found)."""
        doc = self.repo.for_user(session_id, user_id)
        if doc is None:
            raise NotFound("SESSION_NOT_FOUND")
        return doc

    def view(self, doc: dict) -> dict:
        """Session fields for clients, with the play time measured so far for open sessions."""
        out = dict(doc, id=str(doc["_id"]), state=rules.decode_state(doc.get("state_json")))
        if doc["status"] in rules.OPEN_STATUSES:
            out["play_seconds"] = rules.measured_play_seconds(doc, self.clock())
        return out

    def list(self, user_id: str, *, status: str | None, game_id: str | None, skip: int, limit: int):
        rows, total = self.repo.list_for_user(user_id, status=status, game_id=game_id, skip=skip, limit=limit)
        return [self.view(r) for r in rows], total

    # -- start ------------------------------------------------------------------------
    def start(
        self,
        user_id: str,
        game_id: str,
        *,
        mode_key: str | None = None,
        challenge_id: str | None = None,
        tournament_id: str | None = None,
        device_id: str | None = None,
    ) -> dict:
        if challenge_id and tournament_id:
            raise ValidationFailed(errors={"challenge_id": ["A session is for a challenge or a tournament, not both."]})
        game, _plugin = self.catalog.playable(game_id)
        now = self.clock()
        mode = self.modes.mode_for_session(game, mode_key, now)
        context = {"tournament_id": None, "tournament_team_id": None}
        if tournament_id:
            context = self.tournaments.session_context(tournament_id, user_id, game, now)
        if challenge_id:
            self.challenges.check_can_play(challenge_id, user_id, game_id, now)
        doc = {
            "user_id": user_id,
            "game_id": game_id,
            "game_category": game["category"],
            "status": rules.ACTIVE,
            "open_key": rules.open_key(user_id, game_id),
            "started_at": now,
            "last_activity_at": now,
            "created_at": now,
            "updated_at": now,
            "paused_at": None,
            "paused_seconds": 0,
            "score": 0,
            "state_json": None,
            "version": 1,
            "device_id": device_id,
            "mode_key": mode["key"] if mode else None,
            "mode_multiplier": mode["multiplier"] if mode else 1.0,
            "mode_time_limit_seconds": mode["time_limit_seconds"] if mode else None,
            "challenge_id": challenge_id,
            **context,
            # the teams this session is played for: the player's teams when it starts
            "team_ids": self.teams.team_ids_of(user_id),
        }

        def work(s):
            doc.pop("_id", None)
            self.repo.insert(doc, session=s)
            if challenge_id:
                self.challenges.bind_session(challenge_id, user_id, str(doc["_id"]), session=s)

        def insert():
            if challenge_id:
                in_transaction(self.db, work)
            else:
                work(None)

        try:
            insert()
        except DuplicateKeyError as exc:
            # an open session of this game blocks a new one, unless it is a forgotten one: expire it and go on
            if not self._abandon_if_stale(user_id, game_id, now):
                raise Conflict("SESSION_ALREADY_ACTIVE") from exc
            try:
                insert()
            except DuplicateKeyError as again:
                raise Conflict("SESSION_ALREADY_ACTIVE") from again
        return doc

    def _abandon_if_stale(self, user_id: str, game_id: str, now) -> bool:
        """A forgotten session (idle past the limit) must not block a new game: expire it now."""
        current = self.repo.open_for(user_id, game_id)
        if current and self._is_stale(current, now):
            self._abandon(current, now)
            return True
        return False

    def _is_stale(self, doc: dict, now) -> bool:
        limit = self.paused_ttl if doc["status"] == rules.PAUSED else self.idle
        return doc["last_activity_at"] < now - limit

    # -- progress -----------------------------------------------------------------------
    def _open(self, doc: dict) -> None:
        if doc["status"] == rules.COMPLETED:
            raise Conflict("SESSION_ALREADY_ENDED")
        if doc["status"] == rules.ABANDONED:
            raise Conflict("SESSION_EXPIRED")

    def sync(
        self,
        user_id: str,
        session_id: str,
        *,
        score: int | None = None,
        state: Any = UNSET,
        version: int | None = None,
        device_id: str | None = None,
    ) -> dict:
        """Save progress. With `version`, a write based on an older copy is refused (409), so a
        second device never silently overwrites newer progress; without it, last write wins."""
        state_json = UNSET
        if state is not UNSET:
            try:
                state_json = rules.encode_state(state)
            except (TypeError, ValueError) as exc:
                raise ValidationFailed(errors={"state": [str(exc)]}) from exc
        for _ in range(_ATTEMPTS):
            doc = self.get(user_id, session_id)
            self._open(doc)
            if version is not None and version != doc["version"]:
                raise Conflict("SESSION_VERSION_CONFLICT")
            now = self.clock()
            if score is not None:
                self._check_score("score", doc, score, rules.measured_play_seconds(doc, now))
            changes: dict = {"last_activity_at": now, "updated_at": now}
            if score is not None:
                changes["score"] = score
            if state_json is not UNSET:
                changes["state_json"] = state_json
            if device_id:
                changes["device_id"] = device_id
            updated = self.repo.guarded_update(
                doc["_id"],
                {"status": {"$in": list(rules.OPEN_STATUSES)}, "version": doc["version"]},
                {"$set": changes, "$inc": {"version": 1}},
            )
            if updated is not None:
                return updated
            if version is not None:
                self._open(self.get(user_id, session_id))
                raise Conflict("SESSION_VERSION_CONFLICT")
        raise Conflict("SESSION_BUSY")

    def pause(self, user_id: str, session_id: str) -> dict:
        for _ in range(_ATTEMPTS):
            doc = self.get(user_id, session_id)
            self._open(doc)
            if doc["status"] == rules.PAUSED:
                raise Conflict("SESSION_ALREADY_PAUSED")
            now = self.clock()
            updated = self.repo.guarded_update(
                doc["_id"],
                {"status": rules.ACTIVE, "version": doc["version"]},
                {
                    "$set": {"status": rules.PAUSED, "paused_at": now, "last_activity_at": now, "updated_at": now},
                    "$inc": {"version": 1},
                },
            )
            if updated is not None:
                return updated
        raise Conflict("SESSION_BUSY")

    def resume(self, user_id: str, session_id: str) -> dict:
        for _ in range(_ATTEMPTS):
            doc = self.get(user_id, session_id)
            self._open(doc)
            if doc["status"] != rules.PAUSED:
                raise Conflict("SESSION_NOT_PAUSED")
            now = self.clock()
            paused_for = max(0.0, (now - doc["paused_at"]).total_seconds())
            updated = self.repo.guarded_update(
                doc["_id"],
                {"status": rules.PAUSED, "version": doc["version"]},
                {
                    "$set": {
                        "status": rules.ACTIVE,
                        "paused_at": None,
                        "last_activity_at": now,
                        "updated_at": now,
                        "paused_seconds": doc.get("paused_seconds", 0) + paused_for,
                    },
                    "$inc": {"version": 1},
                },
            )
            if updated is not None:
                return updated
        raise Conflict("SESSION_BUSY")

    # -- end ------------------------------------------------------------------------------
    def end(
        self, user_id: str, session_id: str, *, final_score: int, play_seconds: int | None = None, state: Any = UNSET
    ) -> dict:
        """Complete the session once; ending it again returns the same result. -> {session, credits_cents}"""
        state_json = UNSET
        if state is not UNSET:
            try:
                state_json = rules.encode_state(state)
            except (TypeError, ValueError) as exc:
                raise ValidationFailed(errors={"state": [str(exc)]}) from exc
        for _ in range(_ATTEMPTS):
            doc = self.get(user_id, session_id)
            if doc["status"] == rules.COMPLETED:
                return self.result(doc)
            if doc["status"] == rules.ABANDONED:
                raise Conflict("SESSION_EXPIRED")
            try:
                completed, event_id = self._complete(doc, final_score, play_seconds, state_json)
            except _Raced:
                continue
            self.hooks.dispatch(event_id)
            return self.result(completed)
        raise Conflict("SESSION_BUSY")

    def _complete(self, doc: dict, final_score: int, claimed: int | None, state_json) -> tuple[dict, str]:
        plugin = self.catalog.plugin(doc["game_id"])
        if plugin is None:
            raise Conflict("GAME_UNAVAILABLE")
        now = self.clock()
        measured = rules.measured_play_seconds(doc, now)
        credited = rules.credited_play_seconds(
            measured,
            claimed=claimed,
            time_limit=doc.get("mode_time_limit_seconds"),
            max_session_seconds=plugin.max_session_minutes * 60,
        )
        self._check_score("final_score", doc, final_score, credited)
        universal = plugin.universal_score(final_score, credited)
        user_id, session_id = doc["user_id"], str(doc["_id"])
        today = now.date()
        completed_days, last_hour = self.repo.completion_stats(
            user_id, (today - timedelta(days=400)).isoformat(), now - timedelta(hours=1), now
        )
        days = {date.fromisoformat(d) for d in completed_days}
        streak = rules.streak_days(days | {today}, today)
        team_ids = doc["team_ids"] if "team_ids" in doc else self.teams.team_ids_of(user_id)
        changes = {
            "status": rules.COMPLETED,
            "completed_at": now,
            "completed_day": today.isoformat(),
            "final_score": final_score,
            "score": final_score,
            "universal_score": universal,
            "play_seconds": credited,
            "measured_play_seconds": measured,
            "claimed_play_seconds": claimed,
            "team_ids": team_ids,
            "paused_at": None,
            "last_activity_at": now,
            "updated_at": now,
        }
        if doc["status"] == rules.PAUSED and doc.get("paused_at"):
            changes["paused_seconds"] = doc.get("paused_seconds", 0) + (now - doc["paused_at"]).total_seconds()
        if state_json is not UNSET:
            changes["state_json"] = state_json
        payload = GameSessionComplete(
            session_id=session_id,
            user_id=user_id,
            game_id=doc["game_id"],
            game_category=doc["game_category"],
            play_seconds=credited,
            raw_score=final_score,
            universal_score=universal,
            started_at=doc["started_at"],
            completed_at=now,
            mode_key=doc.get("mode_key"),
            mode_multiplier=float(doc.get("mode_multiplier") or 1.0),
            tournament_id=doc.get("tournament_id"),
            challenge_id=doc.get("challenge_id"),
            team_ids=team_ids,
            streak_days=streak,
            is_weekend=rules.is_weekend(now),
            sessions_last_hour=last_hour,
        )

        new_event_id = uuid.uuid4().hex

        def work(s):
            # the guarded transition first (it also stores the event id, known in advance):
            # only the writer that wins it records the event
            updated = self.repo.guarded_update(
                doc["_id"],
                {"status": {"$in": list(rules.OPEN_STATUSES)}, "version": doc["version"]},
                {"$set": {**changes, "event_id": new_event_id}, "$unset": {"open_key": ""}, "$inc": {"version": 1}},
                session=s,
            )
            if updated is None:
                raise _Raced()
            event_id = self.hooks.record(payload, key=f"session:{session_id}", session=s, event_id=new_event_id)
            return updated, event_id

        return in_transaction(self.db, work)

    def _check_score(self, field: str, doc: dict, score: int, play_seconds: int) -> None:
        plugin = self.catalog.plugin(doc["game_id"])
        if plugin is None:
            raise Conflict("GAME_UNAVAILABLE")
        problems = plugin.check_score(score, play_seconds)
        if problems:
            raise ValidationFailed("SCORE_NOT_PLAUSIBLE", errors={field: problems})

    def result(self, doc: dict) -> dict:
        """{session, credits_cents}: credits are what the wallet booked for this session (0 when none)."""
        return {"session": doc, "credits_cents": self.credits(doc["user_id"], str(doc["_id"]))}

    # -- expiry ---------------------------------------------------------------------------
    def expire_stale(self) -> int:
        """Abandon sessions idle past the limit (no credits, no event); returns how many."""
        now = self.clock()
        count = 0
        for doc in self.repo.stale(active_before=now - self.idle, paused_before=now - self.paused_ttl):
            if self._abandon(doc, now):
                count += 1
        return count

    def _abandon(self, doc: dict, now) -> bool:
        done = self.repo.abandon(doc, now)
        if done and doc.get("challenge_id"):
            self.challenges.release_session(str(doc["_id"]))
        return done is not None
