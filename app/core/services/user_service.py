"""Profiles, and the user look-ups other modules need (display names, name search)."""

from __future__ import annotations

from datetime import datetime

from app.core.errors import NotFound
from app.core.models.personal_data import DELETED_NAME, Replacements
from app.core.models.user import display_name
from app.core.repositories.users import UserRepository


class UserService:
    def __init__(self, users: UserRepository):
        self.users = users

    def get(self, user_id: str) -> dict:
        user = self.users.by_id(user_id)
        if user is None or not user.get("is_active", True):
            raise NotFound("USER_NOT_FOUND")
        return user

    def update_profile(self, user_id: str, changes: dict) -> dict:
        self.get(user_id)
        if not changes:
            return self.get(user_id)
        return self.users.update_fields(
            user_id, {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
        )

    def exists(self, user_id: str) -> bool:
        user = self.users.by_id(user_id)
        return bool(user and user.get("is_active", True))

    def known(self, user_ids: list[str]) -> set[str]:
        """The ids among `user_ids` that name an account, active or not, exactly as spelled (lower case)."""
        spelled = set(user_ids)
        return {str(r["_id"]) for r in self.users.by_ids(list(spelled), {"_id": 1})} & spelled

    def active_display_name(self, user_id: str) -> str | None:
        """The display name of an active user; None when there is no such user (one read for both)."""
        user = self.users.by_id(user_id)
        return display_name(user) if user and user.get("is_active", True) else None

    def email_of(self, user_id: str) -> str | None:
        """Only a confirmed address: until the user clicked its link, nothing but account mail goes there."""
        user = self.users.by_id(user_id)
        if not user or not user.get("is_active", True) or not user.get("email_verified"):
            return None
        return user["email"]

    def erase(self, user_id: str, replacements: Replacements, *, password_hash: str, at: datetime) -> None:
        """The deleted account's document: the pseudonym address, "Deleted user", a password nobody knows."""
        self.users.erase_personal_data(
            user_id, email=replacements.email, names=DELETED_NAME, password_hash=password_hash, at=at
        )

    def mail_recipients_after(self, after_id: str | None, limit: int = 200) -> list[dict]:
        return [
            {"id": str(u["_id"]), "email": u["email"], "first_name": u.get("first_name", "")}
            for u in self.users.confirmed_after(after_id, limit)
        ]

    def display_names(self, user_ids: list[str]) -> dict[str, str]:
        """{user_id: 'First L.'} for the ids that exist (no emails: safe to show other users)."""
        rows = self.users.by_ids(list(user_ids), {"first_name": 1, "last_name": 1})
        return {str(r["_id"]): display_name(r) for r in rows}

    def public_profiles(self, user_ids: list[str]) -> dict[str, dict]:
        rows = self.users.by_ids(list(user_ids), {"first_name": 1, "last_name": 1})
        return {
            str(r["_id"]): {
                "id": str(r["_id"]),
                "first_name": r["first_name"],
                "last_name": r["last_name"],
                "display_name": display_name(r),
            }
            for r in rows
        }

    def search(self, text: str, *, exclude: list[str], limit: int = 20) -> list[dict]:
        rows = self.users.search_by_name(text, exclude=exclude, limit=limit)
        return [
            {
                "id": str(r["_id"]),
                "first_name": r["first_name"],
                "last_name": r["last_name"],
                "display_name": display_name(r),
            }
            for r in rows
        ]

    def count(self) -> int:
        return self.users.count()
