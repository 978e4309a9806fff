"""ModerationService: users report abuse; moderators (and admins) decide, and both sides hear of it.

A report names a user, team, community challenge, challenge message or ONLUS update; each reporter has at most
one open report per target. A moderator dismisses it, hides the content (it leaves every listing, and every
open report about it is decided with it), warns its author, or escalates it to the admins (who may then suspend
the account through the account admin). Decisions are in the audit log (the staff routes write it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from app.core.clock import utcnow
from app.core.contracts import UserDirectory
from app.core.errors import Conflict, NotFound
from app.core.transactions import Transactions
from app.social.contracts import ModeratedContent
from app.social.models import moderation as rules
from app.social.models import notifications as say
from app.social.repositories.challenges import ChallengeRepository
from app.social.repositories.moderation import ReportRepository
from app.social.services.leaderboards import LeaderboardService
from app.social.services.notifications import NotificationService


class ModerationService:
    def __init__(
        self,
        repo: ReportRepository,
        *,
        transactions: Transactions,
        notifications: NotificationService,
        content: Mapping[str, ModeratedContent],
        leaderboards: LeaderboardService,
    ):
        self.repo, self.transactions, self.notifications = repo, transactions, notifications
        self.content = dict(content)
        self.leaderboards = leaderboards

    def with_content(self, content: Mapping[str, ModeratedContent]) -> ModerationService:
        """The same service knowing more kinds of content (those of modules built after this one)."""
        return ModerationService(
            self.repo,
            transactions=self.transactions,
            notifications=self.notifications,
            content={**self.content, **content},
            leaderboards=self.leaderboards,
        )

    # -- reporting ------------------------------------------------------------------------------
    def report(self, reporter_id: str, *, target_type: str, target_id: str, reason: str, details: str = "") -> dict:
        author = self.content[target_type].author_of(target_id)
        if author is None:
            raise NotFound("TARGET_NOT_FOUND")
        if author == reporter_id:
            raise Conflict("CANNOT_REPORT_OWN", errors={"target_id": ["This is yours."]})
        now = utcnow()
        doc = {
            "reporter_id": reporter_id,
            "target_type": target_type,
            "target_id": target_id,
            "target_author_id": author or None,
            "reason": reason,
            "details": details.strip(),
            "status": rules.OPEN,
            "decisions": [],
            "created_at": now,
            "updated_at": now,
        }
        created = self.repo.open(doc)
        if created is None:
            raise Conflict("REPORT_ALREADY_OPEN")
        return created

    def mine(self, reporter_id: str, *, skip: int, limit: int) -> tuple[list[dict], int]:
        return self.repo.of_reporter(reporter_id, skip=skip, limit=limit)

    # -- the queue --------------------------------------------------------------------------------
    def queue(self, *, role: str, status: str | None, skip: int, limit: int) -> tuple[list[dict], int]:
        """Moderators see the open reports; admins also the escalated ones (oldest first)."""
        visible = [rules.OPEN, rules.ESCALATED] if role == "admin" else [rules.OPEN]
        statuses = [status] if status else visible
        if not set(statuses) <= set(visible) | {rules.RESOLVED}:
            statuses = []
        return self.repo.queue(statuses, skip=skip, limit=limit)

    def decide(self, report_id: str, *, decision: str, note: str, actor_id: str, role: str) -> dict:
        report = self.repo.get(report_id)
        if report is None:
            raise NotFound("REPORT_NOT_FOUND")
        target = self.content[report["target_type"]]
        author = report.get("target_author_id")
        rules.check_decision(report, decision, role=role, hideable=target.hideable, author=author)
        now = utcnow()
        decided = [report]
        if decision == rules.HIDE:
            target.set_hidden(report["target_id"], True)
            decided = self.repo.unresolved_about(report["target_type"], report["target_id"]) or [report]
        record = {"decision": decision, "note": note.strip(), "by": actor_id, "role": role, "at": now}
        status = rules.status_after(decision)
        self.transactions.run(
            lambda session: self.repo.decide(decided, status=status, decision=record, at=now, session=session)
        )
        for each in decided:
            self.notifications.notify(
                each["reporter_id"],
                say.report_decided(each["target_type"], decision, report_id=str(each["_id"])),
                key=f"report_decided:{each['_id']}:{decision}",
            )
        if author and decision in (rules.HIDE, rules.WARN):
            self.notifications.notify(
                author,
                say.moderation_notice(report["target_type"], decision, note, target_id=report["target_id"]),
                key=f"moderation_notice:{report['_id']}:{decision}",
            )
        return self.repo.get(report_id)

    # -- fair play ----------------------------------------------------------------------------------
    def remove_leaderboard_entry(
        self, board_type: str, user_id: str, *, period: str, period_value: str | None, game_id: str | None, reason: str
    ) -> dict:
        """A cheater's entry off one board and period (ranks follow at once); the player is told why."""
        removed = self.leaderboards.remove_entry(
            board_type, user_id, period=period, period_value=period_value, game_id=game_id
        )
        self.notifications.notify(
            user_id,
            say.leaderboard_entry_removed(removed["board"], removed["period_key"], reason),
            key=f"leaderboard_entry_removed:{removed['board']}:{removed['period_key']}:{user_id}:{uuid.uuid4().hex}",
        )
        return {**removed, "reason": reason.strip()}


class ModeratedUsers:
    """Accounts: reported, warned or escalated, never hidden (an admin suspends an account)."""

    hideable = False

    def __init__(self, users: UserDirectory):
        self.users = users

    def author_of(self, target_id: str) -> str | None:
        return target_id if self.users.exists(target_id) else None

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        raise Conflict("CANNOT_HIDE")


class ModeratedChallenges:
    """Community challenges: their title and description are their creator's."""

    hideable = True

    def __init__(self, challenges: ChallengeRepository):
        self.challenges = challenges

    def author_of(self, target_id: str) -> str | None:
        doc = self.challenges.get(target_id)
        return None if doc is None else doc.get("created_by") or ""

    def set_hidden(self, target_id: str, hidden: bool) -> None:
        self.challenges.set_hidden(target_id, hidden)
