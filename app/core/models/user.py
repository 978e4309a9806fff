"""User rules, free of I/O."""

from __future__ import annotations

from app.core.errors import ValidationFailed

USER, MODERATOR, ADMIN = "user", "moderator", "admin"
ROLES = (USER, MODERATOR, ADMIN)
STAFF = (MODERATOR, ADMIN)  # who works the moderation queue
ASSIGNABLE_ROLES = (USER, MODERATOR)  # what an admin can make an account (admins come from the operator)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
NAME_MAX = 60
# an account is active, or suspended by an admin: inactive, it cannot log in and others no longer see it
ACTIVE, SUSPENDED = "active", "suspended"
STATUSES = (ACTIVE, SUSPENDED)


def normalize_email(email: str) -> str:
    """Emails are unique regardless of case and surrounding blanks."""
    return email.strip().lower()


def account_status(user: dict) -> str:
    return ACTIVE if user.get("is_active", True) else SUSPENDED


def display_name(user: dict) -> str:
    last = (user.get("last_name") or "").strip()
    return f"{user.get('first_name', '').strip()} {last[:1] + '.' if last else ''}".strip()


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(errors={field: [f"At least {MIN_PASSWORD_LENGTH} characters."]})
