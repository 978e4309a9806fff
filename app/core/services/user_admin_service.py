"""Accounts as admins see them: looking them up, suspending and reinstating them.

A suspended account is inactive: its sessions are revoked (every refresh-token family, so its access
tokens answer 401 TOKEN_REVOKED and its sockets end within a second), it cannot log in (403
ACCOUNT_SUSPENDED) and other users stop seeing it. Reinstating lets it log in again; the sessions revoked
stay revoked. Both are idempotent: asking again changes nothing and says so.
"""

from __future__ import annotations

from app.core.clock import utcnow
from app.core.errors import Conflict, NotFound, not_own_case
from app.core.models.user import ACTIVE
from app.core.repositories.users import UserRepository
from app.core.services.tokens import TokenService


class UserAdminService:
    def __init__(self, users: UserRepository, tokens: TokenService):
        self.users = users
        self.tokens = tokens

    def page(
        self, *, text: str | None = None, role: str | None = None, status: str | None = None, skip: int, limit: int
    ) -> tuple[list[dict], int]:
        active = None if status is None else status == ACTIVE
        return self.users.admin_page(text=text, role=role, active=active, skip=skip, limit=limit)

    def get(self, user_id: str) -> dict:
        """The account, active or suspended (USER_NOT_FOUND otherwise)."""
        user = self.users.by_id(user_id)
        if user is None:
            raise NotFound("USER_NOT_FOUND")
        return user

    def suspend(self, user_id: str, *, reason: str, actor_id: str) -> tuple[dict, bool]:
        """The account suspended, and whether this call suspended it (False: it already was; the first
        suspension's reason stays)."""
        not_own_case(actor_id, user_id)
        user = self.users.suspend(user_id, reason=reason.strip(), by=actor_id, at=utcnow())
        changed = user is not None
        if not changed:
            user = self.get(user_id)
        # on a repeat too: a suspension cut short before its revocations is completed by asking again
        self.tokens.revoke_other_sessions(user_id, keep_family=None)
        return user, changed

    def reinstate(self, user_id: str, *, actor_id: str) -> tuple[dict, bool]:
        """The account active again, and whether this call reinstated it (False: it was active)."""
        not_own_case(actor_id, user_id)
        user = self.users.reinstate(user_id, at=utcnow())
        if user is None:
            return self.get(user_id), False
        return user, True

    def set_role(self, user_id: str, role: str, *, actor_id: str) -> tuple[dict, str]:
        """Make the account a moderator or a plain user again; (account, previous role). Its sessions end, so
        its next sign-in carries the new role. An admin's role is not changed here (409 ROLE_LOCKED)."""
        not_own_case(actor_id, user_id)
        before = self.get(user_id)
        if before.get("role") == "admin":
            raise Conflict("ROLE_LOCKED")
        user = self.users.set_role(user_id, role)
        if user is None:
            raise Conflict("ROLE_LOCKED")
        if before.get("role", "user") != role:
            self.tokens.revoke_other_sessions(user_id, keep_family=None)
        return user, before.get("role", "user")
