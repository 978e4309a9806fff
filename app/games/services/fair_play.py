"""Fair play: the review queue of sessions a fraud rule flagged, and moderators' decisions on sessions.

A session whose credits a fraud rule held (implausible play, too many sessions, velocity, credit farming)
enters the queue; a moderator or an admin approves it (the held credits reach the balance) or voids it. Any
completed session can be voided: what it counted for is taken back by the modules that counted it, from
SessionVoided (credits by a linked ledger entry, points, totals and leaderboard entries). Each decision is
one guarded transition, recorded in one transaction with its event, so it happens and is announced once.
"""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, ValidationFailed, not_own_case
from app.core.hooks import HookManager
from app.core.transactions import Transactions
from app.donations.events import SessionCreditHeld, SessionCreditSettled
from app.games.events import SessionApproved, SessionVoided
from app.games.models import session as rules
from app.games.repositories.sessions import SessionRepository
from app.games.services.clock import Clock


class FairPlayService:
    def __init__(self, sessions: SessionRepository, *, transactions: Transactions, hooks: HookManager, clock: Clock):
        self.repo = sessions
        self.transactions = transactions
        self.hooks = hooks
        self.clock = clock

    # -- the queue ------------------------------------------------------------------------------------
    def queue(self, *, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        """Flagged sessions with that review status (default: waiting for a decision), the oldest flag first."""
        return self.repo.review_queue(status=status or rules.REVIEW_PENDING, skip=skip, limit=limit)

    def flag(self, held: SessionCreditHeld) -> None:
        self.repo.flag_for_review(
            held.session_id,
            {
                "status": rules.REVIEW_PENDING,
                "reasons": list(held.reasons),
                "held_cents": int(held.held_cents),
                "flagged_at": held.held_at,
            },
        )

    def settled(self, settled: SessionCreditSettled) -> None:
        """Held credits settled from the wallet's side (an admin released or voided them there): the review
        closes the same way."""
        status = rules.REVIEW_APPROVED if settled.approved else rules.REVIEW_VOIDED
        decision = {"decision": rules.APPROVE if settled.approved else rules.VOID, "by": settled.actor_id}
        self.repo.settle_review(settled.session_id, status, {**decision, "at": settled.settled_at, "via": "wallet"})

    # -- decisions ---------------------------------------------------------------------------------------
    def decide(self, session_id: str, *, decision: str, reason: str, actor_id: str, role: str | None) -> dict:
        """approve (a flagged session: its held credits are released) or void (any completed session)."""
        doc = self.repo.by_id(session_id)
        if doc is None:
            raise NotFound("SESSION_NOT_FOUND")
        not_own_case(actor_id, doc["user_id"])
        reason = (reason or "").strip()
        if not reason:
            raise ValidationFailed(errors={"reason": ["A reason is required."]})
        now = self.clock()
        record = {"decision": decision, "reason": reason, "by": actor_id, "role": role, "at": now}
        if decision == rules.APPROVE:
            return self._approve(doc, record)
        return self._void(doc, record)

    def _approve(self, doc: dict, record: dict) -> dict:
        if doc["status"] == rules.VOIDED:
            raise Conflict("SESSION_ALREADY_VOIDED")
        if (doc.get("review") or {}).get("status") != rules.REVIEW_PENDING:
            raise Conflict("SESSION_NOT_IN_REVIEW")
        payload = SessionApproved(
            session_id=str(doc["_id"]),
            user_id=doc["user_id"],
            game_id=doc["game_id"],
            reason=record["reason"],
            actor_id=record["by"],
            approved_at=record["at"],
        )
        return self._transition(
            lambda s: self.repo.approve(doc["_id"], record, status=rules.REVIEW_APPROVED, session=s),
            payload,
            key=f"session_approved:{doc['_id']}",
            lost="SESSION_NOT_IN_REVIEW",
        )

    def _void(self, doc: dict, record: dict) -> dict:
        if doc["status"] == rules.VOIDED:
            raise Conflict("SESSION_ALREADY_VOIDED")
        if doc["status"] != rules.COMPLETED:
            raise Conflict("SESSION_NOT_COMPLETED")
        payload = SessionVoided(
            session_id=str(doc["_id"]),
            user_id=doc["user_id"],
            game_id=doc["game_id"],
            universal_score=int(doc.get("universal_score") or 0),
            play_seconds=int(doc.get("play_seconds") or 0),
            completed_at=doc["completed_at"],
            completed_event_id=doc.get("event_id"),
            reason=record["reason"],
            actor_id=record["by"],
            voided_at=record["at"],
        )
        return self._transition(
            lambda s: self.repo.void(doc["_id"], record, review_status=rules.REVIEW_VOIDED, session=s),
            payload,
            key=f"session_voided:{doc['_id']}",
            lost="SESSION_ALREADY_VOIDED",
        )

    def _transition(self, write, payload, *, key: str, lost: str) -> dict:
        """The guarded write and its event in one transaction (a write that finds the session changed is a
        Conflict `lost`: someone decided first), the event's handlers after the commit."""

        def work(s):
            updated = write(s)
            if updated is None:
                raise Conflict(lost)
            return updated, self.hooks.record(payload, key=key, session=s)

        updated, event_id = self.transactions.run(work)
        self.hooks.after_commit(event_id)
        return updated
