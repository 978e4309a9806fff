"""Game sessions: start, progress sync (optimistic concurrency), pause/resume, end, expiry.

Play time is always measured here, from server timestamps; a client's claim can only lower it.
Ending is guarded by a status transition in one transaction with the outbox record of
GameSessionComplete, so the event is published exactly once and never lost.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.donations.contracts import SessionCrediting, SessionCredits
from app.games.events import GameSessionComplete
from app.games.models import session as rules
from app.games.models.plugin import GamePlugin
from app.games.repositories.sessions import SessionAlreadyOpen, SessionRepository
from app.games.services.catalog import CatalogService
from app.games.services.challenges import ChallengeService
from app.games.services.clock import Clock
from app.games.services.modes import ModeManager
from app.games.services.teams import TeamService
from app.games.services.tournaments import TournamentService

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
        transactions: Transactions,
        hooks: HookManager,
        catalog: CatalogService,
        modes: ModeManager,
        teams: TeamService,
        challenges: ChallengeService,
        tournaments: TournamentService,
        wallet: SessionCredits,
        credits: SessionCrediting,
        clock: Clock,
        idle_minutes: int = 30,
        paused_ttl_hours: int = 24,
    ):
        self.repo = sessions
        self.transactions = transactions
        self.hooks = hooks
        self.catalog = catalog
        self.modes = modes
        self.teams = teams
        self.challenges = challenges
        self.tournaments = tournaments
        self.wallet = wallet
        self.credits = credits
        self.clock = clock
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

    def best_score(self, user_id: str, game_id: str, start, end) -> int | None:
        return self.repo.best_score(user_id, game_id, start, end)

    def play_summary(self, user_id: str, first_day: date, end_day: date) -> dict:
        """{sessions, play_seconds} completed on first_day <= day < end_day."""
        sessions, seconds = self.repo.play_between(user_id, first_day.isoformat(), end_day.isoformat())
        return {"sessions": sessions, "play_seconds": seconds}

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
                self.transactions.run(work)
            else:
                work(None)

        try:
            insert()
        except SessionAlreadyOpen as exc:
            # an open session of this game blocks a new one, unless it is a forgotten one: expire it and go on
            if not self._abandon_if_stale(user_id, game_id, now):
                raise Conflict("SESSION_ALREADY_ACTIVE") from exc
            try:
                insert()
            except SessionAlreadyOpen as again:
                raise Conflict("SESSION_ALREADY_ACTIVE") from again
        return doc

    def _abandon_if_stale(self, user_id: str, game_id: str, now) -> bool:
        """A forgotten session (idle past the limit) must not block a new game: expire it now."""
        current = self.repo.open_for(user_id, game_id)
        if current and rules.is_stale(current, now, idle=self.idle, paused_ttl=self.paused_ttl):
            self._abandon(current, now)
            return True
        return False

    # -- progress -----------------------------------------------------------------------
    def _open(self, doc: dict) -> None:
        if doc["status"] in (rules.COMPLETED, rules.VOIDED):
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
        second device never silently overwrites newer progress; without it, last write wins. The version
        is checked before the score and the state: a stale device learns that first, whatever it sent."""
        state_json, state_error = UNSET, None
        if state is not UNSET:
            try:
                state_json = rules.encode_state(state)
            except (TypeError, ValueError) as exc:
                state_error = exc
        for _ in range(_ATTEMPTS):
            doc = self.get(user_id, session_id)
            self._open(doc)
            if version is not None and version != doc["version"]:
                raise Conflict("SESSION_VERSION_CONFLICT")
            if state_error is not None:
                raise ValidationFailed(errors={"state": [str(state_error)]}) from state_error
            now = self.clock()
            if score is not None:
                if not 0 <= score <= rules.MAX_SCORE:
                    raise ValidationFailed(errors={"score": [rules.SCORE_RANGE_ERROR]})
                self._check_score("score", self._plugin(doc), score, rules.measured_play_seconds(doc, now))
            changes: dict = {"last_activity_at": now, "updated_at": now}
            if score is not None:
                changes["score"] = score
            if state_json is not UNSET:
                changes["state_json"] = state_json
            if device_id:
                changes["device_id"] = device_id
            updated = self.repo.save_progress(doc["_id"], doc["version"], changes)
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
            updated = self.repo.pause(doc["_id"], doc["version"], self.clock())
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
            updated = self.repo.resume(
                doc["_id"], doc["version"], now, paused_seconds=rules.paused_seconds_at(doc, now)
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
            if doc["status"] == rules.VOIDED:
                raise Conflict("SESSION_VOIDED")
            try:
                completed, event_id, payload = self._complete(doc, final_score, play_seconds, state_json)
            except _Raced:
                continue
            if self.hooks.deferred:  # the wallet holds the credits when `end` answers; the rest comes after
                self.credits.credit_completed_session(payload, follow_ups=False)
            self.hooks.after_commit(event_id)
            return self.result(completed)
        raise Conflict("SESSION_BUSY")

    def _complete(
        self, doc: dict, final_score: int, claimed: int | None, state_json
    ) -> tuple[dict, str, GameSessionComplete]:
        plugin = self._plugin(doc)
        now = self.clock()
        measured = rules.measured_play_seconds(doc, now)
        credited = rules.credited_play_seconds(
            measured,
            claimed=claimed,
            time_limit=doc.get("mode_time_limit_seconds"),
            max_session_seconds=plugin.max_session_minutes * 60,
        )
        self._check_score("final_score", plugin, final_score, credited)
        universal = plugin.universal_score(final_score, credited)
        user_id, session_id = doc["user_id"], str(doc["_id"])
        today = now.date()
        team_ids = doc["team_ids"] if "team_ids" in doc else self.teams.team_ids_of(user_id)
        changes = {
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
            changes["paused_seconds"] = rules.paused_seconds_at(doc, now)
        if state_json is not UNSET:
            changes["state_json"] = state_json

        def completion(played: dict) -> GameSessionComplete:
            return GameSessionComplete(
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
                streak_days=played["streak"],
                is_weekend=rules.is_weekend(now),
                sessions_last_hour=played["last_hour"],
            )

        new_event_id = uuid.uuid4().hex

        def work(s):
            # the guarded transition first (it also stores the event id, known in advance):
            # only the writer that wins it records the event
            updated = self.repo.complete(doc["_id"], doc["version"], {**changes, "event_id": new_event_id}, session=s)
            if updated is None:
                raise _Raced()
            played = self._played(user_id, today, now, session=s)
            payload = completion(played)
            event_id = self.hooks.record(payload, key=f"session:{session_id}", session=s, event_id=new_event_id)
            return updated, event_id, payload

        return self.transactions.run(work)

    def _played(self, user_id: str, today: date, now: datetime, *, session) -> dict:
        """{streak, last_hour} with this completion, from the user's play summary (kept in the completing
        transaction: two ends of one user conflict, and one is retried); a user without one yet (or whose
        sessions were voided since) has it rebuilt from their sessions."""
        summary = self.repo.record_play(user_id, rules.play_summary_update(today=today, now=now), session=session)
        after = rules.play_summary_after(summary, today=today, now=now)  # what record_play stored
        if summary is None:
            days, recent = self.repo.completion_stats(
                user_id,
                (today - timedelta(days=rules.STREAK_LOOKBACK_DAYS)).isoformat(),
                now - timedelta(hours=1),
                now,
                session=session,
            )
            summary = rules.summary_from_history({date.fromisoformat(d) for d in days}, recent, today)
            after = rules.play_summary_after(summary, today=today, now=now)
            self.repo.save_play_summary(user_id, after, session=session)
        return {"streak": after["streak"], "last_hour": rules.sessions_in_last_hour(summary, now)}

    def _plugin(self, doc: dict) -> GamePlugin:
        """The rules of the session's game (409 GAME_UNAVAILABLE when its plugin is gone)."""
        plugin = self.catalog.plugin(doc["game_id"])
        if plugin is None:
            raise Conflict("GAME_UNAVAILABLE")
        return plugin

    @staticmethod
    def _check_score(field: str, plugin: GamePlugin, score: int, play_seconds: int) -> None:
        problems = plugin.check_score(score, play_seconds)
        if problems:
            raise ValidationFailed("SCORE_NOT_PLAUSIBLE", errors={field: problems})

    def result(self, doc: dict) -> dict:
        """{session, credits_cents}: credits are what the wallet booked for this session (0 when none).

        The wallet holds them when `end` answers: if the event's handler has not posted them yet (a
        concurrent `end` whose winner is still dispatching, or a crash between the completion and the
        dispatch), they are posted here; the ledger key `session:<id>` makes that happen once."""
        return {"session": doc, "credits_cents": self._credits(doc)}

    def _credits(self, doc: dict) -> int:
        user_id, session_id = doc["user_id"], str(doc["_id"])
        key = f"session:{session_id}"
        summary = self.wallet.credit_summary(user_id, key)
        if summary is None and doc.get("event_id"):
            completed = self.hooks.payload_of(doc["event_id"])
            if completed is not None:
                self.credits.credit_completed_session(completed)
                summary = self.wallet.credit_summary(user_id, key)
        return rules.credited_cents(summary)

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
        done = self.repo.abandon(doc["_id"], doc["version"], now)
        if done and doc.get("challenge_id"):
            self.challenges.release_session(str(doc["_id"]))
        return done is not None
