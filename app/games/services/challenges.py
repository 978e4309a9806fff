"""Direct challenges (1v1 and NvN): invite, accept/decline, play one bound session each, decide.

States: pending (waiting for every invited player) -> active (everyone accepted; play until
ends_at) -> completed (decided: a winner side or a draw). Side exits: declined (an invited
player said no), cancelled (the challenger withdrew while pending), expired (not everyone
accepted in time). A challenge is decided as soon as every participant has played, or by
the expiry job at ends_at (who never played scores 0). ChallengeComplete is published once.
"""

from __future__ import annotations

from datetime import timedelta

from app.core.contracts import UserDirectory
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.games.events import ChallengeComplete, ChallengeInvited
from app.games.models import competition as c
from app.games.repositories.challenges import ChallengeRepository
from app.games.services.catalog import CatalogService
from app.games.services.clock import Clock

MAX_SIDE = 5


class ChallengeService:
    def __init__(
        self,
        challenges: ChallengeRepository,
        *,
        transactions: Transactions,
        hooks: HookManager,
        catalog: CatalogService,
        users: UserDirectory,
        clock: Clock,
    ):
        self.repo = challenges
        self.transactions = transactions
        self.hooks = hooks
        self.catalog = catalog
        self.users = users
        self.clock = clock

    # -- create / respond ---------------------------------------------------------------
    def create(
        self,
        challenger_id: str,
        *,
        game_id: str,
        opponent_ids: list[str],
        teammate_ids: list[str] = (),
        accept_hours: int = 24,
        duration_hours: int = 48,
        message: str | None = None,
    ) -> dict:
        self.catalog.playable(game_id)
        opponents, teammates = list(dict.fromkeys(opponent_ids)), list(dict.fromkeys(teammate_ids or []))
        everyone = [challenger_id, *teammates, *opponents]
        if len(set(everyone)) != len(everyone):
            raise ValidationFailed(
                errors={"opponent_ids": ["A player can be in a challenge only once (and not against themselves)."]}
            )
        if len(opponents) != len(teammates) + 1:
            raise ValidationFailed(
                errors={"opponent_ids": ["Both sides need the same number of players (opponents = teammates + 1)."]}
            )
        if len(opponents) > MAX_SIDE:
            raise ValidationFailed(errors={"opponent_ids": [f"At most {MAX_SIDE} players a side."]})
        unknown = [u for u in teammates + opponents if not self.users.exists(u)]
        if unknown:
            raise ValidationFailed(errors={"opponent_ids": [f"Unknown player: {u}" for u in unknown]})
        now = self.clock()
        challenge = {
            "game_id": game_id,
            "challenger_id": challenger_id,
            "type": "1v1" if len(opponents) == 1 else "nvn",
            "status": c.PENDING,
            "message": message,
            "created_at": now,
            "updated_at": now,
            "accept_by": now + timedelta(hours=accept_hours),
            "duration_hours": duration_hours,
            "activated_at": None,
            "ends_at": None,
            "completed_at": None,
            "winner_side": None,
            "winner_ids": [],
            "side_scores": None,
        }
        participants = [self._participant(challenger_id, "a", c.ACCEPTED, now, responded=True)]
        participants += [self._participant(u, "a", c.INVITED, now) for u in teammates]
        participants += [self._participant(u, "b", c.INVITED, now) for u in opponents]

        def work(s):
            challenge.pop("_id", None)
            for p in participants:
                p.pop("_id", None)
            self.repo.insert(challenge, participants, session=s)
            cid = str(challenge["_id"])
            return self.hooks.record(
                ChallengeInvited(
                    challenge_id=cid,
                    game_id=game_id,
                    challenger_id=challenger_id,
                    invited_ids=[*teammates, *opponents],
                    accept_by=challenge["accept_by"],
                    invited_at=now,
                ),
                key=f"challenge_invited:{cid}",
                session=s,
            )

        self.hooks.after_commit(self.transactions.run(work))
        return self.view(challenge)

    @staticmethod
    def _participant(user_id: str, side: str, status: str, now, responded: bool = False) -> dict:
        return {
            "user_id": user_id,
            "side": side,
            "status": status,
            "session_id": None,
            "score": None,
            "raw_score": None,
            "played_at": None,
            "responded_at": now if responded else None,
            "created_at": now,
        }

    def accept(self, challenge_id: str, user_id: str) -> dict:
        challenge = self._visible(challenge_id, user_id)
        now = self.clock()
        self._check_pending(challenge, now)
        if self.repo.accept_invitation(challenge_id, user_id, now) is None:
            raise Conflict("CHALLENGE_ALREADY_ANSWERED")
        if all(p["status"] == c.ACCEPTED for p in self.repo.participants_of(challenge_id)):
            # the last acceptance starts the clock; racing acceptances are settled by the guard
            self.repo.activate(challenge_id, now, ends_at=now + timedelta(hours=challenge["duration_hours"]))
        return self.get(challenge_id, user_id)

    def decline(self, challenge_id: str, user_id: str) -> dict:
        challenge = self._visible(challenge_id, user_id)
        now = self.clock()
        self._check_pending(challenge, now)
        if self.repo.decline_invitation(challenge_id, user_id, now) is None:
            raise Conflict("CHALLENGE_ALREADY_ANSWERED")
        self.repo.decline(challenge_id, now)
        return self.get(challenge_id, user_id)

    def cancel(self, challenge_id: str, user_id: str) -> dict:
        challenge = self._visible(challenge_id, user_id)
        if challenge["challenger_id"] != user_id:
            raise Conflict("ONLY_CHALLENGER_CAN_CANCEL")
        if self.repo.cancel(challenge_id, self.clock()) is None:
            raise Conflict("CHALLENGE_NOT_PENDING")
        return self.get(challenge_id, user_id)

    def _check_pending(self, challenge: dict, now) -> None:
        if challenge["status"] != c.PENDING:
            raise Conflict("CHALLENGE_NOT_PENDING")
        if challenge["accept_by"] <= now:
            raise Conflict("CHALLENGE_EXPIRED")

    # -- reads ------------------------------------------------------------------------
    def _visible(self, challenge_id: str, user_id: str) -> dict:
        """The challenge, if user_id takes part in it; otherwise it does not exist for them."""
        challenge = self.repo.by_id(challenge_id)
        if challenge is None or self.repo.participant(str(challenge["_id"]), user_id) is None:
            raise NotFound("CHALLENGE_NOT_FOUND")
        return challenge

    def get(self, challenge_id: str, user_id: str) -> dict:
        return self.view(self._visible(challenge_id, user_id))

    def view(self, challenge: dict) -> dict:
        cid = str(challenge["_id"])
        participants = self.repo.participants_of(cid)
        names = self.users.display_names([p["user_id"] for p in participants])
        return {
            **challenge,
            "id": cid,
            "message": None if challenge.get("message_hidden") else challenge.get("message"),
            "is_draw": challenge["status"] == c.COMPLETED and not challenge["winner_ids"],
            "participants": [{**p, "display_name": names.get(p["user_id"], "")} for p in participants],
        }

    def list(self, user_id: str, *, status: str | None, skip: int, limit: int):
        rows, total = self.repo.list_for_user(user_id, status=status, skip=skip, limit=limit)
        return [self.view(r) for r in rows], total

    # -- playing ----------------------------------------------------------------------
    def check_can_play(self, challenge_id: str, user_id: str, game_id: str, now) -> None:
        challenge = self._visible(challenge_id, user_id)
        if challenge["game_id"] != game_id:
            raise ValidationFailed(
                "CHALLENGE_GAME_MISMATCH", errors={"game_id": [f"This challenge is played on {challenge['game_id']}."]}
            )
        if challenge["status"] != c.ACTIVE or (challenge["ends_at"] and challenge["ends_at"] <= now):
            raise Conflict("CHALLENGE_NOT_ACTIVE")
        me = self.repo.participant(challenge_id, user_id)
        if me["status"] == c.PLAYED:
            raise Conflict("CHALLENGE_ALREADY_PLAYED")

    def bind_session(self, challenge_id: str, user_id: str, session_id: str, *, session=None) -> None:
        """Give the participant's one turn to this session (inside the session-start transaction)."""
        if self.repo.bind_session(challenge_id, user_id, session_id, session=session) is None:
            raise Conflict("CHALLENGE_ALREADY_PLAYED")

    def release_session(self, session_id: str) -> None:
        self.repo.release_session(session_id)

    def record_play(
        self, *, challenge_id: str, user_id: str, session_id: str, universal_score: int, raw_score: int, completed_at
    ) -> None:
        """A bound session completed (idempotent: the participant moves to played once)."""
        self.repo.record_play(
            challenge_id, user_id, session_id, score=universal_score, raw_score=raw_score, played_at=completed_at
        )
        participants = self.repo.participants_of(challenge_id)
        if participants and all(p["status"] == c.PLAYED for p in participants):
            self.decide(challenge_id)

    def decide(self, challenge_id: str) -> dict | None:
        """Settle an active challenge now (all played, or time is up). Returns it, or None if already settled."""
        now = self.clock()

        def work(s):
            participants = self.repo.participants_of(challenge_id, session=s)
            result = c.decide_challenge(participants)
            done = self.repo.complete(challenge_id, now, result, session=s)
            if done is None:
                return None, None
            event_id = self.hooks.record(
                ChallengeComplete(
                    challenge_id=challenge_id,
                    game_id=done["game_id"],
                    participant_ids=[p["user_id"] for p in participants],
                    winner_ids=result["winner_ids"],
                    completed_at=now,
                ),
                key=f"challenge:{challenge_id}",
                session=s,
            )
            return done, event_id

        done, event_id = self.transactions.run(work)
        if event_id:
            self.hooks.after_commit(event_id)
        return done

    def expire_due(self) -> dict:
        """Pending challenges past accept_by expire; active ones past ends_at are decided."""
        now = self.clock()
        counts = {"expired": 0, "decided": 0}
        for challenge in self.repo.due(now):
            cid = str(challenge["_id"])
            if challenge["status"] == c.PENDING:
                if self.repo.expire(cid, now):
                    counts["expired"] += 1
            elif self.decide(cid):
                counts["decided"] += 1
        return counts
