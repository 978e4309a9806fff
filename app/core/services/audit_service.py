"""The audit log: who did what to which record, from where, and what it changed (contracts.AuditTrail).

Every successful admin request writes one entry (recorded at the edge, app/core/audit_trail.py); services
record the security-relevant actions of users themselves (a failed login, a password change or reset, an
email change...). Secrets never reach an entry (app/core/models/audit.py). Entries are only ever appended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.core.clock import utcnow
from app.core.models.audit import change, is_action, recordable
from app.core.models.user import normalize_email
from app.core.repositories.audit import AuditRepository
from app.core.repositories.users import UserRepository

log = logging.getLogger(__name__)

LOGIN_FAILED = "auth.login_failed"
PASSWORD_CHANGED = "auth.password_changed"
ACCOUNT_EXPORTED = "account.exported"
ACCOUNT_DELETED = "account.deleted"


def no_origin() -> dict:
    return {}


class AuditService:
    def __init__(self, repo: AuditRepository, *, users: UserRepository, origin: Callable[[], dict] = no_origin):
        """`origin()` describes the request being served, if any: {ip, request_id, user_id, role} (the
        factory's app.core.api.request_origin; a job or a test has none)."""
        self.repo = repo
        self.users = users
        self.origin = origin

    def record(
        self,
        *,
        actor_id: str | None,
        action: str,
        target: dict | None = None,
        before: dict | None = None,
        after: dict | None = None,
        ip: str | None = None,
        request_id: str | None = None,
        actor_role: str | None = None,
    ) -> None:
        """Append one entry; `ip` and `request_id` default to the request's. A failed write is logged as an
        error and never fails the action it records: that action is done by now."""
        if not is_action(action):
            raise ValueError(f"not a dotted action name: {action!r}")
        try:
            origin = self.origin()
            if ip is None and request_id is None:
                ip, request_id = origin.get("ip"), origin.get("request_id")
            self.repo.append(
                {
                    "at": utcnow(),
                    "actor_id": actor_id,
                    "actor_role": actor_role or self._role_of(actor_id, origin),
                    "action": action,
                    "target": recordable(target) if target else None,
                    "before": change(before),
                    "after": change(after),
                    "ip": ip,
                    "request_id": request_id,
                }
            )
        except Exception:
            log.error("audit: could not record %s by %s on %s", action, actor_id, target, exc_info=True)

    def _role_of(self, actor_id: str | None, origin: dict) -> str | None:
        if actor_id is None:
            return None
        if origin.get("user_id") == actor_id and origin.get("role"):
            return origin["role"]
        user = self.users.by_id(actor_id)
        return user.get("role", "user") if user else None

    def user_action(self, user_id: str, action: str, *, before: dict | None = None, after: dict | None = None) -> None:
        """A user acting on their own account (`auth.password_changed`, `auth.email_changed`,
        `account.deleted`, `account.exported`...)."""
        self.record(actor_id=user_id, action=action, target={"kind": "user", "id": user_id}, before=before, after=after)

    def login_failed(self, *, email: str, reason: str) -> None:
        """A refused login and why (never the password): the account when one has the address (by id only, so
        the log keeps no address of a deleted account), else the address tried."""
        address = normalize_email(email)
        user = self.users.by_email(address)
        self.record(
            actor_id=None,
            action=LOGIN_FAILED,
            target={"kind": "user", "id": str(user["_id"])} if user else None,
            after={"reason": reason} if user else {"email": address, "reason": reason},
        )

    def page(
        self,
        *,
        actor_id: str | None = None,
        action: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 20,
    ) -> tuple[list[dict], int]:
        """Entries newest first, filtered by each criterion given."""
        return self.repo.page(
            actor_id=actor_id, action=action, target_id=target_id, since=since, until=until, skip=skip, limit=limit
        )
