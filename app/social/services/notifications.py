"""The notification inbox: what happened to a user while they were away, fed by the hook handlers.

Every notification lands in the inbox; the user's `notifications` preferences decide whether it is also
pushed live (`push`) and emailed (`email`), each only when its topic (`friends`, `donations`,
`achievements`, `impact_stories`; models/notifications.py TOPICS) is on too. A notification meant for
everyone (a community milestone) is stored once and copied into each inbox when its owner next reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.contracts import MailQueue, UserDirectory, UserPreferences
from app.core.errors import NotFound
from app.core.transactions import Transactions
from app.games.contracts import GameDirectory
from app.impact.contracts import LivePush
from app.social.models.notifications import Draft, mail_parts, wants, wire
from app.social.repositories.notifications import AlreadyNotified, NotificationRepository

log = logging.getLogger(__name__)

PUSH_EVENT = "notification"
BROADCASTS_PER_READ = 50


class NotificationService:
    def __init__(
        self,
        repo: NotificationRepository,
        *,
        transactions: Transactions,
        users: UserDirectory,
        preferences: UserPreferences,
        games: GameDirectory,
        push: LivePush | None,
        mail: MailQueue | None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.repo = repo
        self.transactions = transactions
        self.users, self.preferences, self.games = users, preferences, games
        self.push, self.mail = push, mail
        self.clock = clock

    # -- delivering -------------------------------------------------------------------------
    def notify(self, user_id: str, draft: Draft, *, key: str) -> dict | None:
        """Store the notification once per `key`, queue its email in the same transaction and push it after
        the commit, as the user's preferences allow. None when `key` was delivered before (nothing is sent
        again)."""
        prefs = self.preferences.get(user_id)["notifications"]
        address = self.users.email_of(user_id) if self.mail is not None and wants(prefs, draft.kind, "email") else None
        doc = self._new(user_id, draft, key=key, at=self.clock())

        def work(session):
            doc.pop("_id", None)
            self.repo.insert(doc, session=session)
            if address:
                self.mail.enqueue(
                    to=address, key=f"notification:{key}", user_id=user_id, session=session, **mail_parts(draft)
                )

        try:
            if address:  # the notification and its email, together
                self.transactions.run(work)
            else:
                work(None)
        except AlreadyNotified:
            return None
        if self.push is not None and wants(prefs, draft.kind, "push"):
            try:
                self.push.emit(PUSH_EVENT, {"notification": wire(doc)}, user_id=user_id)
            except Exception:  # best effort: the notification is in the inbox either way
                log.warning("notification push to %s failed", user_id, exc_info=True)
        return doc

    def broadcast(self, draft: Draft, *, key: str) -> bool:
        """A notification for everyone registered by now, copied into each inbox on its next read (neither
        pushed nor emailed: the live `community_milestone` already reaches the connected clients). False when
        `key` was broadcast before."""
        return self.repo.insert_broadcast(
            {
                "key": key,
                "kind": draft.kind,
                "title": draft.title,
                "body": draft.body,
                "data": _present(draft.data),
                "created_at": self.clock(),
            }
        )

    @staticmethod
    def _new(user_id: str, draft: Draft, *, key: str, at: datetime) -> dict:
        return {
            "user_id": user_id,
            "key": key,
            "kind": draft.kind,
            "title": draft.title,
            "body": draft.body,
            "data": _present(draft.data),
            "read": False,
            "created_at": at,
            "read_at": None,
        }

    def _catch_up(self, user_id: str) -> None:
        """Copy the broadcasts made since the user's last read (or since they registered) into their inbox."""
        since = self.repo.cursor(user_id)
        first_read = since is None
        if first_read:
            since = self._registered_at(user_id)
        rows = self.repo.broadcasts_after(since, limit=BROADCASTS_PER_READ)
        if rows:
            copies = []
            for row in rows:
                draft = Draft(row["kind"], row["title"], row["body"], row["data"])
                copies.append(self._new(user_id, draft, key=f"{row['key']}:{user_id}", at=row["created_at"]))
            self.repo.insert_missing(copies)
            self.repo.move_cursor(user_id, rows[-1]["created_at"])
        elif first_read:
            self.repo.move_cursor(user_id, since)

    def _registered_at(self, user_id: str) -> datetime:
        try:
            return self.users.get(user_id)["created_at"]
        except NotFound:
            return self.clock()

    # -- what notifications say about others -----------------------------------------------------
    def display_name(self, user_id: str) -> str:
        return self.users.active_display_name(user_id) or "A player"

    def game_name(self, game_id: str) -> str:
        game = self.games.get_game(game_id) or {}
        return game.get("name") or "a game"

    # -- the inbox --------------------------------------------------------------------------
    def page(self, user_id: str, *, unread_only: bool, skip: int, limit: int) -> tuple[list[dict], int]:
        """Newest first."""
        self._catch_up(user_id)
        return self.repo.page(user_id, unread_only=unread_only, skip=skip, limit=limit)

    def unread_count(self, user_id: str) -> int:
        self._catch_up(user_id)
        return self.repo.unread_count(user_id)

    def mark_read(self, user_id: str, notification_id: str) -> dict:
        """Marking a read notification again keeps the time it was first read."""
        doc = self.repo.mark_read(user_id, notification_id, self.clock())
        if doc is None:
            raise NotFound("NOTIFICATION_NOT_FOUND")
        return doc

    def mark_all_read(self, user_id: str) -> int:
        self._catch_up(user_id)
        return self.repo.mark_all_read(user_id, self.clock())

    def delete(self, user_id: str, notification_id: str) -> None:
        if not self.repo.delete(user_id, notification_id):
            raise NotFound("NOTIFICATION_NOT_FOUND")


def _present(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}
